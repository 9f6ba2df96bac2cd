//! Intake: taking a visitor's submission. Validation with `shared`'s rules, idempotency, the
//! per-client and per-form rate limits (the `IntakeLimiter` Durable Object), Turnstile, the spam
//! verdict, and storing the lead with its deliveries in one batch.

pub mod api;
pub mod limiter;
pub mod model;
pub mod store;
pub mod turnstile;
