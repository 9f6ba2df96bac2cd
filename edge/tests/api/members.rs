//! A business's people through the real runtime: roles changed within what the changer may grant,
//! ownership handed on, the last owner kept, and another business added by a signed-in person.

use crate::accounts::{browser, call, new_owner, with_cookie};
use crate::helpers::{Answer, TestApp, wait_for};
use serde_json::{Value, json};

/// Invites `email` to `tenant` with `role` and accepts the emailed link: the new member's session
/// cookie and user id.
pub fn invited_member(
    app: &TestApp,
    ip: &str,
    inviter: &str,
    tenant: &str,
    email: &str,
    role: &str,
) -> (String, String) {
    let invite = call(
        app,
        "POST",
        &format!("/v1/tenants/{tenant}/invitations"),
        &with_cookie(browser(app, ip), inviter),
        Some(&json!({"email": email, "role": role})),
    );
    assert_eq!(invite.status, 202, "{}", invite.body);
    let message = wait_for(10, &format!("the invitation to {email}"), || {
        app.email.received().into_iter().rev().find(|r| r.body.contains(email)).map(|r| r.body)
    });
    let text: Value = serde_json::from_str(&message).unwrap_or_default();
    let body = text["text"].as_str().unwrap_or_default();
    let token = body
        .split("/app/link#")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_default();
    let answer =
        call(app, "POST", "/v1/account/sessions", &browser(app, ip), Some(&json!({"link": token})));
    assert_eq!(answer.status, 201, "{}", answer.body);
    let set = answer.header("set-cookie").unwrap_or_default();
    let cookie = set.split(';').next().and_then(|p| p.split_once('=')).map(|(_, v)| v.to_owned());
    let user = answer.json()["user"]["id"].as_str().unwrap_or_default().to_owned();
    (cookie.unwrap_or_default(), user)
}

/// `(email, role)` of every member, owners first.
fn roles(answer: &Answer) -> Vec<(String, String)> {
    answer.json()["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let text = |name: &str| m[name].as_str().unwrap_or_default().to_owned();
            (text("email"), text("role"))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(e, r)| ((*e).to_owned(), (*r).to_owned())).collect()
}

#[test]
fn roles_change_within_what_the_changer_may_grant_and_a_business_keeps_an_owner() {
    let app = TestApp::get();
    let ip = "198.51.100.41";
    let (owner, account) = new_owner(app, ip, "Staffed", "owner@staffed.example");
    let t = account["businesses"][0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    let owner_id = account["user"]["id"].as_str().unwrap_or_default().to_owned();
    let (admin, admin_id) = invited_member(app, ip, &owner, &t, "admin@staffed.example", "admin");
    let (worker, worker_id) =
        invited_member(app, ip, &admin, &t, "worker@staffed.example", "member");
    let change = |cookie: &str, user: &str, role: &str| {
        call(
            app,
            "PATCH",
            &format!("/v1/tenants/{t}/members/{user}"),
            &with_cookie(browser(app, ip), cookie),
            Some(&json!({"role": role})),
        )
    };
    let transfer = |cookie: &str, user: &str| {
        call(
            app,
            "POST",
            &format!("/v1/tenants/{t}/ownership"),
            &with_cookie(browser(app, ip), cookie),
            Some(&json!({"user_id": user})),
        )
    };

    // An admin moves people below the owner, to roles up to their own; never to owner.
    let changed = change(&admin, &worker_id, "viewer");
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        roles(&changed),
        pairs(&[
            ("owner@staffed.example", "owner"),
            ("admin@staffed.example", "admin"),
            ("worker@staffed.example", "viewer")
        ])
    );
    change(&admin, &worker_id, "owner").assert_problem(403, "not_permitted");
    change(&admin, &owner_id, "viewer").assert_problem(403, "not_permitted");
    change(&worker, &admin_id, "viewer").assert_problem(403, "not_permitted");
    change(&admin, "usr_nobody", "viewer").assert_problem(404, "member_not_found");
    change(&admin, &worker_id, "superuser").assert_problem(400, "malformed_json");
    // The only owner stays one.
    change(&owner, &owner_id, "admin").assert_problem(409, "last_owner");
    // Another site cannot make the request in the admin's name.
    let mut foreign = with_cookie(browser(app, ip), &admin);
    foreign.retain(|(name, _)| name != "sec-fetch-site" && name != "origin");
    foreign.push(("sec-fetch-site".into(), "cross-site".into()));
    foreign.push(("origin".into(), "https://evil.example".into()));
    call(
        app,
        "PATCH",
        &format!("/v1/tenants/{t}/members/{worker_id}"),
        &foreign,
        Some(&json!({"role": "admin"})),
    )
    .assert_problem(403, "cross_site_request");

    // Ownership: only the owner hands it on, to a member, and becomes an admin.
    transfer(&admin, &admin_id).assert_problem(403, "not_permitted");
    transfer(&owner, "usr_nobody").assert_problem(404, "member_not_found");
    transfer(&owner, &owner_id).assert_problem(409, "already_owner");
    let moved = transfer(&owner, &admin_id);
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(
        roles(&moved),
        pairs(&[
            ("admin@staffed.example", "owner"),
            ("owner@staffed.example", "admin"),
            ("worker@staffed.example", "viewer")
        ])
    );
    // The former owner is an admin now: no second transfer, and no acting on the new owner.
    transfer(&owner, &owner_id).assert_problem(403, "not_permitted");
    change(&owner, &admin_id, "member").assert_problem(403, "not_permitted");
    // The new owner is the only one, so they stay one too; they may remove the former owner.
    change(&admin, &admin_id, "member").assert_problem(409, "last_owner");
    let removed = call(
        app,
        "DELETE",
        &format!("/v1/tenants/{t}/members/{owner_id}"),
        &with_cookie(browser(app, ip), &admin),
        None,
    );
    assert_eq!(removed.status, 204, "{}", removed.body);
    call(app, "GET", &format!("/v1/tenants/{t}/leads"), &with_cookie(Vec::new(), &owner), None)
        .assert_problem(404, "business_not_found");
}

