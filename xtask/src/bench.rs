//! `cargo xtask bench`: a sustained burst of submissions at a local Worker, with the figures that
//! matter for intake: how many were accepted, refused by the limiter, replayed, stored, stored twice,
//! and failed. It prints; it does not assert a time. (Through `wrangler dev`, which adds a proxy, the
//! latencies are for comparing builds with each other, not with production.)

use crate::Result;
use crate::load::{self, Latencies};
use crate::stack::{self, Stack, StackOptions};
use crate::tools::Tools;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SUBMISSIONS: usize = 600;
const THREADS: usize = 8;
const CLIENTS: usize = 12;
/// Per client per minute: low enough that the burst meets the limiter.
const PER_CLIENT_LIMIT: u32 = 30;
/// Every fifth submission is sent twice with the same key, as a widget retrying a lost answer would.
const RETRY_EVERY: usize = 5;
const DEADLINE: Duration = Duration::from_secs(120);

#[derive(Debug, Default)]
struct Counts {
    accepted: usize,
    replayed: usize,
    limited: usize,
    refused_other: usize,
    errors: usize,
    latencies_ms: Vec<f64>,
}

pub fn run(tools: &Tools) -> Result {
    let settings = serde_json::json!({"min_fill_seconds": 0, "rate_limit": {
        "per_client": {"limit": PER_CLIENT_LIMIT, "window_seconds": 60},
        "per_form": {"limit": 100000, "window_seconds": 60}}});
    let definition = serde_json::json!({"id": "bench", "title": "Bench", "fields": [
        {"name": "email", "label": "Email", "kind": "email", "required": true},
        {"name": "message", "label": "Message", "kind": "multi_line"}]});
    let seed = stack::form_seed("t_bench", "Bench", &definition, &["*"], &settings);
    let stack = Stack::start(tools, StackOptions::scratch("inlet-bench", seed))?;
    let agent = load::client();
    let url = format!("{}/v1/forms/bench/leads", stack.url);
    let counts = Mutex::new(Counts::default());
    let started = Instant::now();

    load::spread(THREADS, SUBMISSIONS, |n| {
        if started.elapsed() > DEADLINE {
            return;
        }
        let body = serde_json::json!({"fields": {"email": format!("bench{n}@example.com"), "message": "Roof leak"}}).to_string();
        let client = format!("198.51.100.{}", n % CLIENTS);
        let key = format!("bench-{n}");
        let sends = if n.is_multiple_of(RETRY_EVERY) { 2 } else { 1 };
        for _ in 0..sends {
            let sent_at = Instant::now();
            let answer = agent
                .post(&url)
                .header("content-type", "application/json")
                .header("cf-connecting-ip", &client)
                .header("idempotency-key", &key)
                .send(&body);
            let elapsed = sent_at.elapsed().as_secs_f64() * 1000.0;
            let Ok(mut counts) = counts.lock() else { return };
            counts.latencies_ms.push(elapsed);
            match answer {
                Ok(response) if response.status() == 201 => {
                    if response.headers().contains_key("idempotent-replayed") {
                        counts.replayed += 1;
                    } else {
                        counts.accepted += 1;
                    }
                }
                Ok(response) if response.status() == 429 => counts.limited += 1,
                Ok(response) if response.status().is_server_error() => counts.errors += 1,
                Ok(_) => counts.refused_other += 1,
                Err(_) => counts.errors += 1,
            }
        }
    });
    let elapsed = started.elapsed();
    let counts = counts.into_inner().map_err(|_| "a bench thread panicked".to_owned())?;
    let rows = stack.number("SELECT count(*) AS n FROM leads WHERE form_id = 'bench'")? as usize;
    let duplicates = stack.number(
        "SELECT coalesce(sum(c - 1), 0) AS d FROM (SELECT count(*) AS c FROM leads WHERE form_id = 'bench' GROUP BY email)",
    )?;

    let latencies = Latencies::new(counts.latencies_ms);
    let requests = latencies.len();
    println!(
        "intake burst: {SUBMISSIONS} submissions from {CLIENTS} clients on {THREADS} threads, every {RETRY_EVERY}th sent twice"
    );
    println!("  limit per client      {PER_CLIENT_LIMIT} per minute");
    println!(
        "  requests              {requests} in {:.1} s ({:.0} req/s)",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!("  accepted (new 201)    {}", counts.accepted);
    println!("  replayed (same key)   {}", counts.replayed);
    println!("  refused by limiter    {}", counts.limited);
    println!("  refused otherwise     {}", counts.refused_other);
    println!("  errors (5xx, network) {}", counts.errors);
    println!("  rows in D1            {rows}");
    println!("  duplicate rows        {duplicates}");
    println!(
        "  latency median / p99  {:.1} ms / {:.1} ms",
        latencies.percentile(0.5),
        latencies.percentile(0.99)
    );
    let consistent = counts.accepted == rows && duplicates == 0 && counts.errors == 0;
    println!(
        "  accepted == rows, no duplicates, no errors: {}",
        if consistent { "yes" } else { "NO" }
    );
    if consistent {
        Ok(())
    } else {
        Err("intake lost, duplicated or failed submissions".to_owned())
    }
}
