//! A small static server for `examples/`, on its own origin as a customer's site would be. In HTML
//! pages it replaces `__INLET_API__` with the Worker's URL (so the examples follow whatever port the
//! Worker got), and `__INLET_FORM__` and `__INLET_LOCALE__` with the `form` and `locale` query
//! parameters (default `demo` and none), so one page can show any form, and `__INLET_HEIGHT__` with
//! `height` (default `40em`), the room a page reserves for the form.

use crate::Result;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

#[derive(Debug)]
pub struct ExamplesServer {
    pub url: String,
}

/// Serves `dir` on `127.0.0.1:port` from a background thread for the life of the process.
pub fn serve(dir: PathBuf, api_url: String, port: u16) -> Result<ExamplesServer> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("examples server on port {port}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (dir, api_url) = (dir.clone(), api_url.clone());
            std::thread::spawn(move || {
                let _ = answer(stream, &dir, &api_url);
            });
        }
    });
    // `localhost`, not 127.0.0.1: a different origin from the Worker's, as a real site is.
    Ok(ExamplesServer { url: format!("http://localhost:{port}") })
}

fn answer(mut stream: TcpStream, dir: &Path, api_url: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let target = target.split('#').next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str, default: &str| -> String {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, value)| {
                *key == name
                    && !value.is_empty()
                    && value.len() <= 64
                    && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map_or_else(|| default.to_owned(), |(_, value)| value.to_owned())
    };
    let (status, content_type, body) =
        match resolve(dir, path).and_then(|file| Some((std::fs::read(&file).ok()?, file))) {
            Some((bytes, file)) => {
                let extension = file.extension().and_then(|e| e.to_str()).unwrap_or_default();
                let content_type = match extension {
                    "html" => "text/html; charset=utf-8",
                    "css" => "text/css",
                    "js" | "mjs" => "text/javascript",
                    _ => "application/octet-stream",
                };
                let bytes = if extension == "html" {
                    String::from_utf8_lossy(&bytes)
                        .replace("__INLET_API__", api_url)
                        .replace("__INLET_FORM__", &param("form", "demo"))
                        .replace("__INLET_LOCALE__", &param("locale", ""))
                        .replace("__INLET_HEIGHT__", &param("height", "40em"))
                        .into_bytes()
                } else {
                    bytes
                };
                ("200 OK", content_type, bytes)
            }
            None => ("404 Not Found", "text/plain", b"not found".to_vec()),
        };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

fn resolve(dir: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let file = dir.join(relative);
    if file.is_dir() { Some(file.join("index.html")) } else { Some(file) }
}
