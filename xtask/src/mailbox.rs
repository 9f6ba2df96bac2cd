//! The local mailbox `cargo xtask dev` starts: it stands in for the email provider (Resend's
//! `POST /emails`), so every email the local Worker sends (magic links, invitations, lead
//! notifications) lands here, and a person reads it in a browser (`GET /`, `GET /messages/{id}`) and a
//! test reads it as JSON (`GET /messages.json`). It keeps the last 500 messages, in a JSON file when
//! given one, so they survive a restart with the local D1 state. It sends nothing anywhere.
//!
//! Everything in a message came from strangers (a lead's name and message), so the pages escape all of
//! it; only http(s) URLs found in the text become links.

use crate::Result;
use crate::http::{self, Limits, ReadError, Request};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many messages the mailbox keeps; older ones are dropped as new ones arrive.
pub const KEPT: usize = 500;

/// Bigger than any text email the Worker writes, small enough that nobody can fill the memory.
const LIMITS: Limits = Limits { head: 64 * 1024, body: 1024 * 1024 };

/// A client that opens a connection and sends nothing holds a thread for this long at most.
const IDLE: Duration = Duration::from_secs(10);

/// A running mailbox on `url` (`http://127.0.0.1:PORT`). It answers until it is dropped. A message it
/// accepted is in its store file (when it has one) before the sender hears `200`, unless writing the
/// file failed, which it says on standard error: the message is still listed.
#[derive(Debug)]
pub struct Mailbox {
    pub url: String,
    /// The bearer key `POST /emails` must carry, fresh on every start: the Worker's `EMAIL_API_KEY`.
    pub api_key: String,
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Mailbox {
    /// Loads the messages in `store` (none if it does not exist yet) and listens on
    /// `127.0.0.1:port`, or a free port when `port` is `None`. A taken port, or a store file that is
    /// not one, is an error that names it.
    pub fn start(port: Option<u16>, store: Option<PathBuf>) -> Result<Mailbox> {
        let messages = match &store {
            Some(path) => load(path)?,
            None => Vec::new(),
        };
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .map_err(|e| format!("mailbox on port {}: {e}", port.unwrap_or(0)))?;
        let address = listener.local_addr().map_err(|e| format!("mailbox: {e}"))?;
        let api_key = crate::stack::random_hex(16)?;
        let mailbox = Arc::new(Shared {
            api_key: api_key.clone(),
            state: Mutex::new(State { messages, store }),
        });
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let mailbox = Arc::clone(&mailbox);
                std::thread::spawn(move || answer(&stream, &mailbox));
            }
        });
        Ok(Mailbox {
            url: format!("http://{address}"),
            api_key,
            address,
            stopping,
            thread: Some(thread),
        })
    }
}

impl Drop for Mailbox {
    /// Stops listening and returns once the port is free: the accepting thread sees the flag when a
    /// connection wakes it, so this makes one.
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if TcpStream::connect_timeout(&self.address, Duration::from_secs(1)).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

/// What every connection's thread shares.
struct Shared {
    api_key: String,
    state: Mutex<State>,
}

/// The messages, oldest first, at most `KEPT`, and the file they are kept in.
struct State {
    messages: Vec<Message>,
    store: Option<PathBuf>,
}

/// An email as the Worker asked for it to be sent.
#[derive(Debug, Clone, PartialEq)]
struct Email {
    from: String,
    to: Vec<String>,
    subject: String,
    text: String,
    reply_to: Option<String>,
}

/// An email the mailbox accepted: its id (`msg_` and hex, safe in a path), when it arrived (RFC 3339,
/// UTC) and the idempotency key it came with, if any.
#[derive(Debug, Clone)]
struct Message {
    id: String,
    received_at: String,
    idempotency_key: Option<String>,
    email: Email,
}

/// A response as plain data.
#[derive(Debug)]
struct Response {
    status: u16,
    content_type: &'static str,
    body: String,
    /// The methods a path takes, for a `405`.
    allow: Option<&'static str>,
}

impl Response {
    fn html(status: u16, body: String) -> Response {
        Response { status, content_type: "text/html; charset=utf-8", body, allow: None }
    }

