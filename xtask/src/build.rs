//! Release builds of the widget (wasm-bindgen, wasm-opt, esbuild into `www/pkg`), the dashboard (the
//! same, into `www/app/pkg`) and the Worker (worker-build into `edge/build`), and the byte counts
//! that budget them.

use crate::tools::Tools;
use crate::{Result, root, run};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::Command;

pub fn widget(tools: &Tools) -> Result {
    let root = root();
    // The glue is not served on its own: it is bundled into the loader below, so the wasm is the only
    // file of the widget's in `www/pkg`.
    let staging = root.join("target/widget-pkg");
    leptos_app(tools, "inlet-widget", &staging)?;
    let pkg = root.join("www/pkg");
    std::fs::create_dir_all(&pkg).map_err(|e| format!("{}: {e}", pkg.display()))?;
    let wasm = "inlet_widget_bg.wasm";
    std::fs::copy(staging.join(wasm), pkg.join(wasm)).map_err(|e| format!("{wasm}: {e}"))?;
    let _ = std::fs::remove_file(pkg.join("inlet_widget.js"));
    // The loader and the iframe resizer are the classic scripts a host page loads. The loader carries
    // the glue (one file, so the wasm and the form's definition are asked for as soon as it runs); the
    // glue's `import.meta.url` only finds the wasm when it is not given one, and the loader always is.
    let (loader, frame) =
        (root.join("widget/loader/widget.js"), root.join("widget/loader/frame.js"));
    run(Command::new(tools.esbuild())
        .arg(&loader)
        .args(["--bundle", "--format=iife", "--minify", "--target=es2020", "--log-level=warning"])
        .arg("--log-override:empty-import-meta=silent")
        .arg(format!("--alias:inlet-glue={}", staging.join("inlet_widget.js").display()))
        .arg(format!("--outfile={}", root.join("www/widget.js").display())))?;
    run(Command::new(tools.esbuild())
        .arg(&frame)
        .args(["--minify", "--target=es2020", "--log-level=warning"])
        .arg(format!("--outfile={}", root.join("www/frame.js").display())))?;
    // The stylesheet, without its comments and spaces: 0.3 KiB brotli.
    run(Command::new(tools.esbuild())
        .arg(root.join("widget/loader/widget.css"))
        .args(["--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", root.join("www/widget.css").display())))
}

/// The dashboard, into `www/app/pkg`; its page, script and stylesheet are in `www/app`.
pub fn dashboard(tools: &Tools) -> Result {
    leptos_app(tools, "inlet-dashboard", &root().join("www/app/pkg"))
}

/// rustc's options for the browser's wasm (see `leptos_app`), as a TOML array.
const BROWSER_RUSTFLAGS: &str = r#"["-Zunstable-options", "-Cpanic=immediate-abort", "-Zfmt-debug=none", "-Zlocation-detail=none"]"#;

/// Set in the environment of the browser builds, which rustc passes on to the linker it runs: the
/// xtask binary, which then links (`link_browser_wasm`) instead of running a task.
pub const LINKER_ENV: &str = "INLET_BROWSER_LINKER";

