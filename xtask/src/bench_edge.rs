//! `cargo xtask bench-edge`: Inlet's built Worker against a floor, a minimal hand-written JavaScript
//! Worker doing the same work for the same form (`xtask/bench/floor-worker.js`), both in one workerd
//! with local D1 migrated and seeded alike, started by `xtask/bench/edge.mjs` through Miniflare's
//! programmatic API on loopback sockets that reach each worker directly (`wrangler dev`'s proxy is
//! about ten times slower and would measure itself). For `GET /health`, `GET /v1/forms/demo` and
//! `POST /v1/forms/demo/leads` it prints requests, requests per second, p50 and p99 of each worker
//! and the ratios Inlet / JavaScript. It prints; it does not assert a time. It fails only when an
//! answer was not the expected one or the rows in a database do not match the leads it accepted.
//!
//! Each path gets a warm-up on both workers, then alternating rounds (Inlet first, then the floor
//! first, and so on), so drift over the run falls on both alike.

use crate::load::{self, Latencies};
use crate::tools::Tools;
use crate::{Result, root, stack};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Requests in flight at once, each on its own kept-alive connection.
const CONNECTIONS: usize = 8;
/// Requests per path and worker before measuring: compiles, caches and opens what the first
/// requests would otherwise pay for.
const WARM_UP: usize = 200;
/// Measured rounds per path, alternating which worker goes first.
const ROUNDS: usize = 4;
/// The most a path may take on one worker, warm-up excluded; requests not sent by then are not counted.
const TIME_CAP: Duration = Duration::from_secs(60);
/// Distinct `cf-connecting-ip` addresses the submissions come from, as different visitors.
const CLIENTS: usize = 64;
/// The site the demo form is embedded on in this benchmark; every request comes from it, as the
/// widget's would.
const ORIGIN: &str = "https://roofer.example";
/// The floor's local D1 database: same migrations and seed, its own file.
const FLOOR_DATABASE_ID: &str = "bench-edge-floor";
/// Time allowed for the driver to start both workers.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// A ratio below this is called out for investigation.
const FLOOR_FRACTION: f64 = 0.9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    Form,
    Lead,
}

impl Route {
    const ALL: [Route; 3] = [Route::Health, Route::Form, Route::Lead];

    fn label(self) -> &'static str {
        match self {
            Route::Health => "GET /health",
            Route::Form => "GET /v1/forms/demo",
            Route::Lead => "POST /v1/forms/demo/leads",
        }
    }

    /// Measured requests per worker. A submission costs several D1 and Durable Object round trips,
    /// so fewer of them fit the same time.
    fn requests(self) -> usize {
        match self {
            Route::Health | Route::Form => 4_000,
            Route::Lead => 2_000,
        }
    }

    fn expected_status(self) -> u16 {
        match self {
            Route::Health | Route::Form => 200,
            Route::Lead => 201,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Worker {
    Inlet,
    Floor,
}

impl Worker {
    fn label(self) -> &'static str {
        match self {
            Worker::Inlet => "inlet",
            Worker::Floor => "js",
        }
    }
}

/// One worker as the load generator reaches it, with a form token it served.
struct Target {
    worker: Worker,
    base: String,
    token: String,
}

/// What a batch of requests to one path of one worker came to.
#[derive(Debug, Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    elapsed: Duration,
    /// CPU time workerd (and the idle driver) used meanwhile: the two workers take turns, never
    /// overlap, so this is the worker's own cost, whatever the load generator's.
    cpu_ms: u64,
    /// Answers with the expected status.
    expected: usize,
    errors: usize,
    /// The first few unexpected answers, said as status and body.
    samples: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_ms.extend(other.latencies_ms);
        self.elapsed += other.elapsed;
        self.cpu_ms += other.cpu_ms;
        self.expected += other.expected;
        self.errors += other.errors;
        for sample in other.samples {
            if self.samples.len() < MAX_SAMPLES {
                self.samples.push(sample);
            }
        }
    }
}

const MAX_SAMPLES: usize = 3;

/// The printed figures of one path on one worker.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Figures {
    requests: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// workerd's CPU time per request, in microseconds.
    cpu_us: f64,
    errors: usize,
}

