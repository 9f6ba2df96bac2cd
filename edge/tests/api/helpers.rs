//! `TestApp`: one stack per test binary (fresh D1, two tenants), and a small HTTP client that never
//! treats a status code as an error.

use crate::receiver::{self, Received, Receiver, Reply};
use inlet_edge::base::clock::Timestamp;
use inlet_edge::base::ids::FormId;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use xtask::stack::{Stack, StackOptions, form_seed};
use xtask::tools::Tools;

pub const ROOFER_ORIGIN: &str = "https://roofer.example";
pub const CLINIC_ORIGIN: &str = "https://clinic.example";

pub struct TestApp {
    stack: Stack,
    agent: ureq::Agent,
    pub turnstile: Receiver,
    /// Stands in for customers' webhook endpoints; how it answers depends on the path (see `hook`).
    pub hooks: Receiver,
    /// Stands in for the email provider's API and for Twilio's.
    pub email: Receiver,
    pub sms: Receiver,
    /// Names of `/down/{name}` hook paths that have recovered and now answer 200.
    recovered: Arc<Mutex<Vec<String>>>,
    /// Names of `/held/{name}` hook paths whose requests are let go.
    released: Arc<Mutex<Vec<String>>>,
    pub operator_token: String,
    /// A read-and-write API key of each seeded business: `(tenant, secret)`.
    api_keys: Vec<(String, String)>,
}

/// Test credentials for the provider stand-ins (not secrets: nothing real is behind them).
pub const EMAIL_API_KEY: &str = "re_test_key";
pub const EMAIL_FROM: &str = "Inlet <leads@inlet.example>";
pub const TWILIO_ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const TWILIO_AUTH_TOKEN: &str = "twilio-test-token";
pub const TWILIO_FROM: &str = "+15005550006";
/// Four attempts, a second apart: the Standard Webhooks schedule, shortened for tests.
pub const RETRY_SCHEDULE: &str = "1,1,1";
/// Forms whose leads the forwarding tests follow, one per test so their destinations never mix.
pub const RELAY_FORMS: &[&str] = &[
    "relay", "flaky", "dead", "gone", "refused", "rotate", "spammed", "swept", "isolated",
    "crowded", "slow", "moved", "rerotate", "packed", "gated", "twice", "stranded",
];

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts an RFC 9457 problem with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "{self:?}");
        let body = self.json();
        assert_eq!(body["status"], status);
        assert_eq!(body["code"], code);
        assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(body["type"].as_str().is_some_and(|t| t.starts_with("https://")));
        body
    }
}

/// Lenient limits and no timing check, for the tests that are not about abuse.
fn relaxed() -> Value {
    json!({"min_fill_seconds": 0, "rate_limit": {"per_client": {"limit": 10000, "window_seconds": 60}}})
}

fn simple_form(id: &str) -> Value {
    json!({"id": id, "title": id, "fields": [{"name": "email", "label": "Email", "kind": "email", "required": true}]})
}

/// A new API key of `tenant` with `scope` (`read` or `read_write`): its secret, and the SQL that
/// stores it. xtask hashes it on its own, so the Worker's hashing is checked against a second one.
pub fn api_key_seed(tenant: &str, scope: &str) -> (String, String) {
    xtask::stack::api_key_seed(tenant, "seeded", scope).unwrap_or_else(|e| panic!("{e}"))
}

