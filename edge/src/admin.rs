//! The operator API: a form's destinations, secret rotation, the delivery log and replay. Every path
//! names its tenant, and every query is scoped by it. Until accounts exist (the dashboard's issue) one
//! bearer token, the Worker secret `INLET_OPERATOR_TOKEN`, guards it; without that secret the API is
//! closed.
//!
//! Secrets are shown once: a webhook destination's `whsec_` secret appears in the answer that created
//! or rotated it and never again.

use crate::app::{
    Failure, allow_private_destinations, random_array, read_body, require_json, setting,
};
use crate::deliver::{self, DeliveryMessage};
use crate::destination::{DestinationRequest, Target, check_name};
use crate::forward::rfc3339;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::route::{Method, Route};
use crate::store as forms;
use crate::store::forwarding::{self as store, AttemptRow, Delivery, DeliveryFilter, Destination};
use crate::{ids, webhook};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use worker::{D1Database, Env, Request};

const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long the previous secret keeps signing after a rotation, unless the request says otherwise.
const DEFAULT_OVERLAP_SECONDS: u32 = 24 * 60 * 60;
const MAX_OVERLAP_SECONDS: u32 = 7 * 24 * 60 * 60;
/// Destinations one form may have: a guard on the work one visitor's submission causes (one stored
/// delivery and one queue message per destination, inside the visitor's request).
const MAX_DESTINATIONS_PER_FORM: u32 = 100;
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;
const STATUSES: &[&str] = &["pending", "retrying", "delivered", "failed", "dead"];

