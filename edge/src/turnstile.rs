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

/// What siteverify says of a token: whether it is good, and the hostname of the page it was solved on.
#[derive(Debug, Deserialize)]
pub struct Siteverify {
    pub success: bool,
    #[serde(default)]
    pub hostname: Option<String>,
}

impl Siteverify {
    /// Accepted, and solved on a site the form allows: a token solved on the attacker's own page for
    /// our site key would otherwise pass anywhere. `own_host` is the Worker's (the iframe embed).
    pub fn accepts(&self, allowed_origins: &[String], own_host: &str) -> bool {
        let Some(hostname) = self.hostname.as_deref().map(str::to_ascii_lowercase) else {
            return false;
        };
        self.success
            && (hostname == own_host.to_ascii_lowercase()
                || allowed_origins.iter().any(|origin| {
                    origin == "*" || origin_host(origin).is_some_and(|host| host == hostname)
                }))
    }
}

/// The host of an allowed origin (`https://www.example.com:8443` -> `www.example.com`), lower-case.
fn origin_host(origin: &str) -> Option<String> {
    url::Url::parse(origin.trim()).ok()?.host_str().map(str::to_owned)
}

/// What siteverify says of `token`. `Err` means siteverify could not be asked (or answered nonsense),
/// which is not the visitor's fault.
pub async fn verify(
    base_url: &str,
    secret: &str,
    token: &str,
    remote_ip: Option<&str>,
) -> Result<Siteverify, String> {
    let url = format!("{}/turnstile/v0/siteverify", base_url.trim_end_matches('/'));
    let body =
        serde_json::to_string(&SiteverifyRequest { secret, response: token, remoteip: remote_ip })
            .map_err(|e| e.to_string())?;
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let mut response =
        Fetch::Request(request).send().await.map_err(|e| format!("siteverify: {e}"))?;
    if response.status_code() != 200 {
        return Err(format!("siteverify answered {}", response.status_code()));
    }
    response.json().await.map_err(|e| format!("siteverify body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_counts_only_from_the_forms_sites() {
        let allowed = ["https://www.roofer.example".to_owned(), "http://localhost:8788".to_owned()];
        let said = |success, hostname: Option<&str>| Siteverify {
            success,
            hostname: hostname.map(str::to_owned),
        };
        let check = |verdict: Siteverify, expected: bool| {
            assert_eq!(verdict.accepts(&allowed, "inlet.example"), expected, "{verdict:?}")
        };
        check(said(true, Some("www.roofer.example")), true);
        check(said(true, Some("WWW.Roofer.Example")), true);
        check(said(true, Some("localhost")), true);
        check(said(true, Some("inlet.example")), true);
        check(said(false, Some("www.roofer.example")), false);
        check(said(true, Some("roofer.example")), false);
        check(said(true, Some("attacker.example")), false);
        check(said(true, None), false);
        assert!(said(true, Some("anywhere.example")).accepts(&["*".to_owned()], "inlet.example"));
    }
}
