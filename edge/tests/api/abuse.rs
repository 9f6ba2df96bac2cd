//! Intake under abuse: exact rate limits, idempotent retries, honeypot and time-to-fill, Turnstile.

use crate::helpers::{TestApp, good_alpha_lead};
use crate::receiver::{DUMMY_TOKEN, ELSEWHERE_TOKEN};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

const MINUTE_MS: u64 = 60_000;

fn email_lead(email: &str) -> Value {
    json!({"fields": {"email": email}})
}

/// POSTs as a client at `ip`, with extra headers.
fn post_as(
    app: &TestApp,
    form: &str,
    ip: &str,
    body: &Value,
    extra: &[(&str, &str)],
) -> crate::helpers::Answer {
    let mut headers = vec![("content-type", "application/json"), ("cf-connecting-ip", ip)];
    headers.extend_from_slice(extra);
    app.send("POST", &format!("/v1/forms/{form}/leads"), &headers, Some(&body.to_string()))
}

fn count(app: &TestApp, sql_where: &str) -> u64 {
    app.query(&format!("SELECT count(*) AS n FROM leads WHERE {sql_where}"))[0]["n"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

#[test]
fn a_burst_gets_exactly_the_limit_through_and_the_rest_429_with_retry_after() {
    let app = TestApp::get();
    // Limit 5 per client; 5 + 4 at once from one address.
    let answers: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..9)
            .map(|i| {
                scope.spawn(move || {
                    post_as(
                        app,
                        "burst",
                        "198.51.100.7",
                        &email_lead(&format!("burst{i}@example.com")),
                        &[],
                    )
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let accepted = answers.iter().filter(|a| a.status == 201).count();
    let limited: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(
        (accepted, limited.len()),
        (5, 4),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for answer in &limited {
        answer.assert_problem(429, "rate_limited");
        let retry: u32 = answer.header("retry-after").and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!((1..=300).contains(&retry), "retry-after {retry}");
    }
    assert_eq!(count(app, "form_id = 'burst'"), 5);
    // Another visitor is not held back by this one.
    assert_eq!(
        post_as(app, "burst", "198.51.100.8", &email_lead("other@example.com"), &[]).status,
        201
    );
}

#[test]
fn a_form_has_a_ceiling_whoever_sends() {
    let app = TestApp::get();
    let statuses: Vec<u16> = (0..5)
        .map(|i| {
            post_as(app, "ceiling", &format!("192.0.2.{i}"), &email_lead("c@example.com"), &[])
                .status
        })
        .collect();
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
}

#[test]
fn the_client_address_is_never_stored() {
    let app = TestApp::get();
    let ip = "203.0.113.77";
    assert_eq!(
        post_as(
            app,
            "alpha",
            ip,
            &good_alpha_lead("ip@example.com"),
            &[("idempotency-key", "ip-check")]
        )
        .status,
        201
    );
    for table in ["leads", "idempotency_keys", "forms", "tenants"] {
        let rows = app.query(&format!("SELECT * FROM {table}"));
        assert!(
            !serde_json::to_string(&rows).unwrap_or_default().contains("203.0.113"),
            "{table} holds the address"
        );
    }
}

#[test]
fn a_repeated_idempotency_key_replays_the_original_answer() {
    let app = TestApp::get();
    let body = good_alpha_lead("idem@example.com");
    let key = [("idempotency-key", "6f1c2a7e-retry-1")];
    let first = post_as(app, "alpha", "127.0.0.1", &body, &key);
    let second = post_as(app, "alpha", "127.0.0.1", &body, &key);
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(count(app, "email = 'idem@example.com'"), 1);

    let changed =
        post_as(app, "alpha", "127.0.0.1", &good_alpha_lead("someone-else@example.com"), &key);
    changed.assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(app, "email = 'someone-else@example.com'"), 0);
}

#[test]
fn concurrent_retries_with_one_key_store_one_lead() {
    let app = TestApp::get();
    let body = good_alpha_lead("double-click@example.com");
    let answers: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    post_as(
                        app,
                        "alpha",
                        "127.0.0.1",
                        &body,
                        &[("idempotency-key", "double-click")],
                    )
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    assert!(answers.iter().all(|a| a.status == 201), "{answers:?}");
    let ids: std::collections::BTreeSet<_> =
        answers.iter().map(|a| a.json()["id"].to_string()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(count(app, "email = 'double-click@example.com'"), 1);
}

#[test]
fn bad_idempotency_keys_are_400() {
    let app = TestApp::get();
    let long = "k".repeat(256);
    for key in ["", long.as_str(), "two words"] {
        post_as(
            app,
            "alpha",
            "127.0.0.1",
            &good_alpha_lead("k@example.com"),
            &[("idempotency-key", key)],
        )
        .assert_problem(400, "idempotency_key_invalid");
    }
}

#[test]
fn bots_are_answered_as_if_accepted_and_stored_flagged() {
    let app = TestApp::get();
    let spam_of = |id: &Value| {
        let row = app.lead(id.as_str().unwrap_or_default()).unwrap_or_default();
        (row["spam"].as_u64().unwrap_or(9), row["spam_reason"].as_str().map(str::to_owned))
    };
    // No token at all: a script posting straight at the API.
    let blind = post_as(app, "timed", "127.0.0.1", &email_lead("blind@example.com"), &[]);
    assert_eq!(blind.status, 201);
    assert_eq!(spam_of(&blind.json()["id"]), (1, Some("no_token".into())));

    // A token used at once: faster than a person can fill a form.
    let fast = json!({"fields": {"email": "fast@example.com"}, "token": app.form_token("timed")});
    let fast = post_as(app, "timed", "127.0.0.1", &fast, &[]);
    assert_eq!(fast.status, 201);
    assert_eq!(spam_of(&fast.json()["id"]), (1, Some("too_fast".into())));

    // A person: took their time, left the honeypot empty.
    let token = app.form_token("timed");
    std::thread::sleep(Duration::from_millis(2_100));
    let person = post_as(
        app,
        "timed",
        "127.0.0.1",
        &json!({"fields": {"email": "person@example.com"}, "token": token, "honeypot": ""}),
        &[],
    );
    assert_eq!(person.status, 201);
    assert_eq!(spam_of(&person.json()["id"]), (0, None));

    // A bot that waited but filled the honeypot.
    let filled = json!({"fields": {"email": "honey@example.com"}, "token": token, "honeypot": "https://spam.example"});
    let filled = post_as(app, "timed", "127.0.0.1", &filled, &[]);
    assert_eq!(filled.status, 201);
    assert_eq!(
        filled.json().as_object().map(|o| o.len()),
        person.json().as_object().map(|o| o.len())
    );
    assert_eq!(spam_of(&filled.json()["id"]), (1, Some("honeypot".into())));
}

#[test]
fn a_token_older_than_an_hour_no_longer_counts_as_a_persons() {
    let app = TestApp::get();
    let spam_reason = |body: Value| {
        let answer = post_as(app, "aged", "127.0.0.1", &body, &[]);
        assert_eq!(answer.status, 201, "{}", answer.body);
        let row = app.lead(answer.json()["id"].as_str().unwrap_or_default()).unwrap_or_default();
        row["spam_reason"].as_str().map(str::to_owned)
    };
    let with_token =
        |email: &str, token: String| json!({"fields": {"email": email}, "token": token});
    // Served 59 minutes ago: a person who took their time.
    let recent = app.token_issued_at("aged", now_ms() - 59 * MINUTE_MS);
    assert_eq!(spam_reason(with_token("slow@example.com", recent)), None);
    // Served 61 minutes ago, or a day ago: reused, as a script reuses one fetched token.
    for age in [61, 24 * 60] {
        let old = app.token_issued_at("aged", now_ms() - age * MINUTE_MS);
        assert_eq!(
            spam_reason(with_token(&format!("stale{age}@example.com"), old)),
            Some("token_expired".into())
        );
    }
}

#[test]
fn a_waited_token_renews_ready_at_once_and_nothing_else_does() {
    let app = TestApp::get();
    let renew = |previous: &str| {
        let answer = app.send(
            "GET",
            &format!("/v1/forms/aged/token?previous={previous}"),
            &[("origin", crate::helpers::ROOFER_ORIGIN)],
            None,
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.header("cache-control"), Some("no-store"));
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(crate::helpers::ROOFER_ORIGIN)
        );
        assert!(
            answer
                .header("access-control-expose-headers")
                .is_some_and(|h| h.contains("inlet-form-token"))
        );
        let token = answer.json()["token"].as_str().unwrap_or_default().to_owned();
        assert_eq!(answer.header("inlet-form-token"), Some(token.as_str()));
        token
    };
    let spam_reason = |email: &str, token: &str| {
        let answer = post_as(
            app,
            "aged",
            "127.0.0.1",
            &json!({"fields": {"email": email}, "token": token}),
            &[],
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        app.lead(answer.json()["id"].as_str().unwrap_or_default()).unwrap_or_default()["spam_reason"].as_str().map(str::to_owned)
    };
    // A lead that waited in the outbox since yesterday: its token has expired, its renewal is ready.
    let yesterday = app.token_issued_at("aged", now_ms() - 24 * 60 * MINUTE_MS);
    assert_eq!(spam_reason("outbox@example.com", &renew(&yesterday)), None);
    // A token fetched a moment ago, a forged one, another form's, or none at all: a fresh token that
    // must wait like any other, so renewing is no shortcut past the timing check.
    let young = app.form_token("aged");
    let forged = yesterday.replacen('.', "0.", 1);
    let foreign = app.token_issued_at("human", now_ms() - 60 * MINUTE_MS);
    for (i, previous) in
        [young.as_str(), forged.as_str(), foreign.as_str(), ""].into_iter().enumerate()
    {
        assert_eq!(
            spam_reason(&format!("renew{i}@example.com"), &renew(previous)),
            Some("too_fast".into()),
            "{previous}"
        );
    }
    // A site the form does not allow cannot ask.
    app.send("GET", "/v1/forms/aged/token", &[("origin", "https://elsewhere.example")], None)
        .assert_problem(403, "origin_not_allowed");
}

#[test]
fn ipv6_clients_are_counted_by_their_64_prefix() {
    let app = TestApp::get();
    // Limit 3 per client. Three addresses of one /64, then a fourth of the same /64.
    let statuses: Vec<u16> = [
        "2001:db8:aa:bb::1",
        "2001:db8:aa:bb::2",
        "2001:db8:aa:bb:ffff:ffff:ffff:ffff",
        "2001:db8:aa:bb:1:2:3:4",
    ]
    .iter()
    .enumerate()
    .map(|(i, ip)| post_as(app, "v6", ip, &email_lead(&format!("v6-{i}@example.com")), &[]).status)
    .collect();
    assert_eq!(statuses, [201, 201, 201, 429]);
    // The neighbouring /64 is another customer; IPv4 addresses stay one each.
    assert_eq!(
        post_as(app, "v6", "2001:db8:aa:bc::1", &email_lead("next-door@example.com"), &[]).status,
        201
    );
    for i in 0..4 {
        assert_eq!(
            post_as(
                app,
                "v6",
                &format!("198.51.100.{}", 60 + i),
                &email_lead(&format!("v4-{i}@example.com")),
                &[]
            )
            .status,
            201
        );
    }
}

#[test]
fn junk_cannot_use_up_the_forms_ceiling() {
    let app = TestApp::get();
    // The form takes 3 per 5 minutes, whoever sends. A flood of malformed and invalid requests from
    // many addresses comes first.
    for i in 0..12 {
        let ip = format!("192.0.2.{}", 100 + i);
        let answer = app.send(
            "POST",
            "/v1/forms/junk/leads",
            &[("content-type", "application/json"), ("cf-connecting-ip", &ip)],
            Some("{not json"),
        );
        answer.assert_problem(400, "malformed_json");
        post_as(app, "junk", &ip, &email_lead("not-an-email"), &[])
            .assert_problem(422, "validation_failed");
        post_as(app, "junk", &ip, &json!([1, 2]), &[]).assert_problem(400, "malformed_json");
    }
    // Real visitors still get all three places, and only then the ceiling.
    let statuses: Vec<u16> = (0..4)
        .map(|i| {
            post_as(
                app,
                "junk",
                &format!("203.0.113.{}", 100 + i),
                &email_lead(&format!("real{i}@example.com")),
                &[],
            )
            .status
        })
        .collect();
    assert_eq!(statuses, [201, 201, 201, 429]);
}

#[test]
fn a_retry_of_a_stored_submission_is_replayed_even_when_the_client_is_limited() {
    let app = TestApp::get();
    // One submission per client per 5 minutes.
    let ip = "198.51.100.90";
    let token = app.form_token("retry");
    let body = json!({"fields": {"email": "unlucky@example.com"}, "token": token});
    let key = [("idempotency-key", "unlucky-burst-1")];
    let first = post_as(app, "retry", ip, &body, &key);
    assert_eq!(first.status, 201, "{}", first.body);
    // The answer was lost; the widget retries with the same key (and, later, a renewed token).
    let renewed =
        json!({"fields": {"email": "unlucky@example.com"}, "token": app.form_token("retry")});
    for retry in [&body, &renewed] {
        let again = post_as(app, "retry", ip, retry, &key);
        assert_eq!(again.status, 201, "{}", again.body);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json()["id"], first.json()["id"]);
    }
    // A new submission from the same client is limited as before.
    post_as(
        app,
        "retry",
        ip,
        &email_lead("another@example.com"),
        &[("idempotency-key", "unlucky-burst-2")],
    )
    .assert_problem(429, "rate_limited");
    // Another body under the used key is still refused, limited or not.
    post_as(app, "retry", ip, &email_lead("changed@example.com"), &key)
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(app, "email = 'unlucky@example.com'"), 1);
}

#[test]
fn turnstile_passes_and_fails_as_siteverify_says() {
    let app = TestApp::get();
    let with_token = |email: &str| json!({"fields": {"email": email}, "turnstile": DUMMY_TOKEN});
    let passed = post_as(app, "human", "203.0.113.9", &with_token("human@example.com"), &[]);
    assert_eq!(passed.status, 201, "{}", passed.body);
    let sent: Vec<Value> = app
        .turnstile
        .received()
        .iter()
        .filter(|r| r.path == "/turnstile/v0/siteverify" && r.method == "POST")
        .map(|r| serde_json::from_str(&r.body).unwrap_or_default())
        .collect();
    assert!(
        sent.contains(&json!({"secret": crate::receiver::TURNSTILE_PASSES, "response": DUMMY_TOKEN, "remoteip": "203.0.113.9"})),
        "{sent:?}"
    );

    post_as(app, "robot", "127.0.0.1", &with_token("robot@example.com"), &[])
        .assert_problem(403, "turnstile_failed");
    post_as(app, "spent", "127.0.0.1", &with_token("spent@example.com"), &[])
        .assert_problem(403, "turnstile_failed");
    post_as(app, "human", "127.0.0.1", &email_lead("no-token@example.com"), &[])
        .assert_problem(403, "turnstile_failed");
    // A good token, but solved on a page that is not one of the form's sites.
    let elsewhere =
        json!({"fields": {"email": "elsewhere@example.com"}, "turnstile": ELSEWHERE_TOKEN});
    post_as(app, "human", "127.0.0.1", &elsewhere, &[]).assert_problem(403, "turnstile_failed");
    let outage = post_as(app, "outage", "127.0.0.1", &with_token("outage@example.com"), &[]);
    outage.assert_problem(503, "turnstile_unavailable");
    assert!(outage.header("retry-after").is_some());
    assert_eq!(
        count(
            app,
            "email IN ('robot@example.com', 'spent@example.com', 'no-token@example.com', 'elsewhere@example.com', 'outage@example.com')"
        ),
        0
    );
}

/// A body with no declared length is counted as it streams in and refused once past the limit. (A
/// declared length over the limit is refused before reading: `intake::oversized_bodies_are_413`.
/// Locally, wrangler's proxy waits for a declared body in full before the Worker runs, so refusing
/// before the client has sent it all can only be seen in production.)
#[test]
fn an_undeclared_oversized_body_is_refused_as_it_streams() {
    let app = TestApp::get();
    let address = app.url("").trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).unwrap_or_else(|e| panic!("{e}"));
    stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
    let head = format!(
        "POST /v1/forms/alpha/leads HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok();
    let chunk = [b' '; 16 * 1024];
    for _ in 0..64 {
        // 1 MiB in all; once the Worker has refused, writes may fail, which is fine.
        if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
            || stream.write_all(&chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    stream.write_all(b"0\r\n\r\n").ok();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
}
