//! The local stack: workerd through `wrangler dev`, with local D1 migrated and seeded. Used by
//! `cargo xtask dev`, by `cargo xtask test` for the browser tests, and by the edge's HTTP tests.
//!
//! Each `Stack` owns its D1 state folder and its `wrangler dev` process group (wrangler and the workerd
//! it starts). Stopping a stack signals the whole group and waits until it is empty. A watchdog process
//! stops the group when the process that started it exits, so a test binary that never drops its
//! `Stack` (a `static`), or a `cargo xtask dev` ended by Ctrl-C, still leaves nothing running.
//!
//! The Worker's variables and secrets reach `wrangler dev` through an env file readable only by its
//! owner, never through its command line, which any local user can read with `ps`.

use crate::tools::Tools;
use crate::{Result, output, run};
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where a stack keeps its state and how it starts.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Port for the Worker; `None` picks a free one. A port already in use is an error, never
    /// someone else's server adopted as ours.
    pub port: Option<u16>,
    /// Folder for local D1 (and later Durable Object and Queue) state.
    pub persist: PathBuf,
    /// Start from an empty database.
    pub fresh: bool,
    /// SQL run after migrations and before the Worker starts (none if empty).
    pub seed_sql: String,
    /// Extra Worker variables and secrets, e.g. provider base URLs pointing at test receivers, or an
    /// operator token. Written to the stack's env file (mode 0600), not to a command line.
    pub vars: Vec<(String, String)>,
}

impl StackOptions {
    /// A stack of its own for one run: a free port, and an empty database in `target/{name}` with
    /// `seed_sql` in it; no extra variables.
    pub fn scratch(name: &str, seed_sql: String) -> StackOptions {
        StackOptions {
            port: None,
            persist: crate::root().join("target").join(name),
            fresh: true,
            seed_sql,
            vars: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct Stack {
    pub url: String,
    pub persist: PathBuf,
    tools: Tools,
    child: Child,
}

impl Stack {
    /// CPU time the stack's processes (workerd and wrangler) have used so far, in milliseconds.
    pub fn cpu_ms(&self) -> u64 {
        group_cpu_ms(self.child.id())
    }

    /// Migrates, seeds and starts the Worker, and returns once `/health` answers. Expects a prior
    /// `cargo xtask build`.
    pub fn start(tools: &Tools, options: StackOptions) -> Result<Stack> {
        let built = crate::root().join("edge/build/index.js");
        if !built.exists() {
            return Err(format!("{} is missing: run `cargo xtask build` first", built.display()));
        }
        let port = match options.port {
            Some(port) => {
                ensure_port_free(port)?;
                port
            }
            None => free_port()?,
        };
        if options.fresh && options.persist.exists() {
            std::fs::remove_dir_all(&options.persist)
                .map_err(|e| format!("{}: {e}", options.persist.display()))?;
        }
        std::fs::create_dir_all(&options.persist)
            .map_err(|e| format!("{}: {e}", options.persist.display()))?;
        let persist = options.persist.canonicalize().map_err(|e| e.to_string())?;
        migrate(tools, &persist)?;
        if !options.seed_sql.trim().is_empty() {
            let seed = persist.join("seed.sql");
            std::fs::write(&seed, &options.seed_sql)
                .map_err(|e| format!("{}: {e}", seed.display()))?;
            run(tools
                .wrangler()
                .args(["d1", "execute", "DB", "--local", "--persist-to"])
                .arg(&persist)
                .arg("--file")
                .arg(&seed))?;
        }

        // A fresh secret per stack, as an operator's would be: no secret is ever committed.
        // And its own address as the public base URL that emailed links start with (a test or
        // `dev` may name another).
        let mut vars = vec![
            ("INLET_SECRET".to_owned(), random_hex(24)?),
            ("PUBLIC_BASE_URL".to_owned(), format!("http://127.0.0.1:{port}")),
        ];
        vars.extend(options.vars.iter().cloned());
        let env_file = persist.join(ENV_FILE);
        write_env_file(&env_file, &vars)?;
        let log_path = persist.join("wrangler.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let mut command = tools.wrangler();
        command
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string(), "--inspector-port"])
            .arg(free_port()?.to_string())
            .args(["--show-interactive-dev-session=false", "--persist-to"])
            .arg(&persist)
            .arg("--env-file")
            .arg(&env_file);
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("could not start wrangler dev: {e}"))?;
        stop_when_this_process_exits(child.id());
        register(child.id())?;
        let mut stack =
            Stack { url: format!("http://127.0.0.1:{port}"), persist, tools: tools.clone(), child };
        stack.wait_until_healthy(&log_path)?;
        Ok(stack)
    }

    fn wait_until_healthy(&mut self, log_path: &Path) -> Result {
        let deadline = Instant::now() + Duration::from_secs(90);
        let health = format!("{}/health", self.url);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                return Err(format!("wrangler dev exited ({status}):\n{log}"));
            }
            if answered(&health) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        self.stop();
        Err(format!("wrangler dev did not answer {health} within 90 s; see {}", log_path.display()))
    }

