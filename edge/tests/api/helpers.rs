//! `TestApp`: one stack per test binary (fresh D1, two tenants), and a small HTTP client that never
//! treats a status code as an error.

use crate::receiver::{self, Receiver};
use serde_json::{json, Value};
use std::sync::OnceLock;
use xtask::stack::{form_seed, Stack, StackOptions};
use xtask::tools::Tools;

pub const ROOFER_ORIGIN: &str = "https://roofer.example";
pub const CLINIC_ORIGIN: &str = "https://clinic.example";

pub struct TestApp {
    stack: Stack,
    agent: ureq::Agent,
    pub turnstile: Receiver,
}

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
    for (id, settings) in [
        ("burst", limit(5, 1000)),
        ("ceiling", limit(100, 3)),
        ("timed", json!({"min_fill_seconds": 2})),
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
            let turnstile = Receiver::start(receiver::siteverify);
            let persist = std::env::temp_dir().join(format!("inlet-api-test-{}", std::process::id()));
            let vars = vec![("TURNSTILE_BASE_URL".to_owned(), turnstile.url.clone())];
            let options = StackOptions { port: None, persist, fresh: true, seed_sql: seed(), vars };
            let stack = Stack::start(&Tools::locate(), options).unwrap_or_else(|e| panic!("stack: {e}"));
            let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            TestApp { stack, agent, turnstile }
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.url)
    }

    /// Sends a request with the given headers and body.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
        let mut request = ureq::http::Request::builder().method(method).uri(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let result = match body {
            Some(body) => self.agent.run(request.body(body.to_owned()).unwrap_or_else(|e| panic!("{e}"))),
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
        answer.header("inlet-form-token").unwrap_or_else(|| panic!("no token: {answer:?}")).to_owned()
    }

    pub fn query(&self, sql: &str) -> Vec<Value> {
        self.stack.query(sql).unwrap_or_else(|e| panic!("query: {e}"))
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
    let Some((template, item)) = paths.iter().find(|(template, _)| matches_template(template, path)) else {
        return; // not an API operation (static assets, unknown paths)
    };
    let method = if method == "HEAD" { "get".to_owned() } else { method.to_ascii_lowercase() };
    let Some(operation) = item.get(&method) else {
        assert_eq!(answer.status, 405, "{method} {template} is not documented but answered {}", answer.status);
        return;
    };
    let status = answer.status.to_string();
    let response = operation["responses"].get(&status).unwrap_or_else(|| {
        panic!("{method} {template} answered {status}, which the OpenAPI document does not list: {}", answer.body)
    });
    let response = match response["$ref"].as_str() {
        Some(reference) => doc.pointer(reference.trim_start_matches('#')).unwrap_or(response),
        None => response,
    };
    if let (Some(content), Some(actual)) = (response["content"].as_object(), answer.header("content-type")) {
        let essence = actual.split(';').next().unwrap_or_default().trim();
        assert!(content.contains_key(essence), "{method} {template} {status} sent {actual}, documented {:?}", content.keys());
    }
}

fn matches_template(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len() && template.iter().zip(&path).all(|(t, p)| t.starts_with('{') || t == p)
}

pub fn good_alpha_lead(email: &str) -> Value {
    json!({"fields": {"name": "Ada", "email": email, "consent": true}})
}
