//! Accounts through the real runtime: sign-up confirmed by an emailed link, sign-in by link and by
//! password, sessions and their ends, and the defences (cross-site refusals, forged, reused and
//! expired links and sessions, the limits, answers that do not tell which addresses have accounts).
//!
//! Each test uses addresses and a client address (`cf-connecting-ip`) of its own, so their limits
//! never meet.

use crate::helpers::{Answer, TestApp, wait_for};
use serde_json::{Value, json};

const COOKIE: &str = "__Host-inlet_session";

/// A browser on the installation's own pages, as client `ip`.
pub fn browser(app: &TestApp, ip: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("origin".into(), app.url("")),
        ("sec-fetch-site".into(), "same-origin".into()),
        ("cf-connecting-ip".into(), ip.into()),
    ]
}

pub fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<&Value>,
) -> Answer {
    let headers: Vec<(&str, &str)> =
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    app.send(method, path, &headers, body.map(Value::to_string).as_deref())
}

pub fn with_cookie(mut headers: Vec<(String, String)>, cookie: &str) -> Vec<(String, String)> {
    headers.push(("cookie".into(), format!("{COOKIE}={cookie}")));
    headers
}

/// The emails sent to `address` so far, oldest first.
fn emails_to(app: &TestApp, address: &str) -> Vec<Value> {
    app.email
        .received()
        .into_iter()
        .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
        .filter(|body| body["to"] == json!([address]))
        .collect()
}

/// Waits for email number `n` (from 1) to `address` and returns it.
fn nth_email(app: &TestApp, address: &str, n: usize) -> Value {
    wait_for(10, &format!("email {n} to {address}"), || emails_to(app, address).get(n - 1).cloned())
}

/// The token of the link in an email, after checking the link starts with the public base URL.
fn link_token(app: &TestApp, email: &Value) -> String {
    let text = email["text"].as_str().unwrap_or_default();
    let prefix = format!("{}/app/link#", app.url(""));
    let start = text.find(&prefix).unwrap_or_else(|| panic!("no link to {prefix} in {text}"));
    text[start + prefix.len()..].split_whitespace().next().unwrap_or_default().to_owned()
}

/// The session token from a sign-in's `Set-Cookie`, after checking its attributes.
fn session_cookie(answer: &Answer) -> String {
    let set = answer.header("set-cookie").unwrap_or_else(|| panic!("no cookie: {answer:?}"));
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=2592000"] {
        assert!(set.split("; ").any(|a| a == attribute), "{attribute} missing: {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let value = set.split(';').next().and_then(|pair| pair.strip_prefix(&format!("{COOKIE}=")));
    value.unwrap_or_else(|| panic!("not the session cookie: {set}")).to_owned()
}

fn sign_up(app: &TestApp, ip: &str, business: &str, address: &str) -> Answer {
    let body = json!({"business_name": business, "email": address});
    call(app, "POST", "/v1/account/sign-up", &browser(app, ip), Some(&body))
}

fn use_link(app: &TestApp, ip: &str, token: &str) -> Answer {
    call(app, "POST", "/v1/account/sessions", &browser(app, ip), Some(&json!({"link": token})))
}

/// Signs up `address` for a new business and confirms it: the new owner's session cookie.
pub fn new_owner(app: &TestApp, ip: &str, business: &str, address: &str) -> (String, Value) {
    assert_eq!(sign_up(app, ip, business, address).status, 202);
    let token = link_token(app, &nth_email(app, address, 1));
    let answer = use_link(app, ip, &token);
    assert_eq!(answer.status, 201, "{}", answer.body);
    (session_cookie(&answer), answer.json())
}

fn account(app: &TestApp, cookie: &str) -> Answer {
    call(app, "GET", "/v1/account", &with_cookie(Vec::new(), cookie), None)
}

#[test]
fn a_confirmed_sign_up_creates_the_business_its_owner_and_a_working_form() {
    let app = TestApp::get();
    let ip = "198.51.100.1";
    let answer = sign_up(app, ip, "  Acme \n Roofing ", "Owner@Acme-Signup.example");
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let email = nth_email(app, "owner@acme-signup.example", 1);
    assert_eq!(email["subject"], "Confirm your email to start using Inlet");
    // The email carries none of the request's words, only the link.
    assert!(!email["text"].as_str().unwrap_or_default().contains("Acme"), "{email}");
    let token = link_token(app, &email);
    assert_eq!(token.len(), 52);
    // Only the hash is stored.
    let stored =
        app.query("SELECT token_hash FROM links WHERE email = 'owner@acme-signup.example'");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0]["token_hash"], json!(token));

    let signed_in = use_link(app, ip, &token);
    assert_eq!(signed_in.status, 201, "{}", signed_in.body);
    let cookie = session_cookie(&signed_in);
    let body = signed_in.json();
    assert_eq!(body["user"]["email"], "owner@acme-signup.example");
    assert_eq!(body["user"]["has_password"], false);
    let businesses = body["businesses"].as_array().cloned().unwrap_or_default();
    assert_eq!(businesses.len(), 1, "{body}");
    assert_eq!(businesses[0]["name"], "Acme Roofing");
    assert_eq!(businesses[0]["role"], "owner");
    let tenant = businesses[0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    assert!(tenant.starts_with("t_") && tenant.len() == 28, "{tenant}");

    // The same account, read back with the cookie alone.
    let read = account(app, &cookie);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json(), body);

    // Its first form is live: the widget can fetch it and a visitor can send a lead.
    let forms = app.query(&format!("SELECT id FROM forms WHERE tenant_id = '{tenant}'"));
    assert_eq!(forms.len(), 1, "{forms:?}");
    let form_id = forms[0]["id"].as_str().unwrap_or_default().to_owned();
    let form = app.get_path(&format!("/v1/forms/{form_id}"));
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("I agree that Acme Roofing may contact me"), "{}", form.body);

    // The link worked once.
    use_link(app, ip, &token).assert_problem(400, "link_invalid");
}

