//! A local HTTP receiver standing in for an external provider (here Turnstile's siteverify). It records
//! every request and answers with what the test's handler returns.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
#[allow(dead_code)] // Each test reads what it checks; not every test reads every part.
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

type Handler = dyn Fn(&Received) -> (u16, String) + Send + Sync;

pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(handler: impl Fn(&Received) -> (u16, String) + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let url = format!("http://127.0.0.1:{}", listener.local_addr().map(|a| a.port()).unwrap_or_default());
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(&stream);
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
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
                    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
                    let mut body = vec![0u8; length];
                    let _ = reader.read_exact(&mut body);
                    let request = Received { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() };
                    let (status, reply) = handler(&request);
                    if let Ok(mut log) = log.lock() {
                        log.push(request);
                    }
                    let mut stream = &stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                        reply.len()
                    );
                });
            }
        });
        Receiver { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Cloudflare's documented Turnstile test secrets, answered as siteverify answers them.
pub const TURNSTILE_PASSES: &str = "1x0000000000000000000000000000000AA";
pub const TURNSTILE_FAILS: &str = "2x0000000000000000000000000000000AA";
pub const TURNSTILE_SPENT: &str = "3x0000000000000000000000000000000AA";
/// Not a Cloudflare key: our receiver answers 500 for it, to stand for siteverify being down.
pub const TURNSTILE_DOWN: &str = "receiver-answers-500";
/// The token Turnstile's test site keys produce.
pub const DUMMY_TOKEN: &str = "XXXX.DUMMY.TOKEN.XXXX";

pub fn siteverify(request: &Received) -> (u16, String) {
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
    let (success, code) = match body["secret"].as_str().unwrap_or_default() {
        TURNSTILE_PASSES => (true, None),
        TURNSTILE_FAILS => (false, Some("invalid-input-response")),
        TURNSTILE_SPENT => (false, Some("timeout-or-duplicate")),
        TURNSTILE_DOWN => return (500, "{}".to_owned()),
        _ => (false, Some("invalid-input-secret")),
    };
    let codes: Vec<&str> = code.into_iter().collect();
    (200, serde_json::json!({"success": success, "error-codes": codes, "hostname": "example.com"}).to_string())
}
