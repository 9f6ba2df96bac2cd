//! Forwarding through the real runtime: destinations through a business's API key, the queue and its
//! dead-letter queue in workerd, local receivers standing in for webhook endpoints, the email
//! provider and Twilio. Signatures are checked with the reference `standardwebhooks` library.

use crate::helpers::{
    EMAIL_API_KEY, EMAIL_FROM, ROOFER_ORIGIN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM,
    TestApp, good_alpha_lead, wait_for,
};
use crate::receiver::Received;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// Posts a good lead to `form` and returns its id.
fn post_lead(app: &TestApp, form: &str, email: &str) -> String {
    let mut lead = good_alpha_lead(email);
    lead["fields"]["phone"] = json!("(415) 555-2671");
    lead["fields"]["message"] = json!("The roof leaks <over> the kitchen & hall.");
    let answer = app.post_lead(form, &lead, Some(ROOFER_ORIGIN));
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["id"].as_str().unwrap_or_default().to_owned()
}

/// Verifies a received webhook with the reference library, through Node.
fn verified_by_reference_library(secret: &str, request: &Received) -> Result<(), String> {
    let headers: BTreeMap<&str, &str> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .filter_map(|name| Some((name, request.header(name)?)))
        .collect();
    let input = json!({"secret": secret, "headers": headers, "body": request.body}).to_string();
    let root = xtask::root();
    let mut child = Command::new(xtask::tools::Tools::locate().node())
        .arg(root.join("edge/tests/verify-webhook.mjs"))
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).map_err(|e| e.to_string())?;
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() && said == "verified" { Ok(()) } else { Err(said) }
}

fn wait_for_status(app: &TestApp, delivery_id: &str, status: &str, seconds: u64) -> Value {
    wait_for(seconds, &format!("delivery {delivery_id} to be {status}"), || {
        let delivery = app.delivery(delivery_id);
        (delivery["status"] == status).then_some(delivery)
    })
}

/// The id of the one delivery a lead has (the form has one destination).
fn only_delivery(app: &TestApp, lead_id: &str) -> String {
    wait_for(10, "the delivery", || {
        app.deliveries_of(lead_id).first().map(|d| d["id"].as_str().unwrap_or_default().to_owned())
    })
}