pub async fn handle(
    route: Route,
    method: Method,
    mut req: Request,
    env: &Env,
) -> Result<Reply, Failure> {
    authorize(&req, env)?;
    let db = env.d1("DB")?;
    let now = js_sys::Date::now();
    let reply = match (route, method) {
        (Route::Destinations { tenant_id, form_id }, Method::Post) => {
            let form = forms::find_tenant_form(&db, &tenant_id, &form_id)
                .await?
                .ok_or_else(Problem::form_not_found)?;
            let request: DestinationRequest = read_json(&mut req).await?;
            let checked = request
                .check(form.definition.default_country, allow_private_destinations(env))
                .map_err(|refusal| match refusal.code {
                    "destination_url_not_allowed" => {
                        Problem::destination_url_not_allowed(refusal.message)
                    }
                    _ => Problem::destination_invalid(refusal.message),
                })?;
            let secret = matches!(checked.target, Target::Webhook { .. })
                .then(|| random_array().map(webhook::new_secret))
                .transpose()?;
            let destination = Destination {
                id: ids::destination_id(random_array()?),
                form_id: form.definition.id.clone(),
                name: checked.name,
                target: checked.target,
                secret: secret.clone(),
                previous_secret: None,
                previous_secret_expires_at: None,
                enabled: true,
                disabled_reason: None,
                created_at: now,
                updated_at: now,
            };
            // The insert checks the cap itself: a count read first would let concurrent creates past it.
            if !store::insert_destination(&db, &tenant_id, &destination, MAX_DESTINATIONS_PER_FORM)
                .await?
            {
                return Err(Problem::destination_invalid(format!(
                    "A form has at most {MAX_DESTINATIONS_PER_FORM} destinations."
                ))
                .into());
            }
            Reply::json(201, &DestinationView::of(&destination, now).with_secret(secret))
        }
        (Route::Destinations { tenant_id, form_id }, _) => {
            forms::find_tenant_form(&db, &tenant_id, &form_id)
                .await?
                .ok_or_else(Problem::form_not_found)?;
            let destinations = store::list_destinations(&db, &tenant_id, &form_id).await?;
            let views: Vec<DestinationView> =
                destinations.iter().map(|d| DestinationView::of(d, now)).collect();
            Reply::json(200, &List { items: views })
        }
        (Route::Destination { tenant_id, destination_id }, Method::Patch) => {
            let change: DestinationChange = read_json(&mut req).await?;
            let found = find_destination(&db, &tenant_id, &destination_id).await?;
            if let Some(name) = change.name {
                let name = check_name(&name)
                    .map_err(|refusal| Problem::destination_invalid(refusal.message))?;
                store::rename_destination(&db, &tenant_id, &found.id, &name, now).await?;
            }
            if let Some(enabled) = change.enabled {
                store::set_destination_enabled(
                    &db,
                    &tenant_id,
                    &found.id,
                    enabled,
                    Some("operator"),
                    now,
                )
                .await?;
            }
            let updated = find_destination(&db, &tenant_id, &destination_id).await?;
            Reply::json(200, &DestinationView::of(&updated, now))
        }
        (Route::Destination { tenant_id, destination_id }, Method::Delete) => {
            if !store::delete_destination(&db, &tenant_id, &destination_id).await? {
                return Err(Problem::destination_not_found().into());
            }
            Reply::empty(204)
        }
        (Route::Destination { tenant_id, destination_id }, _) => {
            let found = find_destination(&db, &tenant_id, &destination_id).await?;
            Reply::json(200, &DestinationView::of(&found, now))
        }
        (Route::RotateSecret { tenant_id, destination_id }, _) => {
            let rotation: Rotation = read_optional_json(&mut req).await?;
            let overlap = rotation.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
            if overlap > MAX_OVERLAP_SECONDS {
                return Err(Problem::destination_invalid(format!(
                    "overlap_seconds: at most {MAX_OVERLAP_SECONDS}"
                ))
                .into());
            }
            let found = find_destination(&db, &tenant_id, &destination_id).await?;
            if !matches!(found.target, Target::Webhook { .. }) {
                return Err(Problem::destination_invalid(
                    "Only webhook destinations have a signing secret.",
                )
                .into());
            }
            // One previous secret at a time: rotating again during the overlap is refused rather than
            // cutting the receiver's switch-over short.
            let overlapping = |destination: &Destination| {
                destination.previous_secret_expires_at.filter(|until| *until > now)
            };
            if let Some(until) = overlapping(&found) {
                return Err(Problem::rotation_in_progress(&rfc3339(until)).into());
            }
            let secret = webhook::new_secret(random_array()?);
            if !store::rotate_secret(
                &db,
                &tenant_id,
                &found.id,
                &secret,
                now + f64::from(overlap) * 1_000.0,
                now,
            )
            .await?
            {
                // Another rotation took effect since the read above.
                let current = find_destination(&db, &tenant_id, &destination_id).await?;
                return Err(Problem::rotation_in_progress(&rfc3339(
                    overlapping(&current).unwrap_or(now),
                ))
                .into());
            }
            let rotated = find_destination(&db, &tenant_id, &destination_id).await?;
            Reply::json(200, &DestinationView::of(&rotated, now).with_secret(Some(secret)))
        }
        (Route::Deliveries { tenant_id }, _) => {
            let url = req.url()?;
            let query: Vec<(String, String)> =
                url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            let status = get("status");
            if status.is_some_and(|s| !STATUSES.contains(&s)) {
                return Err(Problem::query_invalid(format!(
                    "status: one of {}",
                    STATUSES.join(", ")
                ))
                .into());
            }
            let limit = match get("limit") {
                None => DEFAULT_PAGE,
                Some(raw) => {
                    raw.parse::<u32>().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(
                        || Problem::query_invalid(format!("limit: a number from 1 to {MAX_PAGE}")),
                    )?
                }
            };
            let filter = DeliveryFilter {
                status,
                lead_id: get("lead_id"),
                destination_id: get("destination_id"),
                limit,
            };
            let deliveries = store::list_deliveries(&db, &tenant_id, &filter).await?;
            let views: Vec<DeliveryView> =
                deliveries.iter().map(|d| DeliveryView::of(d, None)).collect();
            Reply::json(200, &List { items: views })
        }
        (Route::Delivery { tenant_id, delivery_id }, _) => {
            let delivery = find_delivery(&db, &tenant_id, &delivery_id).await?;
            let log = store::list_attempts(&db, &tenant_id, &delivery.id).await?;
            Reply::json(200, &DeliveryView::of(&delivery, Some(&log)))
        }
        (Route::Replay { tenant_id, delivery_id }, _) => {
            let delivery = find_delivery(&db, &tenant_id, &delivery_id).await?;
            if !matches!(delivery.status.as_str(), "failed" | "dead") {
                return Err(Problem::delivery_not_replayable(format!(
                    "It is {}; only failed and dead deliveries are replayed.",
                    delivery.status
                ))
                .into());
            }
            match store::find_destination(&db, &tenant_id, &delivery.destination_id).await? {
                Some(destination) if destination.enabled => {}
                Some(_) => {
                    return Err(Problem::delivery_not_replayable(
                        "Its destination is disabled; enable it first.",
                    )
                    .into());
                }
                None => {
                    return Err(
                        Problem::delivery_not_replayable("Its destination was deleted.").into()
                    );
                }
            }
            if !store::restart_delivery(&db, &tenant_id, &delivery.id, now).await? {
                return Err(Problem::delivery_not_replayable(
                    "It changed meanwhile; read it again.",
                )
                .into());
            }
            deliver::enqueue(
                env,
                vec![DeliveryMessage {
                    tenant_id: tenant_id.clone(),
                    delivery_id: delivery.id.clone(),
                }],
            )
            .await?;
            let restarted = find_delivery(&db, &tenant_id, &delivery.id).await?;
            Reply::json(202, &DeliveryView::of(&restarted, None))
        }
        _ => Reply::problem(&Problem::not_found()),
    };
    // Operator answers hold lead metadata and, once, secrets: never cached anywhere.
    Ok(reply.header("cache-control", "no-store"))
}

