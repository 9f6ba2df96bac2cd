//! Inlet's Worker: the public API that takes leads, the iframe embed page, the operator API for
//! destinations and deliveries, the delivery queues' consumer, and (in later issues) the dashboard.
//! Only this crate knows D1, Queues, HTTP status codes and secrets.
//!
//! `app` routes and handles requests, `admin` the operator API, `deliver` the queues and the cron
//! sweep; `store` is the only module with SQL. The modules `route`, `problem`, `reply`, `cors`, `ids`,
//! `page`, `destination`, `forward`, `retry` and `webhook` are plain functions of their inputs, tested
//! natively. This file is the thin shell that wires the runtime's events to them.

mod admin;
mod app;
pub mod cors;
mod deliver;
pub mod destination;
pub mod forward;
pub mod ids;
pub mod limit;
mod limiter;
pub mod page;
pub mod problem;
pub mod reply;
pub mod retry;
pub mod route;
pub mod settings;
pub mod spam;
mod store;
mod turnstile;
pub mod webhook;

pub use limiter::IntakeLimiter;

/// The OpenAPI 3.1 document of the public API, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");
use worker::{
    Context, Env, Headers, MessageBatch, Request, Response, ResponseBuilder, ScheduleContext,
    ScheduledEvent, event,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(into_response(app::handle(req, &env).await))
}

/// Both delivery queues: attempts, and the dead-letter queue that marks deliveries dead.
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    deliver::consume(batch, &env).await;
    Ok(())
}

/// The cron trigger: re-queues deliveries whose queue message was lost.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match deliver::sweep(&env).await {
        Ok(0) => {}
        Ok(count) => worker::console_log!("sweep: queued {count} overdue deliveries again"),
        Err(error) => worker::console_error!("sweep: {error}"),
    }
}

fn into_response(reply: reply::Reply) -> Response {
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        // Names are our own constants and values our own strings; a value the runtime refuses is
        // dropped rather than failing the whole answer.
        if headers.set(name, value).is_err() {
            worker::console_warn!("dropped header {name}");
        }
    }
    let builder = ResponseBuilder::new().with_status(reply.status).with_headers(headers);
    if reply.body.is_empty() { builder.empty() } else { builder.fixed(reply.body) }
}
