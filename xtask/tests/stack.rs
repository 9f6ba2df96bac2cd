//! The local stack as a person and a test suite use it: stopping it stops every process it started,
//! a taken port is refused with a sentence, secrets stay off command lines, and `cargo xtask dev` in a
//! terminal stops on Ctrl-C and starts again, its local mailbox (the Worker's email provider) with it.
//! These need a prior `cargo xtask build`, which `cargo xtask test` does first.

// Tests report failure by panicking; that is their job here.
#![allow(clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use xtask::root;
use xtask::stack::{self, Stack, StackOptions};
use xtask::tools::Tools;

/// Every process whose command line mentions `text`, this test process excepted.
fn processes_mentioning(text: &str) -> Vec<(u32, String)> {
    let me = std::process::id();
    stack::processes()
        .into_iter()
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            Some((pid, stack::command_line(pid)?)).filter(|(_, line)| line.contains(text))
        })
        .collect()
}

fn is_listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn scratch(name: &str) -> std::path::PathBuf {
    root().join("target").join(format!("inlet-stack-test-{name}"))
}

#[test]
fn a_stopped_stack_leaves_no_process_and_keeps_secrets_off_command_lines() {
    let tools = Tools::locate();
    let token = stack::random_hex(16).unwrap_or_default();
    let options = StackOptions {
        port: None,
        persist: scratch("stop"),
        fresh: true,
        seed_sql: String::new(),
        vars: vec![("INLET_OPERATOR_TOKEN".to_owned(), token.clone())],
    };
    let mut stack = Stack::start(&tools, options).unwrap_or_else(|e| panic!("{e}"));
    let group = stack.process_group();
    let members = stack::group_members(group);
    let workerd = members
        .iter()
        .any(|pid| stack::command_line(*pid).is_some_and(|line| line.contains("workerd")));
    assert!(workerd, "workerd runs in the stack's process group: {members:?}");

    // The secrets are in a file only its owner can read, and on no command line or log.
    let env_file = stack.persist.join(stack::ENV_FILE);
    let mode =
        std::fs::metadata(&env_file).map(|m| m.permissions().mode() & 0o777).unwrap_or_default();
    assert_eq!(mode, 0o600, "{}", env_file.display());
    assert_eq!(stack.worker_var("INLET_OPERATOR_TOKEN").as_deref(), Some(token.as_str()));
    let secret = stack.worker_var("INLET_SECRET").unwrap_or_default();
    assert_eq!(secret.len(), 48, "a fresh INLET_SECRET");
    for value in [&token, &secret] {
        assert_eq!(processes_mentioning(value), Vec::new(), "a secret is on a command line");
    }
    let log = std::fs::read_to_string(stack.persist.join("wrangler.log")).unwrap_or_default();
    assert!(!log.contains(&token) && !log.contains(&secret), "a secret is in the log:\n{log}");
    // And the Worker has them: the operator's bootstrap takes the token (and, with no email
    // provider here, says so instead of refusing the token).
    let status = post_status(&format!("{}/v1/businesses", stack.url), &token);
    assert_eq!(status, 503, "the token from the env file is the Worker's");

    let port: u16 = stack.url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_default();
    stack.stop();
    assert_eq!(
        stack::group_members(group),
        Vec::<u32>::new(),
        "every process of the stack is gone"
    );
    assert!(!is_listening(port), "port {port} is free again");
}

#[test]
fn a_taken_port_is_refused_with_a_sentence_naming_it() {
    let tools = Tools::locate();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let options = StackOptions {
        port: Some(port),
        persist: scratch("taken"),
        fresh: true,
        seed_sql: String::new(),
        vars: Vec::new(),
    };
    let started = Instant::now();
    match Stack::start(&tools, options) {
        Ok(_) => panic!("a stack started on a taken port"),
        Err(message) => {
            assert!(message.contains(&format!("port {port} is already in use")), "{message}")
        }
    }
    assert!(started.elapsed() < Duration::from_secs(2), "refused at once, not after a start-up");
}