impl Figures {
    fn of(tally: &Tally) -> Figures {
        let latencies = Latencies::new(tally.latencies_ms.clone());
        let seconds = tally.elapsed.as_secs_f64();
        Figures {
            requests: latencies.len(),
            per_second: if seconds > 0.0 { latencies.len() as f64 / seconds } else { 0.0 },
            p50_ms: latencies.percentile(0.5),
            p99_ms: latencies.percentile(0.99),
            cpu_us: if latencies.is_empty() {
                0.0
            } else {
                tally.cpu_ms as f64 * 1000.0 / latencies.len() as f64
            },
            errors: tally.errors,
        }
    }
}

/// Inlet's figure over the floor's; 0 when the floor measured nothing.
fn ratio(inlet: f64, floor: f64) -> f64 {
    if floor > 0.0 { inlet / floor } else { 0.0 }
}

pub fn run(tools: &Tools) -> Result {
    let wrangler_toml = std::fs::read_to_string(root().join("wrangler.toml"))
        .map_err(|e| format!("wrangler.toml: {e}"))?;
    let settings = read_wrangler_toml(&wrangler_toml)?;
    let state = root().join("target/bench-edge");
    prepare_databases(tools, &state, &settings)?;
    let mut driver = Driver::start(tools, &state, &settings)?;
    let result = measure_and_print(&mut driver);
    driver.stop();
    result
}

/// Fresh local D1 for both workers in `state`: migrated and seeded through wrangler, exactly as the
/// stack does it, the floor's through a config of its own that names another database.
fn prepare_databases(tools: &Tools, state: &Path, settings: &WranglerSettings) -> Result {
    if state.exists() {
        std::fs::remove_dir_all(state).map_err(|e| format!("{}: {e}", state.display()))?;
    }
    std::fs::create_dir_all(state).map_err(|e| format!("{}: {e}", state.display()))?;
    let state = state.canonicalize().map_err(|e| e.to_string())?;
    let floor_config = state.join("floor-wrangler.toml");
    let migrations = root().join("edge/migrations");
    std::fs::write(
        &floor_config,
        format!(
            "name = \"inlet-bench-floor\"\ncompatibility_date = \"{date}\"\n\n[[d1_databases]]\n\
             binding = \"DB\"\ndatabase_name = \"floor\"\ndatabase_id = \"{FLOOR_DATABASE_ID}\"\n\
             migrations_dir = \"{migrations}\"\n",
            date = settings.compatibility_date,
            migrations = migrations.display()
        ),
    )
    .map_err(|e| format!("{}: {e}", floor_config.display()))?;
    let seed = state.join("seed.sql");
    std::fs::write(&seed, seed_sql()).map_err(|e| format!("{}: {e}", seed.display()))?;

    for config in [None, Some(floor_config.as_path())] {
        d1(tools, &state, config, &["migrations", "apply"], None)?;
        d1(tools, &state, config, &["execute"], Some(&seed))?;
    }
    Ok(())
}

/// `wrangler d1 <command> DB [--file <file>]` on the local database in `state`: the Worker's, or
/// with `config`, the floor's. wrangler's tables are kept out of the figures; a failure still says
/// what wrangler said.
fn d1(
    tools: &Tools,
    state: &Path,
    config: Option<&Path>,
    command: &[&str],
    file: Option<&Path>,
) -> Result {
    let mut wrangler = tools.wrangler();
    wrangler.arg("d1").args(command).arg("DB");
    if let Some(file) = file {
        wrangler.arg("--file").arg(file);
    }
    wrangler.args(["--local", "--persist-to"]).arg(state);
    if let Some(config) = config {
        wrangler.arg("--config").arg(config);
    }
    crate::output(&mut wrangler).map(drop)
}

/// The demo business and its form `demo`, as the stack seeds it, embedded on [`ORIGIN`], with the
/// time-to-fill check off (so every submission is a person's, which costs the most: its
/// destinations are read) and limits no benchmark reaches. One-second windows keep each sliding log
/// about as long as a second of traffic, as it would be under the product's default limits, rather
/// than growing with the length of the run.
fn seed_sql() -> String {
    let settings = serde_json::json!({"min_fill_seconds": 0, "rate_limit": {
        "per_client": {"limit": 100_000, "window_seconds": 1},
        "per_form": {"limit": 100_000, "window_seconds": 1}}});
    stack::form_seed(
        "t_demo",
        "Demo Roofing",
        &stack::demo_definition("demo"),
        &[ORIGIN],
        &settings,
    )
}

