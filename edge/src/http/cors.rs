//! Cross-origin rules: a form answers browsers only on the websites its owner listed.
//!
//! The rules are pure functions of the request's `Origin` and the form's list, so every case is a
//! native test; [`BrowserOrigin`] applies them to a request and its reply. Requests without `Origin`
//! (servers, curl) are not browser requests and CORS does not apply to them.

use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::http::request::header;
use worker::Request;

/// Headers a browser may send on a submission.
pub const ALLOWED_REQUEST_HEADERS: &str = "content-type, idempotency-key";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";
/// Carries the signed time a form was served; the widget sends it back as `token`.
pub const FORM_TOKEN_HEADER: &str = "inlet-form-token";
/// Set on a `201` that repeats an earlier answer for the same `Idempotency-Key`.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Normalises an origin as browsers serialise it: lower-case scheme and host, no trailing slash, no
/// default port. Returns `None` for anything that is not an http(s) origin.
pub fn normalise_origin(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = raw.split_once("://")?;
    if !matches!(scheme, "http" | "https")
        || rest.is_empty()
        || rest.contains(['/', '?', '#', '@', ' '])
    {
        return None;
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = rest.strip_suffix(default_port).unwrap_or(rest);
    Some(format!("{scheme}://{host}"))
}

/// Whether a browser on `origin` may use a form whose owner allowed `allowed` (`*` allows every site).
/// The Worker's own origin is always allowed: the iframe embed page lives there.
pub fn is_allowed(origin: &str, allowed: &[String], own_origin: &str) -> bool {
    let Some(origin) = normalise_origin(origin) else { return false };
    normalise_origin(own_origin).as_deref() == Some(origin.as_str())
        || allowed.iter().any(|entry| {
            entry == "*" || normalise_origin(entry).as_deref() == Some(origin.as_str())
        })
}

/// The origin of a request's URL as the runtime writes it (WHATWG-serialised: host lower-case, no
/// default port): its scheme and authority, without any user information. What `Url::origin` gives,
/// without parsing the whole URL again on every request.
pub fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return String::new() };
    let authority = rest.find(['/', '?', '#']).map_or(rest, |end| &rest[..end]);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}")
}

/// The `Origin` of a browser request that passed a form's allow-list, or none for other clients.
#[derive(Debug)]
pub struct BrowserOrigin(Option<String>);

impl BrowserOrigin {
    /// Refuses (`403`) a browser on a site `allowed` does not list.
    pub fn check(req: &Request, allowed: &[String]) -> Result<BrowserOrigin, Failure> {
        let Some(origin) = header(req, "origin")? else { return Ok(BrowserOrigin(None)) };
        let own_origin = origin_of(&req.inner().url());
        if is_allowed(&origin, allowed, &own_origin) {
            Ok(BrowserOrigin(Some(origin)))
        } else {
            Err(Problem::origin_not_allowed().into())
        }
    }

    /// Lets the browser read the reply (errors included, so the widget can show them).
    pub fn expose(&self, reply: Reply) -> Reply {
        match &self.0 {
            Some(origin) => reply.allow_origin(origin).header(
                "access-control-expose-headers",
                format!("retry-after, {FORM_TOKEN_HEADER}, {REPLAYED_HEADER}"),
            ),
            None => reply.header("vary", "Origin"),
        }
    }

    /// The answer to a preflight for an address that takes `methods`.
    pub fn preflight(&self, methods: &str) -> Reply {
        let reply = Reply::empty(204);
        match self.0 {
            Some(_) => reply
                .header("access-control-allow-methods", methods)
                .header("access-control-allow-headers", ALLOWED_REQUEST_HEADERS)
                .header("access-control-max-age", PREFLIGHT_MAX_AGE),
            None => reply,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_a_browser() {
        let check = |raw: &str, expected: Option<&str>| {
            assert_eq!(normalise_origin(raw).as_deref(), expected, "{raw}")
        };
        check("https://Example.com", Some("https://example.com"));
        check("https://example.com/", Some("https://example.com"));
        check("https://example.com:443", Some("https://example.com"));
        check("http://localhost:8788", Some("http://localhost:8788"));
        check("http://127.0.0.1:80", Some("http://127.0.0.1"));
        check("null", None);
        check("file://", None);
        check("javascript://x", None);
        check("https://example.com/path", None);
        check("https://user@example.com", None);
        check("", None);
    }

    #[test]
    fn a_request_urls_origin_is_what_url_says_it_is() {
        for url in [
            "https://api.inlet.example/v1/forms/demo",
            "http://127.0.0.1:8787/v1/forms/demo/leads?x=1",
            "https://api.inlet.example",
            "https://user:secret@api.inlet.example:8443/path#f",
            "http://[::1]:8787/health",
            "https://xn--bcher-kva.example/a@b",
        ] {
            let parsed = url::Url::parse(url).expect("a URL");
            assert_eq!(origin_of(parsed.as_str()), parsed.origin().ascii_serialization(), "{url}");
        }
    }

    #[test]
    fn allows_only_listed_sites() {
        let allowed =
            vec!["https://roofer.example".to_owned(), "http://localhost:8788/".to_owned()];
        let own = "https://api.inlet.example";
        let check = |origin: &str, expected: bool| {
            assert_eq!(is_allowed(origin, &allowed, own), expected, "{origin}")
        };
        check("https://roofer.example", true);
        check("https://ROOFER.example:443", true);
        check("http://localhost:8788", true);
        check("https://api.inlet.example", true);
        check("http://roofer.example", false);
        check("https://evil.example", false);
        check("https://roofer.example.evil.example", false);
        check("null", false);
        assert!(is_allowed("https://anyone.example", &["*".to_owned()], own));
        assert!(!is_allowed("null", &["*".to_owned()], own));
    }
}
