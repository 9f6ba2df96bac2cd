//! The URL space of the Worker, as a pure function from method and path to a [`Route`].
//!
//! Paths the static assets serve (`/widget.js`, `/pkg/...`) never reach the Worker, so they are not
//! here.

/// A recognised request. Ids are raw path segments: callers look them up, never trust them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
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

/// Every path template and the methods it answers, as the OpenAPI document must list them.
pub const TABLE: &[(&str, &str)] = &[
    ("/health", "GET, HEAD"),
    ("/v1/openapi.json", "GET, HEAD"),
    ("/v1/forms/{form_id}", "GET, HEAD, OPTIONS"),
    ("/v1/forms/{form_id}/leads", "POST, OPTIONS"),
    ("/embed/{form_id}", "GET, HEAD"),
];

fn allowed(template: &str) -> &'static str {
    TABLE.iter().find(|(t, _)| *t == template).map_or("", |(_, allow)| allow)
}

/// Longest id we look up; anything longer cannot exist and is answered 404 without touching D1.
const MAX_ID_LEN: usize = 64;

pub fn route(method: Method, path: &str) -> Routed {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (route, allow) = match segments.as_slice() {
        ["health"] => (Route::Health, allowed("/health")),
        ["v1", "openapi.json"] => (Route::OpenApi, allowed("/v1/openapi.json")),
        ["v1", "forms", id] if is_id(id) => (Route::Form { form_id: (*id).to_owned() }, allowed("/v1/forms/{form_id}")),
        ["v1", "forms", id, "leads"] if is_id(id) => {
            (Route::Leads { form_id: (*id).to_owned() }, allowed("/v1/forms/{form_id}/leads"))
        }
        ["embed", id] if is_id(id) => (Route::Embed { form_id: (*id).to_owned() }, allowed("/embed/{form_id}")),
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
    use serde_json::Value;

    /// The OpenAPI document lists exactly the router's paths and methods (HEAD is implied by GET).
    #[test]
    fn the_openapi_document_matches_the_router() {
        let doc: Value = serde_json::from_str(crate::OPENAPI).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        let documented: Vec<&str> = paths.keys().map(String::as_str).collect();
        let mut routed: Vec<&str> = TABLE.iter().map(|(t, _)| *t).collect();
        let mut documented_sorted = documented.clone();
        routed.sort_unstable();
        documented_sorted.sort_unstable();
        assert_eq!(documented_sorted, routed);
        for (template, allow) in TABLE {
            let mut methods: Vec<String> = paths[*template]
                .as_object()
                .expect("path item")
                .keys()
                .filter(|k| *k != "parameters")
                .map(|m| m.to_ascii_uppercase())
                .collect();
            let mut expected: Vec<String> = allow.split(", ").filter(|m| *m != "HEAD").map(str::to_owned).collect();
            methods.sort();
            expected.sort();
            assert_eq!(methods, expected, "{template}");
        }
    }

    /// The document's examples are what the real types read and write.
    #[test]
    fn the_openapi_examples_parse_as_the_real_types() {
        let doc: Value = serde_json::from_str(crate::OPENAPI).expect("valid JSON");
        let example = |pointer: &str| doc.pointer(pointer).cloned().unwrap_or_else(|| panic!("no example at {pointer}"));
        let form: inlet_shared::FormDefinition =
            serde_json::from_value(example("/paths/~1v1~1forms~1{form_id}/get/responses/200/content/application~1json/example")).expect("form");
        assert_eq!(form.check(), Ok(()));
        let submission: inlet_shared::LeadSubmission = serde_json::from_value(example(
            "/paths/~1v1~1forms~1{form_id}~1leads/post/requestBody/content/application~1json/example",
        ))
        .expect("submission");
        assert!(inlet_shared::Lead::parse(&form, &submission).is_ok());
        let error: inlet_shared::FieldError = serde_json::from_value(example("/components/schemas/FieldError/example")).expect("error");
        assert_eq!(error, inlet_shared::FieldError::too_long("message", 2000));
        let codes = doc.pointer("/components/schemas/Problem/properties/code/enum").and_then(Value::as_array).expect("codes");
        for problem in crate::problem::all_examples() {
            assert!(codes.contains(&Value::from(problem.code)), "{} is not documented", problem.code);
        }
    }

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
        check("GET", "/v1/openapi.json", Routed::Found(Route::OpenApi, Method::Get));
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
