//! The `IntakeLimiter` Durable Object: one instance per rate-limit key, holding that key's sliding
//! log. The arithmetic is `model/limit.rs`; this file only loads, saves and answers.
//!
//! A Durable Object handles one event at a time, and its input gate holds other events while storage
//! is read or written, so the read-decide-write below is atomic: that is what makes the limit exact.
//! (Named `IntakeLimiter`, not `RateLimiter`, which is workers-rs's name for Cloudflare's built-in
//! rate-limit binding.)

use crate::base::clock;
use crate::base::outbound::{Outgoing, request};
use crate::forms::model::Limit;
use crate::intake::model::limit::{Decision, SlidingLog, TakeRequest};
use std::cell::RefCell;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    DurableObject, Env, ObjectNamespace, Request, Response, State, durable_object, web_sys,
};

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
        let decision = log.take(clock::now(), take.limit, take.window_ms);
        if decision == Decision::Allowed {
            self.state.storage().put("log", &log).await?;
        }
        self.log.replace(Some(log));
        Response::from_json(&decision)
    }
}

/// Asks the Durable Object for `key` whether one more request fits in `limit`.
pub async fn take(limiter: &ObjectNamespace, key: &str, limit: Limit) -> worker::Result<Decision> {
    let limit = limit.clamped();
    let stub = limiter.id_from_name(key)?.get_stub()?;
    let take =
        TakeRequest { limit: limit.limit, window_ms: u64::from(limit.window_seconds) * 1000 };
    let outgoing = Outgoing {
        url: "https://limiter/take".to_owned(),
        headers: Vec::new(),
        body: serde_json::to_string(&take)?,
    };
    let response = stub.fetch_with_request(request(&outgoing)?).await?;
    // Read through the runtime's own `text()`: workers-rs reads a fetched body through a stream
    // reader, a round trip into JavaScript per step, which was about half of this call's time.
    let text = JsFuture::from(web_sys::Response::from(response).text()?).await?;
    let text = text.as_string().ok_or("the limiter's answer is not text")?;
    Ok(serde_json::from_str(&text)?)
}
