//! What every handler and queue consumer works with: the configuration, the bindings, the time its
//! request, batch or cron run began (read once, by the entry point), and for a request, the runtime's
//! promise to finish work after the answer has gone.
//!
//! The configuration and bindings are read from the first `env` an isolate is given and kept for as
//! long as the runtime hands over that same object, which it does for every event of the isolate:
//! its contents cannot change meanwhile (a new variable or secret is a new deployment, so new
//! isolates). Reading them again on every request, each setting a property read and a string copied
//! out of JavaScript, was about a quarter of the Worker's own time on `/health`.

use crate::base::clock::Timestamp;
use crate::base::config::{Bindings, Config, ConfigError};
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::JsValue;

pub struct Context {
    pub config: Rc<Config>,
    pub bindings: Rc<Bindings>,
    pub now: Timestamp,
    /// A request's hold on the runtime after its answer (`waitUntil`); `None` for queue batches and
    /// cron runs, which end when their own work does.
    pub background: Option<worker::Context>,
}

impl Context {
    /// The context of an event that began at `now`. A configuration error is never kept: every
    /// event reads the environment again and fails the same way until a deployment fixes it.
    pub fn from_env(env: &worker::Env, now: Timestamp) -> Result<Context, ConfigError> {
        let (config, bindings) = read(env)?;
        Ok(Context { config, bindings, now, background: None })
    }

    pub fn with_background(self, background: worker::Context) -> Context {
        Context { background: Some(background), ..self }
    }

    pub fn db(&self) -> &worker::D1Database {
        &self.bindings.db
    }

    /// Runs `work` after the answer is sent, where the runtime allows it, and at once otherwise. An
    /// answer that must not reveal what happened (whether an address has an account) leaves the
    /// slow part here, so its timing tells nothing either.
    pub async fn after_answer(&self, work: impl Future<Output = ()> + 'static) {
        match &self.background {
            Some(background) => background.wait_until(work),
            None => work.await,
        }
    }
}

/// What was read from one `env`, and that object, to know it again.
struct Read {
    env: JsValue,
    config: Rc<Config>,
    bindings: Rc<Bindings>,
}

thread_local! {
    /// The last environment read. A Worker's isolate runs on one thread, so this is per isolate.
    static LAST_READ: RefCell<Option<Read>> = const { RefCell::new(None) };
}

/// The configuration and bindings of `env`: those read before if it is the object read before
/// (one comparison in JavaScript), else read now and kept.
fn read(env: &worker::Env) -> Result<(Rc<Config>, Rc<Bindings>), ConfigError> {
    let env_value: &JsValue = env.as_ref();
    let kept = LAST_READ.with(|last| {
        let last = last.borrow();
        let read = last.as_ref().filter(|read| read.env == *env_value)?;
        Some((Rc::clone(&read.config), Rc::clone(&read.bindings)))
    });
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let config = Rc::new(Config::from_env(env)?);
    let bindings = Rc::new(Bindings::from_env(env)?);
    LAST_READ.with(|last| {
        *last.borrow_mut() = Some(Read {
            env: env_value.clone(),
            config: Rc::clone(&config),
            bindings: Rc::clone(&bindings),
        });
    });
    Ok((config, bindings))
}
