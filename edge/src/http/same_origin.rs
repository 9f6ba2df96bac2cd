//! The guard of every state-changing request a browser may send with a person's cookie: it must come
//! from this installation's own pages, not from another site (cross-site request forgery).
//!
//! As OWASP's CSRF cheat sheet has it for a same-origin JSON API: a browser's `Sec-Fetch-Site` must
//! say `same-origin` (or `none`, a request the person made directly); without it, `Origin` must be
//! this installation's. A request with neither comes from a program, not a browser a forger could
//! steer. The handlers also refuse any body but JSON, which no cross-site HTML form can send.

use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::request::header;
use worker::Request;

/// Refuses (`403 cross_site_request`) a request another site made. `own_origins` are the origins
/// this installation answers at (its public base URL's, and the request's own).
pub fn refuse_cross_site(req: &Request, own_origins: &[&str]) -> Result<(), Failure> {
    let fetch_site = header(req, "sec-fetch-site")?;
    let origin = header(req, "origin")?;
    if is_same_origin(fetch_site.as_deref(), origin.as_deref(), own_origins) {
        Ok(())
    } else {
        Err(Problem::cross_site_request().into())
    }
}

/// The rule, as a plain function of the two headers.
pub fn is_same_origin(fetch_site: Option<&str>, origin: Option<&str>, own: &[&str]) -> bool {
    let fetch_site_ok = match fetch_site.map(str::trim) {
        None | Some("same-origin" | "none") => true,
        Some(_) => false,
    };
    let origin_ok = origin.is_none_or(|origin| own.contains(&origin.trim()));
    fetch_site_ok && origin_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &[&str] = &["https://leads.example.com"];

    #[test]
    fn the_installations_own_pages_pass() {
        assert!(is_same_origin(Some("same-origin"), Some("https://leads.example.com"), OWN));
        assert!(is_same_origin(Some("same-origin"), None, OWN));
        assert!(is_same_origin(Some("none"), None, OWN));
        assert!(is_same_origin(None, Some("https://leads.example.com"), OWN));
        // A program (curl, an integration) sends neither header.
        assert!(is_same_origin(None, None, OWN));
    }

    #[test]
    fn other_sites_are_refused() {
        for site in ["cross-site", "same-site", "CROSS-SITE", ""] {
            assert!(!is_same_origin(Some(site), None, OWN), "{site}");
        }
        for origin in ["https://evil.example", "null", "https://leads.example.com.evil.example"] {
            assert!(!is_same_origin(None, Some(origin), OWN), "{origin}");
            assert!(!is_same_origin(Some("same-origin"), Some(origin), OWN), "{origin}");
        }
        // A sibling subdomain is the same site, not the same origin.
        assert!(!is_same_origin(Some("same-site"), Some("https://blog.example.com"), OWN));
    }
}