/// Form `alpha` of tenant `t_roofer`, form `beta` of tenant `t_clinic`, and one form per abuse defence.
fn seed() -> String {
    let alpha = json!({
        "id": "alpha", "title": "Roof quote", "default_country": "US",
        "fields": [
            {"name": "name", "label": "Name", "kind": "text", "required": true, "max_length": 50},
            {"name": "email", "label": "Email", "kind": "email", "required": true},
            {"name": "phone", "label": "Phone", "kind": "phone"},
            {"name": "message", "label": "Message", "kind": "multi_line"},
            {"name": "consent", "label": "Consent", "kind": "consent", "required": true,
             "text": "You may contact me.", "version": "v3"}
        ]
    });
    let beta = json!({
        "id": "beta", "title": "Book a visit", "default_country": "GB",
        "fields": [
            {"name": "phone", "label": "Phone", "kind": "phone", "required": true},
            {"name": "service", "label": "Service", "kind": "select", "options": ["Check-up", "Cleaning"]},
            {"name": "source", "label": "Source", "kind": "hidden"}
        ]
    });
    let limit = |per_client: u32, per_form: u32| {
        json!({"min_fill_seconds": 0, "rate_limit": {
            "per_client": {"limit": per_client, "window_seconds": 300},
            "per_form": {"limit": per_form, "window_seconds": 300}}})
    };
    let turnstile = |secret: &str| json!({"min_fill_seconds": 0, "turnstile": {"secret": secret}});
    let mut sql = form_seed("t_roofer", "Roofer", &alpha, &[ROOFER_ORIGIN], &relaxed())
        + &form_seed("t_clinic", "Clinic", &beta, &[CLINIC_ORIGIN], &relaxed());
    for id in RELAY_FORMS {
        let mut definition = alpha.clone();
        definition["id"] = json!(id);
        sql += &form_seed("t_roofer", "Roofer", &definition, &[ROOFER_ORIGIN], &relaxed());
    }
    for (id, settings) in [
        ("burst", limit(5, 1000)),
        ("ceiling", limit(100, 3)),
        ("junk", limit(100, 3)),
        ("retry", limit(1, 1000)),
        ("v6", limit(3, 1000)),
        ("timed", json!({"min_fill_seconds": 2})),
        (
            "aged",
            json!({"min_fill_seconds": 2, "rate_limit": {"per_client": {"limit": 1000, "window_seconds": 60}}}),
        ),
        ("human", turnstile(receiver::TURNSTILE_PASSES)),
        ("robot", turnstile(receiver::TURNSTILE_FAILS)),
        ("spent", turnstile(receiver::TURNSTILE_SPENT)),
        ("outage", turnstile(receiver::TURNSTILE_DOWN)),
    ] {
        sql += &form_seed("t_abuse", "Abuse", &simple_form(id), &[ROOFER_ORIGIN], &settings);
    }
    sql
}

