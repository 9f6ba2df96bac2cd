//! The widget's calls to the edge: renew a form token, send a submission. (The loader fetches the
//! form's definition, in parallel with the wasm; `read_json_str` reads it.)
//!
//! Answers are parsed by the browser's `JSON.parse` and read with `js_value`, and submissions written
//! with `json`, rather than by serde_json, which would add tens of KB to the wasm. Requests go through
//! the browser's `fetch` directly: a wrapper's builder and error types cost the wasm more than the few
//! calls here.

use inlet_shared::{FieldError, LeadSubmission};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

/// The edge's base URL, e.g. `https://inlet.example.com`. Invariant: no trailing slash.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
}

/// What became of one attempt to send a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitOutcome {
    Created,
    /// `422`: the server's field errors, to show next to the fields.
    Invalid(Vec<FieldError>),
    /// A final refusal, by its problem `code`: sending again would not help.
    Refused(String),
    /// Worth sending again (no answer, `408`, `429`, `5xx`), no sooner than `retry_after` seconds.
    Retry {
        retry_after: Option<u32>,
    },
}

#[derive(Deserialize)]
struct ProblemBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    errors: Vec<FieldError>,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api { base: base.trim_end_matches('/').to_owned() }
    }

    /// A renewed token in exchange for the one held (see the edge's `spam::renewed_token`): `Err` if
    /// the edge could not be reached, `Ok(None)` if it answered without one.
    pub async fn renew_token(
        &self,
        form_id: &str,
        previous: Option<&str>,
    ) -> Result<Option<String>, ()> {
        let previous = String::from(js_sys::encode_uri_component(previous.unwrap_or_default()));
        let url = [&self.base, "/v1/forms/", form_id, "/token?previous=", &previous].concat();
        let response = fetch(&url, &RequestInit::new()).await.ok_or(())?;
        Ok(if response.ok() { header(&response, "inlet-form-token") } else { None })
    }

    pub async fn submit(
        &self,
        form_id: &str,
        idempotency_key: &str,
        submission: &LeadSubmission,
    ) -> SubmitOutcome {
        let url = [&self.base, "/v1/forms/", form_id, "/leads"].concat();
        let Some(body) = crate::json::to_string(submission) else {
            return SubmitOutcome::Refused(String::new());
        };
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&body));
        let headers = js_sys::Array::of2(
            &js_sys::Array::of2(&"content-type".into(), &"application/json".into()),
            &js_sys::Array::of2(&"idempotency-key".into(), &idempotency_key.into()),
        );
        init.set_headers(&headers);
        let Some(response) = fetch(&url, &init).await else {
            return SubmitOutcome::Retry { retry_after: None };
        };
        let status = response.status();
        let retry_after = header(&response, "retry-after").and_then(|v| v.trim().parse().ok());
        match status {
            200..=299 => SubmitOutcome::Created,
            408 | 429 | 500..=599 => SubmitOutcome::Retry { retry_after },
            _ => match read_json::<ProblemBody>(response).await {
                Some(problem) if status == 422 && !problem.errors.is_empty() => {
                    SubmitOutcome::Invalid(problem.errors)
                }
                Some(problem) => SubmitOutcome::Refused(problem.code),
                None => SubmitOutcome::Refused(String::new()),
            },
        }
    }
}

/// The browser's `fetch`; `None` if there was no answer (offline, refused, blocked).
async fn fetch(url: &str, init: &RequestInit) -> Option<Response> {
    let promise = web_sys::window()?.fetch_with_str_and_init(url, init);
    JsFuture::from(promise).await.ok()?.dyn_into().ok()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// Reads a JSON body through the browser's parser.
pub async fn read_json<T: serde::de::DeserializeOwned>(response: Response) -> Option<T> {
    let text = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    read_json_str(&text)
}

pub fn read_json_str<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    crate::js_value::from_value(js_sys::JSON::parse(text).ok()?)
}
