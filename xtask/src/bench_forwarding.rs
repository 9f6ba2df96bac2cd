//! `cargo xtask bench-forwarding`: how fast a lead reaches a webhook, and whether every lead arrives
//! when the receiver fails half its requests. It prints; it does not assert a time.
//!
//! Two phases against a local Worker (workerd through `wrangler dev`, local D1 and Queues):
//! 1. `LEADS` leads to a form whose webhook answers 204: the time from the `201` to the webhook's
//!    arrival, median and p99.
//! 2. `LEADS` leads to a form whose webhook fails a random half of its requests with 503: how many
//!    arrive, after how many requests. The retry schedule is shortened to seconds so the run ends.
//!
//! Through `wrangler dev` (a proxy, an inspector, a local queue) the figures are for comparing builds
//! with each other, not with production.

use crate::Result;
use crate::load::{self, Latencies};
use crate::receiver::Receiver;
use crate::stack::{self, Stack, StackOptions};
use crate::tools::Tools;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LEADS: usize = 200;
const THREADS: usize = 4;
/// Fifteen attempts a second apart: a lead is lost only if fifteen coin flips all fail (p = 2^-15).
const SCHEDULE: &str = "1,1,1,1,1,1,1,1,1,1,1,1,1,1";
const DEADLINE: Duration = Duration::from_secs(240);

pub fn run(tools: &Tools) -> Result {
    let coin = Arc::new(AtomicU64::new(
        u64::from_str_radix(&stack::random_hex(8)?, 16).unwrap_or(0x9e37_79b9_7f4a_7c15) | 1,
    ));
    let flips = Arc::clone(&coin);
    let receiver = Receiver::start(move |request| {
        if request.path.starts_with("/half") && flip(&flips) {
            (503, "{}".to_owned())
        } else {
            (204, String::new())
        }
    })?;
    let (key, key_sql) = stack::api_key_seed("t_bench", "bench", "read_write")?;
    let settings = serde_json::json!({"min_fill_seconds": 0, "rate_limit": {
        "per_client": {"limit": 100000, "window_seconds": 60}, "per_form": {"limit": 100000, "window_seconds": 60}}});
    let definition = |id: &str| {
        serde_json::json!({"id": id, "title": "Bench", "fields": [
            {"name": "email", "label": "Email", "kind": "email", "required": true}]})
    };
    let seed = stack::form_seed("t_bench", "Bench", &definition("healthy"), &["*"], &settings)
        + &stack::form_seed("t_bench", "Bench", &definition("half"), &["*"], &settings)
        + &key_sql;
    let vars = [("ALLOW_PRIVATE_DESTINATIONS", "true"), ("DELIVERY_RETRY_SCHEDULE", SCHEDULE)];
    let stack = Stack::start(
        tools,
        StackOptions {
            vars: vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ..StackOptions::scratch("inlet-bench-forwarding", seed)
        },
    )?;
    let agent = load::client();
    for form in ["healthy", "half"] {
        let answer = agent
            .post(format!("{}/v1/tenants/t_bench/forms/{form}/destinations", stack.url))
            .header("authorization", &format!("Bearer {key}"))
            .header("content-type", "application/json")
            .send(
                serde_json::json!({"kind": "webhook", "url": format!("{}/{form}", receiver.url)})
                    .to_string(),
            )
            .map_err(|e| format!("creating the {form} destination: {e}"))?;
        if answer.status() != 201 {
            return Err(format!("creating the {form} destination answered {}", answer.status()));
        }
    }

    println!("forwarding: {LEADS} leads per phase from {THREADS} threads, webhook on loopback");
    let healthy = phase(&agent, &stack.url, "healthy", &receiver)?;
    let latencies =
        Latencies::new(healthy.arrivals.values().map(|d| d.as_secs_f64() * 1000.0).collect());
    println!("  healthy receiver");
    println!("    accepted (201)               {}", healthy.accepted);
    println!("    arrived                      {}", healthy.arrivals.len());
    println!(
        "    201 -> webhook median / p99  {:.0} ms / {:.0} ms",
        latencies.percentile(0.5),
        latencies.percentile(0.99)
    );

    let half = phase(&agent, &stack.url, "half", &receiver)?;
    let requests = receiver.received().iter().filter(|r| r.path == "/half").count();
    let delivered = stack.number(
        "SELECT count(*) AS n FROM deliveries WHERE tenant_id = 't_bench' AND status = 'delivered'",
    )?;
    println!("  receiver failing half its requests (schedule {SCHEDULE} s)");
    println!("    accepted (201)               {}", half.accepted);
    println!("    arrived                      {} of {}", half.arrivals.len(), half.accepted);
    println!(
        "    requests to the receiver     {requests} ({:.2} per lead)",
        requests as f64 / half.accepted.max(1) as f64
    );
    println!("    deliveries marked delivered  {delivered} (both phases)");
    println!("    errors (5xx, network)        {}", healthy.errors + half.errors);
    let complete = healthy.arrivals.len() == healthy.accepted
        && half.arrivals.len() == half.accepted
        && healthy.errors + half.errors == 0;
    println!("  every accepted lead arrived: {}", if complete { "yes" } else { "NO" });
    if complete { Ok(()) } else { Err("some accepted leads never reached the webhook".to_owned()) }
}

struct Phase {
    accepted: usize,
    errors: usize,
    /// Lead id to the time from its 201 to the first successful arrival at the webhook.
    arrivals: HashMap<String, Duration>,
}

fn phase(agent: &ureq::Agent, api: &str, form: &str, receiver: &Receiver) -> Result<Phase> {
    let url = format!("{api}/v1/forms/{form}/leads");
    let sent: Mutex<HashMap<String, Instant>> = Mutex::new(HashMap::new());
    let errors = AtomicUsize::new(0);
    load::spread(THREADS, LEADS, |n| {
        let body =
            serde_json::json!({"fields": {"email": format!("{form}{n}@example.com")}}).to_string();
        let answer = agent.post(&url).header("content-type", "application/json").send(&body);
        let at = Instant::now();
        let id = answer.ok().filter(|r| r.status() == 201).and_then(|mut r| {
            let json: serde_json::Value =
                serde_json::from_str(&r.body_mut().read_to_string().ok()?).ok()?;
            json["id"].as_str().map(str::to_owned)
        });
        match (id, sent.lock()) {
            (Some(id), Ok(mut sent)) => {
                sent.insert(id, at);
            }
            _ => {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let sent = sent.into_inner().map_err(|_| "a bench thread panicked".to_owned())?;
    let path = format!("/{form}");
    let started = Instant::now();
    loop {
        // A lead has arrived once the receiver answered one of its requests 2xx.
        let mut arrivals: HashMap<String, Duration> = HashMap::new();
        for request in receiver
            .received()
            .into_iter()
            .filter(|r| r.path == path && (200..300).contains(&r.answered))
        {
            let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
            if let Some((id, at)) =
                body["data"]["id"].as_str().and_then(|id| Some((id, sent.get(id)?)))
            {
                arrivals
                    .entry(id.to_owned())
                    .or_insert_with(|| request.at.saturating_duration_since(*at));
            }
        }
        if arrivals.len() >= sent.len() || started.elapsed() > DEADLINE {
            return Ok(Phase { accepted: sent.len(), errors: errors.into_inner(), arrivals });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A fair coin from a xorshift generator: `true` half the time.
fn flip(state: &AtomicU64) -> bool {
    let mut x = state.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    state.store(x, Ordering::Relaxed);
    x & 1 == 1
}