    fn json(body: &Value) -> Response {
        Response {
            status: 200,
            content_type: "application/json",
            body: body.to_string(),
            allow: None,
        }
    }

    /// An RFC 9457 problem with a stable `code`.
    fn problem(status: u16, code: &str, title: &str, detail: &str) -> Response {
        let body = json!({
            "type": "about:blank",
            "status": status,
            "code": code,
            "title": title,
            "detail": detail,
        });
        Response {
            status,
            content_type: "application/problem+json",
            body: body.to_string(),
            allow: None,
        }
    }

    fn not_allowed(allow: &'static str) -> Response {
        let detail = format!("This path takes {allow} only.");
        let mut response =
            Response::problem(405, "method_not_allowed", "Method not allowed", &detail);
        response.allow = Some(allow);
        response
    }
}

fn lock(mailbox: &Shared) -> MutexGuard<'_, State> {
    // Nothing panics while holding the lock, and if something did the messages are still whole.
    mailbox.state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn answer(stream: &TcpStream, mailbox: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_write_timeout(Some(IDLE));
    let (response, unread) = match http::read_request(stream, LIMITS) {
        Ok(request) => (respond(&request, mailbox), false),
        Err(ReadError::TooLarge) => {
            let detail = "The mailbox takes requests of up to 1 MiB.";
            (Response::problem(413, "payload_too_large", "Payload too large", detail), true)
        }
        Err(ReadError::Io(_)) => return,
    };
    // Pages and data alike: never cached, never sniffed, and no script but the mailbox's own.
    let mut headers = vec![
        ("Content-Type", response.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    ];
    if let Some(allow) = response.allow {
        headers.push(("Allow", allow));
    }
    let _ = http::write_response(stream, response.status, &headers, response.body.as_bytes());
    if unread {
        // Closing a socket with unread bytes makes the kernel reset the connection, and the client
        // may lose the answer with it: let the rest of what it sends arrive (within reason) first.
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = std::io::copy(&mut stream.take(8 * LIMITS.body), &mut std::io::sink());
    }
}

/// Routes one request. Every path answers something; none panics on what it is sent.
fn respond(request: &Request, mailbox: &Shared) -> Response {
    let method = request.method.as_str();
    let path = request.path();
    let get = |page: &dyn Fn() -> Response| {
        if method == "GET" { page() } else { Response::not_allowed("GET") }
    };
    match path {
        "/emails" if method == "POST" => receive(request, mailbox),
        "/emails" => Response::not_allowed("POST"),
        "/" => get(&|| Response::html(200, list_page(&lock(mailbox).messages))),
        "/messages.json" => get(&|| {
            let messages: Vec<Value> = lock(mailbox).messages.iter().map(Message::public).collect();
            Response::json(&Value::from(messages))
        }),
        "/mailbox.js" => get(&|| Response {
            status: 200,
            content_type: "text/javascript; charset=utf-8",
            body: RELOAD_SCRIPT.to_owned(),
            allow: None,
        }),
        _ => match path.strip_prefix("/messages/") {
            Some(id) => get(&|| {
                let state = lock(mailbox);
                match state.messages.iter().find(|m| m.id == id) {
                    Some(message) => Response::html(200, message_page(message)),
                    None => Response::html(404, not_found_page("No such message")),
                }
            }),
            None => Response::html(404, not_found_page("Nothing here")),
        },
    }
}

/// `POST /emails`: the key, then the body, then the idempotency key against what is stored.
fn receive(request: &Request, mailbox: &Shared) -> Response {
    let unauthorized =
        |code: &str, detail: &str| Response::problem(401, code, "Unauthorized", detail);
    let Some(authorization) = request.header("authorization") else {
        return unauthorized(
            "missing_api_key",
            "Send Authorization: Bearer <EMAIL_API_KEY>, the key `cargo xtask dev` gave the Worker.",
        );
    };
    if !bearer(authorization).is_some_and(|key| same_key(key, &mailbox.api_key)) {
        return unauthorized("invalid_api_key", "This is not the mailbox's EMAIL_API_KEY.");
    }
    let idempotency_key = request.header("idempotency-key").map(str::to_owned);
    if idempotency_key.as_ref().is_some_and(|key| key.is_empty() || key.chars().count() > 256) {
        return Response::problem(
            400,
            "invalid_idempotency_key",
            "Invalid idempotency key",
            "An Idempotency-Key has 1 to 256 characters.",
        );
    }
    let email = match Email::parse(&request.body) {
        Ok(email) => email,
        Err((code, detail)) => return Response::problem(400, code, "Invalid email", &detail),
    };

    let mut state = lock(mailbox);
    if let Some(key) = &idempotency_key
        && let Some(earlier) =
            state.messages.iter().find(|m| m.idempotency_key.as_ref() == Some(key))
    {
        // As Resend does: a retry gets the first answer, and a different email under the same key is
        // a mistake worth hearing about.
        return if earlier.email == email {
            Response::json(&json!({"id": earlier.id}))
        } else {
            Response::problem(
                409,
                "invalid_idempotent_request",
                "Idempotency key reused",
                "This Idempotency-Key was sent before with a different email.",
            )
        };
    }
    let id = match crate::stack::random_hex(12) {
        Ok(hex) => format!("msg_{hex}"),
        Err(message) => {
            eprintln!("mailbox: {message}");
            return Response::problem(500, "internal_error", "Something went wrong", "No new id.");
        }
    };
    state.messages.push(Message {
        id: id.clone(),
        received_at: rfc3339(SystemTime::now()),
        idempotency_key,
        email,
    });
    let over = state.messages.len().saturating_sub(KEPT);
    state.messages.drain(..over);
    if let Some(path) = &state.store
        && let Err(message) = save(path, &state.messages)
    {
        // The message is in memory and on the page; only its surviving a restart failed.
        eprintln!("mailbox: {message}");
    }
    Response::json(&json!({"id": id}))
}

/// The credentials of an `Authorization: Bearer ...` header (`None` for another scheme).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, credentials) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| credentials.trim())
}

/// Compares keys without stopping at the first difference.
fn same_key(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given.bytes().zip(expected.bytes()).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
}

impl Email {
    /// Reads a request body of Resend's shape: `from`, `to` (an address or a list of them),
    /// `subject`, `text`, and an optional `reply_to`. Other members (`html`, `cc`, `tags`) are
    /// ignored. The error is a stable code and a sentence saying what is wrong.
    fn parse(body: &[u8]) -> std::result::Result<Email, (&'static str, String)> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ("malformed_json", format!("The body is not JSON: {e}.")))?;
        let invalid = |detail: &str| ("validation_error", detail.to_owned());
        let object = value.as_object().ok_or_else(|| invalid("The body is not a JSON object."))?;
        let string = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
        let from = string("from").filter(|from| !from.trim().is_empty()).ok_or_else(|| {
            invalid("`from` is missing: a sender like \"Inlet <inlet@localhost>\".")
        })?;
        let to: Vec<String> = match object.get("to") {
            Some(Value::String(address)) => vec![address.clone()],
            Some(Value::Array(addresses)) => addresses
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| invalid("`to` holds something that is not a string."))?,
            _ => return Err(invalid("`to` is missing: an address or a list of addresses.")),
        };
        if to.is_empty() || to.len() > 50 || to.iter().any(|a| a.trim().is_empty()) {
            return Err(invalid("`to` needs 1 to 50 addresses, none of them empty."));
        }
        let subject = string("subject").ok_or_else(|| invalid("`subject` is missing."))?;
        let text =
            string("text").ok_or_else(|| invalid("`text` is missing: the plain-text body."))?;
        let reply_to = match object.get("reply_to") {
            None | Some(Value::Null) => None,
            Some(Value::String(address)) => Some(address.clone()),
            Some(_) => return Err(invalid("`reply_to` is not a string.")),
        };
        Ok(Email { from, to, subject, text, reply_to })
    }
}

