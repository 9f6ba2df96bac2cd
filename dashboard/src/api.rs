//! The dashboard's calls to the Worker's JSON API: same origin, so the session cookie goes with
//! each one and the browser marks it `Sec-Fetch-Site: same-origin`. A refusal comes back as the
//! problem's own sentence, ready to show.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a call did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No session, or it ended: the person signs in again.
    SignedOut,
    /// A refusal, with the sentence to show (the problem's title, then its detail if any).
    Refused { code: String, message: String },
    /// The Worker could not be reached.
    Offline,
}

impl ApiError {
    pub fn message(&self) -> String {
        match self {
            ApiError::SignedOut => "Please sign in.".to_owned(),
            ApiError::Refused { message, .. } => message.clone(),
            ApiError::Offline => {
                "Inlet could not be reached. Check your connection and try again.".to_owned()
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct Problem {
    code: String,
    title: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<inlet_shared::FieldError>,
}

// The calls below are generic only where they must be (reading and writing the JSON); the sending
// and the reading of a refusal are one copy of code for every payload type.

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    parse(&text(Request::get(path), None).await?)
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let body = to_json(body)?;
    parse(&text(Request::post(path), Some(body)).await?)
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    let body = to_json(body)?;
    parse(&text(Request::patch(path), Some(body)).await?)
}

/// A call whose success has no body (`204`).
pub async fn post_empty<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    let body = to_json(body)?;
    send(Request::post(path), Some(body)).await.map(drop)
}

pub async fn delete(path: &str) -> Result<(), ApiError> {
    send(Request::delete(path), None).await.map(drop)
}

fn to_json<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|_| ApiError::Offline)
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|_| ApiError::Offline)
}

/// Sends the request, with `body` as JSON (`Content-Type: application/json`, as every change must
/// be) if there is one; a refusal comes back as its sentence.
async fn send(request: RequestBuilder, body: Option<String>) -> Result<Response, ApiError> {
    let request = match body {
        Some(json) => request.header("Content-Type", "application/json").body(json),
        None => request.build(),
    };
    let response =
        request.map_err(|_| ApiError::Offline)?.send().await.map_err(|_| ApiError::Offline)?;
    if response.ok() { Ok(response) } else { Err(refusal(response).await) }
}

/// The answer's body, as text.
async fn text(request: RequestBuilder, body: Option<String>) -> Result<String, ApiError> {
    send(request, body).await?.text().await.map_err(|_| ApiError::Offline)
}

async fn refusal(response: Response) -> ApiError {
    if response.status() == 401 {
        if let Ok(problem) = response.json::<Problem>().await
            && problem.code != "session_required"
        {
            return ApiError::Refused { message: sentence(&problem), code: problem.code };
        }
        return ApiError::SignedOut;
    }
    match response.json::<Problem>().await {
        Ok(problem) => ApiError::Refused { message: sentence(&problem), code: problem.code },
        Err(_) => ApiError::Offline,
    }
}

fn sentence(problem: &Problem) -> String {
    let mut text = problem.title.clone();
    for error in &problem.errors {
        text.push(' ');
        text.push_str(&error.message);
    }
    if problem.errors.is_empty()
        && let Some(detail) = &problem.detail
    {
        text.push(' ');
        text.push_str(detail);
    }
    text
}
