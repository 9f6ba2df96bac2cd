//! The base every capability stands on, with no HTTP in it: typed configuration and bindings, the
//! clock, randomness, ids, the crypto helpers, outbound requests with a timeout, emails in the
//! provider's shape, and D1 helpers.
//!
//! Nothing here imports the HTTP layer or a capability; everything above may import it.

pub mod clock;
pub mod config;
pub mod context;
pub mod crypto;
pub mod database;
pub mod ids;
pub mod mail;
pub mod outbound;
pub mod random;
