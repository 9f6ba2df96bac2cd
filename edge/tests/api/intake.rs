//! `POST /v1/forms/{id}/leads`: what is stored, and every way a submission is refused.

use crate::helpers::{CLINIC_ORIGIN, ROOFER_ORIGIN, TestApp, good_alpha_lead};
use serde_json::{Value, json};

#[test]
fn a_valid_lead_is_stored_normalised_under_its_tenant_and_form() {
    let app = TestApp::get();
    let body = json!({
        "fields": {"phone": "020 7946 0958", "service": "Cleaning", "source": "spring-flyer"},
        "context": {"page_url": "https://clinic.example/book?utm_source=news", "referrer": "https://search.example/",
                    "utm": {"utm_source": "news", "utm_campaign": "spring", "utm_bogus": "x"}}
    });
    let answer = app.post_lead("beta", &body, Some(CLINIC_ORIGIN));
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let id = answer.json()["id"].as_str().map(str::to_owned).expect("an id");
    assert!(id.starts_with("ld_") && id.len() == 29, "{id}");

    let row = app.lead(&id).expect("row stored");
    assert_eq!(row["tenant_id"], "t_clinic");
    assert_eq!(row["form_id"], "beta");
    assert_eq!(row["phone"], "+442079460958");
    assert_eq!(row["email"], Value::Null);
    assert_eq!(row["status"], "new");
    assert_eq!(row["page_url"], "https://clinic.example/book?utm_source=news");
    assert_eq!(row["referrer"], "https://search.example/");
    assert_eq!(row["utm_source"], "news");
    assert_eq!(row["utm_campaign"], "spring");
    let fields: Value = serde_json::from_str(row["fields"].as_str().expect("text")).expect("json");
    assert_eq!(
        fields,
        json!({"phone": "+442079460958", "service": "Cleaning", "source": "spring-flyer"})
    );
    let created = row["created_at"].as_f64().expect("epoch ms");
    assert!(created > 1.7e12, "{created}");
}

#[test]
fn consent_evidence_is_kept_with_the_lead() {
    let app = TestApp::get();
    let answer = app.post_lead("alpha", &good_alpha_lead("Consent@Example.COM"), None);
    assert_eq!(answer.status, 201, "{}", answer.body);
    let row = app.lead(answer.json()["id"].as_str().expect("id")).expect("row");
    assert_eq!(row["tenant_id"], "t_roofer");
    assert_eq!(row["email"], "consent@example.com");
    let consents: Value =
        serde_json::from_str(row["consents"].as_str().expect("text")).expect("json");
    assert_eq!(
        consents,
        json!([{"field": "consent", "text": "You may contact me.", "version": "v3", "given": true}])
    );
}

#[test]
fn each_lead_gets_its_own_unguessable_id() {
    let app = TestApp::get();
    let ids: Vec<String> = (0..3)
        .map(|_| {
            app.post_lead("alpha", &good_alpha_lead("same@example.com"), None).json()["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(ids.iter().all(|id| id.len() == 29));
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2], "{ids:?}");
}

#[test]
fn validation_failures_are_422_with_every_field_error() {
    let app = TestApp::get();
    let body = json!({"fields": {"name": "x".repeat(51), "email": "ada@", "phone": "12", "consent": false, "colour": "red"}});
    let answer = app.post_lead("alpha", &body, None);
    let problem = answer.assert_problem(422, "validation_failed");
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("name", "too_long"),
        ("email", "email_invalid"),
        ("phone", "phone_invalid"),
        ("consent", "consent_required"),
        ("colour", "unknown_field"),
    ];
    assert_eq!(errors, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
    assert!(
        problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["message"].as_str().is_some_and(|m| m.ends_with('.')))
    );
    let stored = app.query("SELECT count(*) AS n FROM leads WHERE email = 'ada@'");
    assert_eq!(stored[0]["n"], 0);
}

#[test]
fn malformed_json_is_400() {
    let app = TestApp::get();
    for body in ["{", "not json", "{\"fields\": {\"name\": \"Ada\"", "\u{0}"] {
        let answer = app.send(
            "POST",
            "/v1/forms/alpha/leads",
            &[("content-type", "application/json")],
            Some(body),
        );
        answer.assert_problem(400, "malformed_json");
    }
    for body in [
        json!([]),
        json!({"fields": "name=Ada"}),
        json!({"fields": {"name": "Ada"}, "context": 7}),
        json!(null),
    ] {
        app.post_lead("alpha", &body, None).assert_problem(400, "malformed_json");
    }
}

