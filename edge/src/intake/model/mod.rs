//! Intake's rules, as plain functions natively tested: the spam verdict (honeypot, time-to-fill),
//! the rate-limit arithmetic, and idempotency keys.

pub mod idempotency;
pub mod limit;
pub mod spam;