fn outcomes(delivery: &Value) -> Vec<(String, Option<u64>)> {
    delivery["attempt_log"]
        .as_array()
        .map(|log| {
            log.iter()
                .map(|a| {
                    (
                        a["outcome"].as_str().unwrap_or_default().to_owned(),
                        a["status_code"].as_u64(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn destinations_need_a_key_or_a_session_and_keep_tenants_apart() {
    let app = TestApp::get();
    let path = "/v1/tenants/t_roofer/forms/isolated/destinations";
    let body = json!({"kind": "webhook", "url": app.hook_url("/ok/isolated")}).to_string();
    let bearer = format!("Bearer {}", app.operator_token);
    let forged = format!("Bearer inlet_{}", "a".repeat(52));
    for (headers, code) in [
        (vec![], "session_required"),
        (vec![("authorization", "Bearer not-the-token-at-all")], "api_key_invalid"),
        (vec![("authorization", "Basic abc")], "api_key_invalid"),
        (vec![("authorization", forged.as_str())], "api_key_invalid"),
        // The operator's token bootstraps businesses; it opens none of their data.
        (vec![("authorization", bearer.as_str())], "api_key_invalid"),
    ] {
        let mut headers = headers;
        headers.push(("content-type", "application/json"));
        let answer = app.send("POST", path, &headers, Some(&body));
        answer.assert_problem(401, code);
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
    let created = app.add_destination(
        "isolated",
        json!({"kind": "webhook", "url": app.hook_url("/ok/isolated")}),
    );
    let id = created["id"].as_str().unwrap_or_default();
    assert!(created["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")));
    // Another tenant's path sees neither the form nor the destination.
    app.integrator("GET", "/v1/tenants/t_clinic/forms/isolated/destinations", None)
        .assert_problem(404, "form_not_found");
    app.integrator("GET", &format!("/v1/tenants/t_clinic/destinations/{id}"), None)
        .assert_problem(404, "destination_not_found");
    app.integrator("DELETE", &format!("/v1/tenants/t_clinic/destinations/{id}"), None)
        .assert_problem(404, "destination_not_found");
    // Nor the deliveries of a lead of t_roofer, in the log, one by one, or to replay.
    let lead_id = post_lead(app, "isolated", "isolated@example.com");
    let delivery_id = only_delivery(app, &lead_id);
    let theirs = app.integrator("GET", "/v1/tenants/t_clinic/deliveries", None);
    assert_eq!(theirs.json()["items"], json!([]));
    app.integrator("GET", &format!("/v1/tenants/t_clinic/deliveries/{delivery_id}"), None)
        .assert_problem(404, "delivery_not_found");
    app.integrator("POST", &format!("/v1/tenants/t_clinic/deliveries/{delivery_id}/replay"), None)
        .assert_problem(404, "delivery_not_found");
    app.integrator("POST", &format!("/v1/tenants/t_clinic/destinations/{id}/rotate-secret"), None)
        .assert_problem(404, "destination_not_found");
    // The secret is shown once: never in a read.
    let read = app.integrator("GET", &format!("/v1/tenants/t_roofer/destinations/{id}"), None);
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["secret"], Value::Null);
    assert_eq!(read.header("cache-control"), Some("no-store"));
    let listed = app.integrator("GET", path, None).json();
    assert!(!listed.to_string().contains("whsec_"), "{listed}");
}

#[test]
fn bad_destinations_are_refused_with_a_code() {
    let app = TestApp::get();
    let path = "/v1/tenants/t_roofer/forms/isolated/destinations";
    for (body, code) in [
        (json!({"kind": "email", "to": ["not-an-email"]}), "destination_invalid"),
        (json!({"kind": "sms", "to": "12"}), "destination_invalid"),
        (json!({"kind": "pigeon"}), "destination_invalid"),
        (json!({"kind": "webhook", "url": "ftp://example.com/"}), "destination_invalid"),
    ] {
        app.integrator("POST", path, Some(&body)).assert_problem(422, code);
    }
    app.integrator(
        "POST",
        path,
        Some(&json!({"kind": "webhook", "url": "https://a.example", "secret": "mine"})),
    )
    .assert_problem(400, "malformed_json");
    app.integrator(
        "POST",
        "/v1/tenants/t_roofer/forms/nope/destinations",
        Some(&json!({"kind": "sms", "to": "+14155552671"})),
    )
    .assert_problem(404, "form_not_found");
    app.integrator("GET", "/v1/tenants/t_roofer/deliveries?status=lost", None)
        .assert_problem(400, "query_invalid");
    app.integrator("GET", "/v1/tenants/t_roofer/deliveries?limit=0", None)
        .assert_problem(400, "query_invalid");
    // A form takes at most 100 destinations, a guard on the work one submission causes.
    let crowded = "/v1/tenants/t_roofer/forms/crowded/destinations";
    for n in 0..100 {
        let answer = app.integrator(
            "POST",
            crowded,
            Some(&json!({"kind": "email", "to": format!("n{n}@roofer.example")})),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    app.integrator(
        "POST",
        crowded,
        Some(&json!({"kind": "email", "to": "one-more@roofer.example"})),
    )
    .assert_problem(422, "destination_invalid");
    app.integrator("POST", "/v1/tenants/t_roofer/deliveries/msg_nothing/replay", None)
        .assert_problem(404, "delivery_not_found");
}

#[test]
fn a_lead_reaches_a_webhook_an_email_an_sms_and_a_slack_channel() {
    let app = TestApp::get();
    let webhook = app.add_destination(
        "relay",
        json!({"kind": "webhook", "url": app.hook_url("/ok/relay"), "name": "CRM"}),
    );
    let email_destination =
        app.add_destination("relay", json!({"kind": "email", "to": ["owner@roofer.example"]}));
    app.add_destination("relay", json!({"kind": "sms", "to": "(415) 555-0100"}));
    app.add_destination("relay", json!({"kind": "slack", "url": app.hook_url("/ok/relay-slack")}));
    let lead_id = post_lead(app, "relay", "relay@example.com");

    // The webhook: Standard Webhooks headers, a signature the reference library accepts, the payload.
    let hook = wait_for(20, "the webhook", || app.hook_requests("/ok/relay").into_iter().next());
    let secret = webhook["secret"].as_str().unwrap_or_default();
    assert_eq!(verified_by_reference_library(secret, &hook), Ok(()));
    assert_eq!(hook.header("content-type"), Some("application/json"));
    assert!(hook.header("webhook-id").is_some_and(|id| id.starts_with("msg_")));
    let payload: Value = serde_json::from_str(&hook.body).unwrap_or_default();
    assert_eq!(payload["type"], "lead.created");
    assert_eq!(payload["version"], 1);
    assert_eq!(payload["data"]["id"], lead_id.as_str());
    assert_eq!(payload["data"]["fields"]["email"], "relay@example.com");
    assert_eq!(payload["data"]["phone"], "+14155552671");
    assert_eq!(payload["data"]["consents"][0]["version"], "v3");
    // A tampered body does not verify: the check above is not vacuous.
    let tampered = Received { body: hook.body.replace("relay@", "other@"), ..hook.clone() };
    assert!(verified_by_reference_library(secret, &tampered).is_err());

    // The email, exactly as the provider's API takes it.
    let email = wait_for(20, "the email", || {
        app.email.received().into_iter().find(|r| r.body.contains(&lead_id))
    });
    assert_eq!((email.method.as_str(), email.path.as_str()), ("POST", "/emails"));
    assert_eq!(email.header("authorization"), Some(format!("Bearer {EMAIL_API_KEY}").as_str()));
    let sent: Value = serde_json::from_str(&email.body).unwrap_or_default();
    assert_eq!(sent["from"], EMAIL_FROM);
    assert_eq!(sent["to"], json!(["owner@roofer.example"]));
    assert_eq!(sent["reply_to"], "relay@example.com");
    assert_eq!(sent["subject"], "New lead: Ada (Roof quote)");
    let text = sent["text"].as_str().unwrap_or_default();
    assert!(text.contains("Name: Ada\nEmail: relay@example.com\nPhone: +14155552671\n"), "{text}");
    assert!(text.contains("Message: The roof leaks <over> the kitchen & hall.\n"), "{text}");

    // The SMS, exactly as Twilio's Messages API takes it.
    let sms = wait_for(20, "the SMS", || {
        app.sms.received().into_iter().find(|r| r.body.contains("relay%40example.com"))
    });
    assert_eq!(sms.path, format!("/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"));
    assert_eq!(sms.header("content-type"), Some("application/x-www-form-urlencoded"));
    let basic = STANDARD.encode(format!("{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}"));
    assert_eq!(sms.header("authorization"), Some(format!("Basic {basic}").as_str()));
    let form: BTreeMap<String, String> =
        url::form_urlencoded::parse(sms.body.as_bytes()).into_owned().collect();
    assert_eq!(form.get("To").map(String::as_str), Some("+14155550100"));
    assert_eq!(form.get("From").map(String::as_str), Some(TWILIO_FROM));
    let body = form.get("Body").cloned().unwrap_or_default();
    assert!(
        body.starts_with("New lead (Roof quote): Ada, +14155552671, relay@example.com."),
        "{body}"
    );
    assert!(body.chars().count() <= 160);

    // The Slack-style message escapes markup.
    let slack = wait_for(20, "the Slack message", || {
        app.hook_requests("/ok/relay-slack").into_iter().next()
    });
    let text: Value = serde_json::from_str(&slack.body).unwrap_or_default();
    assert!(
        text["text"].as_str().is_some_and(|t| t.contains("&lt;over&gt; the kitchen &amp; hall")),
        "{text}"
    );

    // The log: four deliveries, each delivered at the first attempt.
    let deliveries = wait_for(20, "four delivered", || {
        let all = app.deliveries_of(&lead_id);
        (all.len() == 4 && all.iter().all(|d| d["status"] == "delivered")).then_some(all)
    });
    let webhook_delivery = deliveries
        .iter()
        .find(|d| d["destination_id"] == webhook["id"])
        .cloned()
        .unwrap_or_default();
    assert_eq!(webhook_delivery["id"].as_str(), hook.header("webhook-id"));
    // The email carries its delivery's id as the provider's idempotency key, the same on every
    // attempt, so a retry after a lost answer never sends the business a second email.
    let email_delivery = deliveries
        .iter()
        .find(|d| d["destination_id"] == email_destination["id"])
        .cloned()
        .unwrap_or_default();
    assert!(
        email_delivery["id"].as_str().is_some_and(|id| id.starts_with("msg_")),
        "{email_delivery}"
    );
    assert_eq!(email.header("idempotency-key"), email_delivery["id"].as_str());
    let log = app.delivery(webhook_delivery["id"].as_str().unwrap_or_default());
    assert_eq!(outcomes(&log), [("delivered".to_owned(), Some(204))]);
    assert!(log["attempt_log"][0]["duration_ms"].as_u64().is_some());
}

#[test]
fn the_visitor_never_waits_for_a_destination() {
    let app = TestApp::get();
    app.add_destination("slow", json!({"kind": "webhook", "url": app.hook_url("/slow/five")}));
    let started = std::time::Instant::now();
    let lead_id = post_lead(app, "slow", "slow@example.com");
    let answered = started.elapsed();
    // The receiver takes 3 s; the visitor's 201 came long before.
    assert!(answered.as_millis() < 2_000, "the 201 took {answered:?}");
    let delivery_id = only_delivery(app, &lead_id);
    let delivered = wait_for_status(app, &delivery_id, "delivered", 20);
    assert!(
        delivered["attempt_log"][0]["duration_ms"].as_u64().is_some_and(|ms| ms >= 2_900),
        "{delivered}"
    );
}

#[test]
fn a_receiver_that_fails_twice_gets_the_lead_with_the_same_webhook_id() {
    let app = TestApp::get();
    let destination =
        app.add_destination("flaky", json!({"kind": "webhook", "url": app.hook_url("/flaky/one")}));
    let lead_id = post_lead(app, "flaky", "flaky@example.com");
    let delivery_id = only_delivery(app, &lead_id);
    let delivered = wait_for_status(app, &delivery_id, "delivered", 30);
    assert_eq!(
        outcomes(&delivered),
        [
            ("retry".to_owned(), Some(503)),
            ("retry".to_owned(), Some(503)),
            ("delivered".to_owned(), Some(200))
        ]
    );
    let requests = app.hook_requests("/flaky/one");
    assert_eq!(requests.len(), 3);
    let secret = destination["secret"].as_str().unwrap_or_default();
    for request in &requests {
        assert_eq!(request.header("webhook-id"), Some(delivery_id.as_str()));
        assert_eq!(verified_by_reference_library(secret, request), Ok(()));
    }
    // Backoff: the retries waited for the schedule (1 s) rather than hammering.
    for pair in requests.windows(2) {
        assert!(pair[1].at.duration_since(pair[0].at).as_millis() >= 900, "retried too soon");
    }
}

#[test]
fn a_receiver_that_never_recovers_ends_dead_and_a_replay_delivers() {
    let app = TestApp::get();
    app.add_destination("dead", json!({"kind": "webhook", "url": app.hook_url("/down/two")}));
    let lead_id = post_lead(app, "dead", "dead@example.com");
    let delivery_id = only_delivery(app, &lead_id);
    // Four attempts (the shortened schedule), then the dead-letter queue's consumer marks it dead.
    let dead = wait_for_status(app, &delivery_id, "dead", 40);
    let log = outcomes(&dead);
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log[..3].iter().all(|o| *o == ("retry".to_owned(), Some(500))), "{log:?}");
    assert_eq!(log[3], ("exhausted".to_owned(), Some(500)));
    let listed = app.integrator("GET", "/v1/tenants/t_roofer/deliveries?status=dead", None).json();
    assert!(
        listed["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|d| d["id"] == delivery_id.as_str()))
    );

    // The lead's page shows the delivery with every attempt, and that it can be sent again.
    let page = app.integrator("GET", &format!("/v1/tenants/t_roofer/leads/{lead_id}"), None).json();
    let shown = &page["deliveries"][0];
    assert_eq!(
        (shown["id"].as_str(), shown["status"].as_str()),
        (Some(delivery_id.as_str()), Some("dead"))
    );
    assert_eq!(shown["replayable"], true);
    let attempts: Vec<(u64, &str, u64)> = shown["attempts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let number = a["number"].as_u64().unwrap_or_default();
            (
                number,
                a["outcome"].as_str().unwrap_or_default(),
                a["status_code"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [(1, "retry", 500), (2, "retry", 500), (3, "retry", 500), (4, "exhausted", 500)]
    );

    // Replay before the receiver recovers is allowed; after it recovers the lead arrives.
    app.recover("two");
    let replayed = app.integrator(
        "POST",
        &format!("/v1/tenants/t_roofer/deliveries/{delivery_id}/replay"),
        None,
    );
    assert_eq!(replayed.status, 202, "{}", replayed.body);
    let delivered = wait_for_status(app, &delivery_id, "delivered", 20);
    assert_eq!(outcomes(&delivered).last(), Some(&("delivered".to_owned(), Some(200))));
    let requests = app.hook_requests("/down/two");
    assert_eq!(requests.len(), 5);
    assert!(requests.iter().all(|r| r.header("webhook-id") == Some(delivery_id.as_str())));
    // A delivered delivery is not replayed.
    app.integrator("POST", &format!("/v1/tenants/t_roofer/deliveries/{delivery_id}/replay"), None)
        .assert_problem(409, "delivery_not_replayable");
    let page = app.integrator("GET", &format!("/v1/tenants/t_roofer/leads/{lead_id}"), None).json();
    assert_eq!(
        (page["deliveries"][0]["status"].as_str(), &page["deliveries"][0]["replayable"]),
        (Some("delivered"), &json!(false))
    );
    assert_eq!(page["deliveries"][0]["attempts"].as_array().map(Vec::len), Some(5));
}

#[test]
fn gone_disables_the_destination_and_other_4xx_are_final() {
    let app = TestApp::get();
    let gone =
        app.add_destination("gone", json!({"kind": "webhook", "url": app.hook_url("/gone/three")}));
    let lead_id = post_lead(app, "gone", "gone@example.com");
    let delivery_id = only_delivery(app, &lead_id);
    let failed = wait_for_status(app, &delivery_id, "failed", 20);
    assert_eq!(outcomes(&failed), [("gone".to_owned(), Some(410))]);
    let destination = app
        .integrator(
            "GET",
            &format!(
                "/v1/tenants/t_roofer/destinations/{}",
                gone["id"].as_str().unwrap_or_default()
            ),
            None,
        )
        .json();
    assert_eq!(
        (destination["enabled"].clone(), destination["disabled_reason"].clone()),
        (json!(false), json!("gone"))
    );
    // New leads no longer go to it, and replaying to it is refused until it is switched on again.
    let next = post_lead(app, "gone", "gone2@example.com");
    assert_eq!(app.deliveries_of(&next), Vec::<Value>::new());
    app.integrator("POST", &format!("/v1/tenants/t_roofer/deliveries/{delivery_id}/replay"), None)
        .assert_problem(409, "delivery_not_replayable");

    app.add_destination("refused", json!({"kind": "webhook", "url": app.hook_url("/bad/four")}));
    let lead_id = post_lead(app, "refused", "refused@example.com");
    let delivery_id = only_delivery(app, &lead_id);
    let failed = wait_for_status(app, &delivery_id, "failed", 20);
    assert_eq!(outcomes(&failed), [("refused".to_owned(), Some(400))]);
    assert_eq!(app.hook_requests("/bad/four").len(), 1);
}

#[test]
fn a_rotated_secret_signs_alongside_the_old_one_during_the_overlap() {
    let app = TestApp::get();
    let created = app
        .add_destination("rotate", json!({"kind": "webhook", "url": app.hook_url("/ok/rotate")}));
    let id = created["id"].as_str().unwrap_or_default();
    let old = created["secret"].as_str().unwrap_or_default().to_owned();
    let rotated = app.integrator(
        "POST",
        &format!("/v1/tenants/t_roofer/destinations/{id}/rotate-secret"),
        Some(&json!({"overlap_seconds": 3600})),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let rotated = rotated.json();
    let new = rotated["secret"].as_str().unwrap_or_default().to_owned();
    assert!(new.starts_with("whsec_") && new != old);
    assert!(rotated["previous_secret_expires_at"].as_str().is_some());

    post_lead(app, "rotate", "rotate@example.com");
    let hook = wait_for(20, "the webhook", || app.hook_requests("/ok/rotate").into_iter().next());
    assert_eq!(hook.header("webhook-signature").map(|s| s.split(' ').count()), Some(2));
    assert_eq!(verified_by_reference_library(&new, &hook), Ok(()));
    assert_eq!(verified_by_reference_library(&old, &hook), Ok(()));
    let stranger = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    assert!(verified_by_reference_library(stranger, &hook).is_err());
}

#[test]
fn a_bots_lead_is_stored_but_never_forwarded() {
    let app = TestApp::get();
    app.add_destination("spammed", json!({"kind": "webhook", "url": app.hook_url("/ok/spammed")}));
    let mut lead = good_alpha_lead("bot@example.com");
    lead["honeypot"] = json!("http://spam.example");
    let answer = app.post_lead("spammed", &lead, Some(ROOFER_ORIGIN));
    assert_eq!(answer.status, 201);
    let id = answer.json()["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(app.lead(&id).map(|row| row["spam"].clone()), Some(json!(1)));
    assert_eq!(app.deliveries_of(&id), Vec::<Value>::new());
    // A person's lead on the same form is forwarded, so the form is wired.
    post_lead(app, "spammed", "person@example.com");
    wait_for(20, "the person's webhook", || app.hook_requests("/ok/spammed").into_iter().next());
    assert_eq!(app.hook_requests("/ok/spammed").len(), 1);
}

#[test]
fn the_cron_sweep_queues_a_lost_delivery_again() {
    let app = TestApp::get();
    let destination =
        app.add_destination("swept", json!({"kind": "webhook", "url": app.hook_url("/ok/swept")}));
    // A lead whose queue message was lost: stored with a pending delivery that never reached the queue.
    let lead_id = post_lead(app, "swept", "swept@example.com");
    wait_for(20, "the first delivery", || app.hook_requests("/ok/swept").into_iter().next());
    let lost = "msg_lostlostlostlostlostlost0";
    let destination_id = destination["id"].as_str().unwrap_or_default();
    app.query(&format!(
        "INSERT INTO deliveries (tenant_id, id, lead_id, destination_id, status, next_attempt_at, created_at, updated_at) \
         VALUES ('t_roofer', '{lost}', '{lead_id}', '{destination_id}', 'pending', 1000, 1000, 1000)"
    ));
    let fired = app.send("GET", "/cdn-cgi/local/scheduled?cron=*/10+*+*+*+*", &[], None);
    assert_eq!(fired.status, 200, "{}", fired.body);
    wait_for_status(app, lost, "delivered", 20);
    let hooks = app.hook_requests("/ok/swept");
    assert!(hooks.iter().any(|r| r.header("webhook-id") == Some(lost)));
}

#[test]
fn a_redirect_is_not_followed_and_ends_the_delivery() {
    let app = TestApp::get();
    app.add_destination(
        "moved",
        json!({"kind": "webhook", "url": app.hook_url("/moved/301/moved-here")}),
    );
    app.add_destination(
        "moved",
        json!({"kind": "webhook", "url": app.hook_url("/moved/302/moved-here")}),
    );
    let lead_id = post_lead(app, "moved", "moved@example.com");
    let settled = wait_for(20, "both deliveries to settle", || {
        let all = app.deliveries_of(&lead_id);
        (all.len() == 2
            && all.iter().all(|d| {
                ["delivered", "failed", "dead"].contains(&d["status"].as_str().unwrap_or_default())
            }))
        .then_some(all)
    });
    // A 3xx is final, as a 4xx is: the operator fixes the URL; nothing is retried.
    let mut logs: Vec<Vec<(String, Option<u64>)>> = settled
        .iter()
        .map(|d| outcomes(&app.delivery(d["id"].as_str().unwrap_or_default())))
        .collect();
    logs.sort();
    assert_eq!(logs, [[("refused".to_owned(), Some(301))], [("refused".to_owned(), Some(302))]]);
    assert!(settled.iter().all(|d| d["status"] == "failed"), "{settled:?}");
    assert_eq!(app.hook_requests("/moved/301/moved-here").len(), 1);
    assert_eq!(app.hook_requests("/moved/302/moved-here").len(), 1);
    // The Location was never requested, by POST or by any other method.
    assert_eq!(app.hook_requests("/ok/moved-here").len(), 0);
}

#[test]
fn a_second_rotation_waits_until_the_previous_secret_has_had_its_overlap() {
    let app = TestApp::get();
    let rotate = |id: &str, body: Option<&Value>| {
        app.integrator(
            "POST",
            &format!("/v1/tenants/t_roofer/destinations/{id}/rotate-secret"),
            body,
        )
    };
    let created = app.add_destination(
        "rerotate",
        json!({"kind": "webhook", "url": app.hook_url("/ok/rerotate")}),
    );
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let first = created["secret"].as_str().unwrap_or_default().to_owned();
    let rotated = rotate(&id, Some(&json!({"overlap_seconds": 3600})));
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = rotated.json()["secret"].as_str().unwrap_or_default().to_owned();
    let until =
        rotated.json()["previous_secret_expires_at"].as_str().unwrap_or_default().to_owned();
    assert!(!until.is_empty());

    // Rotating again now would stop the first secret before the hour it was promised: refused,
    // saying when rotation is possible again, and nothing changed.
    let refused = rotate(&id, None).assert_problem(409, "rotation_in_progress");
    assert!(refused["detail"].as_str().is_some_and(|d| d.contains(&until)), "{refused}");
    let read =
        app.integrator("GET", &format!("/v1/tenants/t_roofer/destinations/{id}"), None).json();
    assert_eq!(read["previous_secret_expires_at"].as_str(), Some(until.as_str()));
    post_lead(app, "rerotate", "rerotate@example.com");
    let hook = wait_for(20, "the webhook", || app.hook_requests("/ok/rerotate").into_iter().next());
    assert_eq!(verified_by_reference_library(&first, &hook), Ok(()));
    assert_eq!(verified_by_reference_library(&second, &hook), Ok(()));

    // Once the overlap is over, the destination rotates again.
    let brief = app.add_destination(
        "rerotate",
        json!({"kind": "webhook", "url": app.hook_url("/ok/rerotate-brief")}),
    );
    let brief_id = brief["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(rotate(&brief_id, Some(&json!({"overlap_seconds": 1}))).status, 200);
    let again = wait_for(10, "the one-second overlap to end", || {
        let answer = rotate(&brief_id, None);
        if answer.status == 409 {
            answer.assert_problem(409, "rotation_in_progress");
        }
        (answer.status != 409).then_some(answer)
    });
    assert_eq!(again.status, 200, "{}", again.body);
}

/// Creates a destination, sending it again after a 500: local D1 is a SQLite file that other tests'
/// `query` processes write too, and a create that meets one fails with SQLITE_BUSY, stored nothing.
fn create_destination(app: &TestApp, path: &str, request: &Value) -> crate::helpers::Answer {
    let mut answer = app.integrator("POST", path, Some(request));
    for _ in 0..2 {
        if answer.status != 500 {
            break;
        }
        answer = app.integrator("POST", path, Some(request));
    }
    answer
}

#[test]
fn the_destination_cap_holds_under_concurrent_creates() {
    let app = TestApp::get();
    let path = "/v1/tenants/t_roofer/forms/packed/destinations";
    for n in 0..95 {
        let answer = create_destination(
            app,
            path,
            &json!({"kind": "email", "to": format!("n{n}@roofer.example")}),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    // Ten creates at once for the last five places: the cap is checked by the insert itself.
    let start = std::sync::Barrier::new(10);
    let answers: Vec<crate::helpers::Answer> = std::thread::scope(|scope| {
        let creates: Vec<_> = (0..10)
            .map(|n| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    create_destination(
                        app,
                        path,
                        &json!({"kind": "email", "to": format!("late{n}@roofer.example")}),
                    )
                })
            })
            .collect();
        creates
            .into_iter()
            .map(|create| create.join().unwrap_or_else(|_| panic!("a create panicked")))
            .collect()
    });
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(created, 5, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for refused in answers.iter().filter(|a| a.status != 201) {
        let problem = refused.assert_problem(422, "destination_invalid");
        assert!(problem["detail"].as_str().is_some_and(|d| d.contains("at most 100")), "{problem}");
    }
    let listed = app.integrator("GET", path, None).json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(100));
}

#[test]
fn one_message_at_a_time_attempts_a_delivery_and_a_dead_attempts_lease_expires() {
    let app = TestApp::get();
    app.add_destination("gated", json!({"kind": "webhook", "url": app.hook_url("/held/gate")}));
    app.add_destination("twice", json!({"kind": "webhook", "url": app.hook_url("/held/twice")}));
    let stranded = app.add_destination(
        "stranded",
        json!({"kind": "webhook", "url": app.hook_url("/ok/stranded")}),
    );
    let stranded_lead = post_lead(app, "stranded", "stranded@example.com");
    wait_for(20, "the stranded form's first delivery", || {
        app.hook_requests("/ok/stranded").into_iter().next()
    });

    // Local Queues hand the consumer one batch at a time, and the consumer handles the messages of a
    // batch at once. While a gate delivery holds the consumer, the delivery under test gets two
    // messages: its own, and the sweep's (it is made to look lost an hour ago). Both then come in
    // the next batch. The gate also keeps the consumer from writing while the test writes to D1.
    post_lead(app, "gated", "gate@example.com");
    wait_for(20, "the gate's attempt", || app.hook_requests("/held/gate").into_iter().next());
    let lead_id = post_lead(app, "twice", "twice@example.com");
    let delivery_id = only_delivery(app, &lead_id);
    assert!(delivery_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{delivery_id}");
    // With it, two more deliveries that look lost: one whose attempt died long ago, leaving its
    // lease behind, and one whose attempt is still in hand (its lease runs another hour).
    let (expired, held) = ("msg_expiredexpiredexpired0000", "msg_heldheldheldheldheld00000");
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        + 3_600_000;
    let stranded_id = stranded["id"].as_str().unwrap_or_default();
    app.query(&format!(
        "UPDATE deliveries SET next_attempt_at = 1000 WHERE tenant_id = 't_roofer' AND id = '{delivery_id}'; \
         INSERT INTO deliveries (tenant_id, id, lead_id, destination_id, status, next_attempt_at, leased_until, created_at, updated_at) \
         VALUES ('t_roofer', '{expired}', '{stranded_lead}', '{stranded_id}', 'pending', 1000, 2000, 1000, 1000), \
                ('t_roofer', '{held}', '{stranded_lead}', '{stranded_id}', 'pending', 1000, {in_an_hour}, 1000, 1000)"
    ));
    let fired = app.send("GET", "/cdn-cgi/local/scheduled?cron=*/10+*+*+*+*", &[], None);
    assert_eq!(fired.status, 200, "{}", fired.body);
    app.release("gate");

    let dropped = format!("deliveries: {delivery_id} is being attempted by another message");
    wait_for(30, "the second message to be handled", || {
        (app.hook_requests("/held/twice").len() > 1 || app.worker_log().contains(&dropped))
            .then_some(())
    });
    let requests = app.hook_requests("/held/twice");
    assert_eq!(
        requests.len(),
        1,
        "both messages reached the receiver: {:?}",
        requests.iter().map(|r| r.header("webhook-id")).collect::<Vec<_>>()
    );
    assert_eq!(requests[0].header("webhook-id"), Some(delivery_id.as_str()));
    assert_eq!(requests[0].answered, 0, "the first attempt was no longer in flight");

    // The expired lease did not strand its delivery; the live one kept the sweep away.
    wait_for_status(app, expired, "delivered", 20);
    let untouched = app.delivery(held);
    assert_eq!(
        (untouched["status"].clone(), untouched["attempts"].clone()),
        (json!("pending"), json!(0))
    );
    assert!(
        !app.hook_requests("/ok/stranded").iter().any(|r| r.header("webhook-id") == Some(held))
    );

    app.release("twice");
    let delivered = wait_for_status(app, &delivery_id, "delivered", 20);
    assert_eq!(outcomes(&delivered), [("delivered".to_owned(), Some(200))]);
    assert_eq!(app.hook_requests("/held/twice").len(), 1);
}
