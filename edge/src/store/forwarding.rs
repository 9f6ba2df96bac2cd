//! Destinations, deliveries and the delivery log in D1. Every query names the tenant first.

use super::StoreError;
use crate::destination::Target;
use crate::forward::{Context, LeadRecord, rfc3339};
use inlet_shared::{Consent, FormDefinition};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

fn text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

fn optional_number(value: Option<f64>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_f64)
}

/// D1 hands numbers over as JavaScript numbers; rows read them as `f64`.
#[derive(Debug, Clone, Deserialize)]
struct DestinationRow {
    id: String,
    form_id: String,
    name: String,
    target: String,
    secret: Option<String>,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<f64>,
    enabled: f64,
    disabled_reason: Option<String>,
    created_at: f64,
    updated_at: f64,
}

/// A destination with everything a delivery needs. Invariant: `secret` is set for webhooks.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: String,
    pub form_id: String,
    pub name: String,
    pub target: Target,
    pub secret: Option<String>,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<f64>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
}

impl Destination {
    /// The secrets to sign with at `now_ms`: the current one, and the previous one while it overlaps.
    pub fn live_secrets(&self, now_ms: f64) -> Vec<&str> {
        let previous = self
            .previous_secret
            .as_deref()
            .filter(|_| self.previous_secret_expires_at.is_some_and(|until| until > now_ms));
        self.secret.as_deref().into_iter().chain(previous).collect()
    }
}

impl TryFrom<DestinationRow> for Destination {
    type Error = StoreError;

