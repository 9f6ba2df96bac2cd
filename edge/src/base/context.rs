//! What every handler and queue consumer works with: the configuration, the bindings, and the time
//! its request, batch or cron run began (read once, by the entry point).

use crate::base::clock::Timestamp;
use crate::base::config::{Bindings, Config, ConfigError};

pub struct Context {
    pub config: Config,
    pub bindings: Bindings,
    pub now: Timestamp,
}

impl Context {
    pub fn from_env(env: &worker::Env, now: Timestamp) -> Result<Context, ConfigError> {
        Ok(Context { config: Config::from_env(env)?, bindings: Bindings::from_env(env)?, now })
    }

    pub fn db(&self) -> &worker::D1Database {
        &self.bindings.db
    }
}
