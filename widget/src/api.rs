//! The widget's two calls to the edge: read a form's definition, send a submission.
//!
//! Answers are parsed by the browser's `JSON.parse` and read with serde-wasm-bindgen rather than by
//! serde_json, whose deserializer would add about 30 KB to the wasm; serde_json only serialises.

use gloo_net::http::{Request, Response};
use inlet_shared::{FieldError, FormDefinition, LeadSubmission};
use serde::Deserialize;

/// The edge's base URL, e.g. `https://inlet.example.com`. Invariant: no trailing slash.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmitOutcome {
    Created,
    /// `422`: the server's field errors, to show next to the fields.
    Invalid(Vec<FieldError>),
    /// Any other answer from the server, with the sentence to show.
    Refused(String),
    /// No answer at all (offline, DNS, CORS).
    Unreachable,
}

#[derive(Deserialize)]
struct ProblemBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    errors: Vec<FieldError>,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api { base: base.trim_end_matches('/').to_owned() }
    }

    pub async fn form(&self, form_id: &str) -> Option<FormDefinition> {
        let response = Request::get(&format!("{}/v1/forms/{form_id}", self.base)).send().await.ok()?;
        if !response.ok() {
            return None;
        }
        read_json(response).await
    }

    pub async fn submit(&self, form_id: &str, submission: &LeadSubmission) -> SubmitOutcome {
        let url = format!("{}/v1/forms/{form_id}/leads", self.base);
        let request = serde_json::to_string(submission)
            .ok()
            .and_then(|body| Request::post(&url).header("content-type", "application/json").body(body).ok());
        let response = match request {
            Some(request) => request.send().await,
            None => return SubmitOutcome::Refused(GENERIC_FAILURE.to_owned()),
        };
        let Ok(response) = response else { return SubmitOutcome::Unreachable };
        match response.status() {
            200..=299 => SubmitOutcome::Created,
            status => match read_json::<ProblemBody>(response).await {
                Some(problem) if status == 422 && !problem.errors.is_empty() => SubmitOutcome::Invalid(problem.errors),
                Some(problem) if status < 500 && !problem.title.is_empty() => SubmitOutcome::Refused(problem.title),
                _ => SubmitOutcome::Refused(GENERIC_FAILURE.to_owned()),
            },
        }
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(response: Response) -> Option<T> {
    let text = response.text().await.ok()?;
    let value = js_sys::JSON::parse(&text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

pub const GENERIC_FAILURE: &str = "Sorry, we could not send your message. Please try again in a moment.";