    fn try_from(row: DestinationRow) -> Result<Destination, StoreError> {
        let target: Target = serde_json::from_str(&row.target)
            .map_err(|e| StoreError::Corrupt(format!("destination {}: target: {e}", row.id)))?;
        Ok(Destination {
            id: row.id,
            form_id: row.form_id,
            name: row.name,
            target,
            secret: row.secret,
            previous_secret: row.previous_secret,
            previous_secret_expires_at: row.previous_secret_expires_at,
            enabled: row.enabled != 0.0,
            disabled_reason: row.disabled_reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const DESTINATION_COLUMNS: &str = "id, form_id, name, target, secret, previous_secret, previous_secret_expires_at, \
                                   enabled, disabled_reason, created_at, updated_at";

/// Adds a destination unless its form already has `max_per_form`; `false` if it has. The count and the
/// insert are one statement (D1 runs each statement alone), so concurrent creates cannot overshoot.
pub async fn insert_destination(
    db: &D1Database,
    tenant_id: &str,
    destination: &Destination,
    max_per_form: u32,
) -> Result<bool, StoreError> {
    let target = serde_json::to_string(&destination.target)
        .map_err(|e| StoreError::Corrupt(format!("target: {e}")))?;
    let result = db
        .prepare(
            "INSERT INTO destinations (tenant_id, id, form_id, kind, name, target, secret, enabled, created_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8 \
             WHERE (SELECT count(*) FROM destinations WHERE tenant_id = ?1 AND form_id = ?3) < ?9",
        )
        .bind(&[
            tenant_id.into(),
            destination.id.as_str().into(),
            destination.form_id.as_str().into(),
            destination.target.kind().into(),
            destination.name.as_str().into(),
            target.into(),
            text(destination.secret.as_deref()),
            JsValue::from_f64(destination.created_at),
            JsValue::from_f64(f64::from(max_per_form)),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

pub async fn find_destination(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Destination>, StoreError> {
    let row = db
        .prepare(format!(
            "SELECT {DESTINATION_COLUMNS} FROM destinations WHERE tenant_id = ?1 AND id = ?2"
        ))
        .bind(&[tenant_id.into(), id.into()])?
        .first::<DestinationRow>(None)
        .await?;
    row.map(Destination::try_from).transpose()
}

pub async fn list_destinations(
    db: &D1Database,
    tenant_id: &str,
    form_id: &str,
) -> Result<Vec<Destination>, StoreError> {
    let rows = db
        .prepare(format!(
            "SELECT {DESTINATION_COLUMNS} FROM destinations WHERE tenant_id = ?1 AND form_id = ?2 ORDER BY created_at, id"
        ))
        .bind(&[tenant_id.into(), form_id.into()])?
        .all()
        .await?
        .results::<DestinationRow>()?;
    rows.into_iter().map(Destination::try_from).collect()
}

/// Ids of the form's destinations that take new leads.
pub async fn enabled_destination_ids(
    db: &D1Database,
    tenant_id: &str,
    form_id: &str,
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows = db
        .prepare("SELECT id FROM destinations WHERE tenant_id = ?1 AND form_id = ?2 AND enabled = 1 ORDER BY created_at, id")
        .bind(&[tenant_id.into(), form_id.into()])?
        .all()
        .await?
        .results::<Id>()?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Switches a destination on or off; `false` if there is no such destination.
pub async fn set_destination_enabled(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    enabled: bool,
    reason: Option<&str>,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare("UPDATE destinations SET enabled = ?3, disabled_reason = ?4, updated_at = ?5 WHERE tenant_id = ?1 AND id = ?2")
        .bind(&[
            tenant_id.into(),
            id.into(),
            JsValue::from_f64(if enabled { 1.0 } else { 0.0 }),
            text(if enabled { None } else { reason }),
            JsValue::from_f64(now_ms),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

pub async fn rename_destination(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    name: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE destinations SET name = ?3, updated_at = ?4 WHERE tenant_id = ?1 AND id = ?2",
        )
        .bind(&[tenant_id.into(), id.into(), name.into(), JsValue::from_f64(now_ms)])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Makes `secret` current and keeps the old one signing until `previous_until_ms`; `false` (nothing
/// changed) while an earlier rotation's previous secret is still signing, which would otherwise be
/// dropped before its time. One statement, so of two rotations at once only one takes effect.
pub async fn rotate_secret(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    secret: &str,
    previous_until_ms: f64,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE destinations SET previous_secret = secret, previous_secret_expires_at = ?4, secret = ?3, updated_at = ?5 \
             WHERE tenant_id = ?1 AND id = ?2 AND kind = 'webhook' \
             AND (previous_secret_expires_at IS NULL OR previous_secret_expires_at <= ?5)",
        )
        .bind(&[tenant_id.into(), id.into(), secret.into(), JsValue::from_f64(previous_until_ms), JsValue::from_f64(now_ms)])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Deletes a destination. Its deliveries stay in the log; pending ones fail when next tried.
pub async fn delete_destination(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let result = db
        .prepare("DELETE FROM destinations WHERE tenant_id = ?1 AND id = ?2")
        .bind(&[tenant_id.into(), id.into()])?
        .run()
        .await?;
    Ok(changed(&result))
}

fn changed(result: &worker::D1Result) -> bool {
    result.meta().ok().flatten().and_then(|meta| meta.changes).unwrap_or(0) > 0
}

/// The statement that creates a pending delivery; batched with the lead it carries.
pub fn insert_delivery(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    lead_id: &str,
    destination_id: &str,
    now_ms: f64,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "INSERT INTO deliveries (tenant_id, id, lead_id, destination_id, status, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5, ?5)",
        )
        .bind(&[tenant_id.into(), id.into(), lead_id.into(), destination_id.into(), JsValue::from_f64(now_ms)])?)
}

/// A delivery as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub lead_id: String,
    pub destination_id: String,
    pub event: String,
    pub status: String,
    pub attempts: f64,
    pub total_attempts: f64,
    pub last_status_code: Option<f64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<f64>,
    pub created_at: f64,
    pub updated_at: f64,
    pub delivered_at: Option<f64>,
}

impl Delivery {
    /// Delivered, refused for good, or dead: nothing more happens unless it is replayed.
    pub fn is_settled(&self) -> bool {
        matches!(self.status.as_str(), "delivered" | "failed" | "dead")
    }
}

const DELIVERY_COLUMNS: &str = "id, lead_id, destination_id, event, status, attempts, total_attempts, last_status_code, \
                                last_error, next_attempt_at, created_at, updated_at, delivered_at";

pub async fn find_delivery(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Delivery>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?1 AND id = ?2"
        ))
        .bind(&[tenant_id.into(), id.into()])?
        .first::<Delivery>(None)
        .await?)
}

/// What the delivery log lists.
#[derive(Debug, Default)]
pub struct DeliveryFilter<'a> {
    pub status: Option<&'a str>,
    pub lead_id: Option<&'a str>,
    pub destination_id: Option<&'a str>,
    pub limit: u32,
}

/// The newest deliveries first.
pub async fn list_deliveries(
    db: &D1Database,
    tenant_id: &str,
    filter: &DeliveryFilter<'_>,
) -> Result<Vec<Delivery>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?1 \
             AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR lead_id = ?3) AND (?4 IS NULL OR destination_id = ?4) \
             ORDER BY created_at DESC, id LIMIT ?5"
        ))
        .bind(&[
            tenant_id.into(),
            text(filter.status),
            text(filter.lead_id),
            text(filter.destination_id),
            JsValue::from_f64(f64::from(filter.limit)),
        ])?
        .all()
        .await?
        .results::<Delivery>()?)
}

/// One row of the delivery log.
#[derive(Debug, Clone, Deserialize)]
pub struct AttemptRow {
    pub number: f64,
    pub attempted_at: f64,
    pub outcome: String,
    pub status_code: Option<f64>,
    pub duration_ms: f64,
    pub error: Option<String>,
    pub next_attempt_at: Option<f64>,
}

pub async fn list_attempts(
    db: &D1Database,
    tenant_id: &str,
    delivery_id: &str,
) -> Result<Vec<AttemptRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT number, attempted_at, outcome, status_code, duration_ms, error, next_attempt_at FROM delivery_attempts \
             WHERE tenant_id = ?1 AND delivery_id = ?2 ORDER BY number",
        )
        .bind(&[tenant_id.into(), delivery_id.into()])?
        .all()
        .await?
        .results::<AttemptRow>()?)
}

