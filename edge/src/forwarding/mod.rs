//! Forwarding: where a form's leads go and how they get there. Destinations (signed webhooks,
//! email, SMS, Slack), one delivery per lead and destination, its attempts through the queue with
//! retries and a dead-letter queue, the delivery log, and replay.

pub mod api;
pub mod model;
pub mod queue;
pub mod store;