    /// A variable or secret as the stack handed it to the Worker (from its env file), e.g. the
    /// `INLET_SECRET` it generated, for tests that must sign as the Worker does.
    pub fn worker_var(&self, name: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.persist.join(ENV_FILE)).ok()?;
        let prefix = format!("{name}=\"");
        text.lines()
            .find_map(|line| Some(line.strip_prefix(&prefix)?.strip_suffix('"')?.to_owned()))
    }

    /// Runs SQL against the stack's local D1 through wrangler and returns the rows of the last
    /// statement as JSON objects.
    pub fn query(&self, sql: &str) -> Result<Vec<serde_json::Value>> {
        let json = output(
            self.tools
                .wrangler()
                .args(["d1", "execute", "DB", "--local", "--json", "--persist-to"])
                .arg(&self.persist)
                .args(["--command", sql]),
        )?;
        let parsed: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| format!("{e}: {json}"))?;
        Ok(parsed
            .as_array()
            .and_then(|results| results.last())
            .and_then(|last| last["results"].as_array())
            .cloned()
            .unwrap_or_default())
    }

    /// The number a query such as `SELECT count(*) AS n ...` answers: its first row's only column.
    pub fn number(&self, sql: &str) -> Result<u64> {
        let rows = self.query(sql)?;
        rows.first()
            .and_then(|row| row.as_object()?.values().next()?.as_u64())
            .ok_or_else(|| format!("no number in the answer to {sql}: {rows:?}"))
    }

    /// The process group of `wrangler dev` and the workerd it started.
    pub fn process_group(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the stack stops by itself, or until `stop_requested` turns true (for
    /// `cargo xtask dev`, whose Ctrl-C handler sets it), then stops it.
    pub fn wait(&mut self, stop_requested: impl Fn() -> bool) -> Result {
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                self.stop();
                return Err(format!(
                    "wrangler dev exited ({status}); see {}",
                    self.persist.join("wrangler.log").display()
                ));
            }
            if stop_requested() {
                self.stop();
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops every process of the stack and returns once they are gone: a polite TERM, and a KILL for
    /// whatever is still there after a grace period.
    pub fn stop(&mut self) {
        let group = self.child.id();
        signal_group(group, "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && !(self.reap() && group_members(group).is_empty()) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if !group_members(group).is_empty() {
            signal_group(group, "KILL");
        }
        let _ = self.child.wait();
    }

    /// Collects wrangler's exit status if it has exited; `true` once it has.
    fn reap(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

/// The stack's env file, in its folder: the Worker's variables and secrets, mode 0600.
pub const ENV_FILE: &str = "worker.env";

/// How long a stack's processes get to exit after TERM before they are killed.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Names a file to which every stack started with it in the environment appends its process group,
/// so `cargo xtask test` can check at the end that every stack its tests started is gone.
pub const REGISTRY_ENV: &str = "INLET_STACK_REGISTRY";

fn register(group: u32) -> Result {
    let Some(path) = std::env::var_os(REGISTRY_ENV) else { return Ok(()) };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("{path:?}: {e}"))?;
    writeln!(file, "{group}").map_err(|e| format!("{path:?}: {e}"))
}

/// Waits up to `patience` for every stack group named in `registry` to be empty; returns how many
/// Whether the Worker itself answered `url`: a 200, or its own 500 problem (a Worker started with a
/// malformed setting answers every request so, and the tests of that need it started). Anything
/// else, wrangler's own error pages included, means not yet.
fn answered(url: &str) -> bool {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let Ok(mut response) = agent.get(url).call() else { return false };
    match response.status().as_u16() {
        200 => true,
        500 => response
            .body_mut()
            .read_to_string()
            .is_ok_and(|body| body.contains("\"internal_error\"")),
        _ => false,
    }
}

/// stacks there were, or the processes still running.
pub fn wait_for_registered_stacks(registry: &Path, patience: Duration) -> Result<usize> {
    let text = std::fs::read_to_string(registry).unwrap_or_default();
    let groups: Vec<u32> = text.lines().filter_map(|line| line.trim().parse().ok()).collect();
    let deadline = Instant::now() + patience;
    loop {
        let left: Vec<u32> = groups.iter().flat_map(|group| group_members(*group)).collect();
        if left.is_empty() {
            return Ok(groups.len());
        }
        if Instant::now() >= deadline {
            let described: Vec<String> = left
                .iter()
                .map(|pid| format!("{pid}: {}", command_line(*pid).unwrap_or_default()))
                .collect();
            return Err(format!(
                "processes of stopped stacks are still running:\n{}",
                described.join("\n")
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn migrate(tools: &Tools, persist: &Path) -> Result {
    run(tools
        .wrangler()
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(persist))
}

/// Fails, naming the port, if something already listens on `port` (on 127.0.0.1 or every address).
pub fn ensure_port_free(port: u16) -> Result {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "port {port} is already in use, perhaps by an Inlet started earlier: stop that one, or pick another port"
        )),
    }
}

pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Sends `signal` to process group `group` with the system's `kill` program (not a shell builtin:
/// dash's `kill` refuses the `--` that keeps a negative group id from reading as an option).
fn signal_group(group: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

/// Every process on the machine, by the numbered folders of `/proc`.
pub fn processes() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok()).collect()
}

/// A process's command line, its arguments joined by spaces; `None` once it is gone.
pub fn command_line(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&raw).replace('\0', " "))
}

/// The processes whose process group is `group`, read from `/proc`.
pub fn group_members(group: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat_group(&stat) == Some(group))
        })
        .collect()
}

