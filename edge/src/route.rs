//! The URL space of the Worker, as a pure function from method and path to a [`Route`].
//!
//! Paths the static assets serve (`/widget.js`, `/pkg/...`) never reach the Worker, so they are not
//! here.

/// A recognised request. Ids are raw path segments: callers look them up, never trust them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Form {
        form_id: String,
    },
    /// A renewed form token for a widget that has held its own for long.
    FormToken {
        form_id: String,
    },
    Leads {
        form_id: String,
    },
    Embed {
        form_id: String,
    },
    /// The operator API (bearer token): a form's destinations, one destination, its secret rotation,
    /// the delivery log, one delivery, and its replay. Every path starts with the tenant.
    Destinations {
        tenant_id: String,
        form_id: String,
    },
    Destination {
        tenant_id: String,
        destination_id: String,
    },
    RotateSecret {
        tenant_id: String,
        destination_id: String,
    },
    Deliveries {
        tenant_id: String,
    },
    Delivery {
        tenant_id: String,
        delivery_id: String,
    },
    Replay {
        tenant_id: String,
        delivery_id: String,
    },
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
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
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
    ("/v1/forms/{form_id}/token", "GET, HEAD, OPTIONS"),
    ("/v1/forms/{form_id}/leads", "POST, OPTIONS"),
    ("/embed/{form_id}", "GET, HEAD"),
    ("/v1/tenants/{tenant_id}/forms/{form_id}/destinations", "GET, HEAD, POST"),
    ("/v1/tenants/{tenant_id}/destinations/{destination_id}", "GET, HEAD, PATCH, DELETE"),
    ("/v1/tenants/{tenant_id}/destinations/{destination_id}/rotate-secret", "POST"),
    ("/v1/tenants/{tenant_id}/deliveries", "GET, HEAD"),
    ("/v1/tenants/{tenant_id}/deliveries/{delivery_id}", "GET, HEAD"),
    ("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/replay", "POST"),
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
        ["v1", "forms", id] if is_id(id) => {
            (Route::Form { form_id: (*id).to_owned() }, allowed("/v1/forms/{form_id}"))
        }
        ["v1", "forms", id, "token"] if is_id(id) => {
            (Route::FormToken { form_id: (*id).to_owned() }, allowed("/v1/forms/{form_id}/token"))
        }
        ["v1", "forms", id, "leads"] if is_id(id) => {
            (Route::Leads { form_id: (*id).to_owned() }, allowed("/v1/forms/{form_id}/leads"))
        }
        ["embed", id] if is_id(id) => {
            (Route::Embed { form_id: (*id).to_owned() }, allowed("/embed/{form_id}"))
        }
        ["v1", "tenants", tenant, rest @ ..] if is_id(tenant) => {
            let tenant_id = (*tenant).to_owned();
            match rest {
                ["forms", form, "destinations"] if is_id(form) => (
                    Route::Destinations { tenant_id, form_id: (*form).to_owned() },
                    allowed("/v1/tenants/{tenant_id}/forms/{form_id}/destinations"),
                ),
                ["destinations", id] if is_id(id) => (
                    Route::Destination { tenant_id, destination_id: (*id).to_owned() },
                    allowed("/v1/tenants/{tenant_id}/destinations/{destination_id}"),
                ),
                ["destinations", id, "rotate-secret"] if is_id(id) => (
                    Route::RotateSecret { tenant_id, destination_id: (*id).to_owned() },
                    allowed("/v1/tenants/{tenant_id}/destinations/{destination_id}/rotate-secret"),
                ),
                ["deliveries"] => {
                    (Route::Deliveries { tenant_id }, allowed("/v1/tenants/{tenant_id}/deliveries"))
                }
                ["deliveries", id] if is_id(id) => (
                    Route::Delivery { tenant_id, delivery_id: (*id).to_owned() },
                    allowed("/v1/tenants/{tenant_id}/deliveries/{delivery_id}"),
                ),
                ["deliveries", id, "replay"] if is_id(id) => (
                    Route::Replay { tenant_id, delivery_id: (*id).to_owned() },
                    allowed("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/replay"),
                ),
                _ => return Routed::NotFound,
            }
        }
        _ => return Routed::NotFound,
    };
    let allowed = allow.split(", ").any(|m| Method::parse(m) == method) && method != Method::Other;
    if allowed { Routed::Found(route, method) } else { Routed::MethodNotAllowed(allow) }
}