/// `edge.mjs` running: its process group (node and the workerd it starts), its stdin for commands,
/// and its stdout lines. Closing stdin stops it, so it also stops if xtask dies.
struct Driver {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    ports: Ports,
    log: std::path::PathBuf,
}

impl Driver {
    fn start(tools: &Tools, state: &Path, settings: &WranglerSettings) -> Result<Driver> {
        let state = state.canonicalize().map_err(|e| e.to_string())?;
        let config = serde_json::json!({
            "root": root(),
            "persist": state,
            "compatibilityDate": settings.compatibility_date,
            "inletDatabaseId": settings.database_id,
            "floorDatabaseId": FLOOR_DATABASE_ID,
            "vars": settings
                .vars
                .iter()
                .map(|(name, value)| (name.clone(), serde_json::Value::from(value.as_str())))
                .collect::<serde_json::Map<_, _>>(),
        });
        let log = state.join("driver.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(tools.node())
            .arg(root().join("xtask/bench/edge.mjs"))
            .arg(config.to_string())
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("could not start the bench-edge driver: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("the driver has no stdout")?;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(|line| line.ok()) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut driver =
            Driver { child, stdin, lines, ports: Ports { inlet: 0, floor: 0 }, log: log.clone() };
        match driver.answer(START_TIMEOUT).and_then(|line| {
            parse_ports(&line).ok_or_else(|| format!("the driver said {line:?}, not its ports"))
        }) {
            Ok(ports) => {
                driver.ports = ports;
                Ok(driver)
            }
            Err(message) => {
                driver.stop();
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                Err(format!("{message}\n{said}"))
            }
        }
    }

    /// The driver's next line of output, waiting at most `patience`.
    fn answer(&mut self, patience: Duration) -> Result<String> {
        let deadline = Instant::now() + patience;
        loop {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => return Ok(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("the driver exited; see {}", self.log.display()));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() >= deadline => {
                    return Err(format!(
                        "the driver did not answer within {} s; see {}",
                        patience.as_secs(),
                        self.log.display()
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// The leads of the form `demo` in each worker's database.
    fn lead_rows(&mut self) -> Result<(u64, u64)> {
        let stdin = self.stdin.as_mut().ok_or("the driver's stdin is closed")?;
        writeln!(stdin, "count").map_err(|e| format!("the driver's stdin: {e}"))?;
        let line = self.answer(Duration::from_secs(30))?;
        read_pair(&line).ok_or_else(|| format!("the driver said {line:?}, not two counts"))
    }

    /// Closes stdin, which stops the driver and its workerd; signals the group if it lingers.
    fn stop(&mut self) {
        drop(self.stdin.take());
        let group = self.child.id();
        let deadline = Instant::now() + stack::STOP_GRACE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_)))
                && stack::group_members(group).is_empty()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for signal in ["TERM", "KILL"] {
            let _ = Command::new("kill")
                .args(["-s", signal, "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_secs(1));
        }
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.stop();
        }
    }
}

fn measure_and_print(driver: &mut Driver) -> Result {
    let agent = load::keep_alive_client(CONNECTIONS);
    let base = |port: u16| format!("http://127.0.0.1:{port}");
    let mut targets = Vec::new();
    let mut answers = Vec::new();
    for (worker, port) in [(Worker::Inlet, driver.ports.inlet), (Worker::Floor, driver.ports.floor)]
    {
        let (token, answer) = served_form(&agent, &base(port))?;
        answers.push(answer);
        targets.push(Target { worker, base: base(port), token });
    }
    let load = Load { agent, run_tag: stack::random_hex(4)?, group: driver.child.id() };

    println!(
        "edge throughput: Inlet's Worker and a minimal JavaScript Worker in one workerd (Miniflare, \
         direct loopback sockets), local D1, {CONNECTIONS} kept-alive connections"
    );
    match answers.as_slice() {
        [inlet, floor] if inlet == floor => {
            println!("  GET /v1/forms/demo: both answer the same definition and header names");
        }
        [inlet, floor] => {
            println!("  GET /v1/forms/demo answers differ:\n    inlet {inlet}\n    js    {floor}");
        }
        _ => {}
    }
    println!(
        "  {WARM_UP} warm-up requests per path and worker, then {ROUNDS} alternating rounds; \
         cap {} s per path and worker",
        TIME_CAP.as_secs()
    );
    println!();
    println!(
        "  {:<27} {:<6} {:>8} {:>8} {:>8} {:>8} {:>11} {:>6}",
        "path", "worker", "requests", "req/s", "p50 ms", "p99 ms", "cpu us/req", "errors"
    );

    let mut accepted = [0usize; 2];
    let mut failures = 0usize;
    let mut slow_paths = Vec::new();
    for route in Route::ALL {
        let mut tallies = [Tally::default(), Tally::default()];
        let mut next = 0usize;
        for (slot, target) in targets.iter().enumerate() {
            let warm = load.batch(target, route, next, WARM_UP, TIME_CAP);
            next += WARM_UP;
            if route == Route::Lead {
                accepted[slot] += warm.expected;
            }
            failures += warm.errors;
            for sample in &warm.samples {
                println!("  warm-up {} {}: {sample}", target.worker.label(), route.label());
            }
        }
        let per_round = route.requests() / ROUNDS;
        for round in 0..ROUNDS {
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for slot in order {
                let budget = TIME_CAP.saturating_sub(tallies[slot].elapsed);
                let batch = load.batch(&targets[slot], route, next, per_round, budget);
                next += per_round;
                tallies[slot].merge(batch);
            }
        }
        let [inlet, floor] = [Figures::of(&tallies[0]), Figures::of(&tallies[1])];
        for (slot, figures) in [inlet, floor].iter().enumerate() {
            println!(
                "  {:<27} {:<6} {:>8} {:>8.0} {:>8.2} {:>8.2} {:>11.0} {:>6}",
                if slot == 0 { route.label() } else { "" },
                targets[slot].worker.label(),
                figures.requests,
                figures.per_second,
                figures.p50_ms,
                figures.p99_ms,
                figures.cpu_us,
                figures.errors
            );
            for sample in &tallies[slot].samples {
                println!("      {sample}");
            }
        }
        let throughput = ratio(inlet.per_second, floor.per_second);
        println!(
            "  {:<27} {:<6} {:>8} {:>8.2} {:>8.2} {:>8} {:>11.2}{}",
            "",
            "ratio",
            "",
            throughput,
            ratio(inlet.p50_ms, floor.p50_ms),
            "",
            ratio(inlet.cpu_us, floor.cpu_us),
            if throughput < FLOOR_FRACTION { "  below 0.9 of the JS floor" } else { "" }
        );
        if throughput < FLOOR_FRACTION {
            slow_paths.push(route.label());
        }
        if route == Route::Lead {
            accepted[0] += tallies[0].expected;
            accepted[1] += tallies[1].expected;
        }
        failures += inlet.errors + floor.errors;
    }

    let (inlet_rows, floor_rows) = driver.lead_rows()?;
    println!();
    println!(
        "  ratio: Inlet / JS of req/s, of p50 and of CPU per request (above 1: Inlet is slower or costs more)"
    );
    println!(
        "  leads accepted (201, warm-up included) / rows in D1: inlet {} / {inlet_rows}, js {} / {floor_rows}",
        accepted[0], accepted[1]
    );
    if !slow_paths.is_empty() {
        println!("  below {FLOOR_FRACTION} of the floor's req/s: {}", slow_paths.join(", "));
    }
    let rows_match = inlet_rows == accepted[0] as u64 && floor_rows == accepted[1] as u64;
    match (failures, rows_match) {
        (0, true) => Ok(()),
        (0, false) => Err("the rows in D1 do not match the leads accepted".to_owned()),
        (failed, _) => Err(format!("{failed} requests were not answered as expected")),
    }
}

/// A form token the worker at `base` serves with the demo form, and what the answer was made of
/// (the definition as JSON, the names of its headers), to check both workers answer alike.
fn served_form(agent: &ureq::Agent, base: &str) -> Result<(String, String)> {
    let mut response = agent
        .get(format!("{base}/v1/forms/demo"))
        .header("origin", ORIGIN)
        .call()
        .map_err(|e| format!("{base}/v1/forms/demo: {e}"))?;
    let body = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("{base}/v1/forms/demo answered {}: {body}", response.status()));
    }
    let token = response
        .headers()
        .get("inlet-form-token")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| format!("{base}/v1/forms/demo served no form token"))?
        .to_owned();
    let definition: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("{base}/v1/forms/demo: {e}"))?;
    let mut names: Vec<&str> = response.headers().keys().map(|name| name.as_str()).collect();
    // Framing differs by who wrote the answer, not by what it says.
    names.retain(|name| !matches!(*name, "content-length" | "transfer-encoding" | "date"));
    names.sort_unstable();
    Ok((token, format!("{definition} {}", names.join(","))))
}

/// What every batch of requests shares: the client, a tag that keeps this run's idempotency keys
/// apart, and the driver's process group, whose CPU time is read around each batch.
struct Load {
    agent: ureq::Agent,
    run_tag: String,
    group: u32,
}

impl Load {
    /// Sends `count` requests for `route` to `target`, numbered from `first`, from [`CONNECTIONS`]
    /// threads, stopping early once `budget` has passed.
    fn batch(
        &self,
        target: &Target,
        route: Route,
        first: usize,
        count: usize,
        budget: Duration,
    ) -> Tally {
        let tally = Mutex::new(Tally::default());
        let cpu_before = stack::group_cpu_ms(self.group);
        let started = Instant::now();
        load::spread(CONNECTIONS, count, |n| {
            if started.elapsed() > budget {
                return;
            }
            let sent_at = Instant::now();
            let answer = send(&self.agent, target, route, &self.run_tag, first + n);
            let elapsed_ms = sent_at.elapsed().as_secs_f64() * 1000.0;
            let Ok(mut tally) = tally.lock() else { return };
            tally.latencies_ms.push(elapsed_ms);
            let unexpected = match answer {
                Ok((status, _)) if status == route.expected_status() => None,
                Ok((status, body)) => {
                    Some(format!("{status} {}", body.chars().take(200).collect::<String>()))
                }
                Err(error) => Some(error),
            };
            match unexpected {
                None => tally.expected += 1,
                Some(sample) => {
                    tally.errors += 1;
                    if tally.samples.len() < MAX_SAMPLES {
                        tally.samples.push(sample);
                    }
                }
            }
        });
        let elapsed = started.elapsed();
        let cpu_ms = stack::group_cpu_ms(self.group).saturating_sub(cpu_before);
        let tally = tally.into_inner().unwrap_or_default();
        Tally { elapsed, cpu_ms, ..tally }
    }
}

/// One request; its status and body, or why there was none. The body is read to its end, which
/// hands the connection back to the pool.
fn send(
    agent: &ureq::Agent,
    target: &Target,
    route: Route,
    run_tag: &str,
    n: usize,
) -> std::result::Result<(u16, String), String> {
    let answer = match route {
        Route::Health => agent.get(format!("{}/health", target.base)).call(),
        Route::Form => {
            agent.get(format!("{}/v1/forms/demo", target.base)).header("origin", ORIGIN).call()
        }
        Route::Lead => agent
            .post(format!("{}/v1/forms/demo/leads", target.base))
            .header("origin", ORIGIN)
            .header("content-type", "application/json")
            .header("cf-connecting-ip", format!("198.51.100.{}", n % CLIENTS))
            .header("idempotency-key", format!("bench-{run_tag}-{}-{n}", target.worker.label()))
            .send(lead_body(n, &target.token)),
    };
    let mut response = answer.map_err(|e| e.to_string())?;
    let body = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    Ok((response.status().as_u16(), body))
}

/// A submission as the widget sends it for the demo form: every field, the page it was sent from,
/// the form token, and the empty honeypot. The email differs per request, as visitors do.
fn lead_body(n: usize, token: &str) -> String {
    serde_json::json!({
        "fields": {
            "name": format!("Visitor {n}"),
            "email": format!("visitor{n}@example.com"),
            "phone": "(415) 555-0123",
            "message": "A few shingles blew off in last night's storm and there's a wet patch on the ceiling.",
            "consent": true,
        },
        "context": {"page_url": format!("{ORIGIN}/contact"), "utm": {"utm_source": "bench"}},
        "token": token,
        "honeypot": "",
    })
    .to_string()
}

/// The two workers' loopback ports, as the driver announces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ports {
    inlet: u16,
    floor: u16,
}

