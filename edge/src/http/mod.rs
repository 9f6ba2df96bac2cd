//! The HTTP layer: replies, RFC 9457 problems, the failure type handlers return, reading request
//! bodies and query strings, CORS, cookies, the same-origin guard of state-changing requests, the
//! operator's bearer token, and HTML escaping.
//!
//! It stands on `base` and knows no capability; the capabilities' HTTP APIs and the router use it.

pub mod bearer;
pub mod cookie;
pub mod cors;
pub mod failure;
pub mod html;
pub mod problem;
pub mod reply;
pub mod request;
pub mod same_origin;
