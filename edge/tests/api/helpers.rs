//! `TestApp`: one stack per test binary (fresh D1, two tenants), and a small HTTP client that never
//! treats a status code as an error.

use serde_json::{json, Value};
use std::sync::OnceLock;
use xtask::stack::{form_seed, Stack, StackOptions};
use xtask::tools::Tools;

pub const ROOFER_ORIGIN: &str = "https://roofer.example";
pub const CLINIC_ORIGIN: &str = "https://clinic.example";

pub struct TestApp {
    stack: Stack,
    agent: ureq::Agent,
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

/// Form `alpha` of tenant `t_roofer` and form `beta` of tenant `t_clinic`.
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
    form_seed("t_roofer", "Roofer", &alpha, &[ROOFER_ORIGIN]) + &form_seed("t_clinic", "Clinic", &beta, &[CLINIC_ORIGIN])
}

impl TestApp {
    /// The binary's shared stack, started on first use.
    pub fn get() -> &'static TestApp {
        static APP: OnceLock<TestApp> = OnceLock::new();
        APP.get_or_init(|| {
            let persist = std::env::temp_dir().join(format!("inlet-api-test-{}", std::process::id()));
            let options = StackOptions { port: None, persist, fresh: true, seed_sql: seed() };
            let stack = Stack::start(&Tools::locate(), options).unwrap_or_else(|e| panic!("stack: {e}"));
            let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            TestApp { stack, agent }
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
        Answer { status: response.status().as_u16(), headers, body }
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

    pub fn query(&self, sql: &str) -> Vec<Value> {
        self.stack.query(sql).unwrap_or_else(|e| panic!("query: {e}"))
    }

    pub fn lead(&self, id: &str) -> Option<Value> {
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "odd id {id}");
        self.query(&format!("SELECT * FROM leads WHERE id = '{id}'")).into_iter().next()
    }
}

pub fn good_alpha_lead(email: &str) -> Value {
    json!({"fields": {"name": "Ada", "email": email, "consent": true}})
}