/// A Leptos app for the browser: the release build, wasm-bindgen's glue, wasm-opt and esbuild, into
/// `pkg` as `{crate}.js` and `{crate}_bg.wasm` (the crate's name with underscores). Only the xtask
/// binary can run it: rustc runs the running binary as the linker, and `main` links when it sees
/// `LINKER_ENV`.
fn leptos_app(tools: &Tools, package: &str, pkg: &Path) -> Result {
    let root = root();
    // What a visitor downloads is built smaller than the stable toolchain's defaults allow: the
    // standard library is compiled with the app, for size, with panics that trap at once instead of
    // formatting a message nobody reads, and with `{:?}` printing nothing: 7.3 KiB brotli of the
    // widget's 70.7 KiB of wasm. These are unstable options, which `RUSTC_BOOTSTRAP` unlocks on the
    // pinned stable toolchain (as the Linux kernel's Rust build does); a toolchain update re-measures
    // them. Their own target directory keeps the Worker's wasm32 build, which uses the defaults, from
    // rebuilding every dependency after each of these.
    let target_dir = root.join("target/browser");
    let linker = std::env::current_exe().map_err(|e| format!("the xtask binary: {e}"))?;
    run(Command::new("cargo")
        .args(["build", "--release", "--lib", "--package", package])
        .args(["--target", "wasm32-unknown-unknown"])
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["-Zbuild-std=std,panic_abort", "-Zbuild-std-features=optimize_for_size"])
        .arg(format!("--config=target.wasm32-unknown-unknown.rustflags={BROWSER_RUSTFLAGS}"))
        .arg(format!("--config=target.wasm32-unknown-unknown.linker={:?}", linker.display()))
        .env("RUSTC_BOOTSTRAP", "1")
        .env(LINKER_ENV, "1")
        .current_dir(&root))?;
    let stem = package.replace('-', "_");
    let linked = target_dir.join(format!("wasm32-unknown-unknown/release/{stem}.wasm"));
    let bytes = std::fs::read(&linked).map_err(|e| format!("{}: {e}", linked.display()))?;
    if export_names(&bytes)?.iter().any(|name| is_stream_export(name)) {
        return Err(format!("{} still exports wasm-streams' classes", linked.display()));
    }
    run(Command::new(tools.wasm_bindgen())
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(pkg)
        .arg(&linked))?;
    let wasm = pkg.join(format!("{stem}_bg.wasm"));
    // `--converge` repeats -Oz while it still shrinks the module: 0.9 KiB brotli for a few seconds.
    run(Command::new(tools.node())
        .arg(tools.wasm_opt())
        .args(["-Oz", "--converge", "--strip-debug", "--strip-producers"])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    let glue = pkg.join(format!("{stem}.js"));
    run(Command::new(tools.esbuild())
        .arg(&glue)
        .args(["--minify", "--format=esm", "--allow-overwrite", "--log-level=warning"])
        .arg(format!("--outfile={}", glue.display())))
}

pub fn edge(tools: &Tools) -> Result {
    run(Command::new(tools.worker_build())
        .arg("--release")
        .current_dir(root().join("edge"))
        // worker-build would download these from GitHub; use the pinned local ones.
        .env("WASM_BINDGEN_BIN", tools.wasm_bindgen())
        .env("WASM_OPT_BIN", tools.wasm_opt())
        .env("ESBUILD_BIN", tools.esbuild()))
}

