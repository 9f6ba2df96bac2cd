//! Release builds of the widget (wasm-bindgen, wasm-opt, esbuild into `www/pkg`) and of the Worker
//! (worker-build into `edge/build`), and the byte counts that budget them.

use crate::tools::Tools;
use crate::{root, run, Result};
use std::io::Write;
use std::path::Path;
use std::process::Command;

pub fn widget(tools: &Tools) -> Result {
    let root = root();
    run(Command::new("cargo")
        .args(["build", "--release", "--lib", "--package", "inlet-widget", "--target", "wasm32-unknown-unknown"])
        .current_dir(&root))?;
    let pkg = root.join("www/pkg");
    run(Command::new(tools.wasm_bindgen())
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&pkg)
        .arg(root.join("target/wasm32-unknown-unknown/release/inlet_widget.wasm")))?;
    let wasm = pkg.join("inlet_widget_bg.wasm");
    run(Command::new(tools.node())
        .arg(tools.wasm_opt())
        .args(["-Oz", "--strip-debug", "--strip-producers"])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    let glue = pkg.join("inlet_widget.js");
    run(Command::new(tools.esbuild())
        .arg(&glue)
        .args(["--minify", "--format=esm", "--allow-overwrite", "--log-level=warning"])
        .arg(format!("--outfile={}", glue.display())))?;
    // The loader and the iframe resizer are classic scripts a host page loads directly: minified, they
    // stay under 1 KB compressed.
    for script in ["widget.js", "frame.js"] {
        run(Command::new(tools.esbuild())
            .arg(root.join("widget/loader").join(script))
            .args(["--minify", "--target=es2020", "--log-level=warning"])
            .arg(format!("--outfile={}", root.join("www").join(script).display())))?;
    }
    Ok(())
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

/// Bytes of one file: raw, gzip -9 and brotli -q 11.
#[derive(Debug, Clone, Copy, Default)]
pub struct Size {
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

impl Size {
    pub fn of(path: &Path) -> Result<Size> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e} (run `cargo xtask build`)", path.display()))?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&bytes).map_err(|e| e.to_string())?;
        let gzip = gzip.finish().map_err(|e| e.to_string())?.len();
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut brotli, &params).map_err(|e| e.to_string())?;
        Ok(Size { raw: bytes.len(), gzip, brotli: brotli.len() })
    }

    fn add(self, other: Size) -> Size {
        Size { raw: self.raw + other.raw, gzip: self.gzip + other.gzip, brotli: self.brotli + other.brotli }
    }
}

/// Prints what a visitor downloads for the widget and what an operator uploads for the Worker.
pub fn print_sizes() -> Result {
    let root = root();
    let kib = |bytes: usize| bytes as f64 / 1024.0;
    let row = |name: &str, size: Size| {
        println!("{name:<28} {:>10.1} {:>10.1} {:>10.1}", kib(size.raw), kib(size.gzip), kib(size.brotli));
    };
    println!("{:<28} {:>10} {:>10} {:>10}", "widget (KiB)", "raw", "gzip", "brotli");
    let mut total = Size::default();
    for file in ["www/widget.js", "www/widget.css", "www/pkg/inlet_widget.js", "www/pkg/inlet_widget_bg.wasm"] {
        let size = Size::of(&root.join(file))?;
        row(file, size);
        total = total.add(size);
    }
    row("total on the wire", total);
    println!();
    println!("{:<28} {:>10} {:>10} {:>10}", "worker upload (KiB)", "raw", "gzip", "brotli");
    let mut upload = Size::default();
    for file in ["edge/build/index.js", "edge/build/index_bg.wasm"] {
        let size = Size::of(&root.join(file))?;
        row(file, size);
        upload = upload.add(size);
    }
    row("total upload", upload);
    Ok(())
}