#[test]
fn the_answers_never_say_whether_an_address_has_an_account() {
    let app = TestApp::get();
    let ip = "198.51.100.2";
    let known = "known@answers.example";
    let (_, _) = new_owner(app, ip, "Known", known);

    // Signing up again is answered as a first sign-up is, and the email offers a sign-in instead.
    let again = sign_up(app, ip, "Known again", known);
    let first = sign_up(app, ip, "Unknown", "unknown@answers.example");
    assert_eq!((again.status, again.json()), (first.status, first.json()));
    let email = nth_email(app, known, 2);
    assert_eq!(email["subject"], "You already have an Inlet account");
    let signed_in = use_link(app, ip, &link_token(app, &email));
    assert_eq!(signed_in.status, 201, "{}", signed_in.body);
    assert_eq!(signed_in.json()["businesses"].as_array().map(Vec::len), Some(1));

    // A sign-in link for an address without an account: the same answer, and no email.
    let ask = |address: &str| {
        let body = json!({"email": address});
        call(app, "POST", "/v1/account/sign-in-links", &browser(app, ip), Some(&body))
    };
    let for_known = ask(known);
    let for_nobody = ask("nobody@answers.example");
    assert_eq!(for_known.status, 202);
    assert_eq!((for_known.status, for_known.json()), (for_nobody.status, for_nobody.json()));
    let email = nth_email(app, known, 3);
    assert_eq!(email["subject"], "Your Inlet sign-in link");
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(emails_to(app, "nobody@answers.example").is_empty());
}

#[test]
fn forged_reused_and_expired_links_are_refused_alike() {
    let app = TestApp::get();
    let ip = "198.51.100.3";
    for forged in ["", "abc", &"0".repeat(52), &"Z".repeat(52), "../../etc/passwd"] {
        use_link(app, ip, forged).assert_problem(400, "link_invalid");
    }
    let address = "late@links.example";
    assert_eq!(sign_up(app, ip, "Late", address).status, 202);
    let token = link_token(app, &nth_email(app, address, 1));
    app.query(&format!("UPDATE links SET expires_at = 0 WHERE email = '{address}'"));
    use_link(app, ip, &token).assert_problem(400, "link_invalid");
    // Nothing was created from it.
    let users = app.query(&format!("SELECT id FROM users WHERE email = '{address}'"));
    assert!(users.is_empty(), "{users:?}");
    // Neither, nor both, credentials.
    let both = json!({"link": token, "email": address, "password": "x"});
    call(app, "POST", "/v1/account/sessions", &browser(app, ip), Some(&both))
        .assert_problem(400, "malformed_json");
}

