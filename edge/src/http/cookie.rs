//! Cookies: reading one from a request's `Cookie` header, and the `Set-Cookie` values that give a
//! browser a session cookie or take it back.
//!
//! Every cookie the edge sets is a `__Host-` cookie (`Secure`, `Path=/`, no `Domain`), so no other
//! site, not even a sibling subdomain, can set or overwrite it; `HttpOnly` keeps it from scripts and
//! `SameSite=Lax` from other sites' requests.

use crate::http::failure::Failure;
use crate::http::request::header;
use worker::Request;

/// The value of cookie `name`, if the request carries it.
pub fn cookie(req: &Request, name: &str) -> Result<Option<String>, Failure> {
    Ok(header(req, "cookie")?.and_then(|cookies| find(&cookies, name).map(str::to_owned)))
}

/// Cookie `name` in a `Cookie` header's value.
pub fn find<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// Sets cookie `name` for `max_age_seconds`.
pub fn set(name: &str, value: &str, max_age_seconds: u64) -> String {
    format!("{name}={value}; Max-Age={max_age_seconds}; Path=/; Secure; HttpOnly; SameSite=Lax")
}

/// Takes cookie `name` back.
pub fn clear(name: &str) -> String {
    set(name, "", 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_others() {
        let header = "theme=dark; __Host-s=abc ;other=1=2";
        assert_eq!(find(header, "__Host-s"), Some("abc"));
        assert_eq!(find(header, "other"), Some("1=2"));
        assert_eq!(find(header, "s"), None);
        assert_eq!(find("", "s"), None);
    }

    #[test]
    fn set_cookies_are_host_only_secure_and_hidden_from_scripts() {
        assert_eq!(
            set("__Host-s", "abc", 60),
            "__Host-s=abc; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        assert!(clear("__Host-s").starts_with("__Host-s=; Max-Age=0;"));
    }
}
