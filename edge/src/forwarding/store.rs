//! Destinations, deliveries and the delivery log in D1, and the lead as a delivery sends it. Every
//! query names the tenant first, except the sweep's list of tenants.

use crate::base::clock::Timestamp;
use crate::base::database::{
    StoreError, changed, flag, from_json, number, optional_number, optional_timestamp, text,
    timestamp, to_json,
};
use crate::base::ids::{DeliveryId, DestinationId, FormId, LeadId, TenantId};
use crate::forwarding::model::delivery::{AttemptEntry, AttemptRecord, Delivery, DeliveryStatus};
use crate::forwarding::model::destination::{Destination, DestinationKind};
use crate::forwarding::model::messages::{Context, LeadRecord};
use inlet_shared::{Consent, FormDefinition};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

#[derive(Deserialize)]
struct DestinationRow {
    id: DestinationId,
    form_id: FormId,
    name: String,
    target: String,
    secret: Option<String>,
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<Timestamp>,
    enabled: u8,
    disabled_reason: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl TryFrom<DestinationRow> for Destination {
    type Error = StoreError;

    fn try_from(row: DestinationRow) -> Result<Destination, StoreError> {
        Ok(Destination {
            target: from_json(&row.target, &format!("destination {}: target", row.id))?,
            id: row.id,
            form_id: row.form_id,
            name: row.name,
            secret: row.secret,
            previous_secret: row.previous_secret,
            previous_secret_expires_at: row.previous_secret_expires_at,
            enabled: row.enabled != 0,
            disabled_reason: row.disabled_reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A row of one `id` column.
#[derive(Deserialize)]
struct Id<T> {
    id: T,
}

const DESTINATION_COLUMNS: &str = "id, form_id, name, target, secret, previous_secret, \
     previous_secret_expires_at, enabled, disabled_reason, created_at, updated_at";

/// Adds a destination unless its form already has `max_per_form`; `false` if it has. The count and
/// the insert are one statement (D1 runs each statement alone), so concurrent creates cannot
/// overshoot.
pub async fn insert_destination(
    db: &D1Database,
    tenant_id: &TenantId,
    destination: &Destination,
    max_per_form: u32,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "INSERT INTO destinations (tenant_id, id, form_id, kind, name, target, secret, enabled, \
             created_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8 \
             WHERE (SELECT count(*) FROM destinations WHERE tenant_id = ?1 AND form_id = ?3) < ?9",
        )
        .bind(&[
            tenant_id.as_str().into(),
            destination.id.as_str().into(),
            destination.form_id.as_str().into(),
            destination.target.kind().as_str().into(),
            destination.name.as_str().into(),
            to_json(&destination.target, "target")?.into(),
            text(destination.secret.as_deref()),
            timestamp(destination.created_at),
            number(u64::from(max_per_form)),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

pub async fn find_destination(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<Option<Destination>, StoreError> {
    let row = db
        .prepare(format!(
            "SELECT {DESTINATION_COLUMNS} FROM destinations WHERE tenant_id = ?1 AND id = ?2"
        ))
        .bind(&[tenant_id.as_str().into(), id.as_str().into()])?
        .first::<DestinationRow>(None)
        .await?;
    row.map(Destination::try_from).transpose()
}

pub async fn list_destinations(
    db: &D1Database,
    tenant_id: &TenantId,
    form_id: &FormId,
) -> Result<Vec<Destination>, StoreError> {
    let rows = db
        .prepare(format!(
            "SELECT {DESTINATION_COLUMNS} FROM destinations WHERE tenant_id = ?1 AND form_id = ?2 \
             ORDER BY created_at, id"
        ))
        .bind(&[tenant_id.as_str().into(), form_id.as_str().into()])?
        .all()
        .await?
        .results::<DestinationRow>()?;
    rows.into_iter().map(Destination::try_from).collect()
}

/// Ids of the form's destinations that take new leads.
pub async fn enabled_destination_ids(
    db: &D1Database,
    tenant_id: &TenantId,
    form_id: &FormId,
) -> Result<Vec<DestinationId>, StoreError> {
    let rows = db
        .prepare(
            "SELECT id FROM destinations WHERE tenant_id = ?1 AND form_id = ?2 AND enabled = 1 \
             ORDER BY created_at, id",
        )
        .bind(&[tenant_id.as_str().into(), form_id.as_str().into()])?
        .all()
        .await?
        .results::<Id<DestinationId>>()?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Switches a destination on or off; `false` if there is no such destination.
pub async fn set_destination_enabled(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DestinationId,
    enabled: bool,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE destinations SET enabled = ?3, disabled_reason = ?4, updated_at = ?5 \
             WHERE tenant_id = ?1 AND id = ?2",
        )
        .bind(&[
            tenant_id.as_str().into(),
            id.as_str().into(),
            flag(enabled),
            text(if enabled { None } else { reason }),
            timestamp(now),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

pub async fn rename_destination(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DestinationId,
    name: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE destinations SET name = ?3, updated_at = ?4 WHERE tenant_id = ?1 AND id = ?2",
        )
        .bind(&[tenant_id.as_str().into(), id.as_str().into(), name.into(), timestamp(now)])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Makes `secret` current and keeps the old one signing until `previous_until`; `false` (nothing
/// changed) while an earlier rotation's previous secret is still signing, which would otherwise be
/// dropped before its time. One statement, so of two rotations at once only one takes effect.
pub async fn rotate_secret(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DestinationId,
    secret: &str,
    previous_until: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE destinations SET previous_secret = secret, previous_secret_expires_at = ?4, \
             secret = ?3, updated_at = ?5 \
             WHERE tenant_id = ?1 AND id = ?2 AND kind = ?6 \
             AND (previous_secret_expires_at IS NULL OR previous_secret_expires_at <= ?5)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            id.as_str().into(),
            secret.into(),
            timestamp(previous_until),
            timestamp(now),
            DestinationKind::Webhook.as_str().into(),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Deletes a destination. Its deliveries stay in the log; pending ones fail when next tried.
pub async fn delete_destination(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DestinationId,
) -> Result<bool, StoreError> {
    let result = db
        .prepare("DELETE FROM destinations WHERE tenant_id = ?1 AND id = ?2")
        .bind(&[tenant_id.as_str().into(), id.as_str().into()])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// The statement that creates a pending delivery; batched with the lead it carries.
pub fn insert_delivery(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DeliveryId,
    lead_id: &LeadId,
    destination_id: &DestinationId,
    now: Timestamp,
) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "INSERT INTO deliveries (tenant_id, id, lead_id, destination_id, status, next_attempt_at, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            id.as_str().into(),
            lead_id.as_str().into(),
            destination_id.as_str().into(),
            DeliveryStatus::Pending.as_str().into(),
            timestamp(now),
        ])?)
}

const DELIVERY_COLUMNS: &str = "id, lead_id, destination_id, event, status, attempts, \
     total_attempts, last_status_code, last_error, next_attempt_at, created_at, updated_at, \
     delivered_at";

pub async fn find_delivery(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DeliveryId,
) -> Result<Option<Delivery>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?1 AND id = ?2"
        ))
        .bind(&[tenant_id.as_str().into(), id.as_str().into()])?
        .first::<Delivery>(None)
        .await?)
}

/// What the delivery log lists.
#[derive(Debug, Default)]
pub struct DeliveryFilter<'a> {
    pub status: Option<DeliveryStatus>,
    pub lead_id: Option<&'a str>,
    pub destination_id: Option<&'a str>,
    pub limit: u32,
}

/// The newest deliveries first.
pub async fn list_deliveries(
    db: &D1Database,
    tenant_id: &TenantId,
    filter: &DeliveryFilter<'_>,
) -> Result<Vec<Delivery>, StoreError> {
    Ok(db
        .prepare(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?1 \
             AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR lead_id = ?3) \
             AND (?4 IS NULL OR destination_id = ?4) \
             ORDER BY created_at DESC, id LIMIT ?5"
        ))
        .bind(&[
            tenant_id.as_str().into(),
            text(filter.status.map(DeliveryStatus::as_str)),
            text(filter.lead_id),
            text(filter.destination_id),
            number(u64::from(filter.limit)),
        ])?
        .all()
        .await?
        .results::<Delivery>()?)
}

pub async fn list_attempts(
    db: &D1Database,
    tenant_id: &TenantId,
    delivery_id: &DeliveryId,
) -> Result<Vec<AttemptEntry>, StoreError> {
    Ok(db
        .prepare(
            "SELECT number, attempted_at, outcome, status_code, duration_ms, error, next_attempt_at \
             FROM delivery_attempts WHERE tenant_id = ?1 AND delivery_id = ?2 ORDER BY number",
        )
        .bind(&[tenant_id.as_str().into(), delivery_id.as_str().into()])?
        .all()
        .await?
        .results::<AttemptEntry>()?)
}

/// Claims the next attempt of `delivery` until `lease_until`: `true` if this caller may send. Only
/// one caller wins: the delivery must still be waiting, unleased (or its lease expired by `now`), and
/// have had no attempt since it was read, so a message that read an older state loses too.
pub async fn claim_attempt(
    db: &D1Database,
    tenant_id: &TenantId,
    delivery: &Delivery,
    lease_until: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE deliveries SET leased_until = ?3 WHERE tenant_id = ?1 AND id = ?2 \
             AND status IN ('pending', 'retrying') AND total_attempts = ?4 \
             AND (leased_until IS NULL OR leased_until <= ?5)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            delivery.id.as_str().into(),
            timestamp(lease_until),
            number(u64::from(delivery.total_attempts)),
            timestamp(now),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Logs the attempt and moves the delivery on, in one transaction; the attempt's lease ends.
pub async fn record_attempt(
    db: &D1Database,
    tenant_id: &TenantId,
    delivery: &Delivery,
    record: &AttemptRecord<'_>,
) -> Result<(), StoreError> {
    let status_code = record.status_code.map(u64::from);
    let log = db
        .prepare(
            "INSERT INTO delivery_attempts (tenant_id, delivery_id, number, attempted_at, outcome, \
             status_code, duration_ms, error, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            delivery.id.as_str().into(),
            number(u64::from(delivery.total_attempts) + 1),
            timestamp(record.attempted_at),
            record.outcome.as_str().into(),
            optional_number(status_code),
            number(record.duration_ms),
            text(record.error),
            optional_timestamp(record.next_attempt_at),
        ])?;
    let delivered_at = (record.status == DeliveryStatus::Delivered).then_some(record.attempted_at);
    let update = db
        .prepare(
            "UPDATE deliveries SET status = ?3, attempts = attempts + 1, \
             total_attempts = total_attempts + 1, last_status_code = ?4, last_error = ?5, \
             next_attempt_at = ?6, updated_at = ?7, delivered_at = COALESCE(?8, delivered_at), \
             leased_until = NULL WHERE tenant_id = ?1 AND id = ?2",
        )
        .bind(&[
            tenant_id.as_str().into(),
            delivery.id.as_str().into(),
            record.status.as_str().into(),
            optional_number(status_code),
            text(record.error),
            optional_timestamp(record.next_attempt_at),
            timestamp(record.attempted_at),
            optional_timestamp(delivered_at),
        ])?;
    db.batch(vec![log, update]).await?;
    Ok(())
}

/// Marks a delivery dead (it reached the dead-letter queue), unless it was delivered meanwhile.
pub async fn mark_dead(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DeliveryId,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.prepare(
        "UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, leased_until = NULL, \
         updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2 AND status NOT IN ('delivered', 'failed')",
    )
    .bind(&[tenant_id.as_str().into(), id.as_str().into(), timestamp(now)])?
    .run()
    .await?;
    Ok(())
}

/// Marks a delivery failed without an attempt (its destination or lead is gone).
pub async fn mark_failed(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DeliveryId,
    error: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.prepare(
        "UPDATE deliveries SET status = 'failed', last_error = ?3, next_attempt_at = NULL, \
         leased_until = NULL, updated_at = ?4 WHERE tenant_id = ?1 AND id = ?2 \
         AND status <> 'delivered'",
    )
    .bind(&[tenant_id.as_str().into(), id.as_str().into(), error.into(), timestamp(now)])?
    .run()
    .await?;
    Ok(())
}

/// Starts a new round for a failed or dead delivery; `false` if it is in neither state.
pub async fn restart_delivery(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &DeliveryId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?3, \
             updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2 AND status IN ('failed', 'dead')",
        )
        .bind(&[tenant_id.as_str().into(), id.as_str().into(), timestamp(now)])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Every tenant's id, for the sweep that re-queues stuck deliveries.
pub async fn tenant_ids(db: &D1Database) -> Result<Vec<TenantId>, StoreError> {
    let rows =
        db.prepare("SELECT id FROM tenants ORDER BY id").all().await?.results::<Id<TenantId>>()?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Deliveries of a tenant still waiting whose attempt is overdue by the cut-off: their queue
/// message was lost (a failed send after the lead was stored) and they need queueing again. Their
/// next attempt moves to `now`, so one sweep re-queues each once. A delivery whose attempt holds an
/// unexpired lease is in hand and left alone; once the lease expires (the attempt died), it is swept.
pub async fn claim_overdue(
    db: &D1Database,
    tenant_id: &TenantId,
    due_before: Timestamp,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<DeliveryId>, StoreError> {
    let rows = db
        .prepare(
            "UPDATE deliveries SET next_attempt_at = ?3, updated_at = ?3 WHERE tenant_id = ?1 AND id IN ( \
               SELECT id FROM deliveries WHERE tenant_id = ?1 AND status IN ('pending', 'retrying') \
               AND next_attempt_at IS NOT NULL AND next_attempt_at < ?2 \
               AND (leased_until IS NULL OR leased_until <= ?3) LIMIT ?4) RETURNING id",
        )
        .bind(&[
            tenant_id.as_str().into(),
            timestamp(due_before),
            timestamp(now),
            number(u64::from(limit)),
        ])?
        .all()
        .await?
        .results::<Id<DeliveryId>>()?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

#[derive(Deserialize)]
struct LeadRow {
    id: LeadId,
    form_id: FormId,
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
    created_at: Timestamp,
    definition: String,
}

/// A lead as delivered, with its form; `None` once the lead is gone (erased).
pub async fn find_lead_record(
    db: &D1Database,
    tenant_id: &TenantId,
    lead_id: &LeadId,
) -> Result<Option<(LeadRecord, FormDefinition)>, StoreError> {
    let row = db
        .prepare(
            "SELECT l.id, l.form_id, l.fields, l.email, l.phone, l.consents, l.page_url, l.referrer, \
             l.utm_source, l.utm_medium, l.utm_campaign, l.utm_term, l.utm_content, l.created_at, \
             f.definition FROM leads l JOIN forms f ON f.tenant_id = l.tenant_id AND f.id = l.form_id \
             WHERE l.tenant_id = ?1 AND l.id = ?2",
        )
        .bind(&[tenant_id.as_str().into(), lead_id.as_str().into()])?
        .first::<LeadRow>(None)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let what = |column: &str| format!("lead {lead_id}: {column}");
    let definition: FormDefinition = from_json(&row.definition, &what("definition"))?;
    let consents: Vec<Consent> = from_json(&row.consents, &what("consents"))?;
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
        id: row.id.to_string(),
        form_id: row.form_id.to_string(),
        form_title: definition.title.clone(),
        created_at: row.created_at.rfc3339(),
        fields: from_json(&row.fields, &what("fields"))?,
        email: row.email,
        phone: row.phone,
        consents,
        context: Context { page_url: row.page_url, referrer: row.referrer, utm },
    };
    Ok(Some((record, definition)))
}
