//! Health, form definitions, the iframe page, and the shape of errors outside intake.

use crate::helpers::{ROOFER_ORIGIN, TestApp};

#[test]
fn health_answers() {
    let answer = TestApp::get().get_path("/health");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["status"], "ok");
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn a_form_definition_is_public_but_its_settings_are_not() {
    let app = TestApp::get();
    let answer = app.send("GET", "/v1/forms/alpha", &[("origin", ROOFER_ORIGIN)], None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("access-control-allow-origin"), Some(ROOFER_ORIGIN));
    let form = answer.json();
    assert_eq!(form["id"], "alpha");
    assert_eq!(form["fields"][1]["kind"], "email");
    assert!(!answer.body.contains("roofer.example"), "allowed origins leaked: {}", answer.body);
    assert!(!answer.body.contains("t_roofer"), "tenant leaked: {}", answer.body);
    let head = app.send("HEAD", "/v1/forms/alpha", &[], None);
    assert_eq!((head.status, head.body.as_str()), (200, ""));
}

#[test]
fn the_openapi_document_is_served() {
    let answer = TestApp::get().get_path("/v1/openapi.json");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["openapi"], "3.1.0");
    assert_eq!(
        answer.json(),
        serde_json::from_str::<serde_json::Value>(inlet_edge::OPENAPI).unwrap_or_default()
    );
}

#[test]
fn unknown_paths_and_methods_are_problems() {
    let app = TestApp::get();
    app.get_path("/v2/nothing").assert_problem(404, "not_found");
    app.get_path("/v1/forms/../../etc/passwd").assert_problem(404, "not_found");
    let answer = app.send("DELETE", "/v1/forms/alpha", &[], None);
    answer.assert_problem(405, "method_not_allowed");
    assert_eq!(answer.header("allow"), Some("GET, HEAD, OPTIONS"));
    app.get_path("/v1/forms/alpha/leads").assert_problem(405, "method_not_allowed");
}

#[test]
fn the_iframe_page_embeds_the_widget_and_only_on_the_forms_sites() {
    let app = TestApp::get();
    let answer = app.get_path("/embed/alpha");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(answer.body.contains(r#"<script src="/widget.js" data-form="alpha" data-locale="en" data-frame async></script>"#), "{}", answer.body);
    assert!(answer.body.contains("<title>Roof quote</title>"));
    let csp = answer.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors https://roofer.example"), "{csp}");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    let missing = app.get_path("/embed/nope");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("This form is not available."));
    // A site that still embeds a deleted form shows that sentence, not a browser error.
    let csp = missing.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors *") && !csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(missing.header("cache-control"), Some("no-store"));
}

#[test]
fn widget_assets_are_served_for_other_origins() {
    let app = TestApp::get();
    for path in ["/widget.js", "/widget.css", "/frame.js", "/pkg/inlet_widget_bg.wasm"] {
        let answer = app.get_path(path);
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"), "{path}");
    }
    let wasm = app.get_path("/pkg/inlet_widget_bg.wasm");
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
}