#[test]
fn sessions_are_listed_ended_one_by_one_or_everywhere() {
    let app = TestApp::get();
    let ip = "198.51.100.4";
    let address = "owner@sessions.example";
    let (first, body) = new_owner(app, ip, "Sessions", address);
    let first_id = body["session_id"].as_str().unwrap_or_default().to_owned();
    // A second session, from a sign-in link.
    let ask = json!({"email": address});
    assert_eq!(
        call(app, "POST", "/v1/account/sign-in-links", &browser(app, ip), Some(&ask)).status,
        202
    );
    let second_answer = use_link(app, ip, &link_token(app, &nth_email(app, address, 2)));
    let second = session_cookie(&second_answer);
    let second_id = second_answer.json()["session_id"].as_str().unwrap_or_default().to_owned();

    let listed = call(app, "GET", "/v1/account/sessions", &with_cookie(Vec::new(), &first), None);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let sessions = listed.json()["sessions"].as_array().cloned().unwrap_or_default();
    let ids: Vec<(&str, bool)> = sessions
        .iter()
        .map(|s| (s["id"].as_str().unwrap_or_default(), s["current"] == json!(true)))
        .collect();
    assert_eq!(ids, [(second_id.as_str(), false), (first_id.as_str(), true)]);

    // Another person cannot end this person's session, and learns nothing trying.
    let (stranger, _) = new_owner(app, ip, "Stranger", "stranger@sessions.example");
    let path = format!("/v1/account/sessions/{second_id}");
    call(app, "DELETE", &path, &with_cookie(browser(app, ip), &stranger), None)
        .assert_problem(404, "session_not_found");
    assert_eq!(account(app, &second).status, 200);

    // Signing out of the second session ends it alone and takes its cookie back.
    let out = call(app, "DELETE", &path, &with_cookie(browser(app, ip), &second), None);
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")), "{out:?}");
    account(app, &second).assert_problem(401, "session_required");
    assert_eq!(account(app, &first).status, 200);

    // Everywhere: the first session ends too.
    let everywhere =
        call(app, "DELETE", "/v1/account/sessions", &with_cookie(browser(app, ip), &first), None);
    assert_eq!(everywhere.status, 204, "{}", everywhere.body);
    account(app, &first).assert_problem(401, "session_required");
    assert_eq!(account(app, &stranger).status, 200);
}

#[test]
fn forged_idle_and_expired_sessions_are_refused() {
    let app = TestApp::get();
    let ip = "198.51.100.5";
    account(app, &"0".repeat(52)).assert_problem(401, "session_required");
    account(app, "not-a-token").assert_problem(401, "session_required");
    call(app, "GET", "/v1/account", &[], None).assert_problem(401, "session_required");

    let (idle, body) = new_owner(app, ip, "Idle", "owner@idle.example");
    let id = body["session_id"].as_str().unwrap_or_default().to_owned();
    // Unused for 8 days: past the 7-day idle end.
    let eight_days_ago = now_ms() - 8 * 86_400_000;
    app.query(&format!("UPDATE sessions SET last_used_at = {eight_days_ago} WHERE id = '{id}'"));
    account(app, &idle).assert_problem(401, "session_required");

    let (old, body) = new_owner(app, ip, "Old", "owner@old.example");
    let id = body["session_id"].as_str().unwrap_or_default().to_owned();
    app.query(&format!("UPDATE sessions SET expires_at = {} WHERE id = '{id}'", now_ms() - 1));
    account(app, &old).assert_problem(401, "session_required");
}

pub use xtask::stack::now_ms;

