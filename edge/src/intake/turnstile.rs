//! Server-side verification of Cloudflare Turnstile tokens through the siteverify API. The base URL is
//! configuration (`TURNSTILE_BASE_URL`), so tests point it at a local receiver.

use crate::base::outbound::{self, Outgoing};
use serde::{Deserialize, Serialize};

/// How long siteverify may take before the visitor is told to try again.
const SITEVERIFY_TIMEOUT_MS: u32 = 10_000;

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
    let request = SiteverifyRequest { secret, response: token, remoteip: remote_ip };
    let outgoing = Outgoing {
        url: format!("{}/turnstile/v0/siteverify", base_url.trim_end_matches('/')),
        headers: vec![("content-type", "application/json".to_owned())],
        body: serde_json::to_string(&request).map_err(|e| e.to_string())?,
    };
    let mut answer = outbound::send(&outgoing, SITEVERIFY_TIMEOUT_MS)
        .await
        .map_err(|no_answer| format!("siteverify: {no_answer}"))?;
    if answer.status() != 200 {
        return Err(format!("siteverify answered {}", answer.status()));
    }
    answer.response.json().await.map_err(|e| format!("siteverify body: {e}"))
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
