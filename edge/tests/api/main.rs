//! Black-box tests of the edge's HTTP API against the real runtime: workerd through `wrangler dev`,
//! with a fresh local D1 per test binary. `cargo xtask test` builds the Worker first.

// Tests report failure by panicking; that is their job here.
#![allow(clippy::panic)]

mod abuse;
mod accounts;
mod api_keys;
mod configuration;
mod forwarding;
mod helpers;
mod inbox;
mod intake;
mod isolation;
mod members;
mod public;
mod receiver;