/// Checks the bearer token against `INLET_OPERATOR_TOKEN` in constant time (both sides are hashed
/// with a per-request key, so neither length nor content leaks through timing).
fn authorize(req: &Request, env: &Env) -> Result<(), Failure> {
    let expected = setting(env, "INLET_OPERATOR_TOKEN").filter(|t| t.len() >= 16);
    let given = req
        .headers()
        .get("authorization")?
        .and_then(|value| value.strip_prefix("Bearer ").map(|t| t.trim().to_owned()));
    let (Some(expected), Some(given)) = (expected, given) else {
        return Err(Problem::unauthorized().into());
    };
    let key: [u8; 32] = random_array()?;
    let digest = |text: &str| {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).ok()?;
        mac.update(text.as_bytes());
        Some(mac.finalize().into_bytes())
    };
    match (digest(&expected), digest(&given)) {
        (Some(a), Some(b)) if a == b => Ok(()),
        _ => Err(Problem::unauthorized().into()),
    }
}

async fn read_json<T: for<'de> Deserialize<'de>>(req: &mut Request) -> Result<T, Failure> {
    require_json(req)?;
    let body = read_body(req, MAX_BODY_BYTES).await?;
    parse_json(&body)
}

/// A body that may be empty (then every member takes its default).
async fn read_optional_json<T: for<'de> Deserialize<'de> + Default>(
    req: &mut Request,
) -> Result<T, Failure> {
    let body = read_body(req, MAX_BODY_BYTES).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    require_json(req)?;
    parse_json(&body)
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Failure> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Problem::malformed_json("The body is not valid JSON."))?;
    if !value.is_object() {
        return Err(Problem::malformed_json("Expected a JSON object.").into());
    }
    serde_json::from_value(value)
        .map_err(|e| Problem::malformed_json(format!("Unexpected shape: {e}")).into())
}

async fn find_destination(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Destination, Failure> {
    Ok(store::find_destination(db, tenant_id, id)
        .await?
        .ok_or_else(Problem::destination_not_found)?)
}

async fn find_delivery(db: &D1Database, tenant_id: &str, id: &str) -> Result<Delivery, Failure> {
    Ok(store::find_delivery(db, tenant_id, id).await?.ok_or_else(Problem::delivery_not_found)?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationChange {
    name: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    overlap_seconds: Option<u32>,
}

#[derive(Serialize)]
struct List<T> {
    items: Vec<T>,
}

/// A destination as the API shows it: never its secrets, except `secret` right after it was made.
#[derive(Serialize)]
struct DestinationView<'a> {
    id: &'a str,
    form_id: &'a str,
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
    fn of(destination: &'a Destination, now: f64) -> DestinationView<'a> {
        DestinationView {
            id: &destination.id,
            form_id: &destination.form_id,
            name: &destination.name,
            target: &destination.target,
            enabled: destination.enabled,
            disabled_reason: destination.disabled_reason.as_deref(),
            previous_secret_expires_at: destination
                .previous_secret_expires_at
                .filter(|until| *until > now)
                .map(rfc3339),
            created_at: rfc3339(destination.created_at),
            updated_at: rfc3339(destination.updated_at),
            secret: None,
        }
    }

    fn with_secret(self, secret: Option<String>) -> DestinationView<'a> {
        DestinationView { secret, ..self }
    }
}

#[derive(Serialize)]
struct DeliveryView<'a> {
    id: &'a str,
    lead_id: &'a str,
    destination_id: &'a str,
    event: &'a str,
    status: &'a str,
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
    outcome: &'a str,
    status_code: Option<u16>,
    duration_ms: u32,
    error: Option<&'a str>,
    next_attempt_at: Option<String>,
}

impl<'a> DeliveryView<'a> {
    fn of(delivery: &'a Delivery, log: Option<&'a [AttemptRow]>) -> DeliveryView<'a> {
        DeliveryView {
            id: &delivery.id,
            lead_id: &delivery.lead_id,
            destination_id: &delivery.destination_id,
            event: &delivery.event,
            status: &delivery.status,
            attempts: delivery.attempts as u32,
            last_status_code: delivery.last_status_code.map(|c| c as u16),
            last_error: delivery.last_error.as_deref(),
            next_attempt_at: delivery.next_attempt_at.map(rfc3339),
            created_at: rfc3339(delivery.created_at),
            updated_at: rfc3339(delivery.updated_at),
            delivered_at: delivery.delivered_at.map(rfc3339),
            attempt_log: log.map(|rows| {
                rows.iter()
                    .map(|row| AttemptView {
                        number: row.number as u32,
                        attempted_at: rfc3339(row.attempted_at),
                        outcome: &row.outcome,
                        status_code: row.status_code.map(|c| c as u16),
                        duration_ms: row.duration_ms as u32,
                        error: row.error.as_deref(),
                        next_attempt_at: row.next_attempt_at.map(rfc3339),
                    })
                    .collect()
            }),
        }
    }
}
