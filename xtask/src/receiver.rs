//! A local HTTP receiver standing in for an external provider (Turnstile's siteverify, an email API,
//! Twilio, a customer's webhook endpoint). It records every request when it arrives, so a test sees a
//! request its handler is still holding, and answers with what the handler returns. Used by the
//! edge's HTTP tests and by `cargo xtask bench-forwarding`.

use crate::http;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request as the receiver read it. Header names are lower-case.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
    /// The status the receiver answered (0 while the handler runs).
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What a handler answers: a status, extra headers (e.g. `location`) and a JSON body. A handler may
/// return `(status, body)` instead.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl From<(u16, String)> for Reply {
    fn from((status, body): (u16, String)) -> Reply {
        Reply { status, headers: Vec::new(), body }
    }
}

type Handler = dyn Fn(&Received) -> Reply + Send + Sync;

#[derive(Debug)]
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Listens on a free loopback port until the process exits.
    pub fn start<R: Into<Reply>>(
        handler: impl Fn(&Received) -> R + Send + Sync + 'static,
    ) -> crate::Result<Receiver> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("receiver: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(move |request: &Received| handler(request).into());
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                std::thread::spawn(move || answer(&stream, &*handler, &log));
            }
        });
        Ok(Receiver { url: format!("http://127.0.0.1:{port}"), received })
    }

    /// Every request so far, in arrival order, including those whose handler is still running.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn answer(stream: &std::net::TcpStream, handler: &Handler, log: &Mutex<Vec<Received>>) {
    let Ok(request) = http::read_request(stream, http::Limits::NONE) else { return };
    let request = Received {
        method: request.method,
        path: request.target,
        headers: request.headers,
        body: String::from_utf8_lossy(&request.body).into_owned(),
        at: request.arrived,
        answered: 0,
    };
    let index = log.lock().map(|mut log| {
        log.push(request.clone());
        log.len() - 1
    });
    let reply = handler(&request);
    if let (Ok(index), Ok(mut log)) = (index, log.lock())
        && let Some(entry) = log.get_mut(index)
    {
        entry.answered = reply.status;
    }
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend(reply.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    let _ = http::write_response(stream, reply.status, &headers, reply.body.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::{Receiver, Reply};

    #[test]
    fn a_request_is_recorded_and_answered_with_what_the_handler_returns() {
        let receiver = Receiver::start(|request| Reply {
            status: if request.body.contains("fail") { 503 } else { 301 },
            headers: vec![("location".to_owned(), "/elsewhere".to_owned())],
            body: r#"{"ok":false}"#.to_owned(),
        })
        .unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut response = agent
            .post(format!("{}/hooks/a?x=1", receiver.url))
            .header("X-Signature", "v1,abc")
            .send("please fail")
            .unwrap();
        assert_eq!(response.status().as_u16(), 503);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["location"], "/elsewhere");
        assert_eq!(response.body_mut().read_to_string().unwrap(), r#"{"ok":false}"#);
        let received = receiver.received();
        assert_eq!(received.len(), 1);
        let request = &received[0];
        assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hooks/a?x=1"));
        assert_eq!(request.header("x-signature"), Some("v1,abc"));
        assert_eq!(request.body, "please fail");
        assert_eq!(request.answered, 503);
    }
}
