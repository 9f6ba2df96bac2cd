//! Intake's HTTP API: `POST /v1/forms/{id}/leads`, one submission.
//!
//! The order (ARCHITECTURE.md, "Intake order") keeps the cheap refusals first and keeps junk out of
//! the form's ceiling: a malformed or invalid request costs at most its sender's own budget, never
//! the budget the form's real visitors share, and a retry of a stored submission is answered from
//! the store before any limit is asked.

use crate::base::context::Context;
use crate::base::ids::{DeliveryId, FormId, LeadId};
use crate::base::random::random_bytes;
use crate::forms::model::{Limit, StoredForm};
use crate::forwarding::queue::{DeliveryMessage, enqueue};
use crate::http::cors::{BrowserOrigin, REPLAYED_HEADER};
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::http::request::{Shape, header, parse_object, read_body, require_json};
use crate::intake::limiter;
use crate::intake::model::idempotency::{fingerprint, parse_key};
use crate::intake::model::limit::Decision;
use crate::intake::model::spam::{self, Verdict};
use crate::intake::store::{self, NewLead};
use crate::intake::turnstile;
use crate::{forms, forwarding};
use inlet_shared::{Lead, LeadSubmission};
use serde::Serialize;
use worker::{Request, console_error};

/// Largest request body accepted, in bytes. A lead is a few KiB at most.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest Turnstile response passed on to siteverify.
const MAX_TURNSTILE_CHARS: usize = 2048;
const SUBMISSION_SHAPE: Shape =
    Shape::Described(r#"Expected an object like {"fields": {"email": "..."}}."#);

#[derive(Serialize)]
struct Created<'a> {
    id: &'a LeadId,
}

fn created(id: &LeadId) -> Reply {
    Reply::json(201, &Created { id }).header("cache-control", "no-store")
}

/// `POST /v1/forms/{id}/leads`. Every answer after the origin check, refusals included, is readable
/// by the browser, so the widget can show it.
pub async fn submit_lead(
    ctx: &Context,
    mut req: Request,
    form_id: &FormId,
) -> Result<Reply, Failure> {
    let form =
        forms::store::find_form(ctx.db(), form_id).await?.ok_or_else(Problem::form_not_found)?;
    let origin = BrowserOrigin::check(&req, &form.allowed_origins)?;
    let reply = accept_lead(ctx, &mut req, &form).await.unwrap_or_else(Failure::into_reply);
    Ok(origin.expose(reply))
}