fn parse_ports(line: &str) -> Option<Ports> {
    let (inlet, floor) = read_pair(line)?;
    Some(Ports { inlet: u16::try_from(inlet).ok()?, floor: u16::try_from(floor).ok()? })
}

/// `{"inlet": N, "floor": N}`, the shape of each of the driver's answers.
fn read_pair(line: &str) -> Option<(u64, u64)> {
    let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    Some((value.get("inlet")?.as_u64()?, value.get("floor")?.as_u64()?))
}

/// What the benchmark takes from wrangler.toml, so both workers run as the Worker is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WranglerSettings {
    compatibility_date: String,
    /// The D1 database's id, which names its local file.
    database_id: String,
    /// `[vars]`, in file order.
    vars: Vec<(String, String)>,
}

/// Reads the top-level `compatibility_date`, the first `[[d1_databases]]`'s `database_id` and the
/// `[vars]` table. Only `key = "value"` lines are read, which is all this file holds for them.
fn read_wrangler_toml(text: &str) -> Result<WranglerSettings> {
    let mut section = "";
    let (mut compatibility_date, mut database_id, mut vars) = (None, None, Vec::new());
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let Some((key, value)) = string_setting(line) else { continue };
        match (section, key) {
            ("", "compatibility_date") => compatibility_date = Some(value),
            ("[[d1_databases]]", "database_id") if database_id.is_none() => {
                database_id = Some(value);
            }
            ("[vars]", _) => vars.push((key.to_owned(), value)),
            _ => {}
        }
    }
    Ok(WranglerSettings {
        compatibility_date: compatibility_date.ok_or("wrangler.toml has no compatibility_date")?,
        database_id: database_id.ok_or("wrangler.toml has no [[d1_databases]] database_id")?,
        vars,
    })
}