#[test]
fn requests_from_other_sites_are_refused() {
    let app = TestApp::get();
    let ip = "198.51.100.6";
    let (cookie, _) = new_owner(app, ip, "Forged", "owner@forged.example");
    let sign_up_body = json!({"business_name": "X", "email": "x@forged.example"});
    let password = json!({"password": "heron violin tuesday marmalade"});
    let attacks: Vec<Vec<(String, String)>> = vec![
        // A cross-site fetch from a modern browser.
        vec![("sec-fetch-site".into(), "cross-site".into())],
        // A sibling subdomain is the same site but not the same origin.
        vec![("sec-fetch-site".into(), "same-site".into())],
        // An older browser: no Sec-Fetch-Site, another Origin.
        vec![("origin".into(), "https://evil.example".into())],
        vec![("origin".into(), "null".into())],
        // A lying pair: same-origin, but another Origin.
        vec![
            ("sec-fetch-site".into(), "same-origin".into()),
            ("origin".into(), "https://evil.example".into()),
        ],
    ];
    for attack in attacks {
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("cf-connecting-ip".to_owned(), ip.to_owned()),
        ];
        headers.extend(attack.clone());
        let signed = with_cookie(headers.clone(), &cookie);
        for (method, path, body, headers) in [
            ("POST", "/v1/account/sign-up", Some(&sign_up_body), &headers),
            ("POST", "/v1/account/password", Some(&password), &signed),
            ("DELETE", "/v1/account/sessions", None, &signed),
        ] {
            call(app, method, path, headers, body).assert_problem(403, "cross_site_request");
        }
        let _ = attack;
    }
    // A form post (text/plain, as an HTML form can send) is refused even from the same origin.
    let mut form_post = with_cookie(browser(app, ip), &cookie);
    form_post[0].1 = "text/plain".into();
    call(app, "POST", "/v1/account/password", &form_post, Some(&password))
        .assert_problem(415, "unsupported_media_type");
    // None of it changed anything.
    let read = account(app, &cookie);
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["user"]["has_password"], false);
}

#[test]
fn a_password_is_set_under_the_rule_and_signs_in() {
    let app = TestApp::get();
    let ip = "198.51.100.7";
    let address = "owner@password.example";
    let (cookie, _) = new_owner(app, ip, "Password", address);
    // A second session, which setting the password ends.
    let ask = json!({"email": address});
    call(app, "POST", "/v1/account/sign-in-links", &browser(app, ip), Some(&ask));
    let other = session_cookie(&use_link(app, ip, &link_token(app, &nth_email(app, address, 2))));

    let set = |password: &str| {
        let body = json!({"password": password});
        call(
            app,
            "POST",
            "/v1/account/password",
            &with_cookie(browser(app, ip), &cookie),
            Some(&body),
        )
    };
    for weak in ["short", "1234567890", "  QWERTYUIOP  ", "password  ", &"x".repeat(129)] {
        set(weak).assert_problem(422, "password_not_accepted");
    }
    let chosen = "heron violin tuesday marmalade";
    assert_eq!(set(chosen).status, 204);
    assert_eq!(account(app, &cookie).json()["user"]["has_password"], true);
    account(app, &other).assert_problem(401, "session_required");
    let stored = app.query(&format!("SELECT password_hash FROM users WHERE email = '{address}'"));
    let phc = stored[0]["password_hash"].as_str().unwrap_or_default().to_owned();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!phc.contains(chosen));

    let sign_in = |email: &str, password: &str| {
        let body = json!({"email": email, "password": password});
        call(app, "POST", "/v1/account/sessions", &browser(app, ip), Some(&body))
    };
    let answer = sign_in(" Owner@Password.Example ", chosen);
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(account(app, &session_cookie(&answer)).json()["user"]["email"], address);
    // A wrong password and an unknown address are answered alike.
    let wrong = sign_in(address, "heron violin tuesday marmalades");
    let unknown = sign_in("nobody@password.example", chosen);
    let (a, b) = (
        wrong.assert_problem(401, "sign_in_failed"),
        unknown.assert_problem(401, "sign_in_failed"),
    );
    assert_eq!(a, b);
    // A person without a password cannot sign in with one.
    let (_, _) = new_owner(app, ip, "Linked", "owner@linked.example");
    sign_in("owner@linked.example", "").assert_problem(401, "sign_in_failed");
}

#[test]
fn password_sign_ins_are_limited_per_account_and_per_client() {
    let app = TestApp::get();
    let address = "owner@limited.example";
    let (cookie, _) = new_owner(app, "198.51.100.8", "Limited", address);
    let chosen = "a long and unusual passphrase";
    let body = json!({"password": chosen});
    let headers = with_cookie(browser(app, "198.51.100.8"), &cookie);
    assert_eq!(call(app, "POST", "/v1/account/password", &headers, Some(&body)).status, 204);
    let sign_in = |ip: &str, password: &str| {
        let body = json!({"email": address, "password": password});
        call(app, "POST", "/v1/account/sessions", &browser(app, ip), Some(&body))
    };
    // Ten wrong guesses from ten clients, then even the right password waits: the account's budget.
    for n in 0..10 {
        sign_in(&format!("203.0.113.{n}"), "wrong guess number")
            .assert_problem(401, "sign_in_failed");
    }
    let limited = sign_in("203.0.113.99", chosen);
    limited.assert_problem(429, "rate_limited");
    assert!(
        limited.header("retry-after").and_then(|s| s.parse::<u32>().ok()).is_some_and(|s| s > 0)
    );

    // One client guessing across many accounts meets its own budget (50 in 15 minutes).
    let guesser = "192.0.2.77";
    for n in 0..50 {
        let body =
            json!({"email": format!("guess{n}@limited.example"), "password": "whatever it is"});
        call(app, "POST", "/v1/account/sessions", &browser(app, guesser), Some(&body))
            .assert_problem(401, "sign_in_failed");
    }
    let body = json!({"email": "guess50@limited.example", "password": "whatever it is"});
    call(app, "POST", "/v1/account/sessions", &browser(app, guesser), Some(&body))
        .assert_problem(429, "rate_limited");
}