/// Form ids are public identifiers such as `demo` or `f_3kq9...`: short, URL-safe, no dots.
pub fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
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
            let mut expected: Vec<String> =
                allow.split(", ").filter(|m| *m != "HEAD").map(str::to_owned).collect();
            methods.sort();
            expected.sort();
            assert_eq!(methods, expected, "{template}");
        }
    }

    /// The document's examples are what the real types read and write.
    #[test]
    fn the_openapi_examples_parse_as_the_real_types() {
        let doc: Value = serde_json::from_str(crate::OPENAPI).expect("valid JSON");
        let example = |pointer: &str| {
            doc.pointer(pointer).cloned().unwrap_or_else(|| panic!("no example at {pointer}"))
        };
        let form: inlet_shared::FormDefinition = serde_json::from_value(example(
            "/paths/~1v1~1forms~1{form_id}/get/responses/200/content/application~1json/example",
        ))
        .expect("form");
        assert_eq!(form.check(), Ok(()));
        let submission: inlet_shared::LeadSubmission = serde_json::from_value(example(
            "/paths/~1v1~1forms~1{form_id}~1leads/post/requestBody/content/application~1json/example",
        ))
        .expect("submission");
        assert!(inlet_shared::Lead::parse(&form, &submission).is_ok());
        let error: inlet_shared::FieldError =
            serde_json::from_value(example("/components/schemas/FieldError/example"))
                .expect("error");
        assert_eq!(error, inlet_shared::FieldError::too_long("message", 2000));
        let codes = doc
            .pointer("/components/schemas/Problem/properties/code/enum")
            .and_then(Value::as_array)
            .expect("codes");
        for problem in crate::problem::all_examples() {
            assert!(
                codes.contains(&Value::from(problem.code)),
                "{} is not documented",
                problem.code
            );
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
        check(
            "GET",
            "/embed/demo",
            Routed::Found(Route::Embed { form_id: "demo".into() }, Method::Get),
        );
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
        let destinations = Route::Destinations { tenant_id: "t_1".into(), form_id: "demo".into() };
        check(
            "POST",
            "/v1/tenants/t_1/forms/demo/destinations",
            Routed::Found(destinations.clone(), Method::Post),
        );
        check(
            "GET",
            "/v1/tenants/t_1/forms/demo/destinations",
            Routed::Found(destinations, Method::Get),
        );
        let destination =
            Route::Destination { tenant_id: "t_1".into(), destination_id: "dst_1".into() };
        check(
            "PATCH",
            "/v1/tenants/t_1/destinations/dst_1",
            Routed::Found(destination.clone(), Method::Patch),
        );
        check(
            "DELETE",
            "/v1/tenants/t_1/destinations/dst_1",
            Routed::Found(destination, Method::Delete),
        );
        check(
            "POST",
            "/v1/tenants/t_1/destinations/dst_1/rotate-secret",
            Routed::Found(
                Route::RotateSecret { tenant_id: "t_1".into(), destination_id: "dst_1".into() },
                Method::Post,
            ),
        );
        check(
            "GET",
            "/v1/tenants/t_1/deliveries",
            Routed::Found(Route::Deliveries { tenant_id: "t_1".into() }, Method::Get),
        );
        check(
            "POST",
            "/v1/tenants/t_1/deliveries/msg_1/replay",
            Routed::Found(
                Route::Replay { tenant_id: "t_1".into(), delivery_id: "msg_1".into() },
                Method::Post,
            ),
        );
        check("POST", "/v1/tenants/t_1/deliveries/msg_1", Routed::MethodNotAllowed("GET, HEAD"));
        check("GET", "/v1/tenants/t.1/deliveries", Routed::NotFound);
        check("GET", "/v1/tenants/t_1", Routed::NotFound);
    }
}