#[test]
fn only_json_is_accepted() {
    let app = TestApp::get();
    let body = good_alpha_lead("ct@example.com").to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
    ] {
        let answer = app.send(
            "POST",
            "/v1/forms/alpha/leads",
            &[("content-type", content_type)],
            Some(&body),
        );
        answer.assert_problem(415, "unsupported_media_type");
    }
    app.send("POST", "/v1/forms/alpha/leads", &[], Some(&body))
        .assert_problem(415, "unsupported_media_type");
    let charset = app.send(
        "POST",
        "/v1/forms/alpha/leads",
        &[("content-type", "Application/JSON; charset=utf-8")],
        Some(&body),
    );
    assert_eq!(charset.status, 201, "{}", charset.body);
}

#[test]
fn oversized_bodies_are_413() {
    let app = TestApp::get();
    let body = json!({"fields": {"name": "Ada", "email": "big@example.com", "consent": true, "message": "x".repeat(70_000)}});
    app.post_lead("alpha", &body, None).assert_problem(413, "payload_too_large");
}

#[test]
fn unknown_forms_are_404() {
    let app = TestApp::get();
    app.post_lead("nope", &good_alpha_lead("a@example.com"), None)
        .assert_problem(404, "form_not_found");
    app.get_path("/v1/forms/nope").assert_problem(404, "form_not_found");
}

#[test]
fn hostile_input_never_causes_a_500() {
    let app = TestApp::get();
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let bodies = [
        deep.clone(),
        format!("{{\"fields\": {deep}}}"),
        json!({"fields": {"name": {"$ne": null}, "email": ["a@b.co"], "consent": {"x": 1}}}).to_string(),
        json!({"fields": {"name": "\u{202E}evil", "email": "a@b.co", "consent": true}}).to_string(),
        json!({"fields": {"name": "Robert'); DROP TABLE leads;--", "email": "x@y.zz", "consent": "on"}}).to_string(),
        "{\"fields\": {\"name\": \"\\ud800\"}}".to_owned(),
        json!({"fields": {"name": 1e308, "email": -0.0, "consent": 1}}).to_string(),
    ];
    for body in &bodies {
        let answer = app.send(
            "POST",
            "/v1/forms/alpha/leads",
            &[("content-type", "application/json")],
            Some(body),
        );
        assert!(
            (200..500).contains(&answer.status),
            "{} for {}",
            answer.status,
            &body[..body.len().min(80)]
        );
    }
    // The injection attempt was stored as text, and the table is still there.
    let rows = app.query("SELECT count(*) AS n FROM leads WHERE fields LIKE '%DROP TABLE%'");
    assert_eq!(rows[0]["n"], 1);
}

#[test]
fn cors_allows_only_the_forms_sites() {
    let app = TestApp::get();
    let preflight = |origin: &str| {
        app.send(
            "OPTIONS",
            "/v1/forms/alpha/leads",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
    };
    let allowed = preflight(ROOFER_ORIGIN);
    assert_eq!(allowed.status, 204);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ROOFER_ORIGIN));
    assert_eq!(allowed.header("access-control-allow-methods"), Some("POST"));
    assert!(
        allowed.header("access-control-allow-headers").is_some_and(|h| h.contains("content-type"))
    );
    assert!(allowed.header("vary").is_some_and(|v| v.contains("Origin")));

    let refused = preflight(CLINIC_ORIGIN);
    refused.assert_problem(403, "origin_not_allowed");
    assert_eq!(refused.header("access-control-allow-origin"), None);

    // A browser on another site cannot submit, and nothing is stored.
    let email = "cross-site@example.com";
    app.post_lead("alpha", &good_alpha_lead(email), Some("https://evil.example"))
        .assert_problem(403, "origin_not_allowed");
    assert_eq!(
        app.query(&format!("SELECT count(*) AS n FROM leads WHERE email = '{email}'"))[0]["n"],
        0
    );

    // The form's own site can, and can read errors too.
    let created =
        app.post_lead("alpha", &good_alpha_lead("same-site@example.com"), Some(ROOFER_ORIGIN));
    assert_eq!(created.status, 201);
    assert_eq!(created.header("access-control-allow-origin"), Some(ROOFER_ORIGIN));
    let invalid = app.post_lead("alpha", &json!({"fields": {}}), Some(ROOFER_ORIGIN));
    invalid.assert_problem(422, "validation_failed");
    assert_eq!(invalid.header("access-control-allow-origin"), Some(ROOFER_ORIGIN));
}

#[test]
fn one_tenants_site_cannot_use_another_tenants_form() {
    let app = TestApp::get();
    let answer =
        app.post_lead("beta", &json!({"fields": {"phone": "+442079460958"}}), Some(ROOFER_ORIGIN));
    answer.assert_problem(403, "origin_not_allowed");
    let read = app.send("GET", "/v1/forms/beta", &[("origin", ROOFER_ORIGIN)], None);
    read.assert_problem(403, "origin_not_allowed");
}
