//! The widget's two calls to the edge: read a form's definition, send a submission.

use gloo_net::http::Request;
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

    pub async fn form(&self, form_id: &str) -> Result<FormDefinition, gloo_net::Error> {
        Request::get(&format!("{}/v1/forms/{form_id}", self.base)).send().await?.json().await
    }

    pub async fn submit(&self, form_id: &str, submission: &LeadSubmission) -> SubmitOutcome {
        let request = Request::post(&format!("{}/v1/forms/{form_id}/leads", self.base)).json(submission);
        let response = match request {
            Ok(request) => request.send().await,
            Err(_) => return SubmitOutcome::Refused(GENERIC_FAILURE.to_owned()),
        };
        let Ok(response) = response else { return SubmitOutcome::Unreachable };
        match response.status() {
            200..=299 => SubmitOutcome::Created,
            status => match response.json::<ProblemBody>().await {
                Ok(problem) if status == 422 && !problem.errors.is_empty() => SubmitOutcome::Invalid(problem.errors),
                Ok(problem) if status < 500 && !problem.title.is_empty() => SubmitOutcome::Refused(problem.title),
                _ => SubmitOutcome::Refused(GENERIC_FAILURE.to_owned()),
            },
        }
    }
}

pub const GENERIC_FAILURE: &str = "Sorry, we could not send your message. Please try again in a moment.";