impl Message {
    /// The message as `GET /messages.json` shows it.
    fn public(&self) -> Value {
        json!({
            "id": self.id,
            "from": self.email.from,
            "to": self.email.to,
            "subject": self.email.subject,
            "text": self.email.text,
            "reply_to": self.email.reply_to,
            "received_at": self.received_at,
        })
    }

    /// The message as the store file keeps it: what the list shows, and its idempotency key.
    fn stored(&self) -> Value {
        let mut value = self.public();
        value["idempotency_key"] = json!(self.idempotency_key);
        value
    }

    fn from_stored(value: &Value) -> Option<Message> {
        let text = |name: &str| value.get(name)?.as_str().map(str::to_owned);
        let optional = |name: &str| match value.get(name) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => None,
        };
        let to = value.get("to")?.as_array()?.iter().map(|a| a.as_str().map(str::to_owned));
        Some(Message {
            id: text("id").filter(|id| is_id(id))?,
            received_at: text("received_at")?,
            idempotency_key: optional("idempotency_key")?,
            email: Email {
                from: text("from")?,
                to: to.collect::<Option<_>>()?,
                subject: text("subject")?,
                text: text("text")?,
                reply_to: optional("reply_to")?,
            },
        })
    }
}

/// An id the mailbox could have made (`msg_` and hex). A store file edited by hand to hold another is
/// refused: an id must work as a path segment of `/messages/{id}`.
fn is_id(id: &str) -> bool {
    id.strip_prefix("msg_")
        .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The messages in a store file, oldest first; none if there is no file yet.
fn load(path: &Path) -> Result<Vec<Message>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("mailbox store {}: {e}", path.display())),
    };
    let not_a_store = || {
        format!(
            "{} is not a mailbox store; move it away to start with an empty mailbox",
            path.display()
        )
    };
    let value: Value = serde_json::from_str(&text).map_err(|_| not_a_store())?;
    let messages = value["messages"].as_array().ok_or_else(not_a_store)?;
    let mut messages: Vec<Message> =
        messages.iter().map(Message::from_stored).collect::<Option<_>>().ok_or_else(not_a_store)?;
    let over = messages.len().saturating_sub(KEPT);
    messages.drain(..over);
    Ok(messages)
}