/// Links a browser build's wasm: rust-lld, which rustc puts on the linker's `PATH`, with rustc's
/// arguments, less the exports of wasm-streams' classes.
///
/// Leptos depends on server_fn, which brings wasm-streams, whose `#[wasm_bindgen]` classes are
/// exported. A client-only app never uses them, but an export is a root, so the linker keeps their
/// code, and the function pointers of their futures fill the module's table, which no later tool can
/// prove unused. Not exported, they are never linked: 4.0 KiB brotli of the widget's wasm, and wasm-
/// bindgen writes no glue for them (0.4 KiB more).
pub fn link_browser_wasm(args: impl Iterator<Item = OsString>) -> Result {
    let mut kept = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let text = arg.to_str().unwrap_or_default();
        if text == "--export" && args.peek().and_then(|n| n.to_str()).is_some_and(is_stream_export)
        {
            args.next();
        } else if text.strip_prefix("--export=").is_some_and(is_stream_export) {
        } else if let Some(file) = text.strip_prefix('@') {
            // A long command line comes as a file of arguments, one per line.
            let lines = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            let mut filtered = Vec::new();
            let mut lines = lines.lines().peekable();
            while let Some(line) = lines.next() {
                if line == "--export" && lines.peek().is_some_and(|n| is_stream_export(n)) {
                    lines.next();
                } else if !line.strip_prefix("--export=").is_some_and(is_stream_export) {
                    filtered.push(line);
                }
            }
            let rewritten = format!("{file}.browser");
            std::fs::write(&rewritten, filtered.join("\n"))
                .map_err(|e| format!("{rewritten}: {e}"))?;
            kept.push(OsString::from(format!("@{rewritten}")));
        } else {
            kept.push(arg);
        }
    }
    // Not `run`: the command line is hundreds of kilobytes of export names.
    let status = Command::new("rust-lld")
        .args(kept)
        .status()
        .map_err(|e| format!("could not start rust-lld: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("rust-lld failed ({status})")) }
}

/// wasm-streams' exported classes (`IntoUnderlyingSource` and its kin) and their descriptions, as
/// wasm-bindgen names them.
fn is_stream_export(name: &str) -> bool {
    let name = name.strip_prefix("__wbindgen_describe_").unwrap_or(name);
    name.strip_prefix("__wbg_").unwrap_or(name).starts_with("intounderlying")
}

/// The names in a WebAssembly module's export section.
fn export_names(module: &[u8]) -> Result<Vec<String>> {
    const EXPORT_SECTION: u8 = 7;
    let malformed = || "the widget's wasm is malformed".to_owned();
    if module.get(..4) != Some(b"\0asm".as_slice()) {
        return Err(malformed());
    }
    // After the magic number and version: sections, each an id byte, a size, and that many bytes.
    let mut at = 8;
    while at < module.len() {
        let id = module[at];
        at += 1;
        let size = leb128(module, &mut at).ok_or_else(malformed)? as usize;
        let end = at.checked_add(size).filter(|&end| end <= module.len()).ok_or_else(malformed)?;
        if id == EXPORT_SECTION {
            let section = &module[at..end];
            let mut pos = 0;
            let count = leb128(section, &mut pos).ok_or_else(malformed)?;
            let mut names = Vec::new();
            for _ in 0..count {
                let length = leb128(section, &mut pos).ok_or_else(malformed)? as usize;
                let name = pos
                    .checked_add(length)
                    .and_then(|end| section.get(pos..end))
                    .ok_or_else(malformed)?;
                names.push(String::from_utf8(name.to_vec()).map_err(|_| malformed())?);
                pos += length + 1; // the name, then the kind byte
                leb128(section, &mut pos).ok_or_else(malformed)?; // the index
            }
            return Ok(names);
        }
        at = end;
    }
    Ok(Vec::new())
}

/// Reads an unsigned LEB128 number at `*pos` and moves past it.
fn leb128(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Bytes of one file: raw, gzip -9 and brotli -q 11.
#[derive(Debug, Clone, Copy, Default)]
pub struct Size {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl Size {
    pub fn of(path: &Path) -> Result<Size> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("{}: {e} (run `cargo xtask build`)", path.display()))?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&bytes).map_err(|e| e.to_string())?;
        let gzip = gzip.finish().map_err(|e| e.to_string())?.len();
        let mut brotli = Vec::new();
        let params =
            brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli, &params)
            .map_err(|e| e.to_string())?;
        Ok(Size { raw: bytes.len(), gzip, brotli: brotli.len() })
    }

    fn add(self, other: Size) -> Size {
        Size {
            raw: self.raw + other.raw,
            gzip: self.gzip + other.gzip,
            brotli: self.brotli + other.brotli,
        }
    }
}

/// What a visitor may download for the widget (loader with its glue, stylesheet, wasm), brotli, in
/// KiB: issue 12's ceiling (63.6 measured when it was set). It started as the size of a minimal Leptos
/// lead form (81.5, ../shared/TOOLCHAIN.md) and came down as changes paid.
pub const WIDGET_BUDGET_KIB: f64 = 64.0;

/// What a person downloads for the dashboard's first page (page, script, stylesheet, glue, wasm),
/// brotli, in KiB: the issue's ceiling for a business's app.
pub const DASHBOARD_BUDGET_KIB: f64 = 250.0;

