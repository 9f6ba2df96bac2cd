//! The Worker's configuration under the real runtime, each test with a stack of its own: a malformed
//! setting fails every request with a log line that names it, and a provider left unconfigured is
//! named in the delivery log of a delivery that needed it.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use xtask::stack::{Stack, StackOptions, form_seed};
use xtask::tools::Tools;

fn start(name: &str, seed_sql: String, vars: &[(&str, &str)]) -> Stack {
    let persist = std::env::temp_dir().join(format!("inlet-api-{name}-{}", std::process::id()));
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let options = StackOptions { port: None, persist, fresh: true, seed_sql, vars };
    Stack::start(&Tools::locate(), options).unwrap_or_else(|e| panic!("stack: {e}"))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn read(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    let mut response = response.unwrap_or_else(|e| panic!("request: {e}"));
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn a_malformed_setting_fails_each_request_and_the_log_names_it() {
    let stack = start("misconfigured", String::new(), &[("DELIVERY_RETRY_SCHEDULE", "soon-ish")]);
    let (status, body) = read(agent().get(format!("{}/health", stack.url)).call());
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["code"], "internal_error");
    // The answer says nothing about the cause; the Worker's log names the setting, not its value.
    assert!(!body.to_string().contains("DELIVERY_RETRY_SCHEDULE"), "{body}");
    let log_path = stack.persist.join("wrangler.log");
    // The log reaches the file through wrangler, which may be slow while other stacks start.
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("configuration: DELIVERY_RETRY_SCHEDULE") || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(log.contains("configuration: DELIVERY_RETRY_SCHEDULE must list"), "{log}");
    assert!(!log.contains("soon-ish"), "{log}");
}

#[test]
fn a_delivery_to_an_unconfigured_provider_says_so_in_the_delivery_log() {
    let token = xtask::stack::random_hex(24).unwrap_or_else(|e| panic!("{e}"));
    let form = json!({"id": "bare", "title": "Bare", "default_country": "US",
        "fields": [{"name": "email", "label": "Email", "kind": "email", "required": true}]});
    let (key, key_sql) = crate::helpers::api_key_seed("t_bare", "read_write");
    let seed =
        form_seed("t_bare", "Bare", &form, &["*"], &json!({"min_fill_seconds": 0})) + &key_sql;
    // No EMAIL_* and no TWILIO_* settings: neither provider is set up.
    let stack = start("unconfigured", seed, &[("INLET_OPERATOR_TOKEN", &token)]);
    let agent = agent();
    let bearer = format!("Bearer {key}");
    let integrator = |method: &str, path: &str, body: Option<Value>| {
        let url = format!("{}/v1/tenants/t_bare{path}", stack.url);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(body.map(|b| b.to_string()).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        read(agent.run(request))
    };
    for destination in [
        json!({"kind": "email", "to": "owner@bare.example"}),
        json!({"kind": "sms", "to": "+14155552671"}),
    ] {
        let (status, body) = integrator("POST", "/forms/bare/destinations", Some(destination));
        assert_eq!(status, 201, "{body}");
    }
    let (status, lead) = read(
        agent
            .post(format!("{}/v1/forms/bare/leads", stack.url))
            .header("content-type", "application/json")
            .send(json!({"fields": {"email": "ada@example.com"}}).to_string()),
    );
    assert_eq!(status, 201, "{lead}");
    let lead_id = lead["id"].as_str().unwrap_or_default().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let settled = loop {
        let (_, list) = integrator("GET", &format!("/deliveries?lead_id={lead_id}"), None);
        let items = list["items"].as_array().cloned().unwrap_or_default();
        if items.len() == 2 && items.iter().all(|d| d["status"] == "failed") {
            break items;
        }
        assert!(Instant::now() < deadline, "deliveries did not settle: {list}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let mut errors = Vec::new();
    for delivery in settled {
        let id = delivery["id"].as_str().unwrap_or_default();
        let (_, read) = integrator("GET", &format!("/deliveries/{id}"), None);
        let attempt = &read["attempt_log"][0];
        assert_eq!(attempt["outcome"], "refused", "{read}");
        errors.push(attempt["error"].as_str().unwrap_or_default().to_owned());
    }
    errors.sort();
    assert_eq!(
        errors,
        [
            "Email is not configured: set EMAIL_API_KEY and EMAIL_FROM.",
            "SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM.",
        ]
    );
}

#[test]
fn closed_sign_up_and_a_missing_email_provider_are_said_plainly() {
    // SIGN_UP=closed, and no EMAIL_* settings.
    let stack = start("closed", String::new(), &[("SIGN_UP", "closed")]);
    let agent = agent();
    let post = |path: &str, body: Value| {
        read(
            agent
                .post(format!("{}{path}", stack.url))
                .header("content-type", "application/json")
                .send(body.to_string()),
        )
    };
    let (status, body) =
        post("/v1/account/sign-up", json!({"business_name": "A", "email": "a@closed.example"}));
    assert_eq!((status, body["code"].as_str()), (403, Some("sign_up_closed")), "{body}");
    // The operator's bootstrap needs the token, and then the email provider too.
    let (status, body) =
        post("/v1/businesses", json!({"business_name": "A", "email": "a@closed.example"}));
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{body}");
    let (status, body) = post("/v1/account/sign-in-links", json!({"email": "a@closed.example"}));
    assert_eq!((status, body["code"].as_str()), (503, Some("accounts_unavailable")), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("EMAIL_API_KEY")), "{body}");
    // Signing in with a password needs no email, and still answers (here: no such account).
    let (status, body) = post(
        "/v1/account/sessions",
        json!({"email": "a@closed.example", "password": "a long passphrase"}),
    );
    assert_eq!((status, body["code"].as_str()), (401, Some("sign_in_failed")), "{body}");
}