/// Rewrites the store file whole, through a file beside it renamed over it, so a process stopped
/// mid-write leaves the old file or the new one. Only its owner may read it: magic links are as good as passwords.
fn save(path: &Path, messages: &[Message]) -> Result {
    let failed = |e: std::io::Error| format!("mailbox store {}: {e}", path.display());
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(failed)?;
    }
    let stored: Vec<Value> = messages.iter().map(Message::stored).collect();
    let text = serde_json::to_string_pretty(&json!({"messages": stored}))
        .map_err(|e| format!("mailbox store: {e}"))?;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    std::fs::rename(&partial, path).map_err(failed)
}

/// A time as RFC 3339 in UTC, to the millisecond: `2026-11-01T09:30:00.000Z`.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (year, month, day) = civil_date(seconds / 86_400);
    let of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        since.subsec_millis()
    )
}

/// The Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// A stored time for people: `2026-11-01 09:30:00 UTC` (as stored, if it is not what the mailbox
/// writes).
fn readable_time(received_at: &str) -> String {
    match received_at.get(..19) {
        Some(start) if received_at.ends_with('Z') => format!("{} UTC", start.replacen('T', " ", 1)),
        _ => received_at.to_owned(),
    }
}

/// Text made safe to put in HTML, in an element or in a quoted attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Text escaped for HTML, with each http(s) URL in it a link (its `href` escaped too). Nothing else
/// becomes markup, whatever the text holds: no other scheme is ever linked.
fn linked(text: &str) -> String {
    let mut html = String::new();
    let mut rest = text;
    while let Some((start, end)) = find_url(rest) {
        let url = escape(&rest[start..end]);
        html.push_str(&escape(&rest[..start]));
        html.push_str(&format!("<a href=\"{url}\" rel=\"noreferrer\">{url}</a>"));
        rest = &rest[end..];
    }
    html.push_str(&escape(rest));
    html
}

/// The first http(s) URL in `text`, as byte offsets: it starts `http://` or `https://` (in any case)
/// where a word starts, has something after the `//`, and ends before a space, a quote or an angle
/// bracket, with trailing punctuation (`.`, `,`, an unmatched `)`) left to the sentence.
fn find_url(text: &str) -> Option<(usize, usize)> {
    // ASCII lower-casing keeps every byte offset.
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower.get(from..)?.find("http") {
        let start = from + found;
        from = start + 4;
        let after_scheme = if lower[start..].starts_with("https://") {
            start + 8
        } else if lower[start..].starts_with("http://") {
            start + 7
        } else {
            continue;
        };
        if text[..start].chars().next_back().is_some_and(char::is_alphanumeric) {
            continue;
        }
        let end = url_end(text, after_scheme);
        if end > after_scheme {
            return Some((start, end));
        }
    }
    None
}

