//! The `IntakeLimiter` Durable Object: one instance per rate-limit key, holding that key's sliding
//! log. The arithmetic is `limit.rs`; this file only loads, saves and answers.
//!
//! A Durable Object handles one event at a time, and its input gate holds other events while storage
//! is read or written, so the read-decide-write below is atomic: that is what makes the limit exact.
//! (Named `IntakeLimiter`, not `RateLimiter`, which is workers-rs's name for Cloudflare's built-in
//! rate-limit binding.)

use crate::limit::{Decision, SlidingLog, TakeRequest};
use crate::settings::Limit;
use std::cell::RefCell;
use worker::{DurableObject, Env, Method, Request, RequestInit, Response, State, durable_object};

#[durable_object]
pub struct IntakeLimiter {
    state: State,
    /// `None` until the log is read from storage on the first request.
    log: RefCell<Option<SlidingLog>>,
}

impl DurableObject for IntakeLimiter {
    fn new(state: State, _env: Env) -> Self {
        IntakeLimiter { state, log: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let take: TakeRequest = req.json().await?;
        let loaded = self.log.borrow_mut().take();
        let mut log = match loaded {
            Some(log) => log,
            None => self.state.storage().get::<SlidingLog>("log").await?.unwrap_or_default(),
        };
        let decision = log.take(js_sys::Date::now(), take.limit, take.window_ms);
        if decision == Decision::Allowed {
            self.state.storage().put("log", &log).await?;
        }
        self.log.replace(Some(log));
        Response::from_json(&decision)
    }
}

/// Asks the Durable Object for `key` whether one more request fits in `limit`.
pub async fn take(env: &Env, key: &str, limit: Limit) -> worker::Result<Decision> {
    let limit = limit.clamped();
    let stub = env.durable_object("LIMITER")?.id_from_name(key)?.get_stub()?;
    let body = serde_json::to_string(&TakeRequest {
        limit: limit.limit,
        window_ms: f64::from(limit.window_seconds) * 1000.0,
    })?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let mut response =
        stub.fetch_with_request(Request::new_with_init("https://limiter/take", &init)?).await?;
    response.json().await
}
