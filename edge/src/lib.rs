//! Inlet's Worker: the public API that takes leads, the iframe embed page, and (in later issues) the
//! dashboard. Only this crate knows D1, HTTP status codes and secrets.
//!
//! `app` routes and handles requests; `store` is the only module with SQL. The modules `route`,
//! `problem`, `reply`, `cors`, `ids` and `page` are plain functions of their inputs, tested natively.
//! This file is the thin shell that turns a [`reply::Reply`] into a `worker::Response`.

mod app;
pub mod cors;
pub mod ids;
pub mod limit;
mod limiter;
pub mod page;
pub mod problem;
pub mod reply;
pub mod route;
pub mod settings;
pub mod spam;
mod store;
mod turnstile;

pub use limiter::IntakeLimiter;

/// The OpenAPI 3.1 document of the public API, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");
use worker::{event, Context, Env, Headers, Request, Response, ResponseBuilder};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    Ok(into_response(app::handle(req, &env).await))
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
