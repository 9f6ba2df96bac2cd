//! `cargo xtask bench-widget`: how soon a visitor can type into the lead form, against the floor of
//! the same form written by hand in plain JavaScript (`xtask/bench/floor.js`). It starts a Worker with
//! the demo form and hands over to `xtask/bench/widget.mjs`, which serves the widget's files brotli
//! compressed, drives throttled headless Chromium through the floor, the script-tag embed and the
//! iframe embed in turn, and prints medians, min and max of time to interactive, bytes on the wire
//! and layout shift, and a waterfall of one run each. It prints; it does not assert a time.

use crate::stack::{self, Stack, StackOptions};
use crate::tools::Tools;
use crate::{Result, root};
use std::process::Command;

pub fn run(tools: &Tools) -> Result {
    let (edge_port, site_port) = (stack::free_port()?, stack::free_port()?);
    if edge_port == site_port {
        return Err("two free ports were asked for and the same one came back".to_owned());
    }
    let site_origin = format!("http://localhost:{site_port}");
    let stack = Stack::start(
        tools,
        StackOptions::scratch("inlet-bench-widget", stack::demo_seed(&site_origin)),
    )?;
    let mut driver = Command::new(tools.node());
    driver
        .arg(root().join("xtask/bench/widget.mjs"))
        .env("INLET_ROOT", root())
        .env("INLET_API_URL", &stack.url)
        .env("INLET_EDGE_PORT", edge_port.to_string())
        .env("INLET_SITE_PORT", site_port.to_string())
        .env("INLET_CHROMIUM", crate::tools::chromium())
        .current_dir(root());
    crate::run(&mut driver)
}
