//! The operator API's guard until accounts exist: `Authorization: Bearer <INLET_OPERATOR_TOKEN>`,
//! compared in constant time. Without a configured token the operator API is closed.

use crate::base::crypto::secrets_match;
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::request::header;
use worker::Request;

/// Refuses with `401` unless the request carries the expected bearer token.
pub fn require_bearer(req: &Request, expected: Option<&str>) -> Result<(), Failure> {
    let given = header(req, "authorization")?;
    let given = given.as_deref().and_then(|value| value.strip_prefix("Bearer ")).map(str::trim);
    match (expected, given) {
        (Some(expected), Some(given)) if secrets_match(expected, given) => Ok(()),
        _ => Err(Problem::unauthorized().into()),
    }
}
