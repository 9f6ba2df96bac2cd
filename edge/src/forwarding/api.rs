//! Forwarding's HTTP API, for the operator: a form's destinations, secret rotation, the delivery log
//! and replay. One function per endpoint; the router checks the operator's token first and marks
//! every answer `no-store`. Every path names its tenant, and every query is scoped by it.
//!
//! Secrets are shown once: a webhook destination's `whsec_` secret appears in the answer that created
//! or rotated it and never again.

use crate::base::clock::Timestamp;
use crate::base::context::Context;
use crate::base::ids::{DeliveryId, DestinationId, FormId, TenantId};
use crate::base::random::random_bytes;
use crate::forms;
use crate::forwarding::model::delivery::{AttemptEntry, AttemptOutcome, Delivery, DeliveryStatus};
use crate::forwarding::model::destination::{
    Destination, DestinationRequest, Refusal, RefusalKind, Target, check_name,
};
use crate::forwarding::model::signing;
use crate::forwarding::queue::{DeliveryMessage, enqueue};
use crate::forwarding::store::{self, DeliveryFilter};
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::http::request::{query_param, read_json, read_optional_json};
use serde::{Deserialize, Serialize};
use worker::Request;

const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long the previous secret keeps signing after a rotation, unless the request says otherwise.
const DEFAULT_OVERLAP_SECONDS: u32 = 24 * 60 * 60;
const MAX_OVERLAP_SECONDS: u32 = 7 * 24 * 60 * 60;
/// Destinations one form may have: a guard on the work one visitor's submission causes (one stored
/// delivery and one queue message per destination, inside the visitor's request).
const MAX_DESTINATIONS_PER_FORM: u32 = 100;
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

fn refusal(refusal: Refusal) -> Problem {
    match refusal.kind {
        RefusalKind::Invalid => Problem::destination_invalid(refusal.message),
        RefusalKind::UrlNotAllowed => Problem::destination_url_not_allowed(refusal.message),
    }
}

async fn find_form(
    ctx: &Context,
    tenant_id: &TenantId,
    form_id: &FormId,
) -> Result<forms::model::StoredForm, Failure> {
    let form = forms::store::find_tenant_form(ctx.db(), tenant_id, form_id).await?;
    Ok(form.ok_or_else(Problem::form_not_found)?)
}