impl TestApp {
    /// The binary's shared stack, started on first use.
    pub fn get() -> &'static TestApp {
        static APP: OnceLock<TestApp> = OnceLock::new();
        APP.get_or_init(|| {
            let started = |r: xtask::Result<Receiver>| r.unwrap_or_else(|e| panic!("{e}"));
            let turnstile = started(Receiver::start(receiver::siteverify));
            let recovered = Arc::new(Mutex::new(Vec::new()));
            let released = Arc::new(Mutex::new(Vec::new()));
            let hooks =
                started(Receiver::start(hook(Arc::clone(&recovered), Arc::clone(&released))));
            let email = started(Receiver::start(|_| (200, r#"{"id":"email_1"}"#.to_owned())));
            let sms = started(Receiver::start(|_| {
                (201, r#"{"sid":"SM1","status":"queued"}"#.to_owned())
            }));
            let operator_token = xtask::stack::random_hex(24).unwrap_or_else(|e| panic!("{e}"));
            let persist =
                std::env::temp_dir().join(format!("inlet-api-test-{}", std::process::id()));
            let vars = [
                ("TURNSTILE_BASE_URL", turnstile.url.as_str()),
                ("INLET_OPERATOR_TOKEN", &operator_token),
                ("ALLOW_PRIVATE_DESTINATIONS", "true"),
                ("DELIVERY_RETRY_SCHEDULE", RETRY_SCHEDULE),
                ("EMAIL_BASE_URL", &email.url),
                ("EMAIL_API_KEY", EMAIL_API_KEY),
                ("EMAIL_FROM", EMAIL_FROM),
                ("TWILIO_BASE_URL", &sms.url),
                ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT_SID),
                ("TWILIO_AUTH_TOKEN", TWILIO_AUTH_TOKEN),
                ("TWILIO_FROM", TWILIO_FROM),
            ];
            let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let mut seed_sql = seed();
            let mut api_keys = Vec::new();
            for tenant in ["t_roofer", "t_clinic"] {
                let (secret, sql) = api_key_seed(tenant, "read_write");
                seed_sql += &sql;
                api_keys.push((tenant.to_owned(), secret));
            }
            let options = StackOptions { port: None, persist, fresh: true, seed_sql, vars };
            let stack =
                Stack::start(&Tools::locate(), options).unwrap_or_else(|e| panic!("stack: {e}"));
            let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            TestApp {
                stack,
                agent,
                turnstile,
                hooks,
                email,
                sms,
                recovered,
                released,
                operator_token,
                api_keys,
            }
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.url)
    }

    /// Sends a request with the given headers and body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        let mut request = ureq::http::Request::builder().method(method).uri(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(body) => {
                self.agent.run(request.body(body.to_owned()).unwrap_or_else(|e| panic!("{e}")))
            }
            None => self.agent.run(request.body(()).unwrap_or_else(|e| panic!("{e}"))),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        let answer = Answer { status: response.status().as_u16(), headers, body };
        assert_documented(method, path, &answer);
        answer
    }

    pub fn get_path(&self, path: &str) -> Answer {
        self.send("GET", path, &[], None)
    }

    /// POSTs JSON to a form's leads, optionally as a browser on `origin`.
    pub fn post_lead(&self, form_id: &str, body: &Value, origin: Option<&str>) -> Answer {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(origin) = origin {
            headers.push(("origin", origin));
        }
        self.send("POST", &format!("/v1/forms/{form_id}/leads"), &headers, Some(&body.to_string()))
    }

    /// The form's token as the widget gets it, with the GET that serves the form.
    pub fn form_token(&self, form_id: &str) -> String {
        let answer = self.get_path(&format!("/v1/forms/{form_id}"));
        answer
            .header("inlet-form-token")
            .unwrap_or_else(|| panic!("no token: {answer:?}"))
            .to_owned()
    }

    /// A token for `form_id` as the Worker would have issued it at `issued_ms`, signed with the
    /// stack's own secret, to stand for a token served long ago.
    pub fn token_issued_at(&self, form_id: &str, issued_ms: u64) -> String {
        let secret = self
            .stack
            .worker_var("INLET_SECRET")
            .unwrap_or_else(|| panic!("the stack has no INLET_SECRET"));
        let (form_id, issued) = (FormId::from(form_id), Timestamp::from_ms(issued_ms));
        inlet_edge::forms::model::form_token(secret.as_bytes(), &form_id, issued)
    }

    /// Runs SQL on the stack's D1. Each call is a second `wrangler d1 execute` process on the SQLite file
    /// the Worker has open, and two writers at once make one of them fail with SQLITE_BUSY: a query
    /// failed so (saying nothing on stderr), and so did a Worker's create (answered 500). A failed
    /// query is tried again; tests write while the queue consumer is idle where they can, and tests
    /// that write a lot through the API send a create that met it again (`create_destination`).
    pub fn query(&self, sql: &str) -> Vec<Value> {
        let mut failure = String::new();
        for _ in 0..3 {
            match self.stack.query(sql) {
                Ok(rows) => return rows,
                Err(error) => failure = error,
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("query: {failure}")
    }

    /// A call to a business's endpoint (`/v1/tenants/{tenant}/...`) with that business's seeded
    /// read-and-write API key, as an integrator's program makes it.
    pub fn integrator(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let tenant = path.strip_prefix("/v1/tenants/").and_then(|rest| rest.split('/').next());
        let key = self.api_keys.iter().find(|(t, _)| Some(t.as_str()) == tenant);
        let Some((_, secret)) = key else { panic!("no seeded API key for {path}") };
        let bearer = format!("Bearer {secret}");
        let mut headers = vec![("authorization", bearer.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.send(method, path, &headers, body.map(Value::to_string).as_deref())
    }

    /// Adds a destination to a form of `t_roofer` and returns it as created (with its secret).
    pub fn add_destination(&self, form_id: &str, request: Value) -> Value {
        let answer = self.integrator(
            "POST",
            &format!("/v1/tenants/t_roofer/forms/{form_id}/destinations"),
            Some(&request),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.json()
    }

    /// The URL of a hook path on the webhook receiver.
    pub fn hook_url(&self, path: &str) -> String {
        format!("{}{path}", self.hooks.url)
    }

    /// Requests the webhook receiver got on `path`, in arrival order.
    pub fn hook_requests(&self, path: &str) -> Vec<Received> {
        self.hooks.received().into_iter().filter(|r| r.path == path).collect()
    }

    /// From now on `/down/{name}` answers 200.
    pub fn recover(&self, name: &str) {
        if let Ok(mut recovered) = self.recovered.lock() {
            recovered.push(name.to_owned());
        }
    }

    /// Lets the requests `/held/{name}` is holding, and all later ones, be answered 200.
    pub fn release(&self, name: &str) {
        if let Ok(mut released) = self.released.lock() {
            released.push(name.to_owned());
        }
    }

    /// What the Worker has logged so far (`wrangler dev` writes its console there).
    pub fn worker_log(&self) -> String {
        std::fs::read_to_string(self.stack.persist.join("wrangler.log")).unwrap_or_default()
    }

    /// A delivery of `t_roofer` with its attempt log.
    pub fn delivery(&self, id: &str) -> Value {
        let answer = self.integrator("GET", &format!("/v1/tenants/t_roofer/deliveries/{id}"), None);
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()
    }

    /// The deliveries of one lead of `t_roofer`.
    pub fn deliveries_of(&self, lead_id: &str) -> Vec<Value> {
        let answer = self.integrator(
            "GET",
            &format!("/v1/tenants/t_roofer/deliveries?lead_id={lead_id}"),
            None,
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["items"].as_array().cloned().unwrap_or_default()
    }

    pub fn lead(&self, id: &str) -> Option<Value> {
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "odd id {id}");
        self.query(&format!("SELECT * FROM leads WHERE id = '{id}'")).into_iter().next()
    }
}

/// Every answer of an operation in the OpenAPI document must be one the document lists, with its
/// content type: this is what keeps the document true.
fn assert_documented(method: &str, path: &str, answer: &Answer) {
    static DOC: OnceLock<Value> = OnceLock::new();
    let doc = DOC.get_or_init(|| serde_json::from_str(inlet_edge::OPENAPI).unwrap_or_default());
    let path = path.split('?').next().unwrap_or(path);
    let Some(paths) = doc["paths"].as_object() else { panic!("no paths in the OpenAPI document") };
    let Some((template, item)) =
        paths.iter().find(|(template, _)| matches_template(template, path))
    else {
        return; // not an API operation (static assets, unknown paths)
    };
    let method = if method == "HEAD" { "get".to_owned() } else { method.to_ascii_lowercase() };
    let Some(operation) = item.get(&method) else {
        assert_eq!(
            answer.status, 405,
            "{method} {template} is not documented but answered {}",
            answer.status
        );
        return;
    };
    let status = answer.status.to_string();
    let response = operation["responses"].get(&status).unwrap_or_else(|| {
        panic!(
            "{method} {template} answered {status}, which the OpenAPI document does not list: {}",
            answer.body
        )
    });
    let response = match response["$ref"].as_str() {
        Some(reference) => doc.pointer(reference.trim_start_matches('#')).unwrap_or(response),
        None => response,
    };
    if let (Some(content), Some(actual)) =
        (response["content"].as_object(), answer.header("content-type"))
    {
        let essence = actual.split(';').next().unwrap_or_default().trim();
        assert!(
            content.contains_key(essence),
            "{method} {template} {status} sent {actual}, documented {:?}",
            content.keys()
        );
    }
}

fn matches_template(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template.iter().zip(&path).all(|(t, p)| t.starts_with('{') || t == p)
}

/// Polls `check` until it returns `Some`, for up to `seconds`.
pub fn wait_for<T>(seconds: u64, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check() {
            return value;
        }
        if Instant::now() > deadline {
            panic!("gave up after {seconds} s waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The webhook endpoints' behaviour by path: `/ok/...` answers 204; `/slow/...` answers 200 after
/// 3 s; `/flaky/...` answers 503 twice,
/// then 200; `/down/{name}` answers 500 until `recover(name)`; `/gone/...` answers 410; `/bad/...`
/// answers 400; `/moved/{status}/{name}` answers that 3xx with `Location: /ok/{name}`; `/held/{name}`
/// holds each request until `release(name)` (at most 14 s, under the attempt's 15 s timeout), then
/// answers 200.
fn hook(
    recovered: Arc<Mutex<Vec<String>>>,
    released: Arc<Mutex<Vec<String>>>,
) -> impl Fn(&Received) -> Reply + Send + Sync {
    let seen: Mutex<HashMap<String, u32>> = Mutex::new(HashMap::new());
    move |request| {
        let count = seen.lock().map(|mut seen| {
            let n = seen.entry(request.path.clone()).or_insert(0);
            *n += 1;
            *n
        });
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        let status = match segments.as_slice() {
            ["ok", ..] => 204,
            ["slow", ..] => {
                std::thread::sleep(Duration::from_secs(3));
                200
            }
            ["flaky", ..] if count.unwrap_or(0) <= 2 => 503,
            ["flaky", ..] => 200,
            ["down", name] if recovered.lock().is_ok_and(|r| r.iter().any(|n| n == name)) => 200,
            ["down", ..] => 500,
            ["gone", ..] => 410,
            ["bad", ..] => 400,
            ["moved", code, name] => {
                let location = vec![("location".to_owned(), format!("/ok/{name}"))];
                return Reply {
                    status: code.parse().unwrap_or(301),
                    headers: location,
                    body: "{}".to_owned(),
                };
            }
            ["held", name] => {
                let deadline = Instant::now() + Duration::from_secs(14);
                while Instant::now() < deadline
                    && !released.lock().is_ok_and(|r| r.iter().any(|n| n == name))
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                200
            }
            _ => 404,
        };
        (status, "{}".to_owned()).into()
    }
}

pub fn good_alpha_lead(email: &str) -> Value {
    json!({"fields": {"name": "Ada", "email": email, "consent": true}})
}
