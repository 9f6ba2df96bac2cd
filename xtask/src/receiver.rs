//! A local HTTP receiver standing in for an external provider (Turnstile's siteverify, an email API,
//! Twilio, a customer's webhook endpoint). It records every request when it arrives, so a test sees a
//! request its handler is still holding, and answers with what the handler returns. Used by the
//! edge's HTTP tests and by `cargo xtask bench-forwarding`.

use std::io::{BufRead, BufReader, Read, Write};
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
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let at = Instant::now();
    let mut parts = line.split_whitespace();
    let (method, path) =
        (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) <= 2 {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let request = Received {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at,
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
    let extra: String =
        reply.headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{}",
        reply.status,
        reply.body.len(),
        reply.body
    );
}