/// `key = "value"`, maybe followed by a comment; `None` for anything else (comments, numbers,
/// arrays, strings with escapes).
fn string_setting(line: &str) -> Option<(&str, String)> {
    let (key, rest) = line.split_once('=')?;
    let (value, after) = rest.trim().strip_prefix('"')?.split_once('"')?;
    let after = after.trim();
    (!value.contains('\\') && (after.is_empty() || after.starts_with('#')))
        .then(|| (key.trim(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drivers_answers_are_read() {
        assert_eq!(
            parse_ports(r#"{"inlet": 40001, "floor": 40002}"#),
            Some(Ports { inlet: 40001, floor: 40002 })
        );
        assert_eq!(read_pair(" {\"inlet\":12,\"floor\":0}\n"), Some((12, 0)));
        for noise in ["", "[workerd info] ready", r#"{"inlet": 1}"#, r#"{"error": "x"}"#] {
            assert_eq!(read_pair(noise), None, "{noise}");
        }
        assert_eq!(parse_ports(r#"{"inlet": 70000, "floor": 1}"#), None);
    }

    #[test]
    fn wrangler_toml_gives_date_database_and_vars() {
        let text = r#"
name = "inlet"
compatibility_date = "2026-11-01"
[[d1_databases]]
binding = "DB"
database_id = "0000" # a comment
migrations_dir = "edge/migrations"
[vars]
# Where Turnstile tokens are verified.
TURNSTILE_BASE_URL = "https://challenges.cloudflare.com"
EMAIL_FROM = ""
[[queues.producers]]
queue = "inlet-deliveries"
"#;
        assert_eq!(
            read_wrangler_toml(text),
            Ok(WranglerSettings {
                compatibility_date: "2026-11-01".into(),
                database_id: "0000".into(),
                vars: vec![
                    ("TURNSTILE_BASE_URL".into(), "https://challenges.cloudflare.com".into()),
                    ("EMAIL_FROM".into(), String::new()),
                ],
            })
        );
        assert!(read_wrangler_toml("[vars]\nA = \"b\"\n").is_err());
        assert_eq!(string_setting(r#"crons = ["*/10 * * * *"]"#), None);
        assert_eq!(string_setting(r#"A = "x\"y""#), None);
    }

    #[test]
    fn ratios_and_figures() {
        assert_eq!(ratio(90.0, 100.0), 0.9);
        assert_eq!(ratio(5.0, 0.0), 0.0);
        let tally = Tally {
            latencies_ms: (1..=100).map(f64::from).collect(),
            elapsed: Duration::from_secs(2),
            ..Tally::default()
        };
        let figures = Figures::of(&tally);
        assert_eq!((figures.requests, figures.per_second), (100, 50.0));
        assert_eq!((figures.p50_ms, figures.p99_ms), (51.0, 99.0));
    }

    #[test]
    fn each_submission_is_a_distinct_valid_json_object() {
        let body: serde_json::Value = serde_json::from_str(&lead_body(7, "1.ab")).expect("json");
        assert_eq!(body["fields"]["email"], "visitor7@example.com");
        assert_eq!(body["token"], "1.ab");
        assert_ne!(lead_body(1, "t"), lead_body(2, "t"));
    }
}