/// An attempt to log, and the delivery's state after it.
#[derive(Debug)]
pub struct AttemptRecord<'a> {
    pub attempted_at: f64,
    pub outcome: &'static str,
    pub status_code: Option<u16>,
    pub duration_ms: f64,
    pub error: Option<&'a str>,
    pub next_attempt_at: Option<f64>,
    /// The delivery's status afterwards.
    pub status: &'static str,
}

/// Claims the next attempt of `delivery` until `lease_until_ms`: `true` if this caller may send. Only
/// one caller wins: the delivery must still be waiting, unleased (or its lease expired by `now_ms`),
/// and have had no attempt since it was read, so a message that read an older state loses too.
pub async fn claim_attempt(
    db: &D1Database,
    tenant_id: &str,
    delivery: &Delivery,
    lease_until_ms: f64,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE deliveries SET leased_until = ?3 WHERE tenant_id = ?1 AND id = ?2 \
             AND status IN ('pending', 'retrying') AND total_attempts = ?4 AND (leased_until IS NULL OR leased_until <= ?5)",
        )
        .bind(&[
            tenant_id.into(),
            delivery.id.as_str().into(),
            JsValue::from_f64(lease_until_ms),
            JsValue::from_f64(delivery.total_attempts),
            JsValue::from_f64(now_ms),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Logs the attempt and moves the delivery on, in one transaction; the attempt's lease ends.
pub async fn record_attempt(
    db: &D1Database,
    tenant_id: &str,
    delivery: &Delivery,
    record: &AttemptRecord<'_>,
) -> Result<(), StoreError> {
    let attempt_number = delivery.total_attempts + 1.0;
    let status_code = record.status_code.map(f64::from);
    let log = db
        .prepare(
            "INSERT INTO delivery_attempts (tenant_id, delivery_id, number, attempted_at, outcome, status_code, duration_ms, error, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(&[
            tenant_id.into(),
            delivery.id.as_str().into(),
            JsValue::from_f64(attempt_number),
            JsValue::from_f64(record.attempted_at),
            record.outcome.into(),
            optional_number(status_code),
            JsValue::from_f64(record.duration_ms.round()),
            text(record.error),
            optional_number(record.next_attempt_at),
        ])?;
    let delivered_at = (record.status == "delivered").then_some(record.attempted_at);
    let update = db
        .prepare(
            "UPDATE deliveries SET status = ?3, attempts = attempts + 1, total_attempts = total_attempts + 1, \
             last_status_code = ?4, last_error = ?5, next_attempt_at = ?6, updated_at = ?7, delivered_at = COALESCE(?8, delivered_at), \
             leased_until = NULL WHERE tenant_id = ?1 AND id = ?2",
        )
        .bind(&[
            tenant_id.into(),
            delivery.id.as_str().into(),
            record.status.into(),
            optional_number(status_code),
            text(record.error),
            optional_number(record.next_attempt_at),
            JsValue::from_f64(record.attempted_at),
            optional_number(delivered_at),
        ])?;
    db.batch(vec![log, update]).await?;
    Ok(())
}

/// Marks a delivery dead (it reached the dead-letter queue), unless it was delivered meanwhile.
pub async fn mark_dead(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    db.prepare(
        "UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, leased_until = NULL, updated_at = ?3 \
         WHERE tenant_id = ?1 AND id = ?2 AND status NOT IN ('delivered', 'failed')",
    )
    .bind(&[tenant_id.into(), id.into(), JsValue::from_f64(now_ms)])?
    .run()
    .await?;
    Ok(())
}

/// Marks a delivery failed without an attempt (its destination or lead is gone).
pub async fn mark_failed(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    error: &str,
    now_ms: f64,
) -> Result<(), StoreError> {
    db.prepare(
        "UPDATE deliveries SET status = 'failed', last_error = ?3, next_attempt_at = NULL, leased_until = NULL, updated_at = ?4 \
         WHERE tenant_id = ?1 AND id = ?2 AND status <> 'delivered'",
    )
    .bind(&[tenant_id.into(), id.into(), error.into(), JsValue::from_f64(now_ms)])?
    .run()
    .await?;
    Ok(())
}

/// Starts a new round for a failed or dead delivery; `false` if it is in neither state.
pub async fn restart_delivery(
    db: &D1Database,
    tenant_id: &str,
    id: &str,
    now_ms: f64,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?3, updated_at = ?3 \
             WHERE tenant_id = ?1 AND id = ?2 AND status IN ('failed', 'dead')",
        )
        .bind(&[tenant_id.into(), id.into(), JsValue::from_f64(now_ms)])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Every tenant's id, for the sweep that re-queues stuck deliveries.
pub async fn tenant_ids(db: &D1Database) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows = db.prepare("SELECT id FROM tenants ORDER BY id").all().await?.results::<Id>()?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Deliveries of a tenant still waiting whose attempt is overdue by the cut-off: their queue message
/// was lost (a failed send after the lead was stored) and they need queueing again. Their next
/// attempt moves to `now_ms`, so one sweep re-queues each once. A delivery whose attempt holds an
/// unexpired lease is in hand and left alone; once the lease expires (the attempt died), it is swept.
pub async fn claim_overdue(
    db: &D1Database,
    tenant_id: &str,
    due_before_ms: f64,
    now_ms: f64,
    limit: u32,
) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows = db
        .prepare(
            "UPDATE deliveries SET next_attempt_at = ?3, updated_at = ?3 WHERE tenant_id = ?1 AND id IN ( \
               SELECT id FROM deliveries WHERE tenant_id = ?1 AND status IN ('pending', 'retrying') \
               AND next_attempt_at IS NOT NULL AND next_attempt_at < ?2 AND (leased_until IS NULL OR leased_until <= ?3) \
               LIMIT ?4) RETURNING id",
        )
        .bind(&[tenant_id.into(), JsValue::from_f64(due_before_ms), JsValue::from_f64(now_ms), JsValue::from_f64(f64::from(limit))])?
        .all()
        .await?
        .results::<Id>()?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

#[derive(Deserialize)]
struct LeadRow {
    id: String,
    form_id: String,
    fields: String,
    email: Option<String>,
    phone: Option<String>,
    consents: String,
    page_url: Option<String>,
    referrer: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_term: Option<String>,
    utm_content: Option<String>,
    created_at: f64,
    definition: String,
}

/// A lead as delivered, with its form; `None` once the lead is gone (erased).
pub async fn find_lead_record(
    db: &D1Database,
    tenant_id: &str,
    lead_id: &str,
) -> Result<Option<(LeadRecord, FormDefinition)>, StoreError> {
    let row = db
        .prepare(
            "SELECT l.id, l.form_id, l.fields, l.email, l.phone, l.consents, l.page_url, l.referrer, l.utm_source, \
             l.utm_medium, l.utm_campaign, l.utm_term, l.utm_content, l.created_at, f.definition \
             FROM leads l JOIN forms f ON f.tenant_id = l.tenant_id AND f.id = l.form_id \
             WHERE l.tenant_id = ?1 AND l.id = ?2",
        )
        .bind(&[tenant_id.into(), lead_id.into()])?
        .first::<LeadRow>(None)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let corrupt = |what: &str, e: serde_json::Error| {
        StoreError::Corrupt(format!("lead {lead_id}: {what}: {e}"))
    };
    let definition: FormDefinition =
        serde_json::from_str(&row.definition).map_err(|e| corrupt("definition", e))?;
    let fields = serde_json::from_str(&row.fields).map_err(|e| corrupt("fields", e))?;
    let consents: Vec<Consent> =
        serde_json::from_str(&row.consents).map_err(|e| corrupt("consents", e))?;
    let utm = [
        ("utm_source", row.utm_source),
        ("utm_medium", row.utm_medium),
        ("utm_campaign", row.utm_campaign),
        ("utm_term", row.utm_term),
        ("utm_content", row.utm_content),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key.to_owned(), value?)))
    .collect();
    let record = LeadRecord {
        id: row.id,
        form_id: row.form_id,
        form_title: definition.title.clone(),
        created_at: rfc3339(row.created_at),
        fields,
        email: row.email,
        phone: row.phone,
        consents,
        context: Context { page_url: row.page_url, referrer: row.referrer, utm },
    };
    Ok(Some((record, definition)))
}