/// Prints what a visitor downloads for the widget, what a business downloads for the dashboard and
/// what an operator uploads for the Worker, and fails if the widget or the dashboard is over its
/// budget.
pub fn print_sizes() -> Result {
    let widget = print_group(
        "widget (KiB)",
        &["www/widget.js", "www/widget.css", "www/pkg/inlet_widget_bg.wasm"],
        "total on the wire",
    )?;
    let widget = print_budget(widget, WIDGET_BUDGET_KIB);
    println!();
    let dashboard = print_group(
        "dashboard (KiB)",
        &[
            "www/app/index.html",
            "www/app/main.js",
            "www/app/app.css",
            "www/app/pkg/inlet_dashboard.js",
            "www/app/pkg/inlet_dashboard_bg.wasm",
        ],
        "total on the wire",
    )?;
    let dashboard = print_budget(dashboard, DASHBOARD_BUDGET_KIB);
    println!();
    print_group(
        "worker upload (KiB)",
        &["edge/build/index.js", "edge/build/index_bg.wasm"],
        "total upload",
    )?;
    for (name, kib, budget) in
        [("widget", widget, WIDGET_BUDGET_KIB), ("dashboard", dashboard, DASHBOARD_BUDGET_KIB)]
    {
        if kib > budget {
            return Err(format!(
                "the {name} is {kib:.1} KiB brotli on the wire, over its {budget} KiB budget"
            ));
        }
    }
    Ok(())
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

/// A table of `files` with a total row; returns the total.
fn print_group(heading: &str, files: &[&str], total_name: &str) -> Result<Size> {
    let row = |name: &str, size: Size| {
        println!(
            "{name:<36} {:>10.1} {:>10.1} {:>10.1}",
            kib(size.raw),
            kib(size.gzip),
            kib(size.brotli)
        );
    };
    println!("{heading:<36} {:>10} {:>10} {:>10}", "raw", "gzip", "brotli");
    let mut total = Size::default();
    for file in files {
        let size = Size::of(&root().join(file))?;
        row(file, size);
        total = total.add(size);
    }
    row(total_name, total);
    Ok(total)
}

/// Prints how much of `budget` (KiB brotli) `total` takes; returns its KiB.
fn print_budget(total: Size, budget: f64) -> f64 {
    let on_the_wire = kib(total.brotli);
    println!(
        "budget {budget:.1} KiB brotli: {on_the_wire:.1} KiB is {:.2} of it",
        on_the_wire / budget
    );
    on_the_wire
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with a custom section, then an export section naming two functions.
    fn module(exports: &[&str]) -> Vec<u8> {
        let mut section = vec![exports.len() as u8];
        for (index, name) in exports.iter().enumerate() {
            section.push(name.len() as u8);
            section.extend_from_slice(name.as_bytes());
            section.extend_from_slice(&[0x00, index as u8]);
        }
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend_from_slice(&[0x00, 0x04, 0x03, b'a', b'b', b'c']);
        bytes.push(0x07);
        bytes.push(section.len() as u8);
        bytes.extend(section);
        bytes
    }

    #[test]
    fn finds_the_exports_and_picks_the_stream_classes() {
        let names = export_names(&module(&[
            "mount",
            "intounderlyingsource_pull",
            "__wbg_intounderlyingsink_free",
        ]));
        assert_eq!(
            names.as_deref(),
            Ok(["mount", "intounderlyingsource_pull", "__wbg_intounderlyingsink_free"]
                .map(String::from)
                .as_slice())
        );
        let picked: Vec<_> =
            names.unwrap_or_default().into_iter().filter(|n| is_stream_export(n)).collect();
        assert_eq!(picked, ["intounderlyingsource_pull", "__wbg_intounderlyingsink_free"]);
        // What the linker is told to export: the classes' descriptions go with them, and the
        // description of an import that merely mentions them stays.
        assert!(is_stream_export("__wbindgen_describe_intounderlyingsink_write_58a9338f50bce61c"));
        assert!(!is_stream_export("__wbindgen_describe___wbg_new_with_into_underlying_sink_2b75"));
        assert!(!is_stream_export("mount"));
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let bytes = module(&["mount"]);
        for cut in 0..bytes.len() {
            let _ = export_names(&bytes[..cut]);
        }
        assert!(export_names(b"not wasm").is_err());
        assert_eq!(leb128(&[0xe5, 0x8e, 0x26], &mut 0), Some(624_485));
    }
}
