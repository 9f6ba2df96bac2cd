//! `cargo xtask <task>`: the one entry point for developer tasks. See `cargo xtask help`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use xtask::mailbox::Mailbox;
use xtask::stack::{self, Stack, StackOptions};
use xtask::tools::{self, Tools};
use xtask::{Result, build, examples, root, run, tidy};

const HELP: &str = "\
usage: cargo xtask <task>

  dev           install what is missing, build, migrate and seed local D1, start the Worker, the
                examples and a local mailbox that receives every email the Worker sends, print their
                URLs (Ctrl-C stops; INLET_PORT, INLET_EXAMPLES_PORT, INLET_MAIL_PORT and INLET_STATE
                choose the ports, default 8787, 8788 and 8789, and the local state folder)
  test          the gates first (clippy for the host and for wasm32, `cargo fmt --check`, tidy's
                rules), then install what is missing, build, run every test; each gate and each
                tidy rule counts as one test; ends with `N passed, N failed`
  e2e           install, build, and run only the browser tests
  build         release builds of the widget (www/pkg) and the Worker (edge/build)
  setup         install the tools only (Rust target, wasm-bindgen, worker-build, npm packages, Chromium)
  bench         build, then drive a sustained burst of submissions at a local Worker and print
                accepted, limited, replayed, rows, duplicates, errors and latencies
  bench-forwarding
                build, then print the time from 201 to a webhook's arrival (median, p99) and how
                many leads arrive through a receiver that fails half its requests
  bench-inbox   build, then seed one business with 100,000 leads and print the inbox's medians and
                p95s (first page, filtered, search, deep cursor), the Argon2id cost in workerd and
                the dashboard's bytes
  bench-widget  build, then load the demo form in throttled Chromium (4x CPU, 1.6 Mbit/s, 150 ms
                round trips) by script tag, by iframe and as hand-written JS, and print time to
                interactive, bytes on the wire and layout shift (medians; INLET_BENCH_RUNS, default 9)
  bench-edge    build the Worker, then run it and a minimal JavaScript Worker doing the same work in
                workerd without wrangler's proxy, and print requests, req/s, p50 and p99 of /health,
                the demo form and a submission on each, with the ratios Inlet / JavaScript
  fuzz          fuzz shared's parsing for INLET_FUZZ_SECONDS (default 60) with cargo-fuzz
  sizes         build, then print the widget's bytes on the wire and the Worker's upload size
  deploy-check  build, then `wrangler deploy --dry-run` into target/deploy-dry-run (no account needed)
  tidy          check the repository's own rules (SQL only in store modules, no panics outside
                tests, a `//!` paragraph atop every file, the edge's layers) and print each violation
";

