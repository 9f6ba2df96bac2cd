//! API keys through the real runtime: created by an admin and shown once, kept only as a hash, used
//! by a program on the same endpoints the dashboard uses, within their scope and their business,
//! their last use shown, and revoked at once.

use crate::accounts::{browser, call, new_owner, with_cookie};
use crate::helpers::{Answer, TestApp};
use crate::members::invited_member;
use serde_json::{Value, json};

fn with_key(key: &str) -> Vec<(String, String)> {
    vec![
        ("authorization".into(), format!("Bearer {key}")),
        ("content-type".into(), "application/json".into()),
    ]
}

fn store_lead(app: &TestApp, tenant: &str, form: &str, id: &str) {
    app.query(&format!(
        "INSERT INTO leads (tenant_id, id, form_id, fields, email, created_at, search_text) \
         VALUES ('{tenant}', '{id}', '{form}', '{{\"name\": \"Key Lead\"}}', 'key@lead.example', \
         1796083200000, 'Key Lead')"
    ));
}

fn first_form(app: &TestApp, cookie: &str, tenant: &str) -> String {
    let forms = call(
        app,
        "GET",
        &format!("/v1/tenants/{tenant}/forms"),
        &with_cookie(Vec::new(), cookie),
        None,
    );
    forms.json()["forms"][0]["id"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_key_is_shown_once_works_within_its_scope_and_business_and_ends_when_revoked() {
    let app = TestApp::get();
    let ip = "198.51.100.61";
    let (owner, account) = new_owner(app, ip, "Keyed", "owner@keyed.example");
    let t = account["businesses"][0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    let form = first_form(app, &owner, &t);
    store_lead(app, &t, &form, "ld_keyed");
    let keys = format!("/v1/tenants/{t}/api-keys");
    let create = |cookie: &str, name: &str, scope: &str| {
        call(
            app,
            "POST",
            &keys,
            &with_cookie(browser(app, ip), cookie),
            Some(&json!({"name": name, "scope": scope})),
        )
    };

    let created = create(&owner, "  CRM \n sync ", "read_write");
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let body = created.json();
    let writer = body["secret"].as_str().unwrap_or_default().to_owned();
    assert!(writer.starts_with("inlet_") && writer.len() == 58, "{writer}");
    assert_eq!(body["key"]["name"], "CRM sync");
    assert_eq!(body["key"]["prefix"], json!(&writer[..10]));
    assert_eq!(body["key"]["created_by"], "owner@keyed.example");
    let writer_id = body["key"]["id"].as_str().unwrap_or_default().to_owned();
    let reader = create(&owner, "Reporting", "read").json()["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Only hashes are kept.
    let stored = app.query(&format!("SELECT * FROM api_keys WHERE tenant_id = '{t}'"));
    assert_eq!(stored.len(), 2);
    for secret in [&writer, &reader] {
        assert!(!Value::from(stored.clone()).to_string().contains(secret.as_str()));
    }
    // The list never shows a secret, and shows that neither was used yet.
    let listed = call(app, "GET", &keys, &with_cookie(Vec::new(), &owner), None);
    assert!(!listed.body.contains(&writer) && !listed.body.contains(&reader), "{}", listed.body);
    let used = |list: &Value| -> Vec<(String, bool)> {
        list["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                (k["name"].as_str().unwrap_or_default().to_owned(), k["last_used_at"].is_string())
            })
            .collect()
    };
    assert_eq!(
        used(&listed.json()),
        [("Reporting".to_owned(), false), ("CRM sync".to_owned(), false)]
    );

    // The read key reads and exports, and changes nothing.
    let lead = format!("/v1/tenants/{t}/leads/ld_keyed");
    let read = call(app, "GET", &format!("/v1/tenants/{t}/leads"), &with_key(&reader), None);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json()["items"][0]["id"], "ld_keyed");
    let csv = call(app, "GET", &format!("/v1/tenants/{t}/leads.csv"), &with_key(&reader), None);
    assert!(csv.status == 200 && csv.body.contains("Key Lead"), "{}", csv.body);
    call(app, "PATCH", &lead, &with_key(&reader), Some(&json!({"status": "won"})))
        .assert_problem(403, "not_permitted");
    // The read-and-write key works the lead; the history names the key.
    let worked = call(app, "PATCH", &lead, &with_key(&writer), Some(&json!({"status": "won"})));
    assert_eq!(worked.status, 200, "{}", worked.body);
    assert_eq!(worked.json()["history"][0]["actor"], "API key \u{201c}CRM sync\u{201d}");
    let note = call(
        app,
        "POST",
        &format!("{lead}/notes"),
        &with_key(&writer),
        Some(&json!({"body": "Synced to the CRM."})),
    );
    assert_eq!(note.json()["author"], "API key \u{201c}CRM sync\u{201d}");
    // Neither key manages keys or people: those need a person.
    call(app, "GET", &keys, &with_key(&writer), None).assert_problem(401, "session_required");
    call(
        app,
        "POST",
        &format!("/v1/tenants/{t}/invitations"),
        &with_key(&writer),
        Some(&json!({"email": "x@keyed.example", "role": "admin"})),
    )
    .assert_problem(401, "session_required");
    // The last use shows now.
    let listed = call(app, "GET", &keys, &with_cookie(Vec::new(), &owner), None).json();
    assert_eq!(used(&listed), [("Reporting".to_owned(), true), ("CRM sync".to_owned(), true)]);

    // Another business: its key does not reach this one, nor this key that one.
    let (stranger, theirs) = new_owner(app, ip, "Other Keyed", "owner@other-keyed.example");
    let other = theirs["businesses"][0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    let their_key = create_for(app, ip, &stranger, &other);
    call(app, "GET", &lead, &with_key(&their_key), None).assert_problem(404, "business_not_found");
    call(app, "GET", &format!("/v1/tenants/{other}/leads"), &with_key(&writer), None)
        .assert_problem(404, "business_not_found");
    call(
        app,
        "DELETE",
        &format!("{keys}/{writer_id}"),
        &with_cookie(browser(app, ip), &stranger),
        None,
    )
    .assert_problem(404, "business_not_found");
    // A member (not an admin) neither creates nor lists keys.
    let (member, _) = invited_member(app, ip, &owner, &t, "member@keyed.example", "member");
    create(&member, "Mine", "read").assert_problem(403, "not_permitted");
    create(&owner, " ", "read").assert_problem(422, "validation_failed");
    create(&owner, "Root", "admin").assert_problem(400, "malformed_json");

    // Revoked: refused at once, the same way as a key that never existed.
    let revoke = |id: &str| {
        call(app, "DELETE", &format!("{keys}/{id}"), &with_cookie(browser(app, ip), &owner), None)
    };
    assert_eq!(revoke(&writer_id).status, 204);
    let refused: Answer = call(app, "GET", &lead, &with_key(&writer), None);
    refused.assert_problem(401, "api_key_invalid");
    revoke(&writer_id).assert_problem(404, "api_key_not_found");
    let left = call(app, "GET", &keys, &with_cookie(Vec::new(), &owner), None).json();
    assert_eq!(left["keys"].as_array().map(Vec::len), Some(1));
}

fn create_for(app: &TestApp, ip: &str, cookie: &str, tenant: &str) -> String {
    let created = call(
        app,
        "POST",
        &format!("/v1/tenants/{tenant}/api-keys"),
        &with_cookie(browser(app, ip), cookie),
        Some(&json!({"name": "Theirs", "scope": "read_write"})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["secret"].as_str().unwrap_or_default().to_owned()
}
