//! The tenant isolation matrix: every endpoint under `/v1/tenants/{tenant_id}/` called by a stranger
//! (another business's owner), by another business's API key, by each role of the business and by
//! its keys of each scope, and by the owner with another business's ids. Who may not is refused
//! (`404 business_not_found` for anyone outside, `403 not_permitted` for a role or scope below the
//! action, `401 session_required` for a key on what only people do), never shown the other
//! business's data; who may gets past the guard. The table must name every such endpoint the router
//! has, so a new one cannot skip this test.

use crate::accounts::{browser, call, new_owner, with_cookie};
use crate::helpers::{Answer, TestApp};
use crate::members::invited_member;
use serde_json::{Value, json};

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Viewer,
    Member,
    Admin,
    Owner,
}

/// What a key needs: `None` for what only people do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyNeeds {
    Read,
    Write,
    Person,
}

struct Row {
    method: &'static str,
    /// With `{t}` for the tenant and `{lead}`, `{form}`, `{dst}` for the business's own ids.
    path: &'static str,
    body: Option<Value>,
    least: Level,
    key: KeyNeeds,
}

fn row(
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    least: Level,
    key: KeyNeeds,
) -> Row {
    Row { method, path, body, least, key }
}

fn table() -> Vec<Row> {
    use KeyNeeds::{Person, Read, Write};
    use Level::{Admin, Member, Owner, Viewer};
    vec![
        row("GET", "/v1/tenants/{t}/forms", None, Viewer, Read),
        row("GET", "/v1/tenants/{t}/leads", None, Viewer, Read),
        row("GET", "/v1/tenants/{t}/leads.csv", None, Member, Read),
        row("GET", "/v1/tenants/{t}/leads/{lead}", None, Viewer, Read),
        row(
            "PATCH",
            "/v1/tenants/{t}/leads/{lead}",
            Some(json!({"tags": ["probe"]})),
            Member,
            Write,
        ),
        row(
            "POST",
            "/v1/tenants/{t}/leads/{lead}/notes",
            Some(json!({"body": "Probe."})),
            Member,
            Write,
        ),
        row("POST", "/v1/tenants/{t}/leads/{lead}/release", None, Member, Write),
        row(
            "POST",
            "/v1/tenants/{t}/invitations",
            Some(json!({"email": "probe@matrix-inside.example", "role": "viewer"})),
            Admin,
            Person,
        ),
        row("GET", "/v1/tenants/{t}/members", None, Viewer, Person),
        row(
            "PATCH",
            "/v1/tenants/{t}/members/usr_nobody",
            Some(json!({"role": "viewer"})),
            Admin,
            Person,
        ),
        row("DELETE", "/v1/tenants/{t}/members/usr_nobody", None, Admin, Person),
        row(
            "POST",
            "/v1/tenants/{t}/ownership",
            Some(json!({"user_id": "usr_nobody"})),
            Owner,
            Person,
        ),
        row("GET", "/v1/tenants/{t}/api-keys", None, Admin, Person),
        row(
            "POST",
            "/v1/tenants/{t}/api-keys",
            Some(json!({"name": "Probe", "scope": "read"})),
            Admin,
            Person,
        ),
        row("DELETE", "/v1/tenants/{t}/api-keys/key_nobody", None, Admin, Person),
        row("GET", "/v1/tenants/{t}/forms/{form}/destinations", None, Admin, Write),
        row(
            "POST",
            "/v1/tenants/{t}/forms/{form}/destinations",
            Some(json!({"kind": "email", "to": ["probe@matrix-inside.example"]})),
            Admin,
            Write,
        ),
        row("GET", "/v1/tenants/{t}/destinations/{dst}", None, Admin, Write),
        row(
            "PATCH",
            "/v1/tenants/{t}/destinations/{dst}",
            Some(json!({"name": "Probe"})),
            Admin,
            Write,
        ),
        row("DELETE", "/v1/tenants/{t}/destinations/dst_nobody", None, Admin, Write),
        row("POST", "/v1/tenants/{t}/destinations/{dst}/rotate-secret", None, Admin, Write),
        row("GET", "/v1/tenants/{t}/deliveries", None, Viewer, Read),
        row("GET", "/v1/tenants/{t}/deliveries/msg_nobody", None, Viewer, Read),
        row("POST", "/v1/tenants/{t}/deliveries/msg_nobody/replay", None, Admin, Write),
    ]
}

