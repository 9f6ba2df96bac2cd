//! Forms: what a visitor's widget is served. The definition and its form token (`GET /v1/forms/{id}`),
//! a renewed token for a widget that has held its own for long, the CORS preflight of a form's public
//! addresses, and the iframe embed page.

pub mod api;
pub mod model;
pub mod page;
pub mod store;