/// Where a URL that goes on at `from` ends.
fn url_end(text: &str, from: usize) -> usize {
    let tail = &text[from..];
    let length = tail
        .find(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(tail.len());
    let mut url = &tail[..length];
    loop {
        let unmatched = |open: char, close: char| {
            url.ends_with(close) && url.matches(close).count() > url.matches(open).count()
        };
        if url.ends_with(['.', ',', ';', ':', '!', '?', '\'', '*'])
            || unmatched('(', ')')
            || unmatched('[', ']')
        {
            url = &url[..url.len() - 1];
        } else {
            break;
        }
    }
    from + url.len()
}

const STYLE: &str = "\
:root{color-scheme:light dark}\
body{margin:0;font:1rem/1.5 system-ui,sans-serif;color:#1b1b1b;background:#fff}\
main{max-width:46rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;line-height:1.25;overflow-wrap:anywhere}h2{font-size:1.125rem}\
a{color:#0b57d0}\
ol{list-style:none;padding:0}\
li{border-top:1px solid #c4c4c4;padding:.75rem 0}\
.meta{margin:.25rem 0 0;color:#4a4a4a;overflow-wrap:anywhere}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}\
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;border-top:1px solid #c4c4c4;padding-top:1rem}\
@media (prefers-color-scheme:dark){body{color:#ececec;background:#151515}a{color:#9ec1ff}.meta{color:#c2c2c2}li,pre{border-color:#555}}";

/// Reloads the list when the newest message changes rather than on a timer, so a page that someone
/// (or a screen reader) is reading is not pulled away every few seconds while nothing arrives.
const RELOAD_SCRIPT: &str = r#"// Reloads the mailbox's list when new mail has arrived.
const newest = document.documentElement.dataset.newest;
setInterval(async () => {
  try {
    const messages = await (await fetch("/messages.json", { cache: "no-store" })).json();
    const last = messages.length > 0 ? messages[messages.length - 1].id : "";
    if (last !== newest) location.reload();
  } catch {
    // The mailbox is restarting; the next turn asks again.
  }
}, 3000);
"#;

/// A whole page: `title` and `main` are HTML already escaped; `newest` (the list's newest id) turns on
/// the reload script.
fn page(title: &str, newest: Option<&str>, main: &str) -> String {
    let (attribute, script) = match newest {
        Some(id) => (
            format!(" data-newest=\"{}\"", escape(id)),
            "\n<script src=\"/mailbox.js\" defer></script>",
        ),
        None => (String::new(), ""),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"{attribute}>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>{script}\n</head>\n<body>\n<main>\n{main}</main>\n\
         </body>\n</html>\n"
    )
}

fn subject_or_placeholder(subject: &str) -> String {
    if subject.trim().is_empty() { "(no subject)".to_owned() } else { escape(subject) }
}

fn time_element(received_at: &str) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(received_at),
        escape(&readable_time(received_at))
    )
}

/// `GET /`: every message, newest first.
fn list_page(messages: &[Message]) -> String {
    let mut main = String::from(
        "<h1>Local mailbox</h1>\n<p>Every email the local Worker sends (magic links, invitations, \
         lead notifications) arrives here instead of being sent. This page shows new mail as it \
         arrives; <a href=\"/messages.json\">all messages as JSON</a>.</p>\n",
    );
    if messages.is_empty() {
        main.push_str(
            "<p>No mail yet. When the Worker sends an email, it appears here, newest first, with \
             whom it is to, its subject and when it arrived.</p>\n",
        );
    } else {
        let count = match messages.len() {
            1 => "1 message".to_owned(),
            n => format!("{n} messages"),
        };
        main.push_str(&format!("<h2>{count}, newest first</h2>\n<ol>\n"));
        for message in messages.iter().rev() {
            main.push_str(&format!(
                "<li><a href=\"/messages/{id}\">{subject}</a>\n<p class=\"meta\">To {to}<br>Received {time}</p></li>\n",
                id = escape(&message.id),
                subject = subject_or_placeholder(&message.email.subject),
                to = escape(&message.email.to.join(", ")),
                time = time_element(&message.received_at),
            ));
        }
        main.push_str("</ol>\n");
    }
    let newest = messages.last().map_or("", |m| m.id.as_str());
    page("Local mailbox", Some(newest), &main)
}

