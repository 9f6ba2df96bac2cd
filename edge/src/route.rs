//! The URL space of the Worker, as a pure function from method and path to a [`Route`].
//!
//! Paths the static assets serve (`/widget.js`, `/pkg/...`) never reach the Worker, so they are not
//! here.

/// A recognised request. Ids are raw path segments: callers look them up, never trust them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Form { form_id: String },
    Leads { form_id: String },
    Embed { form_id: String },
}

/// What the router concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// A route and the method it was asked with.
    Found(Route, Method),
    /// The path exists but not for this method; carries the `Allow` header value.
    MethodNotAllowed(&'static str),
    NotFound,
}

/// The methods the API distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Options,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// Longest id we look up; anything longer cannot exist and is answered 404 without touching D1.
const MAX_ID_LEN: usize = 64;

pub fn route(method: Method, path: &str) -> Routed {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (route, allow) = match segments.as_slice() {
        ["health"] => (Route::Health, "GET, HEAD"),
        ["v1", "forms", id] if is_id(id) => (Route::Form { form_id: (*id).to_owned() }, "GET, HEAD, OPTIONS"),
        ["v1", "forms", id, "leads"] if is_id(id) => (Route::Leads { form_id: (*id).to_owned() }, "POST, OPTIONS"),
        ["embed", id] if is_id(id) => (Route::Embed { form_id: (*id).to_owned() }, "GET, HEAD"),
        _ => return Routed::NotFound,
    };
    let allowed = allow.split(", ").any(|m| Method::parse(m) == method) && method != Method::Other;
    if allowed { Routed::Found(route, method) } else { Routed::MethodNotAllowed(allow) }
}

/// Form ids are public identifiers such as `demo` or `f_3kq9...`: short, URL-safe, no dots.
pub fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(method: &str, path: &str, expected: Routed) {
        assert_eq!(route(Method::parse(method), path), expected, "{method} {path}");
    }

    #[test]
    fn routes() {
        let form = |id: &str| Route::Form { form_id: id.into() };
        let leads = |id: &str| Route::Leads { form_id: id.into() };
        check("GET", "/health", Routed::Found(Route::Health, Method::Get));
        check("GET", "/v1/forms/demo", Routed::Found(form("demo"), Method::Get));
        check("OPTIONS", "/v1/forms/demo", Routed::Found(form("demo"), Method::Options));
        check("POST", "/v1/forms/f_1-a/leads", Routed::Found(leads("f_1-a"), Method::Post));
        check("OPTIONS", "/v1/forms/demo/leads", Routed::Found(leads("demo"), Method::Options));
        check("GET", "/embed/demo", Routed::Found(Route::Embed { form_id: "demo".into() }, Method::Get));
        check("GET", "/v1/forms/demo/leads", Routed::MethodNotAllowed("POST, OPTIONS"));
        check("DELETE", "/v1/forms/demo", Routed::MethodNotAllowed("GET, HEAD, OPTIONS"));
        check("POST", "/health", Routed::MethodNotAllowed("GET, HEAD"));
        check("GET", "/", Routed::NotFound);
        check("GET", "/v1/forms/", Routed::NotFound);
        check("GET", "/v1/forms/a.b", Routed::NotFound);
        check("GET", "/v1/forms/%2e%2e", Routed::NotFound);
        check("GET", &format!("/v1/forms/{}", "a".repeat(65)), Routed::NotFound);
        check("GET", "/v1/forms/demo/leads/extra", Routed::NotFound);
    }
}