async fn accept_lead(
    ctx: &Context,
    req: &mut Request,
    form: &StoredForm,
) -> Result<Reply, Failure> {
    require_json(req)?;
    let idempotency_key = match header(req, "idempotency-key")? {
        Some(raw) => Some(parse_key(&raw).ok_or_else(Problem::idempotency_key_invalid)?),
        None => None,
    };
    let body = read_body(req, MAX_BODY_BYTES).await?;
    let submission: LeadSubmission = parse_object(&body, SUBMISSION_SHAPE)?;
    let fingerprint = fingerprint(&submission);
    if let Some(key) = &idempotency_key
        && let Some(reply) = replay(ctx, form, key, &fingerprint).await?
    {
        return Ok(reply);
    }
    let secret = ctx.config.secret.as_bytes();
    let client_ip = header(req, "cf-connecting-ip")?;
    let limits = &form.settings.rate_limit;
    let client = spam::client_key(secret, client_ip.as_deref().unwrap_or("unknown"));
    take_limit(ctx, &format!("client:{}:{client}", form.id), limits.per_client).await?;
    let lead = Lead::parse(&form.definition, &submission).map_err(Problem::validation_failed)?;
    if let Some(settings) = &form.settings.turnstile {
        let own_host = req.url()?.host_str().unwrap_or_default().to_owned();
        let answer = submission.turnstile.as_deref();
        check_turnstile(ctx, &settings.secret, answer, client_ip.as_deref(), form, &own_host)
            .await?;
    }
    // Only a submission that is well formed, valid and past Turnstile counts toward the form's ceiling.
    take_limit(ctx, &format!("form:{}", form.id), limits.per_form).await?;
    let honeypot = submission.honeypot.as_deref();
    let token = submission.token.as_deref();
    let min_fill_ms = form.settings.min_fill_ms();
    let verdict = spam::verdict(secret, &form.id, honeypot, token, ctx.now, min_fill_ms);
    let id = LeadId::new(random_bytes()?);
    // One delivery per destination, stored with the lead; a bot's lead goes nowhere.
    let mut deliveries = Vec::new();
    if verdict == Verdict::Human {
        let db = ctx.db();
        for destination_id in
            forwarding::store::enabled_destination_ids(db, &form.tenant_id, &form.id).await?
        {
            deliveries.push((DeliveryId::new(random_bytes()?), destination_id));
        }
    }
    let new_lead = NewLead {
        tenant_id: &form.tenant_id,
        form_id: &form.id,
        id: &id,
        lead: &lead,
        received_at: ctx.now,
        // A bot is answered exactly as a person is, so it learns nothing from the answer.
        spam: match verdict {
            Verdict::Human => None,
            Verdict::Bot(reason) => Some(reason),
        },
        idempotency: idempotency_key.as_deref().map(|key| (key, fingerprint.as_str())),
        deliveries: &deliveries,
    };
    if let Err(error) = store::insert_lead(ctx.db(), &new_lead).await {
        // A concurrent request with the same key may have stored first: answer as it was answered.
        if let Some(key) = &idempotency_key
            && let Some(reply) = replay(ctx, form, key, &fingerprint).await?
        {
            return Ok(reply);
        }
        return Err(error.into());
    }
    // The visitor's answer waits for the queue, never for a destination. If queueing fails the lead
    // and its pending deliveries are stored all the same, and the cron sweep queues them later.
    let messages = deliveries
        .into_iter()
        .map(|(delivery_id, _)| DeliveryMessage { tenant_id: form.tenant_id.clone(), delivery_id })
        .collect();
    if let Err(error) = enqueue(&ctx.bindings.deliveries, messages).await {
        console_error!("lead {id}: queueing its deliveries failed, the sweep will retry: {error}");
    }
    Ok(created(&id))
}

/// Takes one request from the rate-limit bucket `key`, or refuses with `429`.
async fn take_limit(ctx: &Context, key: &str, limit: Limit) -> Result<(), Failure> {
    match limiter::take(&ctx.bindings.limiter, key, limit).await? {
        Decision::Limited { retry_after } => Err(Problem::rate_limited(retry_after).into()),
        Decision::Allowed => Ok(()),
    }
}

/// The original answer for a key seen before with this submission; a refusal for the key with
/// another one.
async fn replay(
    ctx: &Context,
    form: &StoredForm,
    key: &str,
    fingerprint: &str,
) -> Result<Option<Reply>, Failure> {
    match store::find_idempotency_key(ctx.db(), &form.tenant_id, &form.id, key).await? {
        Some(record) if record.request_hash == fingerprint => {
            Ok(Some(created(&record.lead_id).header(REPLAYED_HEADER, "true")))
        }
        Some(_) => Err(Problem::idempotency_key_reused().into()),
        None => Ok(None),
    }
}

async fn check_turnstile(
    ctx: &Context,
    secret: &str,
    answer: Option<&str>,
    client_ip: Option<&str>,
    form: &StoredForm,
    own_host: &str,
) -> Result<(), Failure> {
    let Some(answer) = answer.filter(|t| !t.is_empty() && t.len() <= MAX_TURNSTILE_CHARS) else {
        return Err(Problem::turnstile_failed().into());
    };
    match turnstile::verify(&ctx.config.turnstile_base_url, secret, answer, client_ip).await {
        Ok(verdict) if verdict.accepts(&form.allowed_origins, own_host) => Ok(()),
        Ok(_) => Err(Problem::turnstile_failed().into()),
        Err(cause) => {
            console_error!("turnstile: {cause}");
            Err(Problem::turnstile_unavailable().into())
        }
    }
}
