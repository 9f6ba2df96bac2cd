//! Why a handler did not produce its normal reply: the client's fault (a [`Problem`], answered as
//! is) or ours (logged with its cause, answered with a bare 500).

use crate::base::config::ConfigError;
use crate::base::database::StoreError;
use crate::base::random::RandomUnavailable;
use crate::http::problem::Problem;
use crate::http::reply::Reply;

#[derive(Debug)]
pub enum Failure {
    /// The client's fault, answered as is. Boxed: a problem is large and failures are the rare path.
    Problem(Box<Problem>),
    /// Ours: logged, answered 500.
    Internal(String),
}

impl Failure {
    pub fn into_reply(self) -> Reply {
        match self {
            Failure::Problem(problem) => Reply::problem(&problem),
            Failure::Internal(cause) => {
                worker::console_error!("internal error: {cause}");
                Reply::problem(&Problem::internal())
            }
        }
    }
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        Failure::Problem(Box::new(problem))
    }
}

impl From<worker::Error> for Failure {
    fn from(error: worker::Error) -> Self {
        Failure::Internal(error.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Internal(error.to_string())
    }
}

impl From<RandomUnavailable> for Failure {
    fn from(error: RandomUnavailable) -> Self {
        Failure::Internal(error.to_string())
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        Failure::Internal(error.to_string())
    }
}
