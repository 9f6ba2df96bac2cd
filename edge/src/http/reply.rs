//! A response as plain data. Handlers build a [`Reply`]; only [`Reply::into_response`], called by the
//! router, turns it into a `worker::Response`, so status codes, headers and bodies are testable
//! natively. A large answer (a CSV export) may stream its body instead of holding it.

use crate::http::problem::{self, Problem};
use futures_util::Stream;
use serde::Serialize;
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use worker::{Headers, Response, ResponseBuilder};

/// A body produced piece by piece while it is sent.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, worker::Error>>>>;

/// A streamed body, taken once by [`Reply::into_response`]. Two replies are equal only if they
/// share the stream.
#[derive(Clone)]
pub struct Streamed(Rc<RefCell<Option<ByteStream>>>);

impl Streamed {
    pub fn new(stream: ByteStream) -> Streamed {
        Streamed(Rc::new(RefCell::new(Some(stream))))
    }
}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Streamed")
    }
}

impl PartialEq for Streamed {
    fn eq(&self, other: &Streamed) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Streamed {}

/// An HTTP response. Invariant: header names are lower-case and appear once each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// When set, the body is this stream and `body` is empty.
    pub stream: Option<Streamed>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            stream: None,
        }
        .with_security_headers()
    }

    pub fn empty(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: Vec::new(), stream: None }
            .with_security_headers()
    }

    /// An answer whose body `stream` produces while it is sent.
    pub fn streamed(status: u16, content_type: &str, stream: ByteStream) -> Reply {
        Reply {
            stream: Some(Streamed::new(stream)),
            ..Reply::new(status, content_type, Vec::new())
        }
    }

    pub fn json<T: Serialize>(status: u16, value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::new(status, "application/json", body),
            Err(_) => Reply::problem(&Problem::internal()),
        }
    }

    pub fn problem(problem: &Problem) -> Reply {
        let mut reply = Reply::new(problem.status, problem::CONTENT_TYPE, problem.to_json())
            .header("cache-control", "no-store");
        if let Some(seconds) = problem.retry_after {
            reply = reply.header("retry-after", seconds.to_string());
        }
        if let Some(allow) = &problem.allow {
            reply = reply.header("allow", allow.as_str());
        }
        if problem.status == 401 {
            reply = reply.header("www-authenticate", "Bearer");
        }
        reply
    }

    /// Never kept by a cache: answers about a person or a business's leads.
    pub fn no_store(self) -> Reply {
        self.header("cache-control", "no-store")
    }

    /// Sets a header, replacing any earlier value.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        let value = value.into();
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// Headers every answer carries. Pages that need a looser policy replace `content-security-policy`.
    fn with_security_headers(self) -> Reply {
        self.header("x-content-type-options", "nosniff")
            .header("referrer-policy", "strict-origin-when-cross-origin")
            .header("content-security-policy", "default-src 'none'; frame-ancestors 'none'")
    }

    /// The runtime's response. Names are our own constants and values our own strings; a value the
    /// runtime refuses is dropped (and logged) rather than failing the whole answer.
    pub fn into_response(self) -> Response {
        let headers = Headers::new();
        for (name, value) in &self.headers {
            if headers.set(name, value).is_err() {
                worker::console_warn!("dropped header {name}");
            }
        }
        let builder = ResponseBuilder::new().with_status(self.status).with_headers(headers);
        if let Some(stream) = self.stream.and_then(|s| s.0.borrow_mut().take()) {
            return match builder.from_stream(stream) {
                Ok(response) => response,
                Err(error) => {
                    worker::console_error!("a streamed answer could not start: {error}");
                    Reply::problem(&Problem::internal()).into_response()
                }
            };
        }
        if self.body.is_empty() { builder.empty() } else { builder.fixed(self.body) }
    }

    /// Lets a browser on `origin` read this answer.
    pub fn allow_origin(self, origin: &str) -> Reply {
        self.header("access-control-allow-origin", origin).header("vary", "Origin")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_their_headers() {
        let mut too_many = Problem::internal();
        too_many.retry_after = Some(7);
        let reply = Reply::problem(&too_many);
        assert_eq!(reply.status, 500);
        assert_eq!(reply.header_value("content-type"), Some("application/problem+json"));
        assert_eq!(reply.header_value("retry-after"), Some("7"));
        assert_eq!(reply.header_value("x-content-type-options"), Some("nosniff"));
        let reply = Reply::problem(&Problem::method_not_allowed("GET, HEAD"));
        assert_eq!(reply.header_value("allow"), Some("GET, HEAD"));
    }

    #[test]
    fn header_replaces() {
        let reply = Reply::empty(204).header("vary", "a").header("vary", "b");
        assert_eq!(reply.headers.iter().filter(|(n, _)| *n == "vary").count(), 1);
        assert_eq!(reply.header_value("vary"), Some("b"));
    }
}
