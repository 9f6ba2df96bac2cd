//! The HTTP/1.1 that xtask's small local servers speak: read one request off a connection, write one
//! response and close it. One request per connection, and bodies framed by `Content-Length` only (no
//! chunked encoding): enough for the Worker's fetches, ureq and a browser, not a general server.
//! `examples.rs` reads only request lines and keeps its own loop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

/// One request as read off a connection. Header names are lower-case; `target` is the request target
/// as sent (path and query).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request line had been read, before the headers and the body.
    pub arrived: Instant,
}

impl Request {
    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or_default()
    }
}

/// The most a request may bring: bytes of request line and headers together, and bytes of body.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub head: u64,
    pub body: u64,
}

impl Limits {
    /// No limits, for servers that only ever hear from tests.
    pub const NONE: Limits = Limits { head: u64::MAX, body: u64::MAX };
}

/// Why no whole request was read.
#[derive(Debug)]
pub enum ReadError {
    /// The request line could not be read (an IO error, a timeout, bytes that are not UTF-8).
    Io(std::io::Error),
    /// The head or the announced body is over its limit; nothing of the body was read.
    TooLarge,
}

/// Reads one request. A header line that cannot be read ends the headers, and a body shorter than its
/// `Content-Length` is kept as far as it came: the caller judges what it got. A missing or malformed
/// `Content-Length` means no body.
pub fn read_request(stream: &TcpStream, limits: Limits) -> Result<Request, ReadError> {
    let mut reader = BufReader::new(stream);
    let mut head = (&mut reader).take(limits.head);
    let mut line = String::new();
    head.read_line(&mut line).map_err(ReadError::Io)?;
    let arrived = Instant::now();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if head.read_line(&mut header).unwrap_or(0) <= 2 {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if head.limit() == 0 {
        return Err(ReadError::TooLarge);
    }
    let length: u64 = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > limits.body {
        return Err(ReadError::TooLarge);
    }
    let mut body = Vec::new();
    let _ = reader.take(length).read_to_end(&mut body);
    Ok(Request { method, target, headers, body, arrived })
}

/// Writes a whole response and asks the client to close: the status line, `headers` (the caller's
/// `content-type` among them), the body's length, and the body.
pub fn write_response(
    mut stream: &TcpStream,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// The reason phrase of a status; clients ignore it, people reading a capture do not.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::{Limits, ReadError, read_request, write_response};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    /// Sends `raw` to a fresh server and returns what `read_request` made of it.
    fn read(raw: &'static [u8], limits: Limits) -> Result<super::Request, ReadError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(address).unwrap();
            stream.write_all(raw).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            stream
        });
        let (stream, _) = listener.accept().unwrap();
        let request = read_request(&stream, limits);
        drop(client.join().unwrap());
        request
    }

    #[test]
    fn a_request_is_read_with_lower_case_headers_and_its_body() {
        let request = read(
            b"POST /emails?x=1 HTTP/1.1\r\nHost: a\r\nIdempotency-Key: k 1\r\nContent-Length: 5\r\n\r\nhello and more",
            Limits::NONE,
        )
        .unwrap();
        assert_eq!((request.method.as_str(), request.target.as_str()), ("POST", "/emails?x=1"));
        assert_eq!(request.path(), "/emails");
        assert_eq!(request.header("idempotency-key"), Some("k 1"));
        assert_eq!(request.header("Host"), None, "names are looked up in lower case");
        assert_eq!(request.body, b"hello");
    }

    #[test]
    fn a_short_body_is_kept_as_far_as_it_came_and_no_length_means_no_body() {
        let short =
            read(b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\nabc", Limits::NONE).unwrap();
        assert_eq!(short.body, b"abc");
        let none = read(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\nabc", Limits::NONE).unwrap();
        assert!(none.body.is_empty());
    }

    #[test]
    fn limits_refuse_a_long_head_or_a_large_body() {
        let small = Limits { head: 64, body: 4 };
        let long_head = read(
            b"GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
            small,
        );
        assert!(matches!(long_head, Err(ReadError::TooLarge)), "{long_head:?}");
        let large = read(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", small);
        assert!(matches!(large, Err(ReadError::TooLarge)), "{large:?}");
        let fits = read(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nhell", small).unwrap();
        assert_eq!(fits.body, b"hell");
    }

    #[test]
    fn a_response_has_its_length_and_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            write_response(&stream, 404, &[("Content-Type", "text/plain")], b"gone").unwrap();
        });
        let mut answer = String::new();
        TcpStream::connect(address).unwrap().read_to_string(&mut answer).unwrap();
        server.join().unwrap();
        assert_eq!(
            answer,
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngone"
        );
    }
}