#[test]
fn a_signed_in_person_adds_a_business_with_a_working_form() {
    let app = TestApp::get();
    let ip = "198.51.100.42";
    let (cookie, _) = new_owner(app, ip, "First Shop", "owner@two-shops.example");
    let add = |headers: Vec<(String, String)>, name: &str| {
        call(app, "POST", "/v1/account/businesses", &headers, Some(&json!({"business_name": name})))
    };
    let created = add(with_cookie(browser(app, ip), &cookie), "  Second \n Shop ");
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let body = created.json();
    assert_eq!(
        (body["name"].as_str(), body["role"].as_str()),
        (Some("Second Shop"), Some("owner"))
    );
    let tenant = body["tenant_id"].as_str().unwrap_or_default().to_owned();
    assert!(tenant.starts_with("t_") && tenant.len() == 28, "{tenant}");

    let account = call(app, "GET", "/v1/account", &with_cookie(Vec::new(), &cookie), None).json();
    let names: Vec<&str> = account["businesses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert_eq!(names, ["First Shop", "Second Shop"]);
    // Its first form is live: the embed snippet works at once.
    let forms = call(
        app,
        "GET",
        &format!("/v1/tenants/{tenant}/forms"),
        &with_cookie(Vec::new(), &cookie),
        None,
    )
    .json();
    let form = forms["forms"][0]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(app.get_path(&format!("/v1/forms/{form}")).status, 200);

    add(with_cookie(browser(app, ip), &cookie), " ").assert_problem(422, "validation_failed");
    add(browser(app, ip), "Nobody's").assert_problem(401, "session_required");
    let mut foreign = with_cookie(Vec::new(), &cookie);
    foreign.push(("content-type".into(), "application/json".into()));
    foreign.push(("sec-fetch-site".into(), "cross-site".into()));
    add(foreign, "Forged").assert_problem(403, "cross_site_request");
}

#[test]
fn the_operator_bootstraps_a_business_by_emailing_its_first_owner() {
    let app = TestApp::get();
    let body = json!({"business_name": "Bootstrapped", "email": "first@bootstrapped.example"});
    let send = |bearer: Option<&str>| {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(token) = bearer {
            headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        call(app, "POST", "/v1/businesses", &headers, Some(&body))
    };
    send(None).assert_problem(401, "unauthorized");
    send(Some("a-wrong-token-of-some-length")).assert_problem(401, "unauthorized");
    let answer = send(Some(&app.operator_token));
    assert_eq!(answer.status, 202, "{}", answer.body);
    let message = wait_for(10, "the first owner's link", || {
        app.email
            .received()
            .into_iter()
            .find(|r| r.body.contains("first@bootstrapped.example"))
            .map(|r| r.body)
    });
    let email: Value = serde_json::from_str(&message).unwrap_or_default();
    assert_eq!(email["subject"], "Your Inlet account for Bootstrapped");
    let text = email["text"].as_str().unwrap_or_default();
    let token = text.split("/app/link#").nth(1).and_then(|s| s.split_whitespace().next());
    let signed_in = call(
        app,
        "POST",
        "/v1/account/sessions",
        &browser(app, "198.51.100.43"),
        Some(&json!({"link": token.unwrap_or_default()})),
    );
    assert_eq!(signed_in.status, 201, "{}", signed_in.body);
    let business = &signed_in.json()["businesses"][0];
    assert_eq!(
        (business["name"].as_str(), business["role"].as_str()),
        (Some("Bootstrapped"), Some("owner"))
    );
}
