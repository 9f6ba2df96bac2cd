//! What every handler and queue consumer works with: the configuration, the bindings, the time its
//! request, batch or cron run began (read once, by the entry point), and for a request, the runtime's
//! promise to finish work after the answer has gone.

use crate::base::clock::Timestamp;
use crate::base::config::{Bindings, Config, ConfigError};
use std::future::Future;

pub struct Context {
    pub config: Config,
    pub bindings: Bindings,
    pub now: Timestamp,
    /// A request's hold on the runtime after its answer (`waitUntil`); `None` for queue batches and
    /// cron runs, which end when their own work does.
    pub background: Option<worker::Context>,
}

impl Context {
    pub fn from_env(env: &worker::Env, now: Timestamp) -> Result<Context, ConfigError> {
        Ok(Context {
            config: Config::from_env(env)?,
            bindings: Bindings::from_env(env)?,
            now,
            background: None,
        })
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