/// `cargo xtask dev` in a terminal (a pseudo-terminal from util-linux's `script`), as the README has a
/// person run it: wait for "Press Ctrl-C to stop.", use it, type Ctrl-C, and run it again.
struct Terminal {
    child: Child,
    lines: mpsc::Receiver<String>,
    transcript: Vec<String>,
}

impl Terminal {
    fn run(command: &str, envs: &[(&str, String)]) -> Terminal {
        let mut child = Command::new("script")
            .args(["--quiet", "--return", "--flush", "--command", command, "/dev/null"])
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("script: {e}"));
        let (sender, lines) = mpsc::channel();
        let stdout = child.stdout.take();
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            for line in BufReader::new(stdout).split(b'\n').map_while(|l| l.ok()) {
                if sender.send(String::from_utf8_lossy(&line).trim_end().to_owned()).is_err() {
                    return;
                }
            }
        });
        Terminal { child, lines, transcript: Vec::new() }
    }

    /// Reads lines until one contains `text`, and returns it.
    fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.transcript.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!(
            "no line with {text:?} within {timeout:?}; the terminal showed:\n{}",
            self.transcript.join("\n")
        );
    }

    /// Types a key into the terminal; Ctrl-C is byte 3.
    fn type_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.child.stdin.as_mut().unwrap_or_else(|| panic!("no stdin"));
        stdin.write_all(bytes).and_then(|()| stdin.flush()).unwrap_or_else(|e| panic!("{e}"));
    }

    fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                // What was left to read.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.transcript.push(line);
                }
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!(
            "the terminal's command did not end within {timeout:?}:\n{}",
            self.transcript.join("\n")
        );
    }
}

/// The status of an authorised GET; 0 if nothing answered.
fn get_status(url: &str, token: &str) -> u16 {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    agent
        .get(url)
        .header("authorization", format!("Bearer {token}"))
        .call()
        .map(|r| r.status().as_u16())
        .unwrap_or_default()
}