fn main() -> ExitCode {
    // rustc runs this binary as the linker of the browser builds (`build::leptos_app`).
    if std::env::var_os(build::LINKER_ENV).is_some() {
        return match build::link_browser_wasm(std::env::args_os().skip(1)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("xtask as the browser builds' linker: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let task = std::env::args().nth(1).unwrap_or_default();
    let tools = Tools::locate();
    let result = match task.as_str() {
        "dev" => dev(&tools),
        "test" => test(&tools),
        "e2e" => e2e(&tools),
        "bench" => tools
            .setup(false)
            .and_then(|()| build_all(&tools))
            .and_then(|()| xtask::bench::run(&tools)),
        "bench-forwarding" => tools
            .setup(false)
            .and_then(|()| build_all(&tools))
            .and_then(|()| xtask::bench_forwarding::run(&tools)),
        "bench-inbox" => tools
            .setup(false)
            .and_then(|()| build_all(&tools))
            .and_then(|()| xtask::bench_inbox::run(&tools)),
        "bench-widget" => tools
            .setup(true)
            .and_then(|()| build_all(&tools))
            .and_then(|()| xtask::bench_widget::run(&tools)),
        "bench-edge" => tools
            .setup(false)
            .and_then(|()| build::edge(&tools))
            .and_then(|()| xtask::bench_edge::run(&tools)),
        "fuzz" => {
            tools.setup_fuzz().and_then(|()| fuzz(&tools, env_seconds("INLET_FUZZ_SECONDS", 60)?))
        }
        "build" => tools.setup(false).and_then(|()| build_all(&tools)),
        "setup" => tools.setup(true),
        "tidy" => tidy(),
        "sizes" => {
            tools.setup(false).and_then(|()| build_all(&tools)).and_then(|()| build::print_sizes())
        }
        "deploy-check" => {
            tools.setup(false).and_then(|()| build_all(&tools)).and_then(|()| deploy_check(&tools))
        }
        _ => {
            print!("{HELP}");
            return if task.is_empty() || task == "help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

fn build_all(tools: &Tools) -> Result {
    // For iterating on tests and benchmarks: the last build, as it is.
    if std::env::var_os("INLET_SKIP_BUILD").is_some() {
        eprintln!("INLET_SKIP_BUILD is set: using the last build");
        return Ok(());
    }
    build::widget(tools)?;
    build::dashboard(tools)?;
    build::edge(tools)
}

fn dev(tools: &Tools) -> Result {
    let port = env_port("INLET_PORT", 8787)?;
    let examples_port = env_port("INLET_EXAMPLES_PORT", 8788)?;
    let mail_port = env_port("INLET_MAIL_PORT", 8789)?;
    // Checked before the build too, so a second `cargo xtask dev` says so at once.
    for (name, port) in [
        ("INLET_PORT", port),
        ("INLET_EXAMPLES_PORT", examples_port),
        ("INLET_MAIL_PORT", mail_port),
    ] {
        stack::ensure_port_free(port).map_err(|e| format!("{e} (set {name} to use another)"))?;
    }
    tools.setup(false)?;
    build_all(tools)?;
    let examples_origin = format!("http://localhost:{examples_port}");
    // The operator's token and the demo business's API key, fresh per run (the key replaces the
    // last run's); development lets destinations point at this machine.
    let operator_token = stack::random_hex(16)?;
    let (api_key, api_key_sql) = stack::api_key_seed("t_demo", "dev", "read_write")?;
    let persist: PathBuf =
        std::env::var_os("INLET_STATE").map_or_else(|| root().join(".wrangler/state"), Into::into);
    // Every email the Worker sends goes to the mailbox, whose messages live with the local D1 state
    // (the magic links in them are for that database's accounts). Its key is fresh per run, as the
    // operator token is.
    let mailbox = Mailbox::start(Some(mail_port), Some(persist.join("mailbox.json")))?;
    let vars = vec![
        ("INLET_OPERATOR_TOKEN".to_owned(), operator_token.clone()),
        ("ALLOW_PRIVATE_DESTINATIONS".to_owned(), "true".to_owned()),
        ("EMAIL_BASE_URL".to_owned(), mailbox.url.clone()),
        ("EMAIL_API_KEY".to_owned(), mailbox.api_key.clone()),
        ("EMAIL_FROM".to_owned(), "Inlet <inlet@localhost>".to_owned()),
    ];
    let mut stack = Stack::start(
        tools,
        StackOptions {
            port: Some(port),
            persist,
            fresh: false,
            seed_sql: stack::demo_seed(&examples_origin)
                + &stack::demo_people_seed(stack::now_ms())
                + &api_key_sql,
            vars,
        },
    )?;
    let site = examples::serve(root().join("examples"), stack.url.clone(), examples_port)?;
    println!();
    println!("Inlet is running.");
    println!("  dashboard           {}/app/", stack.url);
    println!(
        "                      (sign in as {} with the password \"{}\", or by emailed link)",
        stack::DEMO_OWNER_EMAIL,
        stack::DEMO_OWNER_PASSWORD
    );
    println!("  API                 {}", stack.url);
    println!("  demo form (JSON)    {}/v1/forms/demo", stack.url);
    println!("  iframe embed page   {}/embed/demo", stack.url);
    println!("  script-tag example  {}/script-tag.html", site.url);
    println!("  iframe example      {}/iframe.html", site.url);
    println!("  local mailbox       {}", mailbox.url);
    println!("  demo's API key      {}/v1/tenants/t_demo/leads", stack.url);
    println!("                      (Authorization: Bearer {api_key})");
    println!("  operator token      {operator_token}");
    println!("                      (only for POST /v1/businesses, which starts a business)");
    // Ctrl-C reaches this process, not the stack (its own process group): stop the stack here and
    // return once every process of it is gone, so the port is free when the prompt comes back.
    let stop_requested = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop_requested);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| format!("could not handle Ctrl-C: {e}"))?;
    println!("Press Ctrl-C to stop.");
    stack.wait(|| stop_requested.load(Ordering::SeqCst))?;
    println!("Inlet stopped.");
    Ok(())
}

fn env_port(name: &str, default: u16) -> Result<u16> {
    match std::env::var(name) {
        Ok(value) => value.parse().map_err(|_| format!("{name}={value} is not a port")),
        Err(_) => Ok(default),
    }
}

fn env_seconds(name: &str, default: u32) -> Result<u32> {
    match std::env::var(name) {
        Ok(value) => {
            value.parse().map_err(|_| format!("{name}={value} is not a number of seconds"))
        }
        Err(_) => Ok(default),
    }
}

/// Runs the fuzz target for `seconds`, starting from the committed seeds. Stable Rust builds it with
/// RUSTC_BOOTSTRAP=1, since cargo-fuzz passes nightly-only sanitizer flags.
fn fuzz(tools: &Tools, seconds: u32) -> Result {
    let corpus = root().join("target/fuzz-corpus");
    std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
    run(Command::new(tools.cargo_fuzz())
        .args(["run", "--fuzz-dir", "shared/fuzz", "parse_submission"])
        .arg(&corpus)
        .arg(root().join("shared/fuzz/seeds"))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .current_dir(root())
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", root().join("target/fuzz")))
}

/// Prints every rule's outcome, and fails if any rule does.
fn tidy() -> Result {
    let outcomes = checked_and_printed()?;
    let failed = outcomes.iter().filter(|outcome| !outcome.passed()).count();
    if failed == 0 { Ok(()) } else { Err(format!("{failed} of {} rules failed", outcomes.len())) }
}

/// Checks tidy's rules against the repository and prints each outcome.
fn checked_and_printed() -> Result<Vec<tidy::Outcome>> {
    let outcomes = tidy::check(&root())?;
    for outcome in &outcomes {
        print!("{}", outcome.report());
    }
    Ok(outcomes)
}

fn deploy_check(tools: &Tools) -> Result {
    let out = root().join("target/deploy-dry-run");
    run(tools.wrangler().args(["deploy", "--dry-run", "--outdir"]).arg(&out))?;
    println!("dry run written to {}", out.display());
    Ok(())
}

/// Counts of tests across runners.
#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    /// `test result: ok. 21 passed; 0 failed; ...` (cargo) or `ℹ pass 3` / `ℹ fail 0` (node --test).
    fn read(&mut self, line: &str) {
        let count = |text: &str| {
            text.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
        };
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let part = part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ");
                if let Some(n) = part.strip_suffix(" passed") {
                    self.passed += count(n);
                } else if let Some(n) = part.strip_suffix(" failed") {
                    self.failed += count(n);
                }
            }
        } else if let Some(n) = line.strip_prefix("ℹ pass ") {
            self.passed += count(n);
        } else if let Some(n) = line.strip_prefix("ℹ fail ") {
            self.failed += count(n);
        }
    }

    /// Counts a check that is one test: a pass if it succeeded, else a failure, said why.
    fn count(&mut self, check: &str, result: Result) {
        match result {
            Ok(()) => self.passed += 1,
            Err(message) => {
                eprintln!("{check} failed: {message}");
                self.failed += 1;
            }
        }
    }

    /// Prints the summary line, and fails if anything failed.
    fn finish(&self) -> Result {
        println!("{} passed, {} failed", self.passed, self.failed);
        if self.failed == 0 { Ok(()) } else { Err(format!("{} failed", self.failed)) }
    }
}

/// Runs a test command, echoing its output and counting its results. A runner that fails without
/// reporting a failed test (a compile error, a crash) counts as one failure.
fn run_tests(command: &mut Command, tally: &mut Tally) -> Result {
    let before = tally.failed;
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start tests: {e}"))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            println!("{line}");
            tally.read(&line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() && tally.failed == before {
        tally.failed += 1;
    }
    Ok(())
}

fn e2e(tools: &Tools) -> Result {
    tools.setup(true)?;
    build_all(tools)?;
    let mut tally = Tally::default();
    browser_tests(tools, &mut tally)?;
    tally.finish()
}

/// The examples in headless Chromium against a fresh stack.
fn browser_tests(tools: &Tools, tally: &mut Tally) -> Result {
    let examples_port = stack::free_port()?;
    let examples_origin = format!("http://localhost:{examples_port}");
    let seed = stack::browser_test_seed(&examples_origin);
    // The dashboard's tests read their emailed links from a mailbox, as a person would.
    let mailbox = Mailbox::start(None, None)?;
    let mut options = StackOptions::scratch("inlet-e2e", seed);
    options.vars = vec![
        ("EMAIL_BASE_URL".to_owned(), mailbox.url.clone()),
        ("EMAIL_API_KEY".to_owned(), mailbox.api_key.clone()),
        ("EMAIL_FROM".to_owned(), "Inlet <inlet@localhost>".to_owned()),
    ];
    let stack = Stack::start(tools, options)?;
    let site = examples::serve(root().join("examples"), stack.url.clone(), examples_port)?;
    let mut command = Command::new(tools.node());
    command
        .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
        .args(match std::env::var("INLET_E2E") {
            Ok(files) => vec![files],
            Err(_) => {
                vec!["widget/e2e/*.test.mjs".to_owned(), "dashboard/e2e/*.test.mjs".to_owned()]
            }
        })
        .current_dir(root())
        .env("INLET_API_URL", &stack.url)
        .env("INLET_EXAMPLES_URL", &site.url)
        .env("INLET_MAILBOX_URL", &mailbox.url)
        .env("INLET_PERSIST", &stack.persist)
        .env("INLET_NODE", tools.node())
        .env("INLET_WRANGLER", tools.node_modules.join("wrangler/bin/wrangler.js"))
        .env("INLET_CHROMIUM", tools::chromium());
    run_tests(&mut command, tally)
}

/// The quality gates, each one count, every one run whatever the others do: clippy for the host and
/// for wasm32, formatting (the workspace, and shared/fuzz, which is a workspace of its own), and each
/// of tidy's rules.
fn gates(tally: &mut Tally) {
    let cargo = |args: &[&str]| {
        let mut command = Command::new("cargo");
        command.args(args).current_dir(root());
        command
    };
    let clippy =
        run(&mut cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]));
    tally.count("clippy (host)", clippy);
    // For wasm32, the libraries only: no test target builds there, since proptest, a dev-dependency
    // of three of them, needs getrandom's `wasm_js` feature. Their tests run natively instead.
    let clippy = tools::ensure_wasm_target().and_then(|()| {
        run(&mut cargo(&[
            "clippy",
            "--target",
            "wasm32-unknown-unknown",
            "--package",
            "inlet-shared",
            "--package",
            "inlet-widget",
            "--package",
            "inlet-dashboard",
            "--package",
            "inlet-edge",
            "--lib",
            "--",
            "-D",
            "warnings",
        ]))
    });
    tally.count("clippy (wasm32)", clippy);
    // Both run, so that one run names every file out of format.
    let formatted = [
        run(&mut cargo(&["fmt", "--all", "--check"])),
        run(&mut cargo(&["fmt", "--check", "--manifest-path", "shared/fuzz/Cargo.toml"])),
    ];
    tally.count("formatting", formatted.into_iter().collect());
    match checked_and_printed() {
        Ok(outcomes) => {
            for outcome in outcomes {
                let failed = outcome.violations.len();
                let result =
                    if failed == 0 { Ok(()) } else { Err(format!("{failed} violation(s)")) };
                tally.count(&format!("tidy: {}", outcome.rule), result);
            }
        }
        Err(message) => tally.count("tidy", Err(message)),
    }
}

fn test(tools: &Tools) -> Result {
    let mut tally = Tally::default();
    // The gates first: they need neither the tools nor the builds, so a lint, a formatting slip or a
    // broken rule shows within minutes, not after every suite.
    gates(&mut tally);
    if let Err(message) = tools.setup(true).and_then(|()| build_all(tools)) {
        // The suites need the tools and the builds; what ran so far is still counted.
        tally.count("setup and build", Err(message));
        return tally.finish();
    }
    // Every stack the tests start notes its process group here, to be checked at the end.
    let registry = root().join("target/inlet-stacks.txt");
    let _ = std::fs::remove_file(&registry);

    // Native tests (shared, the edge's pure modules, the widget's state), the edge's HTTP tests against
    // real workerd, and the stack's own tests (`cargo xtask dev` in a terminal among them), which start
    // their own stacks.
    run_tests(
        Command::new("cargo")
            .args(["test", "--workspace", "--color", "never"])
            .current_dir(root())
            .env(stack::REGISTRY_ENV, &registry),
        &mut tally,
    )?;

    browser_tests(tools, &mut tally)?;

    // shared's parsing under the fuzzer: a crash or a broken invariant fails the run.
    let fuzzed =
        tools.setup_fuzz().and_then(|()| fuzz(tools, env_seconds("INLET_FUZZ_SECONDS", 30)?));
    tally.count("fuzzing", fuzzed);

    // The widget's bytes on the wire, against its budget (deterministic: pinned toolchain and tools).
    tally.count("size check", build::print_sizes());

    // Deployable as it stands: the bundle wrangler would upload builds offline, with no account.
    tally.count("deploy check", deploy_check(tools));

    // Nothing the tests started is left running: test binaries keep their stack in a `static` that is
    // never dropped, so this checks the watchdog that stops it when the binary exits.
    let patience = stack::STOP_GRACE + Duration::from_secs(10);
    let left = stack::wait_for_registered_stacks(&registry, patience)
        .map(|count| println!("no process left of the {count} stacks the tests started"));
    tally.count("leftover check", left);

    tally.finish()
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn tally_reads_cargo_and_node_summaries() {
        let mut tally = Tally::default();
        for line in [
            "test result: ok. 21 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: FAILED. 15 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 8.6s",
            "test intake::x ... ok",
            "ℹ pass 7",
            "ℹ fail 1",
            "ℹ tests 8",
        ] {
            tally.read(line);
        }
        assert_eq!((tally.passed, tally.failed), (43, 3));
    }

    #[test]
    fn a_check_counts_as_one_test() {
        let mut tally = Tally::default();
        tally.count("clippy (host)", Ok(()));
        assert_eq!(tally.finish(), Ok(()));
        tally.count("formatting", Err("src/lib.rs is not formatted".to_owned()));
        assert_eq!((tally.passed, tally.failed), (1, 1));
        assert_eq!(tally.finish(), Err("1 failed".to_owned()));
    }
}
