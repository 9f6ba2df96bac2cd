//! Server-side verification of Cloudflare Turnstile tokens through the siteverify API. The base URL is
//! configuration (`TURNSTILE_BASE_URL`), so tests point it at a local receiver.

use serde::{Deserialize, Serialize};
use worker::{Fetch, Headers, Method, Request, RequestInit};

#[derive(Serialize)]
struct SiteverifyRequest<'a> {
    secret: &'a str,
    response: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remoteip: Option<&'a str>,
}

#[derive(Deserialize)]
struct SiteverifyResponse {
    success: bool,
}

/// Whether siteverify accepts `token`. `Err` means siteverify could not be asked (or answered nonsense),
/// which is not the visitor's fault.
pub async fn verify(base_url: &str, secret: &str, token: &str, remote_ip: Option<&str>) -> Result<bool, String> {
    let url = format!("{}/turnstile/v0/siteverify", base_url.trim_end_matches('/'));
    let body = serde_json::to_string(&SiteverifyRequest { secret, response: token, remoteip: remote_ip }).map_err(|e| e.to_string())?;
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let mut response = Fetch::Request(request).send().await.map_err(|e| format!("siteverify: {e}"))?;
    if response.status_code() != 200 {
        return Err(format!("siteverify answered {}", response.status_code()));
    }
    let verdict: SiteverifyResponse = response.json().await.map_err(|e| format!("siteverify body: {e}"))?;
    Ok(verdict.success)
}