/// The status of an authorised POST of a sign-up's JSON; 0 if nothing answered.
fn post_status(url: &str, token: &str) -> u16 {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    agent
        .post(url)
        .header("authorization", format!("Bearer {token}"))
        .content_type("application/json")
        .send(r#"{"business_name": "Bootstrapped", "email": "first@bootstrapped.example"}"#)
        .map(|r| r.status().as_u16())
        .unwrap_or_default()
}

/// What the demo business's API key gets on its destinations.
fn api_key_status(api: &str, key: &str) -> u16 {
    get_status(&format!("{api}/v1/tenants/t_demo/forms/demo/destinations"), key)
}

/// A variable the stack in `state` handed the Worker, read from its env file.
fn worker_var(state: &std::path::Path, name: &str) -> String {
    let text = std::fs::read_to_string(state.join(stack::ENV_FILE)).unwrap_or_default();
    let prefix = format!("{name}=\"");
    text.lines()
        .find_map(|line| Some(line.strip_prefix(&prefix)?.strip_suffix('"')?.to_owned()))
        .unwrap_or_default()
}

/// Sends an email to `{base}/emails` as the Worker does; the status, 0 if nothing answered.
fn post_email(base: &str, key: &str, subject: &str) -> u16 {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = format!(
        r#"{{"from": "Inlet <inlet@localhost>", "to": ["ada@example.com"], "subject": "{subject}", "text": "t"}}"#
    );
    agent
        .post(format!("{base}/emails"))
        .header("authorization", format!("Bearer {key}"))
        .content_type("application/json")
        .send(body.as_str())
        .map(|r| r.status().as_u16())
        .unwrap_or_default()
}

fn start_dev(envs: &[(&str, String)]) -> (Terminal, String) {
    let mut terminal = Terminal::run("cargo xtask dev", envs);
    let token_line = terminal.wait_for("(Authorization: Bearer ", Duration::from_secs(300));
    let token =
        token_line.rsplit("Bearer ").next().unwrap_or_default().trim_end_matches(')').to_owned();
    terminal.wait_for("Press Ctrl-C to stop.", Duration::from_secs(10));
    (terminal, token)
}

#[test]
fn ctrl_c_stops_cargo_xtask_dev_and_it_starts_again() {
    let state = scratch("dev");
    let _ = std::fs::remove_dir_all(&state);
    let (port, examples_port, mail_port) = (
        stack::free_port().unwrap_or(18787),
        stack::free_port().unwrap_or(18788),
        stack::free_port().unwrap_or(18789),
    );
    let envs = [
        ("INLET_PORT", port.to_string()),
        ("INLET_EXAMPLES_PORT", examples_port.to_string()),
        ("INLET_MAIL_PORT", mail_port.to_string()),
        ("INLET_STATE", state.display().to_string()),
    ];
    let mailbox = format!("http://127.0.0.1:{mail_port}");
    let api = format!("http://127.0.0.1:{port}");
    let state_text = state.display().to_string();

    let (mut first, first_token) = start_dev(&envs);
    assert_eq!(api_key_status(&api, &first_token), 200, "the printed API key works");
    let printed = format!("  local mailbox       {mailbox}");
    assert!(first.transcript.iter().any(|l| l.contains(&printed)), "{:?}", first.transcript);
    // The Worker was given the mailbox and its key: what it sends, the mailbox takes.
    assert_eq!(worker_var(&state, "EMAIL_BASE_URL"), mailbox);
    assert_eq!(worker_var(&state, "EMAIL_FROM"), "Inlet <inlet@localhost>");
    let first_mail_key = worker_var(&state, "EMAIL_API_KEY");
    assert_eq!(post_email(&mailbox, &first_mail_key, "Kept"), 200);

    // A second one on the same port says so at once and adopts nothing.
    let mut second = Terminal::run("cargo xtask dev", &envs);
    let refusal =
        second.wait_for(&format!("port {port} is already in use"), Duration::from_secs(60));
    assert!(refusal.contains("INLET_PORT"), "{refusal}");
    assert!(!second.wait_exit(Duration::from_secs(30)).success());
    assert!(
        !second.transcript.iter().any(|l| l.contains("Inlet is running")),
        "{:?}",
        second.transcript
    );

    first.type_bytes(&[3]);
    first.wait_exit(Duration::from_secs(30));
    assert!(
        first.transcript.iter().any(|l| l.contains("Inlet stopped.")),
        "{:?}",
        first.transcript
    );
    assert!(!is_listening(port), "nothing answers on {port} after Ctrl-C");
    assert!(!is_listening(examples_port), "nothing answers on {examples_port} after Ctrl-C");
    assert!(!is_listening(mail_port), "nothing answers on {mail_port} after Ctrl-C");
    assert_eq!(processes_mentioning(&state_text), Vec::new(), "no process of the stack is left");

    // Run it again: it starts, and the token it prints is the one the running server takes.
    let (mut again, token) = start_dev(&envs);
    assert_ne!(token, first_token);
    assert_eq!(api_key_status(&api, &token), 200, "the new API key works");
    assert_eq!(api_key_status(&api, &first_token), 401, "the last run's key was replaced");
    // The mail of the first run is still there, and only the new key sends more.
    assert_eq!(get_status(&format!("{mailbox}/"), ""), 200);
    let listed = ureq::get(format!("{mailbox}/messages.json"))
        .call()
        .and_then(|mut r| r.body_mut().read_to_string())
        .unwrap_or_default();
    assert!(listed.contains(r#""subject":"Kept""#), "{listed}");
    assert_eq!(post_email(&mailbox, &first_mail_key, "Old key"), 401);
    assert_eq!(post_email(&mailbox, &worker_var(&state, "EMAIL_API_KEY"), "New key"), 200);
    again.type_bytes(&[3]);
    again.wait_exit(Duration::from_secs(30));
    assert!(!is_listening(port));
    assert!(!is_listening(mail_port));
    assert_eq!(processes_mentioning(&state_text), Vec::new(), "no process of the stack is left");
}
