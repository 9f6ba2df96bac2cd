//! Requests the edge makes to other services (webhook receivers, the email and SMS providers,
//! Turnstile, its own Durable Objects): one way to build a POST, and one way to send it with a
//! timeout. Redirects are never followed: a destination that redirects should be given its new URL,
//! and no provider we call redirects.

use crate::base::clock::Stopwatch;
use worker::{Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response};

/// A POST to make. Invariant: header names are lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// An answer, and how long it took to arrive.
#[derive(Debug)]
pub struct Answer {
    pub response: Response,
    pub elapsed_ms: u64,
}

impl Answer {
    pub fn status(&self) -> u16 {
        self.response.status_code()
    }

    /// A response header, if present and readable.
    pub fn header(&self, name: &str) -> Option<String> {
        self.response.headers().get(name).ok().flatten()
    }
}

/// No answer: the request could not be made, the connection failed, or the timeout passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoAnswer {
    /// A sentence for a log, e.g. "No answer within 15 s."
    pub reason: String,
    pub elapsed_ms: u64,
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The runtime's request for `outgoing`.
pub fn request(outgoing: &Outgoing) -> worker::Result<Request> {
    let headers = Headers::new();
    for (name, value) in &outgoing.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(outgoing.body.as_str().into()));
    Request::new_with_init(&outgoing.url, &init)
}

/// Sends `outgoing` and waits at most `timeout_ms` for the answer's headers (the signal also bounds
/// reading the body).
pub async fn send(outgoing: &Outgoing, timeout_ms: u32) -> Result<Answer, NoAnswer> {
    let stopwatch = Stopwatch::start();
    let no_answer = |reason: String| NoAnswer { reason, elapsed_ms: stopwatch.elapsed_ms() };
    let request = request(outgoing)
        .map_err(|error| no_answer(format!("The request could not be made: {error}")))?;
    let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    match Fetch::Request(request).send_with_signal(&signal).await {
        Ok(response) => Ok(Answer { response, elapsed_ms: stopwatch.elapsed_ms() }),
        Err(_) if signal.aborted() => {
            Err(no_answer(format!("No answer within {} s.", timeout_ms / 1_000)))
        }
        Err(error) => Err(no_answer(format!("No answer: {error}"))),
    }
}
