//! `cargo xtask bench-inbox`: one business with 100,000 leads in local D1, and the figures the inbox
//! lives by: median and p95 of the first page, a filtered page, a search and a page deep in by
//! cursor; the Argon2id cost of a password check inside workerd (a sign-in that hashes, less one
//! refused before hashing); and the dashboard's bytes on the wire. It prints; it does not assert a
//! time. (Through `wrangler dev`, which adds a proxy, the figures compare builds with each other,
//! not with production.)

use crate::Result;
use crate::build::{self, Size};
use crate::load::{self, Latencies};
use crate::stack::{self, Stack, StackOptions};
use crate::tools::Tools;
use std::time::Instant;

const LEADS: usize = 100_000;
/// Requests per measured query.
const SAMPLES: usize = 30;
/// Password checks measured (each against a different unknown address, under the per-client limit).
const HASHES: usize = 20;
const OWNER: &str = "owner@bench-inbox.example";
/// 2026-11-01T00:00:00Z; lead `n` arrives `n` minutes later.
const START_MS: u64 = 1_793_491_200_000;

pub fn run(tools: &Tools) -> Result {
    let form = serde_json::json!({"id": "inbox", "title": "Inbox bench", "fields": [
        {"name": "name", "label": "Name", "kind": "text"},
        {"name": "email", "label": "Email", "kind": "email"},
        {"name": "message", "label": "Message", "kind": "multi_line"}]});
    let mut seed =
        stack::form_seed("t_inbox", "Inbox bench", &form, &["*"], &serde_json::json!({}));
    seed += &stack::owner_seed("t_inbox", OWNER);
    // Every seventh lead is won, every thirteenth from google; one in 10,000 says "needle".
    seed += &format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {LEADS}) \
         INSERT INTO leads (tenant_id, id, form_id, fields, email, status, utm_source, created_at, \
         search_text) SELECT 't_inbox', printf('ld_bench%06d', i), 'inbox', \
         json_object('name', 'Person ' || i, 'email', 'p' || i || '@bench.example', 'message', \
         CASE WHEN i % 10000 = 0 THEN 'a needle in the roof' ELSE 'the roof leaks again' END), \
         'p' || i || '@bench.example', CASE WHEN i % 7 = 0 THEN 'won' ELSE 'new' END, \
         CASE WHEN i % 13 = 0 THEN 'google' END, {START_MS} + i * 60000, \
         'Person ' || i || ' p' || i || '@bench.example ' || \
         CASE WHEN i % 10000 = 0 THEN 'a needle in the roof' ELSE 'the roof leaks again' END FROM n;\n"
    );
    println!("seeding {LEADS} leads for one business...");
    let seeded = Instant::now();
    let stack = Stack::start(tools, StackOptions::scratch("inlet-bench-inbox", seed))?;
    println!("seeded and started in {:.1} s", seeded.elapsed().as_secs_f64());
    let agent = load::client();
    let cookie = sign_in(&agent, &stack.url)?;

    let deep = {
        // The cursor of lead 50,000: half the business's leads are newer.
        let cursor = format!("{}:ld_bench050000", START_MS + 50_000 * 60_000);
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cursor)
    };
    println!();
    println!("{:<34} {:>10} {:>10} {:>8}", "inbox (ms)", "median", "p95", "items");
    for (name, query) in [
        ("first page (50)", String::new()),
        ("filtered: status=won", "status=won".to_owned()),
        ("filtered: utm_source=google", "utm_source=google".to_owned()),
        ("search: q=needle", "q=needle".to_owned()),
        ("page 50,000 leads deep", format!("cursor={deep}")),
    ] {
        let url = format!("{}/v1/tenants/t_inbox/leads?{query}", stack.url);
        let mut times = Vec::new();
        let mut items = 0;
        for _ in 0..SAMPLES {
            let started = Instant::now();
            let mut answer = agent
                .get(&url)
                .header("cookie", &cookie)
                .call()
                .map_err(|e| format!("{name}: {e}"))?;
            let body = answer.body_mut().read_to_string().map_err(|e| e.to_string())?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if answer.status() != 200 {
                return Err(format!("{name}: {} {body}", answer.status()));
            }
            let page: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            items = page["items"].as_array().map_or(0, Vec::len);
        }
        let times = Latencies::new(times);
        println!(
            "{name:<34} {:>10.1} {:>10.1} {items:>8}",
            times.percentile(0.5),
            times.percentile(0.95)
        );
    }

    // Argon2id: a sign-in for an unknown address verifies against the dummy hash (same parameters);
    // one with a malformed address is refused before any hashing. The difference is the hash.
    // Each batch's CPU time is read from /proc around it, so the hash's cost is CPU, not waiting.
    let sign_in_ms = |email: &dyn Fn(usize) -> String| -> Result<(Latencies, u64)> {
        let mut times = Vec::new();
        let cpu_before = stack.cpu_ms();
        for n in 0..HASHES {
            let body = serde_json::json!({"email": email(n), "password": "not the password"});
            let started = Instant::now();
            let answer = agent
                .post(format!("{}/v1/account/sessions", stack.url))
                .header("content-type", "application/json")
                .header("cf-connecting-ip", &format!("203.0.113.{n}"))
                .send(body.to_string())
                .map_err(|e| e.to_string())?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if answer.status() != 401 {
                return Err(format!("sign-in: expected 401, got {}", answer.status()));
            }
        }
        Ok((Latencies::new(times), stack.cpu_ms().saturating_sub(cpu_before)))
    };
    let (hashed, hashed_cpu) = sign_in_ms(&|n| format!("nobody{n}@bench-inbox.example"))?;
    let (refused, refused_cpu) = sign_in_ms(&|_| "not an address".to_owned())?;
    println!();
    println!(
        "Argon2id (m=19 MiB, t=2, p=1) in workerd: a hashing sign-in {:.1} ms median, one refused \
         before hashing {:.1} ms, so about {:.1} ms per hash (wall time)",
        hashed.percentile(0.5),
        refused.percentile(0.5),
        hashed.percentile(0.5) - refused.percentile(0.5)
    );
    #[allow(clippy::cast_precision_loss)]
    let per_hash = hashed_cpu.saturating_sub(refused_cpu) as f64 / HASHES as f64;
    println!(
        "  CPU time of workerd and wrangler: {hashed_cpu} ms for {HASHES} hashing sign-ins, \
         {refused_cpu} ms for {HASHES} refused ones, so about {per_hash:.1} ms of CPU per hash"
    );

    let mut dashboard = 0;
    for file in [
        "www/app/index.html",
        "www/app/main.js",
        "www/app/app.css",
        "www/app/pkg/inlet_dashboard.js",
        "www/app/pkg/inlet_dashboard_bg.wasm",
    ] {
        dashboard += Size::of(&crate::root().join(file))?.brotli;
    }
    println!(
        "dashboard on the wire: {:.1} KiB brotli (budget {:.0})",
        dashboard as f64 / 1024.0,
        build::DASHBOARD_BUDGET_KIB
    );
    Ok(())
}

/// Signs the bench's owner in with the demo password; the session cookie to send.
fn sign_in(agent: &ureq::Agent, url: &str) -> Result<String> {
    let body = serde_json::json!({"email": OWNER, "password": stack::DEMO_OWNER_PASSWORD});
    let answer = agent
        .post(format!("{url}/v1/account/sessions"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .map_err(|e| format!("sign-in: {e}"))?;
    if answer.status() != 201 {
        return Err(format!("sign-in answered {}", answer.status()));
    }
    let cookie = answer
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("sign-in set no cookie")?;
    Ok(cookie.to_owned())
}
