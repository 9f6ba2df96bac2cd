//! Accounts: people, the businesses they belong to, their sessions, and the links emailed to them.
//!
//! `model.rs` holds the rules as plain functions (tokens and their hashes, link lifetimes, when a
//! session ends, the emails' words), `password.rs` Argon2id, `store.rs` the SQL, `guard.rs` the
//! check other capabilities call to learn who is asking, and `api.rs` the endpoints under
//! `/v1/account`.

pub mod api;
pub mod guard;
pub mod model;
pub mod password;
pub mod store;

use crate::base::clock::Timestamp;
use crate::base::context::Context;

/// The cron run's part for accounts: deletes sessions and links that can no longer be used.
pub async fn sweep(env: &worker::Env, now: Timestamp) -> Result<(), String> {
    let ctx = Context::from_env(env, now).map_err(|error| error.to_string())?;
    let idle_since = now.minus_ms(model::SESSION_IDLE_MS);
    store::delete_expired(ctx.db(), now, idle_since).await.map_err(|error| error.to_string())
}