#[test]
fn emailed_links_are_limited_per_address() {
    let app = TestApp::get();
    let address = "flooded@links.example";
    let ask = |ip: &str| {
        let body = json!({"email": address});
        call(app, "POST", "/v1/account/sign-in-links", &browser(app, ip), Some(&body))
    };
    // From five clients, five links; the sixth from a sixth client still waits.
    for n in 0..5 {
        assert_eq!(ask(&format!("203.0.113.{}", 100 + n)).status, 202);
    }
    ask("203.0.113.110").assert_problem(429, "rate_limited");
}

#[test]
fn sign_up_checks_its_fields() {
    let app = TestApp::get();
    let answer = sign_up(app, "198.51.100.9", " ", "not an address");
    let body = answer.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["business_name", "email"]);
    let unknown = json!({"business_name": "A", "email": "a@fields.example", "admin": true});
    call(app, "POST", "/v1/account/sign-up", &browser(app, "198.51.100.9"), Some(&unknown))
        .assert_problem(400, "malformed_json");
}

#[test]
fn a_business_is_visible_to_its_members_only() {
    let app = TestApp::get();
    let ip = "198.51.100.10";
    let (owner, body) = new_owner(app, ip, "Isolated", "owner@isolated.example");
    let tenant = body["businesses"][0]["tenant_id"].as_str().unwrap_or_default().to_owned();
    let (stranger, _) = new_owner(app, ip, "Neighbour", "owner@neighbour.example");
    let forms = |cookie: Option<&str>, tenant: &str| {
        let headers = cookie.map(|c| with_cookie(Vec::new(), c)).unwrap_or_default();
        call(app, "GET", &format!("/v1/tenants/{tenant}/forms"), &headers, None)
    };
    let own = forms(Some(&owner), &tenant);
    assert_eq!(own.status, 200, "{}", own.body);
    let listed = own.json();
    assert_eq!(listed["forms"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["forms"][0]["title"], "Contact us");

    // Another business's owner, a seeded business nobody belongs to, and a business that does not
    // exist are all answered alike, with nothing of the business in the answer.
    let theirs = forms(Some(&stranger), &tenant).assert_problem(404, "business_not_found");
    let seeded = forms(Some(&owner), "t_roofer").assert_problem(404, "business_not_found");
    let missing = forms(Some(&owner), "t_nothing").assert_problem(404, "business_not_found");
    assert_eq!((&theirs, &seeded), (&missing, &missing));
    assert!(!theirs.to_string().contains("Contact us"));
    forms(None, &tenant).assert_problem(401, "session_required");
}

#[test]
fn every_dashboard_address_answers_the_app() {
    let app = TestApp::get();
    for page in ["/app/account", "/app/link", "/app/b/t_1/leads/ld_1", "/app"] {
        let answer = app.get_path(page);
        assert_eq!(answer.status, 200, "{page}: {}", answer.body);
        assert_eq!(answer.header("content-type"), Some("text/html; charset=utf-8"), "{page}");
        assert!(answer.body.contains(r#"src="/app/main.js""#), "{page}: {}", answer.body);
        let policy = answer.header("content-security-policy").unwrap_or_default();
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }
    // The app's own files are static assets, under the same policy.
    let index = app.get_path("/app/");
    assert_eq!(index.status, 200);
    assert!(
        index.header("content-security-policy").is_some_and(|p| p.contains("'wasm-unsafe-eval'"))
    );
    // Not a way around the API: an unknown API address is still a 404 problem.
    app.get_path("/v1/nothing").assert_problem(404, "not_found");
    app.send("POST", "/app/account", &[], None).assert_problem(405, "method_not_allowed");
}