/// CPU time (user and system) the processes of `group` have used so far, in milliseconds, from
/// `/proc` (clock ticks of 10 ms: Linux's USER_HZ is 100). Processes that ended are not counted.
pub fn group_cpu_ms(group: u32) -> u64 {
    group_members(group)
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (_, after_comm) = stat.rsplit_once(')')?;
            let mut fields = after_comm.split_whitespace().skip(11);
            let user: u64 = fields.next()?.parse().ok()?;
            let system: u64 = fields.next()?.parse().ok()?;
            Some((user + system) * 10)
        })
        .sum()
}

/// The process group field of a `/proc/PID/stat` line: `pid (comm) state ppid pgrp ...`, where `comm`
/// may itself hold spaces and parentheses.
fn stat_group(stat: &str) -> Option<u32> {
    let (_, after_comm) = stat.rsplit_once(')')?;
    after_comm.split_whitespace().nth(2)?.parse().ok()
}

/// A detached shell that stops the group `group` leads once this process is gone. The shell is dash on
/// Debian, so `kill` is given the POSIX form `-SIGNAL -GROUP`, with no `--`.
fn stop_when_this_process_exits(group: u32) {
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 1; done; kill -TERM -{group} 2>/dev/null; sleep {grace}; kill -KILL -{group} 2>/dev/null",
        grace = STOP_GRACE.as_secs()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

/// Writes the Worker's variables as a dotenv file that only its owner can read. Values are quoted; a
/// value that quoting cannot carry (a quote, a backslash, a line break) is refused.
fn write_env_file(path: &Path, vars: &[(String, String)]) -> Result {
    let mut text = String::new();
    for (name, value) in vars {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || value.contains(['"', '\\', '\n', '\r'])
        {
            return Err(format!("variable {name} cannot be written to an env file"));
        }
        text.push_str(&format!("{name}=\"{value}\"\n"));
    }
    // Removed first: an existing file would keep its old mode.
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

/// `bytes` random bytes from the kernel, as hex.
pub fn random_hex(bytes: usize) -> Result<String> {
    use std::io::Read;
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buffer))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// Quotes a string as an SQL literal.
pub fn sql_text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// SQL that creates (or refreshes) a tenant and one form with its private settings (`{}` for defaults).
pub fn form_seed(
    tenant_id: &str,
    tenant_name: &str,
    definition: &serde_json::Value,
    allowed_origins: &[&str],
    settings: &serde_json::Value,
) -> String {
    let form_id = definition["id"].as_str().unwrap_or_default();
    let origins = serde_json::to_string(allowed_origins).unwrap_or_else(|_| "[]".to_owned());
    format!(
        "INSERT INTO tenants (id, name, created_at) VALUES ({t}, {n}, 0) ON CONFLICT (id) DO UPDATE SET name = excluded.name;\n\
         INSERT INTO forms (tenant_id, id, definition, allowed_origins, settings, created_at, updated_at) \
         VALUES ({t}, {f}, {d}, {o}, {s}, 0, 0) ON CONFLICT (tenant_id, id) DO UPDATE SET \
         definition = excluded.definition, allowed_origins = excluded.allowed_origins, settings = excluded.settings;\n",
        t = sql_text(tenant_id),
        n = sql_text(tenant_name),
        f = sql_text(form_id),
        d = sql_text(&definition.to_string()),
        o = sql_text(&origins),
        s = sql_text(&settings.to_string()),
    )
}

/// The demo business and its form `demo`, which the examples embed, with the product's default defences.
pub fn demo_seed(examples_origin: &str) -> String {
    form_seed(
        "t_demo",
        "Demo Roofing",
        &demo_definition("demo"),
        &[examples_origin],
        &serde_json::json!({}),
    )
}

/// Milliseconds since the Unix epoch, by this machine's clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// The demo's owner, who signs in to the dashboard with [`DEMO_OWNER_EMAIL`] and
/// [`DEMO_OWNER_PASSWORD`] (or an emailed link, from the local mailbox).
pub const DEMO_OWNER_EMAIL: &str = "owner@demo-roofing.example";
/// Printed by `cargo xtask dev`; only ever a local demo's.
pub const DEMO_OWNER_PASSWORD: &str = "demo owner password";
/// The Argon2id hash of [`DEMO_OWNER_PASSWORD`] (m=19 MiB, t=2, p=1, as the Worker makes them).
const DEMO_OWNER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$dv/FvUWvJDwuUOU0zXeJlQ$RjxkXEG05awruwfQlCjqos+4T57VO2N0Crsd/KxUhX8";

/// A fresh API key of `tenant_id` named `name`, with `scope` (`read` or `read_write`): its secret,
/// and the SQL that stores it as the Worker does, as the SHA-256 of the part after `inlet_`. The
/// row's id is `key_{name}`, so seeding the same name again replaces that key (the old secret stops
/// working).
pub fn api_key_seed(tenant_id: &str, name: &str, scope: &str) -> Result<(String, String)> {
    use sha2::Digest;
    // 26 random bytes as hex: 52 characters of the token's alphabet, as many as the Worker's own.
    let token = random_hex(26)?;
    let hash: String =
        sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let secret = format!("inlet_{token}");
    let sql = format!(
        "INSERT INTO api_keys (tenant_id, id, name, scope, shown, token_hash, created_at) \
         VALUES ({tenant}, {id}, {name}, {scope}, {shown}, {hash}, 0) \
         ON CONFLICT (tenant_id, id) DO UPDATE SET token_hash = excluded.token_hash, \
         shown = excluded.shown, scope = excluded.scope, revoked_at = NULL;\n",
        tenant = sql_text(tenant_id),
        id = sql_text(&format!("key_{name}")),
        name = sql_text(name),
        scope = sql_text(scope),
        shown = sql_text(&secret[..10]),
        hash = sql_text(&hash),
    );
    Ok((secret, sql))
}

/// SQL that makes `email` the owner of `tenant_id`, signing in with [`DEMO_OWNER_PASSWORD`]; rows
/// that exist are kept.
pub fn owner_seed(tenant_id: &str, email: &str) -> String {
    format!(
        "INSERT INTO users (id, email, password_hash, created_at) VALUES ({user}, {email}, {hash}, 0) \
         ON CONFLICT (email) DO NOTHING;\n\
         INSERT INTO members (tenant_id, user_id, role, created_at) \
         SELECT {tenant}, id, 'owner', 0 FROM users WHERE email = {email} \
         ON CONFLICT (tenant_id, user_id) DO NOTHING;\n",
        user = sql_text(&format!("usr_{}_owner", tenant_id.trim_start_matches("t_"))),
        tenant = sql_text(tenant_id),
        email = sql_text(email),
        hash = sql_text(DEMO_OWNER_HASH),
    )
}

/// The demo's owner and three dozen leads on the form `demo`, spread over the last five weeks. Run
/// on every `cargo xtask dev`; rows that exist are kept as they are, so work done in the dashboard
/// survives a restart.
pub fn demo_people_seed(now_ms: u64) -> String {
    let mut sql = owner_seed("t_demo", DEMO_OWNER_EMAIL);
    let consent_text = "I agree that Demo Roofing may contact me about my request.";
    for (n, lead) in demo_leads().iter().enumerate() {
        let created = now_ms.saturating_sub(lead.hours_ago * 3_600_000);
        let mut fields = serde_json::json!({
            "name": lead.name, "email": lead.email, "message": lead.message, "consent": true,
        });
        if let Some(phone) = lead.phone {
            fields["phone"] = serde_json::json!(phone);
        }
        let consents = serde_json::json!([{
            "field": "consent", "text": consent_text, "version": "2026-11-01", "given": true,
        }]);
        let optional = |value: Option<&str>| value.map_or_else(|| "NULL".to_owned(), sql_text);
        sql += &format!(
            "INSERT INTO leads (tenant_id, id, form_id, fields, email, phone, consents, page_url, referrer, \
             utm_source, utm_campaign, created_at) VALUES ('t_demo', 'ld_demo_{n:02}', 'demo', {fields}, {email}, \
             {phone}, {consents}, 'https://demo-roofing.example/contact', {referrer}, {source}, {campaign}, {created}) \
             ON CONFLICT (tenant_id, id) DO NOTHING;\n",
            fields = sql_text(&fields.to_string()),
            email = sql_text(lead.email),
            phone = optional(lead.phone),
            consents = sql_text(&consents.to_string()),
            referrer = optional(lead.source.map(|s| match s {
                "google" => "https://www.google.com/",
                "facebook" => "https://www.facebook.com/",
                _ => "https://newsletter.demo-roofing.example/",
            })),
            source = optional(lead.source),
            campaign = optional(lead.campaign),
        );
    }
    sql
}

struct DemoLead {
    name: &'static str,
    email: &'static str,
    phone: Option<&'static str>,
    message: &'static str,
    source: Option<&'static str>,
    campaign: Option<&'static str>,
    hours_ago: u64,
}

fn demo_leads() -> Vec<DemoLead> {
    let people: [(&str, &str, Option<&str>); 12] = [
        ("Maria Gonzalez", "maria.gonzalez@example.com", Some("+14155550101")),
        ("James Whitaker", "j.whitaker@example.net", Some("+14155550102")),
        ("Aisha Khan", "aisha.khan@example.org", None),
        ("Tom O'Brien", "tom.obrien@example.com", Some("+14155550104")),
        ("Li Wei", "li.wei@example.com", Some("+14155550105")),
        ("Sofia Rossi", "sofia.rossi@example.it", None),
        ("Daniel Okafor", "d.okafor@example.com", Some("+14155550107")),
        ("Emma Schultz", "emma.schultz@example.de", Some("+14155550108")),
        ("Carlos Mendes", "carlos.mendes@example.com", None),
        ("Grace Park", "grace.park@example.com", Some("+14155550110")),
        ("Noah Fischer", "noah.fischer@example.com", Some("+14155550111")),
        ("Priya Nair", "priya.nair@example.in", None),
    ];
    let messages = [
        "A few shingles blew off in last night's storm and there's a wet patch on the ceiling.",
        "Looking for a quote to replace the whole roof on a 1,800 sq ft ranch house.",
        "Our gutters overflow every time it rains. Can you clean and check them?",
        "Moss is growing all over the north side of the roof. Is that a problem?",
        "We're selling the house and the inspector flagged the flashing around the chimney.",
        "Skylight is leaking around the edges, water drips when it rains hard.",
        "Need an inspection for insurance after the hail storm on Tuesday.",
        "Can you install solar-ready roofing? We plan to add panels next year.",
        "",
    ];
    let sources: [(Option<&str>, Option<&str>); 4] = [
        (Some("google"), Some("spring-inspections")),
        (Some("facebook"), Some("storm-repair")),
        (Some("newsletter"), Some("november")),
        (None, None),
    ];
    (0..36)
        .map(|n| {
            let (name, email, phone) = people[n % people.len()];
            let (source, campaign) = sources[n % sources.len()];
            DemoLead {
                name,
                email,
                phone,
                message: messages[n % messages.len()],
                source,
                campaign,
                // Newest first: about one lead a day, closer together lately.
                hours_ago: (n as u64) * (n as u64 + 8) / 2 + 1,
            }
        })
        .collect()
}

/// The demo for the browser tests: every test is the same visitor (127.0.0.1), so the per-visitor limit
/// is raised; a form `tight` (one submission per visitor per 5 s) for the rate-limit sentence; and a
/// form `kinds` with a field of every kind the demo lacks.
pub fn browser_test_seed(examples_origin: &str) -> String {
    let relaxed =
        serde_json::json!({"rate_limit": {"per_client": {"limit": 1000, "window_seconds": 60}}});
    let tight = serde_json::json!({"min_fill_seconds": 0, "rate_limit": {"per_client": {"limit": 1, "window_seconds": 5}}});
    let quick = serde_json::json!({"min_fill_seconds": 0, "rate_limit": {"per_client": {"limit": 1000, "window_seconds": 60}}});
    form_seed("t_demo", "Demo Roofing", &demo_definition("demo"), &[examples_origin], &relaxed)
        + &form_seed(
            "t_demo",
            "Demo Roofing",
            &demo_definition("tight"),
            &[examples_origin],
            &tight,
        )
        + &form_seed("t_demo", "Demo Roofing", &every_kind_definition(), &[examples_origin], &quick)
}

fn every_kind_definition() -> serde_json::Value {
    serde_json::json!({
        "id": "kinds",
        "title": "Every kind of field",
        "default_country": "GB",
        "submit_label": "Send",
        "fields": [
            {"name": "email", "label": "Email", "kind": "email", "required": true},
            {"name": "service", "label": "Service", "kind": "select", "required": true,
             "options": ["Roof repair", "Gutters", "Chimney"], "help": "Pick the closest."},
            {"name": "phone", "label": "Phone", "kind": "phone"},
            {"name": "newsletter", "label": "Send me the seasonal newsletter", "kind": "checkbox"},
            {"name": "notes", "label": "Notes", "kind": "multi_line", "max_length": 50},
            {"name": "campaign", "label": "Campaign", "kind": "hidden"},
            {"name": "consent", "label": "Consent", "kind": "consent", "required": true,
             "text": "You may contact me about my request.", "version": "v2"}
        ]
    })
}

/// The demo's form definition under the id `id` (contact details, a message and consent).
pub fn demo_definition(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": "Request a free roof inspection",
        "default_country": "US",
        "submit_label": "Send request",
        "success_message": "Thank you! Your request is in. We will call you within one business day.",
        "fields": [
            {"name": "name", "label": "Your name", "kind": "text", "required": true, "max_length": 100},
            {"name": "email", "label": "Email", "kind": "email", "required": true},
            {"name": "phone", "label": "Phone", "kind": "phone", "help": "Optional. We only call during office hours."},
            {"name": "message", "label": "How can we help?", "kind": "multi_line", "max_length": 2000},
            {"name": "consent", "label": "Consent", "kind": "consent", "required": true,
             "text": "I agree that Demo Roofing may contact me about my request.", "version": "2026-11-01"}
        ]
    })
}