/// `{id}`-style templates of a table path, to compare with the router's.
fn template(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{t}" => "{tenant_id}",
            "{lead}" => "{lead_id}",
            "{form}" => "{form_id}",
            "{dst}" | "dst_nobody" => "{destination_id}",
            "usr_nobody" => "{user_id}",
            "key_nobody" => "{key_id}",
            "msg_nobody" => "{delivery_id}",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_table_names_every_endpoint_of_a_business() {
    let mut routed: Vec<(String, String)> = Vec::new();
    for path in inlet_edge::router::PATHS {
        if path.template.starts_with("/v1/tenants/") {
            for (method, _) in path.methods {
                routed.push((method.name().to_owned(), path.template.to_owned()));
            }
        }
    }
    let mut tested: Vec<(String, String)> =
        table().iter().map(|r| (r.method.to_owned(), template(r.path))).collect();
    routed.sort();
    tested.sort();
    assert_eq!(tested, routed);
}

/// Whether the answer got past the guard: the endpoint's own answer, not a refusal of who asked.
fn passed(answer: &Answer) -> bool {
    let problem = serde_json::from_str::<Value>(&answer.body).unwrap_or_default();
    let code = problem["code"].as_str().unwrap_or_default().to_owned();
    !matches!(answer.status, 401 | 403) && code != "business_not_found"
}

#[test]
fn every_business_endpoint_refuses_outsiders_lower_roles_and_narrower_keys() {
    let app = TestApp::get();
    let ip = "198.51.100.71";
    let (owner, account) = new_owner(app, ip, "Isolated", "owner@matrix-inside.example");
    let t = account["businesses"][0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    let (stranger, theirs) = new_owner(app, ip, "Elsewhere", "owner@matrix-outside.example");
    let other = theirs["businesses"][0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    let form_of = |cookie: &str, tenant: &str| {
        call(
            app,
            "GET",
            &format!("/v1/tenants/{tenant}/forms"),
            &with_cookie(Vec::new(), cookie),
            None,
        )
        .json()["forms"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let (form, other_form) = (form_of(&owner, &t), form_of(&stranger, &other));
    for (tenant, form, lead, name) in [
        (&t, &form, "ld_isolated", "Inside Lead"),
        (&other, &other_form, "ld_elsewhere", "Outside Lead"),
    ] {
        app.query(&format!(
            "INSERT INTO leads (tenant_id, id, form_id, fields, created_at, search_text) \
             VALUES ('{tenant}', '{lead}', '{form}', '{{\"name\": \"{name}\"}}', 1796083200000, '{name}')"
        ));
    }
    let as_person = |cookie: &str, method: &str, path: &str, body: Option<&Value>| {
        call(app, method, path, &with_cookie(browser(app, ip), cookie), body)
    };
    let destination = |cookie: &str, tenant: &str, form: &str| {
        let created = as_person(
            cookie,
            "POST",
            &format!("/v1/tenants/{tenant}/forms/{form}/destinations"),
            Some(&json!({"kind": "email", "to": ["desk@matrix-inside.example"]})),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        created.json()["id"].as_str().unwrap_or_default().to_owned()
    };
    let (dst, other_dst) =
        (destination(&owner, &t, &form), destination(&stranger, &other, &other_form));
    let key = |cookie: &str, tenant: &str, scope: &str| {
        let created = as_person(
            cookie,
            "POST",
            &format!("/v1/tenants/{tenant}/api-keys"),
            Some(&json!({"name": format!("{scope} key"), "scope": scope})),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        created.json()["secret"].as_str().unwrap_or_default().to_owned()
    };
    let (read_key, write_key, their_key) = (
        key(&owner, &t, "read"),
        key(&owner, &t, "read_write"),
        key(&stranger, &other, "read_write"),
    );
    let (viewer, _) = invited_member(app, ip, &owner, &t, "viewer@matrix-inside.example", "viewer");
    let (member, _) = invited_member(app, ip, &owner, &t, "member@matrix-inside.example", "member");
    let (admin, _) = invited_member(app, ip, &owner, &t, "admin@matrix-inside.example", "admin");
    let people = [
        (Level::Viewer, &viewer),
        (Level::Member, &member),
        (Level::Admin, &admin),
        (Level::Owner, &owner),
    ];
    let with_key = |secret: &str, method: &str, path: &str, body: Option<&Value>| {
        let headers = vec![
            ("authorization".to_owned(), format!("Bearer {secret}")),
            ("content-type".to_owned(), "application/json".to_owned()),
        ];
        call(app, method, path, &headers, body)
    };

    let mut checked = 0;
    for row in table() {
        let path = row
            .path
            .replace("{t}", &t)
            .replace("{lead}", "ld_isolated")
            .replace("{form}", &form)
            .replace("{dst}", &dst);
        let body = row.body.as_ref();
        let what = format!("{} {}", row.method, row.path);
        // Outsiders: told the business does not exist (a key, on what only people do, that a
        // person must sign in), and shown nothing of it.
        let outside_key = if row.key == KeyNeeds::Person {
            (401, "session_required")
        } else {
            (404, "business_not_found")
        };
        for (answer, (status, code)) in [
            (as_person(&stranger, row.method, &path, body), (404, "business_not_found")),
            (with_key(&their_key, row.method, &path, body), outside_key),
        ] {
            assert_eq!(
                (answer.status, answer.json()["code"].as_str()),
                (status, Some(code)),
                "{what}"
            );
            assert!(!answer.body.contains("Inside Lead") && !answer.body.contains(&dst), "{what}");
        }
        // Each role: refused below the action's role, let through from it on.
        for (level, cookie) in people {
            let answer = as_person(cookie, row.method, &path, body);
            if level < row.least {
                let refused = (answer.status, answer.json()["code"].as_str().map(str::to_owned));
                assert_eq!(refused, (403, Some("not_permitted".to_owned())), "{what} as {level:?}");
            } else {
                assert!(passed(&answer), "{what} as {level:?}: {} {}", answer.status, answer.body);
            }
        }
        // Keys: within their scope only, and never for what only people do.
        for (scope, secret) in [(KeyNeeds::Read, &read_key), (KeyNeeds::Write, &write_key)] {
            let answer = with_key(secret, row.method, &path, body);
            match (row.key, scope) {
                (KeyNeeds::Person, _) => {
                    assert_eq!(answer.status, 401, "{what} with a {scope:?} key");
                    answer.assert_problem(401, "session_required");
                }
                (KeyNeeds::Write, KeyNeeds::Read) => {
                    assert_eq!(answer.status, 403, "{what} with a {scope:?} key");
                    answer.assert_problem(403, "not_permitted");
                }
                _ => assert!(passed(&answer), "{what} with a {scope:?} key: {}", answer.body),
            }
        }
        checked += 1;
    }
    assert_eq!(checked, table().len());

    // The owner, with the other business's ids in their own business's paths: not found, and
    // nothing of the other business shown.
    for (method, path, body, code) in [
        ("GET", format!("/v1/tenants/{t}/leads/ld_elsewhere"), None, "lead_not_found"),
        (
            "PATCH",
            format!("/v1/tenants/{t}/leads/ld_elsewhere"),
            Some(json!({"status": "won"})),
            "lead_not_found",
        ),
        (
            "POST",
            format!("/v1/tenants/{t}/leads/ld_elsewhere/notes"),
            Some(json!({"body": "x"})),
            "lead_not_found",
        ),
        ("POST", format!("/v1/tenants/{t}/leads/ld_elsewhere/release"), None, "lead_not_found"),
        ("GET", format!("/v1/tenants/{t}/destinations/{other_dst}"), None, "destination_not_found"),
        (
            "PATCH",
            format!("/v1/tenants/{t}/destinations/{other_dst}"),
            Some(json!({"name": "x"})),
            "destination_not_found",
        ),
        (
            "DELETE",
            format!("/v1/tenants/{t}/destinations/{other_dst}"),
            None,
            "destination_not_found",
        ),
        ("GET", format!("/v1/tenants/{t}/forms/{other_form}/destinations"), None, "form_not_found"),
    ] {
        let answer = as_person(&owner, method, &path, body.as_ref());
        answer.assert_problem(404, code);
        assert!(!answer.body.contains("Outside Lead"), "{method} {path}");
    }
    let stranger_id = theirs["user"]["id"].as_str().unwrap_or_default();
    as_person(
        &owner,
        "PATCH",
        &format!("/v1/tenants/{t}/members/{stranger_id}"),
        Some(&json!({"role": "viewer"})),
    )
    .assert_problem(404, "member_not_found");
    // The other business's lead is untouched by all of the above.
    let theirs =
        as_person(&stranger, "GET", &format!("/v1/tenants/{other}/leads/ld_elsewhere"), None)
            .json();
    assert_eq!(
        (theirs["status"].as_str(), theirs["history"].as_array().map(Vec::len)),
        (Some("new"), Some(0))
    );
    // The inbox of one business never lists the other's lead, whoever asks.
    let listed = with_key(&write_key, "GET", &format!("/v1/tenants/{t}/leads"), None);
    assert!(
        listed.body.contains("Inside Lead") && !listed.body.contains("Outside Lead"),
        "{}",
        listed.body
    );
}