async fn find_destination(
    ctx: &Context,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<Destination, Failure> {
    let destination = store::find_destination(ctx.db(), tenant_id, id).await?;
    Ok(destination.ok_or_else(Problem::destination_not_found)?)
}

async fn find_delivery(
    ctx: &Context,
    tenant_id: &TenantId,
    id: &DeliveryId,
) -> Result<Delivery, Failure> {
    Ok(store::find_delivery(ctx.db(), tenant_id, id)
        .await?
        .ok_or_else(Problem::delivery_not_found)?)
}

/// `GET .../forms/{form_id}/destinations`.
pub async fn list_destinations(
    ctx: &Context,
    tenant_id: &TenantId,
    form_id: &FormId,
) -> Result<Reply, Failure> {
    find_form(ctx, tenant_id, form_id).await?;
    let destinations = store::list_destinations(ctx.db(), tenant_id, form_id).await?;
    let items: Vec<DestinationView> =
        destinations.iter().map(|d| DestinationView::of(d, ctx.now)).collect();
    Ok(Reply::json(200, &List { items }))
}

/// `POST .../forms/{form_id}/destinations`: a webhook gets a new signing secret, shown this once.
pub async fn create_destination(
    ctx: &Context,
    mut req: Request,
    tenant_id: &TenantId,
    form_id: &FormId,
) -> Result<Reply, Failure> {
    let form = find_form(ctx, tenant_id, form_id).await?;
    let request: DestinationRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let checked = request
        .check(form.definition.default_country, ctx.config.allow_private_destinations)
        .map_err(refusal)?;
    let secret = match checked.target {
        Target::Webhook { .. } => Some(signing::new_secret(random_bytes()?)),
        _ => None,
    };
    let destination = Destination {
        id: DestinationId::new(random_bytes()?),
        form_id: form.id.clone(),
        name: checked.name,
        target: checked.target,
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_expires_at: None,
        enabled: true,
        disabled_reason: None,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    // The insert checks the cap itself: a count read first would let concurrent creates past it.
    if !store::insert_destination(ctx.db(), tenant_id, &destination, MAX_DESTINATIONS_PER_FORM)
        .await?
    {
        let detail = format!("A form has at most {MAX_DESTINATIONS_PER_FORM} destinations.");
        return Err(Problem::destination_invalid(detail).into());
    }
    Ok(Reply::json(201, &DestinationView::of(&destination, ctx.now).with_secret(secret)))
}

/// `GET .../destinations/{id}`.
pub async fn read_destination(
    ctx: &Context,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<Reply, Failure> {
    let destination = find_destination(ctx, tenant_id, id).await?;
    Ok(Reply::json(200, &DestinationView::of(&destination, ctx.now)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationChange {
    name: Option<String>,
    enabled: Option<bool>,
}

/// `PATCH .../destinations/{id}`: rename, switch on or off.
pub async fn update_destination(
    ctx: &Context,
    mut req: Request,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<Reply, Failure> {
    let change: DestinationChange = read_json(&mut req, MAX_BODY_BYTES).await?;
    let found = find_destination(ctx, tenant_id, id).await?;
    if let Some(name) = change.name {
        let name = check_name(&name).map_err(refusal)?;
        store::rename_destination(ctx.db(), tenant_id, &found.id, &name, ctx.now).await?;
    }
    if let Some(enabled) = change.enabled {
        store::set_destination_enabled(
            ctx.db(),
            tenant_id,
            &found.id,
            enabled,
            Some("operator"),
            ctx.now,
        )
        .await?;
    }
    read_destination(ctx, tenant_id, id).await
}

/// `DELETE .../destinations/{id}`.
pub async fn delete_destination(
    ctx: &Context,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<Reply, Failure> {
    if !store::delete_destination(ctx.db(), tenant_id, id).await? {
        return Err(Problem::destination_not_found().into());
    }
    Ok(Reply::empty(204))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    overlap_seconds: Option<u32>,
}

/// `POST .../destinations/{id}/rotate-secret`: a new secret, shown this once; the previous one keeps
/// signing for the overlap.
pub async fn rotate_secret(
    ctx: &Context,
    mut req: Request,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<Reply, Failure> {
    let now = ctx.now;
    let rotation: Rotation = read_optional_json(&mut req, MAX_BODY_BYTES).await?;
    let overlap = rotation.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
    if overlap > MAX_OVERLAP_SECONDS {
        let detail = format!("overlap_seconds: at most {MAX_OVERLAP_SECONDS}");
        return Err(Problem::destination_invalid(detail).into());
    }
    let found = find_destination(ctx, tenant_id, id).await?;
    if !matches!(found.target, Target::Webhook { .. }) {
        let detail = "Only webhook destinations have a signing secret.";
        return Err(Problem::destination_invalid(detail).into());
    }
    // One previous secret at a time: rotating again during the overlap is refused rather than
    // cutting the receiver's switch-over short.
    if let Some(until) = found.overlap_until(now) {
        return Err(Problem::rotation_in_progress(&until.rfc3339()).into());
    }
    let secret = signing::new_secret(random_bytes()?);
    if !store::rotate_secret(
        ctx.db(),
        tenant_id,
        &found.id,
        &secret,
        now.plus_seconds(overlap),
        now,
    )
    .await?
    {
        // Another rotation took effect since the read above.
        let current = find_destination(ctx, tenant_id, id).await?;
        let until = current.overlap_until(now).unwrap_or(now);
        return Err(Problem::rotation_in_progress(&until.rfc3339()).into());
    }
    let rotated = find_destination(ctx, tenant_id, id).await?;
    Ok(Reply::json(200, &DestinationView::of(&rotated, now).with_secret(Some(secret))))
}

/// `GET .../deliveries?status=&lead_id=&destination_id=&limit=`: the newest first.
pub async fn list_deliveries(
    ctx: &Context,
    req: &Request,
    tenant_id: &TenantId,
) -> Result<Reply, Failure> {
    let status = match query_param(req, "status")? {
        None => None,
        Some(name) => Some(DeliveryStatus::parse(&name).ok_or_else(|| {
            let names: Vec<&str> =
                DeliveryStatus::ALL.into_iter().map(DeliveryStatus::as_str).collect();
            Problem::query_invalid(format!("status: one of {}", names.join(", ")))
        })?),
    };
    let limit = match query_param(req, "limit")? {
        None => DEFAULT_PAGE,
        Some(raw) => {
            raw.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(|| {
                Problem::query_invalid(format!("limit: a number from 1 to {MAX_PAGE}"))
            })?
        }
    };
    let (lead_id, destination_id) =
        (query_param(req, "lead_id")?, query_param(req, "destination_id")?);
    let filter = DeliveryFilter {
        status,
        lead_id: lead_id.as_deref(),
        destination_id: destination_id.as_deref(),
        limit,
    };
    let deliveries = store::list_deliveries(ctx.db(), tenant_id, &filter).await?;
    let items: Vec<DeliveryView> = deliveries.iter().map(|d| DeliveryView::of(d, None)).collect();
    Ok(Reply::json(200, &List { items }))
}

/// `GET .../deliveries/{id}`: the delivery with its attempt log.
pub async fn read_delivery(
    ctx: &Context,
    tenant_id: &TenantId,
    id: &DeliveryId,
) -> Result<Reply, Failure> {
    let delivery = find_delivery(ctx, tenant_id, id).await?;
    let log = store::list_attempts(ctx.db(), tenant_id, &delivery.id).await?;
    Ok(Reply::json(200, &DeliveryView::of(&delivery, Some(&log))))
}

/// `POST .../deliveries/{id}/replay`: a failed or dead delivery starts a new round.
pub async fn replay_delivery(
    ctx: &Context,
    tenant_id: &TenantId,
    id: &DeliveryId,
) -> Result<Reply, Failure> {
    let delivery = find_delivery(ctx, tenant_id, id).await?;
    if !delivery.status.is_replayable() {
        let detail = format!(
            "It is {}; only failed and dead deliveries are replayed.",
            delivery.status.as_str()
        );
        return Err(Problem::delivery_not_replayable(detail).into());
    }
    match store::find_destination(ctx.db(), tenant_id, &delivery.destination_id).await? {
        Some(destination) if destination.enabled => {}
        Some(_) => {
            let detail = "Its destination is disabled; enable it first.";
            return Err(Problem::delivery_not_replayable(detail).into());
        }
        None => return Err(Problem::delivery_not_replayable("Its destination was deleted.").into()),
    }
    if !store::restart_delivery(ctx.db(), tenant_id, &delivery.id, ctx.now).await? {
        return Err(Problem::delivery_not_replayable("It changed meanwhile; read it again.").into());
    }
    let message =
        DeliveryMessage { tenant_id: tenant_id.clone(), delivery_id: delivery.id.clone() };
    enqueue(&ctx.bindings.deliveries, vec![message]).await?;
    let restarted = find_delivery(ctx, tenant_id, &delivery.id).await?;
    Ok(Reply::json(202, &DeliveryView::of(&restarted, None)))
}

#[derive(Serialize)]
struct List<T> {
    items: Vec<T>,
}

/// A destination as the API shows it: never its secrets, except `secret` right after it was made.
#[derive(Serialize)]
struct DestinationView<'a> {
    id: &'a DestinationId,
    form_id: &'a FormId,
    name: &'a str,
    #[serde(flatten)]
    target: &'a Target,
    enabled: bool,
    disabled_reason: Option<&'a str>,
    /// While a rotation overlaps: when the previous secret stops signing.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret_expires_at: Option<String>,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl<'a> DestinationView<'a> {
    fn of(destination: &'a Destination, now: Timestamp) -> DestinationView<'a> {
        DestinationView {
            id: &destination.id,
            form_id: &destination.form_id,
            name: &destination.name,
            target: &destination.target,
            enabled: destination.enabled,
            disabled_reason: destination.disabled_reason.as_deref(),
            previous_secret_expires_at: destination.overlap_until(now).map(Timestamp::rfc3339),
            created_at: destination.created_at.rfc3339(),
            updated_at: destination.updated_at.rfc3339(),
            secret: None,
        }
    }

    fn with_secret(self, secret: Option<String>) -> DestinationView<'a> {
        DestinationView { secret, ..self }
    }
}

#[derive(Serialize)]
struct DeliveryView<'a> {
    id: &'a DeliveryId,
    lead_id: &'a crate::base::ids::LeadId,
    destination_id: &'a DestinationId,
    event: &'a str,
    status: DeliveryStatus,
    /// Attempts in the current round (a replay starts a new one).
    attempts: u32,
    last_status_code: Option<u16>,
    last_error: Option<&'a str>,
    next_attempt_at: Option<String>,
    created_at: String,
    updated_at: String,
    delivered_at: Option<String>,
    /// Every attempt, oldest first (only when one delivery is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt_log: Option<Vec<AttemptView<'a>>>,
}

#[derive(Serialize)]
struct AttemptView<'a> {
    number: u32,
    attempted_at: String,
    outcome: AttemptOutcome,
    status_code: Option<u16>,
    duration_ms: u64,
    error: Option<&'a str>,
    next_attempt_at: Option<String>,
}

impl<'a> DeliveryView<'a> {
    fn of(delivery: &'a Delivery, log: Option<&'a [AttemptEntry]>) -> DeliveryView<'a> {
        DeliveryView {
            id: &delivery.id,
            lead_id: &delivery.lead_id,
            destination_id: &delivery.destination_id,
            event: &delivery.event,
            status: delivery.status,
            attempts: delivery.attempts,
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error.as_deref(),
            next_attempt_at: delivery.next_attempt_at.map(Timestamp::rfc3339),
            created_at: delivery.created_at.rfc3339(),
            updated_at: delivery.updated_at.rfc3339(),
            delivered_at: delivery.delivered_at.map(Timestamp::rfc3339),
            attempt_log: log.map(|entries| {
                entries
                    .iter()
                    .map(|entry| AttemptView {
                        number: entry.number,
                        attempted_at: entry.attempted_at.rfc3339(),
                        outcome: entry.outcome,
                        status_code: entry.status_code,
                        duration_ms: entry.duration_ms,
                        error: entry.error.as_deref(),
                        next_attempt_at: entry.next_attempt_at.map(Timestamp::rfc3339),
                    })
                    .collect()
            }),
        }
    }
}
