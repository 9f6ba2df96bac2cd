//! Inlet's developer tasks as a library, so the `xtask` binary and the edge's HTTP tests share one way
//! of installing tools, building, and starting the local stack (workerd through `wrangler dev`, local
//! D1, and the examples' static server).

pub mod bench;
pub mod bench_edge;
pub mod bench_forwarding;
pub mod bench_inbox;
pub mod bench_widget;
pub mod build;
pub mod examples;
pub mod http;
pub mod load;
pub mod mailbox;
pub mod receiver;
pub mod stack;
pub mod tidy;
pub mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Errors in developer tasks are messages for the developer; there is nothing to recover.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the folder with the root Cargo.toml).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Runs a command to completion, echoing it, and fails with its name if it fails.
pub fn run(command: &mut Command) -> Result {
    eprintln!("$ {}", describe(command));
    let status =
        command.status().map_err(|e| format!("could not start {}: {e}", describe(command)))?;
    if status.success() { Ok(()) } else { Err(format!("{} failed ({status})", describe(command))) }
}

/// Runs a command and returns its standard output.
pub fn output(command: &mut Command) -> Result<String> {
    let out =
        command.output().map_err(|e| format!("could not start {}: {e}", describe(command)))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{} failed: {}", describe(command), String::from_utf8_lossy(&out.stderr)))
    }
}

fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    format!("{program} {}", args.join(" "))
}
