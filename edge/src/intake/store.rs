//! Leads and idempotency keys in D1, as intake writes them. Every query names the tenant first.

use crate::base::clock::Timestamp;
use crate::base::database::{StoreError, flag, text, timestamp, to_json};
use crate::base::ids::{DeliveryId, DestinationId, FormId, LeadId, TenantId};
use crate::forwarding;
use crate::intake::model::spam::SpamReason;
use inlet_shared::{Lead, LeadValue};
use serde::Deserialize;
use worker::D1Database;

/// A lead about to be stored, with the keys that place it.
pub struct NewLead<'a> {
    pub tenant_id: &'a TenantId,
    pub form_id: &'a FormId,
    pub id: &'a LeadId,
    pub lead: &'a Lead,
    pub received_at: Timestamp,
    /// `Some(reason)` for a bot's submission: stored flagged, never forwarded.
    pub spam: Option<SpamReason>,
    /// The `Idempotency-Key` and the submission's fingerprint, stored in the same transaction.
    pub idempotency: Option<(&'a str, &'a str)>,
    /// One delivery per destination the lead goes to, stored with it, so an accepted lead always
    /// has its deliveries even if queueing them fails.
    pub deliveries: &'a [(DeliveryId, DestinationId)],
}

/// What an idempotency key was first used for.
#[derive(Debug, Deserialize)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub lead_id: LeadId,
}

pub async fn find_idempotency_key(
    db: &D1Database,
    tenant_id: &TenantId,
    form_id: &FormId,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    Ok(db
        .prepare(
            "SELECT request_hash, lead_id FROM idempotency_keys \
             WHERE tenant_id = ?1 AND form_id = ?2 AND key = ?3",
        )
        .bind(&[tenant_id.as_str().into(), form_id.as_str().into(), key.into()])?
        .first::<IdempotencyRecord>(None)
        .await?)
}

/// What the inbox's search reads: every text, email and phone value, space-separated, in the
/// order of their field names, as the stored JSON has them (migration 0006 fills it the same way
/// for older leads).
pub fn search_text(lead: &Lead) -> String {
    let words: Vec<&str> = lead
        .values()
        .values()
        .filter_map(|value| match value {
            LeadValue::Text(text) => Some(text.as_str()),
            LeadValue::Email(email) => Some(email.as_str()),
            LeadValue::Phone(phone) => Some(phone.as_str()),
            LeadValue::Bool(_) => None,
        })
        .collect();
    words.join(" ")
}

/// Stores the lead, its idempotency key and its deliveries in one transaction: if the key was taken
/// meanwhile (a concurrent retry), nothing is stored and the error says so.
pub async fn insert_lead(db: &D1Database, new: &NewLead<'_>) -> Result<(), StoreError> {
    let lead = new.lead;
    let context = lead.context();
    let utm = |key: &str| text(context.utm.get(key).map(String::as_str));
    let insert_lead = db
        .prepare(
            "INSERT INTO leads (tenant_id, id, form_id, fields, email, phone, consents, page_url, \
             referrer, utm_source, utm_medium, utm_campaign, utm_term, utm_content, created_at, spam, \
             spam_reason, search_text) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )
        .bind(&[
            new.tenant_id.as_str().into(),
            new.id.as_str().into(),
            new.form_id.as_str().into(),
            to_json(lead.values(), "lead fields")?.into(),
            text(lead.email().map(|e| e.as_str())),
            text(lead.phone().map(|p| p.as_str())),
            to_json(lead.consents(), "lead consents")?.into(),
            text(context.page_url.as_deref()),
            text(context.referrer.as_deref()),
            utm("utm_source"),
            utm("utm_medium"),
            utm("utm_campaign"),
            utm("utm_term"),
            utm("utm_content"),
            timestamp(new.received_at),
            flag(new.spam.is_some()),
            text(new.spam.map(SpamReason::as_str)),
            search_text(lead).into(),
        ])?;
    let mut statements = vec![insert_lead];
    if let Some((key, hash)) = new.idempotency {
        statements.push(
            db.prepare(
                "INSERT INTO idempotency_keys (tenant_id, form_id, key, request_hash, lead_id, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&[
                new.tenant_id.as_str().into(),
                new.form_id.as_str().into(),
                key.into(),
                hash.into(),
                new.id.as_str().into(),
                timestamp(new.received_at),
            ])?,
        );
    }
    for (delivery_id, destination_id) in new.deliveries {
        statements.push(forwarding::store::insert_delivery(
            db,
            new.tenant_id,
            delivery_id,
            new.id,
            destination_id,
            new.received_at,
        )?);
    }
    db.batch(statements).await?;
    Ok(())
}
