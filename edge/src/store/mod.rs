//! D1 access: the only module that writes SQL. This file holds forms, leads and idempotency keys;
//! `forwarding.rs` holds destinations, deliveries and their attempt log.
//!
//! Tenant is the leading key of every table and every query names it, except the single public lookup
//! of a form by its public id, which is how a request learns its tenant in the first place.

use crate::settings::FormSettings;
use inlet_shared::{FormDefinition, Lead};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

pub mod forwarding;

/// A form as stored, with the tenant it belongs to.
///
/// Invariant: `definition.id` equals the row's id and `definition.check()` passed when it was stored.
#[derive(Debug)]
pub struct StoredForm {
    pub tenant_id: String,
    pub definition: FormDefinition,
    pub allowed_origins: Vec<String>,
    pub settings: FormSettings,
}

#[derive(Debug)]
pub enum StoreError {
    Database(worker::Error),
    /// A row that does not parse: a bug or a hand edit, never the visitor's fault.
    Corrupt(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(error) => write!(f, "d1: {error}"),
            StoreError::Corrupt(what) => write!(f, "corrupt row: {what}"),
        }
    }
}

impl From<worker::Error> for StoreError {
    fn from(error: worker::Error) -> Self {
        StoreError::Database(error)
    }
}

#[derive(Deserialize)]
struct FormRow {
    tenant_id: String,
    definition: String,
    allowed_origins: String,
    settings: String,
}

pub async fn find_form(db: &D1Database, form_id: &str) -> Result<Option<StoredForm>, StoreError> {
    let row = db
        .prepare("SELECT tenant_id, definition, allowed_origins, settings FROM forms WHERE id = ?1")
        .bind(&[form_id.into()])?
        .first::<FormRow>(None)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let definition: FormDefinition = serde_json::from_str(&row.definition)
        .map_err(|e| StoreError::Corrupt(format!("form {form_id}: definition: {e}")))?;
    let allowed_origins: Vec<String> = serde_json::from_str(&row.allowed_origins)
        .map_err(|e| StoreError::Corrupt(format!("form {form_id}: allowed_origins: {e}")))?;
    let settings: FormSettings = serde_json::from_str(&row.settings)
        .map_err(|e| StoreError::Corrupt(format!("form {form_id}: settings: {e}")))?;
    Ok(Some(StoredForm { tenant_id: row.tenant_id, definition, allowed_origins, settings }))
}

/// A form of `tenant_id`, for the operator API: `None` if the tenant has no such form.
pub async fn find_tenant_form(
    db: &D1Database,
    tenant_id: &str,
    form_id: &str,
) -> Result<Option<StoredForm>, StoreError> {
    match find_form(db, form_id).await? {
        Some(form) if form.tenant_id == tenant_id => Ok(Some(form)),
        _ => Ok(None),
    }
}

/// A lead about to be stored, with the keys that place it.
pub struct NewLead<'a> {
    pub tenant_id: &'a str,
    pub form_id: &'a str,
    pub id: &'a str,
    pub lead: &'a Lead,
    pub received_at_ms: f64,
    /// `Some(reason)` for a bot's submission: stored flagged, never forwarded.
    pub spam: Option<&'a str>,
    /// The `Idempotency-Key` and the body's hash, stored in the same transaction as the lead.
    pub idempotency: Option<(&'a str, &'a str)>,
    /// One `(delivery id, destination id)` per destination the lead goes to, stored with it, so an
    /// accepted lead always has its deliveries even if queueing them fails.
    pub deliveries: &'a [(String, String)],
}

/// What an idempotency key was first used for.
#[derive(Debug, Deserialize)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub lead_id: String,
}

pub async fn find_idempotency_key(
    db: &D1Database,
    tenant_id: &str,
    form_id: &str,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    Ok(db
        .prepare("SELECT request_hash, lead_id FROM idempotency_keys WHERE tenant_id = ?1 AND form_id = ?2 AND key = ?3")
        .bind(&[tenant_id.into(), form_id.into(), key.into()])?
        .first::<IdempotencyRecord>(None)
        .await?)
}

/// Stores the lead and its idempotency key in one transaction: if the key was taken meanwhile (a
/// concurrent retry), nothing is stored and the error says so.
pub async fn insert_lead(db: &D1Database, new: &NewLead<'_>) -> Result<(), StoreError> {
    let text = |value: Option<&str>| value.map_or(JsValue::NULL, JsValue::from_str);
    let json = |value: serde_json::Result<String>| {
        value.map_err(|e| StoreError::Corrupt(format!("lead json: {e}")))
    };
    let lead = new.lead;
    let context = lead.context();
    let utm = |key: &str| text(context.utm.get(key).map(String::as_str));
    let fields = json(serde_json::to_string(lead.values()))?;
    let consents = json(serde_json::to_string(lead.consents()))?;
    let insert_lead = db
        .prepare(
            "INSERT INTO leads (tenant_id, id, form_id, fields, email, phone, consents, page_url, referrer, \
             utm_source, utm_medium, utm_campaign, utm_term, utm_content, created_at, spam, spam_reason) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )
        .bind(&[
            new.tenant_id.into(),
            new.id.into(),
            new.form_id.into(),
            fields.into(),
            text(lead.email().map(|e| e.as_str())),
            text(lead.phone().map(|p| p.as_str())),
            consents.into(),
            text(context.page_url.as_deref()),
            text(context.referrer.as_deref()),
            utm("utm_source"),
            utm("utm_medium"),
            utm("utm_campaign"),
            utm("utm_term"),
            utm("utm_content"),
            JsValue::from_f64(new.received_at_ms),
            JsValue::from_f64(if new.spam.is_some() { 1.0 } else { 0.0 }),
            text(new.spam),
        ])?;
    let mut statements = vec![insert_lead];
    if let Some((key, hash)) = new.idempotency {
        statements.push(
            db.prepare(
                "INSERT INTO idempotency_keys (tenant_id, form_id, key, request_hash, lead_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                new.tenant_id.into(),
                new.form_id.into(),
                key.into(),
                hash.into(),
                new.id.into(),
                JsValue::from_f64(new.received_at_ms),
            ])?,
        );
    }
    for (delivery_id, destination_id) in new.deliveries {
        statements.push(forwarding::insert_delivery(
            db,
            new.tenant_id,
            delivery_id,
            new.id,
            destination_id,
            new.received_at_ms,
        )?);
    }
    db.batch(statements).await?;
    Ok(())
}
