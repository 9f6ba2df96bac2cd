//! The forms' public HTTP API: one function per endpoint. Each looks the form up by its public id
//! and refuses a browser on a site the form does not list before doing anything else.

use crate::base::context::Context;
use crate::base::ids::FormId;
use crate::forms::model::{StoredForm, form_token, renewed_token};
use crate::forms::{page, store};
use crate::http::cors::{BrowserOrigin, FORM_TOKEN_HEADER};
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::http::request::query_param;
use inlet_shared::Locale;
use serde::Serialize;
use worker::Request;

async fn find_form(ctx: &Context, form_id: &FormId) -> Result<StoredForm, Failure> {
    Ok(store::find_form(ctx.db(), form_id).await?.ok_or_else(Problem::form_not_found)?)
}

/// `GET /v1/forms/{id}`: the definition, with a form token issued now.
pub async fn read_form(ctx: &Context, req: &Request, form_id: &FormId) -> Result<Reply, Failure> {
    let form = find_form(ctx, form_id).await?;
    let origin = BrowserOrigin::check(req, &form.allowed_origins)?;
    let token = form_token(ctx.config.secret.as_bytes(), &form.id, ctx.now);
    let reply = Reply::json(200, &form.definition)
        .header("cache-control", "public, max-age=60")
        .header(FORM_TOKEN_HEADER, token);
    Ok(origin.expose(reply))
}

#[derive(Serialize)]
struct Renewed<'a> {
    token: &'a str,
}

/// `GET /v1/forms/{id}/token?previous=...`: a fresh form token, renewed from the one the widget
/// holds (see `model::renewed_token`). Never cached: each answer is for its asker.
pub async fn renew_token(ctx: &Context, req: &Request, form_id: &FormId) -> Result<Reply, Failure> {
    let form = find_form(ctx, form_id).await?;
    let origin = BrowserOrigin::check(req, &form.allowed_origins)?;
    let previous = query_param(req, "previous")?;
    let secret = ctx.config.secret.as_bytes();
    let min_fill_ms = form.settings.min_fill_ms();
    let token = renewed_token(secret, &form.id, previous.as_deref(), ctx.now, min_fill_ms);
    let reply = Reply::json(200, &Renewed { token: &token })
        .header("cache-control", "no-store")
        .header(FORM_TOKEN_HEADER, token.clone());
    Ok(origin.expose(reply))
}

/// `OPTIONS` on any of a form's public addresses, which take `methods`.
pub async fn preflight(
    ctx: &Context,
    req: &Request,
    form_id: &FormId,
    methods: &str,
) -> Result<Reply, Failure> {
    let form = find_form(ctx, form_id).await?;
    let origin = BrowserOrigin::check(req, &form.allowed_origins)?;
    Ok(origin.expose(origin.preflight(methods)))
}

/// `GET /embed/{id}?locale=es`: the page a site puts in an iframe, in the language asked for.
pub async fn embed(ctx: &Context, req: &Request, form_id: &FormId) -> Result<Reply, Failure> {
    let locale = Locale::negotiate(&query_param(req, "locale")?.unwrap_or_default());
    let Some(form) = store::find_form(ctx.db(), form_id).await? else {
        // Any site may frame this sentence: it is what a site that embeds a deleted form shows.
        return Ok(Reply::new(404, "text/html; charset=utf-8", page::not_found_page())
            .header("content-security-policy", page::NOT_FOUND_CSP)
            .header("cache-control", "no-store"));
    };
    let html = page::embed_page(form.id.as_str(), &form.definition.title, locale.tag());
    Ok(Reply::new(200, "text/html; charset=utf-8", html)
        .header("content-security-policy", page::embed_csp(&form.allowed_origins))
        .header("cache-control", "public, max-age=60"))
}
