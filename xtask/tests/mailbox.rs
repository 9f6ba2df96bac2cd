//! The local mailbox over HTTP, as the Worker, a person's browser and the browser tests use it: the
//! key and the body it demands, idempotency keys, the JSON listing, pages that escape what strangers
//! wrote and link only http(s) URLs, a store file that survives a restart, and input that breaks
//! nothing. Needs no build and no stack.

// Tests report failure by panicking; that is their job here.
#![allow(clippy::panic)]

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use xtask::mailbox::{KEPT, Mailbox};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn started(port: Option<u16>, store: Option<PathBuf>) -> Mailbox {
    Mailbox::start(port, store).unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh store path under `target/`, with nothing at it.
fn store(name: &str) -> PathBuf {
    let folder = xtask::root().join("target").join(format!("inlet-mailbox-test-{name}"));
    let _ = std::fs::remove_dir_all(&folder);
    folder.join("state").join("mailbox.json")
}

fn email(to: &str, subject: &str, text: &str) -> Value {
    json!({"from": "Inlet <inlet@localhost>", "to": [to], "subject": subject, "text": text})
}

/// POSTs `body` to `/emails` with the given key and idempotency key; the status and the JSON answer.
fn post_raw(
    mailbox: &Mailbox,
    key: Option<&str>,
    idempotency_key: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = agent().post(format!("{}/emails", mailbox.url));
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    if let Some(idempotency_key) = idempotency_key {
        request = request.header("idempotency-key", idempotency_key);
    }
    let mut response = request
        .content_type("application/json")
        .send(body)
        .unwrap_or_else(|e| panic!("POST /emails: {e}"));
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_else(|e| panic!("{e}"));
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// POSTs an email as the Worker does; its id.
fn send(mailbox: &Mailbox, idempotency_key: Option<&str>, body: &Value) -> String {
    let (status, answer) =
        post_raw(mailbox, Some(&mailbox.api_key), idempotency_key, &body.to_string());
    assert_eq!(status, 200, "{answer}");
    answer["id"].as_str().unwrap_or_else(|| panic!("no id in {answer}")).to_owned()
}

/// GETs `path`: the status, the content type and the body.
fn get(mailbox: &Mailbox, path: &str) -> (u16, String, String) {
    let mut response = agent()
        .get(format!("{}{path}", mailbox.url))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.body_mut().read_to_string().unwrap_or_else(|e| panic!("{e}"));
    (response.status().as_u16(), content_type, body)
}

fn listed(mailbox: &Mailbox) -> Vec<Value> {
    let (status, content_type, body) = get(mailbox, "/messages.json");
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    match serde_json::from_str(&body) {
        Ok(Value::Array(messages)) => messages,
        other => panic!("not a list: {other:?} {body}"),
    }
}

#[test]
fn posted_emails_are_listed_oldest_first_as_json_with_every_field() {
    let mailbox = started(None, None);
    assert!(mailbox.url.starts_with("http://127.0.0.1:"), "{}", mailbox.url);
    assert_eq!(listed(&mailbox), Vec::<Value>::new());

    let first = send(
        &mailbox,
        Some("dl_1"),
        &json!({"from": "Inlet <inlet@localhost>", "to": ["owner@roofer.example", "b@roofer.example"],
                "subject": "New lead: Ada", "text": "Name: Ada\nEmail: ada@example.com\n",
                "reply_to": "ada@example.com"}),
    );
    let second = send(&mailbox, None, &email("ada@example.com", "Sign in", "https://x.example/a"));
    assert_ne!(first, second);

    let messages = listed(&mailbox);
    assert_eq!(messages.len(), 2, "{messages:?}");
    let received_at = messages[0]["received_at"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        messages[0],
        json!({"id": first, "from": "Inlet <inlet@localhost>",
               "to": ["owner@roofer.example", "b@roofer.example"], "subject": "New lead: Ada",
               "text": "Name: Ada\nEmail: ada@example.com\n", "reply_to": "ada@example.com",
               "received_at": received_at})
    );
    // RFC 3339 in UTC, to the millisecond: 2026-11-01T09:30:00.000Z.
    let shape: Vec<bool> = received_at.chars().map(|c| c.is_ascii_digit()).collect();
    assert_eq!(received_at.len(), 24, "{received_at}");
    assert!(received_at.ends_with('Z') && received_at.get(10..11) == Some("T"), "{received_at}");
    assert_eq!(shape.iter().filter(|digit| **digit).count(), 17, "{received_at}");
    assert_eq!(messages[1]["id"], second);
    assert_eq!(messages[1]["reply_to"], Value::Null);
    assert_eq!(messages[1]["to"], json!(["ada@example.com"]));
}

#[test]
fn without_the_key_nothing_is_stored() {
    let mailbox = started(None, None);
    let body = email("a@example.com", "Hi", "Hello").to_string();
    let (status, answer) = post_raw(&mailbox, None, None, &body);
    assert_eq!((status, answer["code"].as_str()), (401, Some("missing_api_key")), "{answer}");
    let (status, answer) = post_raw(&mailbox, Some("not-the-key"), None, &body);
    assert_eq!((status, answer["code"].as_str()), (401, Some("invalid_api_key")), "{answer}");
    let basic = agent()
        .post(format!("{}/emails", mailbox.url))
        .header("authorization", format!("Basic {}", mailbox.api_key))
        .send(body.as_str())
        .map(|r| r.status().as_u16());
    assert_eq!(basic.ok(), Some(401), "the key under another scheme is not the key");
    assert_eq!(listed(&mailbox), Vec::<Value>::new());
    assert_eq!(mailbox.api_key.len(), 32, "a fresh random key");
    assert_ne!(mailbox.api_key, started(None, None).api_key);
}

#[test]
fn junk_is_refused_with_a_problem_and_nothing_is_stored() {
    let mailbox = started(None, None);
    let key = Some(mailbox.api_key.as_str());
    for (body, code) in [
        ("not json", "malformed_json"),
        ("", "malformed_json"),
        ("[1, 2]", "validation_error"),
        (r#"{"to": ["a@x"], "subject": "s", "text": "t"}"#, "validation_error"),
        (r#"{"from": "f", "subject": "s", "text": "t"}"#, "validation_error"),
        (r#"{"from": "f", "to": [], "subject": "s", "text": "t"}"#, "validation_error"),
        (r#"{"from": "f", "to": [7], "subject": "s", "text": "t"}"#, "validation_error"),
        (r#"{"from": "f", "to": ["a@x"], "text": "t"}"#, "validation_error"),
        (r#"{"from": "f", "to": ["a@x"], "subject": "s", "html": "<p>t</p>"}"#, "validation_error"),
        (
            r#"{"from": "f", "to": "a@x", "subject": "s", "text": "t", "reply_to": 3}"#,
            "validation_error",
        ),
    ] {
        let (status, answer) = post_raw(&mailbox, key, None, body);
        assert_eq!((status, answer["code"].as_str()), (400, Some(code)), "{body}: {answer}");
        assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()), "{answer}");
    }
    let body = email("a@x", "s", "t").to_string();
    let (status, answer) = post_raw(&mailbox, key, Some(""), &body);
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_idempotency_key")));
    let huge = email("a@x", "s", &"x".repeat(2 * 1024 * 1024)).to_string();
    let (status, answer) = post_raw(&mailbox, key, None, &huge);
    assert_eq!((status, answer["code"].as_str()), (413, Some("payload_too_large")));
    assert_eq!(listed(&mailbox), Vec::<Value>::new());

    // A single address is taken as Resend takes it.
    let (status, _) =
        post_raw(&mailbox, key, None, r#"{"from":"f","to":"a@x","subject":"s","text":"t"}"#);
    assert_eq!(status, 200);
    assert_eq!(listed(&mailbox)[0]["to"], json!(["a@x"]));
}

#[test]
fn the_same_idempotency_key_stores_one_message() {
    let mailbox = started(None, None);
    let body = email("owner@roofer.example", "New lead", "Name: Ada");
    let first = send(&mailbox, Some("dl_retry"), &body);
    let again = send(&mailbox, Some("dl_retry"), &body);
    assert_eq!(first, again, "a retry is answered with the first id");
    assert_eq!(listed(&mailbox).len(), 1);

    let other = email("owner@roofer.example", "New lead", "Name: Grace");
    let (status, answer) =
        post_raw(&mailbox, Some(&mailbox.api_key), Some("dl_retry"), &other.to_string());
    assert_eq!((status, answer["code"].as_str()), (409, Some("invalid_idempotent_request")));
    assert_eq!(listed(&mailbox).len(), 1);

    let another = send(&mailbox, Some("dl_other"), &body);
    let unkeyed = [send(&mailbox, None, &body), send(&mailbox, None, &body)];
    assert_ne!(another, first);
    assert_ne!(unkeyed[0], unkeyed[1], "without a key, each request is an email");
    assert_eq!(listed(&mailbox).len(), 4);
}

#[test]
fn pages_escape_what_strangers_wrote_and_link_only_http_urls() {
    let mailbox = started(None, None);
    let (status, content_type, empty) = get(&mailbox, "/");
    assert_eq!((status, content_type.as_str()), (200, "text/html; charset=utf-8"));
    assert!(empty.contains("No mail yet."), "{empty}");
    assert!(empty.contains("appears here"), "says what will appear: {empty}");

    let older = send(&mailbox, None, &email("first@example.com", "The older one", "plain"));
    let hostile = send(
        &mailbox,
        None,
        &json!({
            "from": "Mallory <m@evil.example><script>alert('from')</script>",
            "to": ["owner@roofer.example\"><script>alert('to')</script>"],
            "subject": "<script>alert('subject')</script>",
            "text": "Hello <img src=x onerror=alert(1)>\nSign in: https://app.example/login?token=a&b=\"c\"\nClick javascript:alert('text') or <a href=\"javascript:alert(2)\">here</a>\nhttp://127.0.0.1:8787/x.",
            "reply_to": "<b>r@example.com</b>",
        }),
    );

    let (status, _, list) = get(&mailbox, "/");
    assert_eq!(status, 200);
    for needle in [
        "<html lang=\"en\"",
        "<title>Local mailbox</title>",
        "<main>",
        "<h1>Local mailbox</h1>",
        "name=\"viewport\" content=\"width=device-width, initial-scale=1\"",
        "<script src=\"/mailbox.js\" defer></script>",
        "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;",
        "owner@roofer.example&quot;&gt;&lt;script&gt;",
    ] {
        assert!(list.contains(needle), "{needle} in {list}");
    }
    assert!(!list.contains("<script>"), "{list}");
    assert!(!list.contains("No mail yet."), "{list}");
    let newer_at = list.find(&format!("/messages/{hostile}")).unwrap_or(usize::MAX);
    let older_at = list.find(&format!("/messages/{older}")).unwrap_or(0);
    assert!(newer_at < older_at, "newest first: {list}");
    assert!(list.contains(&format!("data-newest=\"{hostile}\"")), "{list}");

    let (status, _, page) = get(&mailbox, &format!("/messages/{hostile}"));
    assert_eq!(status, 200);
    assert!(!page.contains("<script"), "nothing from the message is markup: {page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("href=\"javascript"), "{page}");
    assert!(!page.contains("<a href=\"javascript"), "{page}");
    for needle in [
        "<title>&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt; - Local mailbox</title>",
        "<h1>&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;</h1>",
        "Mallory &lt;m@evil.example&gt;&lt;script&gt;",
        "&lt;b&gt;r@example.com&lt;/b&gt;",
        "Hello &lt;img src=x onerror=alert(1)&gt;\nSign in: ",
        "<a href=\"https://app.example/login?token=a&amp;b=\" rel=\"noreferrer\">https://app.example/login?token=a&amp;b=</a>&quot;c&quot;",
        "Click javascript:alert(&#39;text&#39;) or &lt;a href=&quot;javascript:alert(2)&quot;&gt;here&lt;/a&gt;",
        "<a href=\"http://127.0.0.1:8787/x\" rel=\"noreferrer\">http://127.0.0.1:8787/x</a>.",
        "<a href=\"/\">Back to all mail</a>",
    ] {
        assert!(page.contains(needle), "{needle} in {page}");
    }
    assert_eq!(page.matches("<a href=").count(), 3, "two URLs and the way back: {page}");
    assert!(page.contains("<pre>") && page.contains("<main>") && page.contains("lang=\"en\""));

    let (status, content_type, script) = get(&mailbox, "/mailbox.js");
    assert_eq!((status, content_type.as_str()), (200, "text/javascript; charset=utf-8"));
    assert!(script.contains("/messages.json") && script.contains("location.reload()"), "{script}");
}

#[test]
fn unknown_paths_and_methods_are_refused() {
    let mailbox = started(None, None);
    let id = send(&mailbox, None, &email("a@x", "s", "t"));
    for path in ["/nope", "/messages/msg_00", "/messages/", "/emails/x", "/messages.json/x"] {
        let (status, content_type, body) = get(&mailbox, path);
        assert_eq!(status, 404, "{path}");
        assert!(content_type.starts_with("text/html") && body.contains("<main>"), "{path}: {body}");
    }
    let (status, _, _) = get(&mailbox, &format!("/messages/{id}?from=list"));
    assert_eq!(status, 200, "a query string is not part of the path");
    let (status, _, _) = get(&mailbox, "/emails");
    assert_eq!(status, 405);
    let posted = agent().post(format!("{}/", mailbox.url)).send("x").map(|r| {
        (
            r.status().as_u16(),
            r.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_owned),
        )
    });
    assert_eq!(posted.ok(), Some((405, Some("GET".to_owned()))));
}

/// Sends raw bytes and returns the status line the mailbox answered, if any.
fn raw(mailbox: &Mailbox, bytes: &[u8]) -> String {
    let address = mailbox.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap_or_else(|e| panic!("{e}"));
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

#[test]
fn broken_requests_break_nothing() {
    let mailbox = started(None, None);
    let auth = format!("Authorization: Bearer {}\r\n", mailbox.api_key);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), ""),
        (b"\xff\xfe\x00garbage\r\n\r\n".to_vec(), ""),
        (b"GET\r\n\r\n".to_vec(), "HTTP/1.1 404"),
        (b"GET /messages/%00%ff HTTP/1.1\r\nno colon here\r\n\r\n".to_vec(), "HTTP/1.1 404"),
        (
            b"POST /emails HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(),
            "HTTP/1.1 401",
        ),
        (
            format!("POST /emails HTTP/1.1\r\n{auth}Content-Length: 18446744073709551615\r\n\r\n")
                .into_bytes(),
            "HTTP/1.1 413",
        ),
        (
            format!("POST /emails HTTP/1.1\r\n{auth}Content-Length: 40\r\n\r\n{{\"from\":")
                .into_bytes(),
            "HTTP/1.1 400",
        ),
        (
            [
                format!("POST /emails HTTP/1.1\r\n{auth}Content-Length: 4\r\n\r\n").as_bytes(),
                b"\xff\xfe\x00\x01",
            ]
            .concat(),
            "HTTP/1.1 400",
        ),
        (
            format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(100_000)).into_bytes(),
            "HTTP/1.1 413",
        ),
    ];
    for (bytes, expected) in cases {
        let answer = raw(&mailbox, &bytes);
        assert!(answer.starts_with(expected), "{:?}: {answer:?}", String::from_utf8_lossy(&bytes));
    }
    // Still answering, and nothing was stored.
    assert_eq!(listed(&mailbox), Vec::<Value>::new());
}

#[test]
fn a_restarted_mailbox_lists_what_its_store_kept() {
    let path = store("restart");
    let first = started(None, Some(path.clone()));
    let port = first.url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
    let ids = [
        send(&first, Some("dl_1"), &email("a@example.com", "One", "first\nmessage")),
        send(&first, None, &email("b@example.com", "Two", "second")),
    ];
    let before = listed(&first);
    let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777).ok();
    assert_eq!(mode, Some(0o600), "magic links are for the owner's eyes only");
    drop(first);

    // The same port is free again, and the new mailbox has the messages, in order, unchanged.
    let second = started(port, Some(path.clone()));
    assert_eq!(listed(&second), before);
    assert_eq!(before.iter().map(|m| m["id"].clone()).collect::<Vec<_>>(), ids);
    let (_, _, page) = get(&second, &format!("/messages/{}", ids[0]));
    assert!(page.contains("first\nmessage"), "{page}");
    // An idempotency key outlives the restart too, as the Worker's retry across it needs.
    let retried = send(&second, Some("dl_1"), &email("a@example.com", "One", "first\nmessage"));
    assert_eq!(retried, ids[0]);
    assert_ne!(second.api_key, "", "a new key, which the new Worker is given");
    drop(second);

    // Without a store file, nothing is kept.
    let unstored = started(None, None);
    assert_eq!(listed(&unstored), Vec::<Value>::new());
}

#[test]
fn the_store_keeps_the_last_500() {
    let path = store("kept");
    let mailbox = started(None, Some(path.clone()));
    for n in 0..KEPT + 3 {
        send(&mailbox, None, &email("a@example.com", &format!("Message {n}"), "t"));
    }
    let messages = listed(&mailbox);
    assert_eq!(messages.len(), KEPT);
    assert_eq!(messages[0]["subject"], "Message 3", "the oldest are dropped");
    assert_eq!(messages[KEPT - 1]["subject"], format!("Message {}", KEPT + 2));
    drop(mailbox);
    assert_eq!(listed(&started(None, Some(path))).len(), KEPT);
}

#[test]
fn a_file_that_is_not_a_store_is_named_not_overwritten() {
    let path = store("broken");
    let folder = path.parent().map(PathBuf::from).unwrap_or_default();
    std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
    for junk in ["{not json", r#"{"messages": [{"id": "../x"}]}"#, "[]"] {
        std::fs::write(&path, junk).unwrap_or_else(|e| panic!("{e}"));
        let refused = Mailbox::start(None, Some(path.clone())).map(|m| m.url.clone());
        let message = refused.err().unwrap_or_default();
        assert!(message.contains(&path.display().to_string()), "{junk}: {message}");
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(junk));
    }
}