/// `GET /messages/{id}`: one message, its text with line breaks kept and its URLs linked.
fn message_page(message: &Message) -> String {
    let email = &message.email;
    let subject = subject_or_placeholder(&email.subject);
    let mut details = format!(
        "<dt>From</dt><dd>{}</dd>\n<dt>To</dt><dd>{}</dd>\n",
        escape(&email.from),
        escape(&email.to.join(", "))
    );
    if let Some(reply_to) = &email.reply_to {
        details.push_str(&format!("<dt>Reply to</dt><dd>{}</dd>\n", escape(reply_to)));
    }
    details
        .push_str(&format!("<dt>Received</dt><dd>{}</dd>\n", time_element(&message.received_at)));
    let main = format!(
        "<p><a href=\"/\">Back to all mail</a></p>\n<h1>{subject}</h1>\n<dl>\n{details}</dl>\n<pre>{}</pre>\n",
        linked(&email.text)
    );
    page(&format!("{subject} - Local mailbox"), None, &main)
}

fn not_found_page(heading: &str) -> String {
    let main = format!(
        "<h1>{heading}</h1>\n<p>The mailbox has no page here. <a href=\"/\">See all mail</a>.</p>\n"
    );
    page(&format!("{heading} - Local mailbox"), None, &main)
}

#[cfg(test)]
mod tests {
    use super::{civil_date, escape, find_url, linked, readable_time, rfc3339};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn times_are_rfc_3339_in_utc() {
        let at = |seconds: u64, millis: u64| {
            rfc3339(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_700_000_000, 123), "2023-11-14T22:13:20.123Z");
        assert_eq!(at(4_102_444_799, 999), "2099-12-31T23:59:59.999Z");
        assert_eq!(civil_date(59), (1970, 3, 1));
        assert_eq!(readable_time("2023-11-14T22:13:20.123Z"), "2023-11-14 22:13:20 UTC");
        assert_eq!(readable_time("yesterday"), "yesterday");
    }

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    /// Each text and the URLs found in it.
    fn check(text: &str, expected: &[&str]) {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some((start, end)) = find_url(rest) {
            found.push(&rest[start..end]);
            rest = &rest[end..];
        }
        assert_eq!(found, expected, "in {text:?}");
    }

    #[test]
    fn http_and_https_urls_are_found_where_words_start() {
        check(
            "Sign in: https://app.example/login?t=a&b=c.",
            &["https://app.example/login?t=a&b=c"],
        );
        check(
            "two http://a.example, HTTPS://B.example/x",
            &["http://a.example", "HTTPS://B.example/x"],
        );
        check(
            "(see https://a.example/wiki/X_(y)) and [https://b.example]",
            &["https://a.example/wiki/X_(y)", "https://b.example"],
        );
        check("<https://a.example/\">x</a>", &["https://a.example/"]);
        check("javascript:alert(1) data:text/html,x ftp://a.example", &[]);
        check("xhttps://a.example https:// http://. httpx://a", &[]);
        check("javascript:https://a.example", &["https://a.example"]);
        check("émoji https://ü.example/ä?q=ß", &["https://ü.example/ä?q=ß"]);
    }

    #[test]
    fn only_found_urls_become_links_and_their_href_is_escaped() {
        assert_eq!(
            linked("Hi <b>\nhttps://a.example/?x=1&y='2'\njavascript:alert(1)"),
            "Hi &lt;b&gt;\n<a href=\"https://a.example/?x=1&amp;y=&#39;2\" rel=\"noreferrer\">https://a.example/?x=1&amp;y=&#39;2</a>&#39;\njavascript:alert(1)"
        );
    }
}
