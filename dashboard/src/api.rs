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

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path).send().await.map_err(|_| ApiError::Offline)?;
    read(response).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    read(send_json(Request::post(path), body).await?).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    read(send_json(Request::patch(path), body).await?).await
}

/// A call whose success has no body (`204`).
pub async fn post_empty<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    check(send_json(Request::post(path), body).await?).await
}

/// Sends `body` as JSON (`Content-Type: application/json`, as every change must be).
async fn send_json<B: Serialize>(request: RequestBuilder, body: &B) -> Result<Response, ApiError> {
    request.json(body).map_err(|_| ApiError::Offline)?.send().await.map_err(|_| ApiError::Offline)
}

pub async fn delete(path: &str) -> Result<(), ApiError> {
    let response = Request::delete(path).send().await.map_err(|_| ApiError::Offline)?;
    check(response).await
}

async fn check(response: Response) -> Result<(), ApiError> {
    if response.ok() { Ok(()) } else { Err(refusal(response).await) }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if !response.ok() {
        return Err(refusal(response).await);
    }
    response.json().await.map_err(|_| ApiError::Offline)
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
