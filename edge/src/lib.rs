//! Inlet's Worker: the public API that takes leads, the iframe embed page, the operator API for
//! destinations and deliveries, the delivery queues' consumer, and (in later issues) the dashboard.
//! Only this crate knows D1, Queues, HTTP status codes and secrets.
//!
//! The layers, each importing only those before it (ARCHITECTURE.md, "The edge's layers"): `base`
//! (configuration, clock, ids, crypto, outbound requests, D1 helpers; no HTTP), `http` (replies,
//! problems, request reading, CORS), the capabilities (`forms`, `intake`, `forwarding`, each with its
//! model, store, HTTP API and, where it has one, queue consumer), and `router`, the only module that
//! reaches a capability's HTTP API. This file wires the runtime's events to them and reads the clock
//! once per event.

pub mod accounts;
pub mod base;
pub mod dashboard;
pub mod forms;
pub mod forwarding;
pub mod http;
pub mod intake;
pub mod leads;
pub mod router;

use base::clock;
use worker::{
    Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent, event,
};

pub use intake::limiter::IntakeLimiter;

pub use router::OPENAPI;

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    Ok(router::handle(req, &env, ctx).await.into_response())
}

/// Both delivery queues: attempts, and the dead-letter queue that marks deliveries dead.
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    forwarding::queue::consume(batch, &env, clock::now()).await;
    Ok(())
}

/// The cron trigger: re-queues deliveries whose queue message was lost, and deletes sessions and
/// links that can no longer be used.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = clock::now();
    match forwarding::queue::sweep(&env, now).await {
        Ok(0) => {}
        Ok(count) => worker::console_log!("sweep: queued {count} overdue deliveries again"),
        Err(fault) => worker::console_error!("sweep: {fault}"),
    }
    if let Err(error) = accounts::sweep(&env, now).await {
        worker::console_error!("sweep: accounts: {error}");
    }
}
