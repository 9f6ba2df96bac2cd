//! Forwarding's model, plain data and rules natively tested: destinations and their checks, a
//! delivery and its log, what each delivery sends, when to retry, and webhook signing.

pub mod delivery;
pub mod destination;
pub mod messages;
pub mod retry;
pub mod signing;
