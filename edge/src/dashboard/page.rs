//! The dashboard is a client-side app (`dashboard/`, built into `www/app/`). Its files are static
//! assets, served without the Worker; any other address under `/app/` is one of the app's own
//! pages (`/app/account`, `/app/link`), so the Worker answers it with the app's `index.html`, and
//! deep links and reloads work.
//!
//! Not the assets' single-page-application mode: it would answer every unknown address, the API's
//! included, with the app.

use crate::base::context::Context;
use crate::http::failure::Failure;
use crate::http::reply::Reply;

/// The app's page, under the same policy `www/_headers` gives the app's files: its own scripts,
/// styles and API only, and never in a frame.
pub const POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

pub async fn app_page(ctx: &Context) -> Result<Reply, Failure> {
    // `/app/`, not `/app/index.html`, which the assets' trailing-slash handling redirects to it.
    let mut response = ctx.bindings.assets.fetch("https://assets.local/app/", None).await?;
    if response.status_code() != 200 {
        return Err(Failure::Internal(format!(
            "the dashboard's index.html answered {} (run `cargo xtask build`)",
            response.status_code()
        )));
    }
    let html = response.bytes().await?;
    Ok(Reply::new(200, "text/html; charset=utf-8", html)
        .header("content-security-policy", POLICY)
        .header("x-frame-options", "DENY")
        .header("referrer-policy", "same-origin")
        .header("cache-control", "no-cache"))
}
