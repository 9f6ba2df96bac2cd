//! The inbox in D1. Every query names the tenant first; a page is one indexed range scan, newest
//! first, starting after the cursor's `(created_at, id)` (never `OFFSET`, which D1 bills row by
//! skipped row). A change to a lead and its history entries are written in one batch; a history
//! lists in the order it was written (`rowid`), which one request's entries, made at one time, need.

use crate::base::clock::Timestamp;
use crate::base::database::{StoreError, flag, number, text, timestamp};
use crate::base::ids::{
    ActorId, DeliveryId, DestinationId, EventId, FormId, LeadId, NoteId, TenantId, UserId,
};
use crate::forwarding;
use crate::leads::model::{Change, Cursor, contains_pattern};
use inlet_shared::{InboxFilter, LeadStatus};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

/// Separates tags in one aggregated column: white space to `normalise_tag`, so never in a tag.
const TAG_SEPARATOR: char = '\u{1f}';

/// A lead as the list reads it.
#[derive(Debug, Deserialize)]
pub struct LeadRow {
    pub id: LeadId,
    pub form_id: FormId,
    pub created_at: Timestamp,
    pub fields: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub status: String,
    pub assignee_id: Option<String>,
    pub spam: u8,
    tags: Option<String>,
    pub page_url: Option<String>,
    pub utm_source: Option<String>,
    pub utm_campaign: Option<String>,
}

impl LeadRow {
    pub fn tags(&self) -> Vec<String> {
        split_tags(self.tags.as_deref())
    }
}

fn split_tags(column: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> = column
        .unwrap_or_default()
        .split(TAG_SEPARATOR)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    tags.sort();
    tags
}

pub fn status(column: &str, lead: &LeadId) -> Result<LeadStatus, StoreError> {
    LeadStatus::parse(column)
        .ok_or_else(|| StoreError::Corrupt(format!("lead {lead}: status {column:?}")))
}

const LIST_COLUMNS: &str = "l.id, l.form_id, l.created_at, l.fields, l.email, l.phone, l.status, \
     l.assignee_id, l.spam, l.page_url, l.utm_source, l.utm_campaign, (SELECT group_concat(t.tag, char(31)) FROM lead_tags t \
     WHERE t.tenant_id = l.tenant_id AND t.lead_id = l.id) AS tags";

/// One page of the business's leads under `filter`, after `after`, at most `limit` of them.
pub async fn list_leads(
    db: &D1Database,
    tenant_id: &TenantId,
    filter: &InboxFilter,
    after: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<LeadRow>, StoreError> {
    let mut sql =
        format!("SELECT {LIST_COLUMNS} FROM leads l WHERE l.tenant_id = ?1 AND l.spam = ?2");
    let mut binds: Vec<JsValue> = vec![tenant_id.as_str().into(), flag(filter.spam)];
    let mut condition = |sql: &mut String, clause: &str, value: JsValue| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", binds.len())));
    };
    if let Some(form) = &filter.form {
        condition(&mut sql, " AND l.form_id = ?", form.as_str().into());
    }
    if let Some(status) = filter.status {
        condition(&mut sql, " AND l.status = ?", status.as_str().into());
    }
    let (from, to) = filter.time_range();
    if let Some(from) = from {
        condition(&mut sql, " AND l.created_at >= ?", number(from));
    }
    if let Some(to) = to {
        condition(&mut sql, " AND l.created_at < ?", number(to));
    }
    if let Some(source) = &filter.utm_source {
        condition(&mut sql, " AND l.utm_source = ?", source.as_str().into());
    }
    if let Some(campaign) = &filter.utm_campaign {
        condition(&mut sql, " AND l.utm_campaign = ?", campaign.as_str().into());
    }
    match filter.assignee.as_deref() {
        None => {}
        Some("none") => sql.push_str(" AND l.assignee_id IS NULL"),
        Some(user) => condition(&mut sql, " AND l.assignee_id = ?", user.into()),
    }
    if let Some(tag) = &filter.tag {
        condition(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM lead_tags t WHERE t.tenant_id = l.tenant_id \
             AND t.lead_id = l.id AND t.tag = ?)",
            tag.as_str().into(),
        );
    }
    if let Some(q) = &filter.q {
        condition(&mut sql, " AND l.search_text LIKE ? ESCAPE '\\'", contains_pattern(q).into());
    }
    if let Some(cursor) = after {
        binds.push(timestamp(cursor.created_at));
        binds.push(cursor.id.as_str().into());
        let (at, id) = (binds.len() - 1, binds.len());
        sql.push_str(&format!(" AND (l.created_at, l.id) < (?{at}, ?{id})"));
    }
    binds.push(number(limit as u64));
    sql.push_str(&format!(" ORDER BY l.created_at DESC, l.id DESC LIMIT ?{}", binds.len()));
    Ok(db.prepare(&sql).bind(&binds)?.all().await?.results::<LeadRow>()?)
}

/// A lead with everything its page shows (the list's columns, then the rest; not `flatten`, which
/// would read D1's numbers as floats).
#[derive(Debug, Deserialize)]
pub struct LeadRecord {
    pub id: LeadId,
    pub form_id: FormId,
    pub created_at: Timestamp,
    pub fields: String,
    pub status: String,
    pub assignee_id: Option<String>,
    pub spam: u8,
    tags: Option<String>,
    pub consents: String,
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub spam_reason: Option<String>,
}

impl LeadRecord {
    pub fn tags(&self) -> Vec<String> {
        split_tags(self.tags.as_deref())
    }
}

pub async fn find_lead(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &LeadId,
) -> Result<Option<LeadRecord>, StoreError> {
    let sql = format!(
        "SELECT {LIST_COLUMNS}, l.consents, l.referrer, l.utm_medium, l.utm_term, l.utm_content, \
         l.spam_reason \
         FROM leads l WHERE l.tenant_id = ?1 AND l.id = ?2"
    );
    Ok(db
        .prepare(&sql)
        .bind(&[tenant_id.as_str().into(), id.as_str().into()])?
        .first::<LeadRecord>(None)
        .await?)
}

#[derive(Debug, Deserialize)]
pub struct NoteRow {
    pub id: NoteId,
    /// The author's address, or the name of the API key that wrote it; `None` if the account is
    /// gone.
    pub author: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
}

pub async fn notes(
    db: &D1Database,
    tenant_id: &TenantId,
    lead: &LeadId,
) -> Result<Vec<NoteRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT n.id, coalesce(u.email, 'API key \u{201c}' || k.name || '\u{201d}') AS author, \
             n.body, n.created_at FROM lead_notes n LEFT JOIN users u ON u.id = n.author_id \
             LEFT JOIN api_keys k ON k.tenant_id = n.tenant_id AND k.id = n.author_id \
             WHERE n.tenant_id = ?1 AND n.lead_id = ?2 ORDER BY n.created_at, n.rowid",
        )
        .bind(&[tenant_id.as_str().into(), lead.as_str().into()])?
        .all()
        .await?
        .results::<NoteRow>()?)
}

#[derive(Debug, Deserialize)]
pub struct EventRow {
    pub actor: Option<String>,
    pub kind: String,
    pub summary: String,
    pub created_at: Timestamp,
}

pub async fn events(
    db: &D1Database,
    tenant_id: &TenantId,
    lead: &LeadId,
) -> Result<Vec<EventRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT coalesce(u.email, 'API key \u{201c}' || k.name || '\u{201d}') AS actor, e.kind, \
             json_extract(e.detail, '$.summary') AS summary, e.created_at FROM lead_events e \
             LEFT JOIN users u ON u.id = e.actor_id \
             LEFT JOIN api_keys k ON k.tenant_id = e.tenant_id AND k.id = e.actor_id \
             WHERE e.tenant_id = ?1 AND e.lead_id = ?2 ORDER BY e.created_at, e.rowid",
        )
        .bind(&[tenant_id.as_str().into(), lead.as_str().into()])?
        .all()
        .await?
        .results::<EventRow>()?)
}

/// What a change does to a lead, and its history entries.
pub struct LeadUpdate<'a> {
    pub status: Option<LeadStatus>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<&'a UserId>>,
    pub add_tags: &'a [String],
    pub remove_tags: &'a [String],
    pub events: &'a [(EventId, Change)],
    pub actor: &'a ActorId,
    pub at: Timestamp,
}

/// Writes the change and its history in one batch.
pub async fn update_lead(
    db: &D1Database,
    tenant_id: &TenantId,
    lead: &LeadId,
    update: &LeadUpdate<'_>,
) -> Result<(), StoreError> {
    let (tenant, id): (JsValue, JsValue) = (tenant_id.as_str().into(), lead.as_str().into());
    let mut statements =
        vec![
            db.prepare("UPDATE leads SET updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2")
                .bind(&[tenant.clone(), id.clone(), timestamp(update.at)])?,
        ];
    if let Some(status) = update.status {
        statements.push(
            db.prepare("UPDATE leads SET status = ?3 WHERE tenant_id = ?1 AND id = ?2").bind(&[
                tenant.clone(),
                id.clone(),
                status.as_str().into(),
            ])?,
        );
    }
    if let Some(assignee) = update.assignee {
        statements.push(
            db.prepare("UPDATE leads SET assignee_id = ?3 WHERE tenant_id = ?1 AND id = ?2")
                .bind(&[tenant.clone(), id.clone(), text(assignee.map(UserId::as_str))])?,
        );
    }
    for tag in update.add_tags {
        statements.push(
            db.prepare(
                "INSERT INTO lead_tags (tenant_id, lead_id, tag) VALUES (?1, ?2, ?3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&[tenant.clone(), id.clone(), tag.as_str().into()])?,
        );
    }
    for tag in update.remove_tags {
        statements.push(
            db.prepare("DELETE FROM lead_tags WHERE tenant_id = ?1 AND lead_id = ?2 AND tag = ?3")
                .bind(&[tenant.clone(), id.clone(), tag.as_str().into()])?,
        );
    }
    for (event, change) in update.events {
        statements.push(event_statement(
            db,
            tenant_id,
            lead,
            event,
            change,
            update.actor,
            update.at,
        )?);
    }
    db.batch(statements).await?;
    Ok(())
}

fn event_statement(
    db: &D1Database,
    tenant_id: &TenantId,
    lead: &LeadId,
    event: &EventId,
    change: &Change,
    actor: &ActorId,
    at: Timestamp,
) -> Result<worker::D1PreparedStatement, StoreError> {
    let detail = serde_json::json!({ "summary": change.summary() }).to_string();
    Ok(db
        .prepare(
            "INSERT INTO lead_events (tenant_id, id, lead_id, actor_id, kind, detail, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            event.as_str().into(),
            lead.as_str().into(),
            actor.as_str().into(),
            change.kind().into(),
            detail.into(),
            timestamp(at),
        ])?)
}

/// A new note and its history entry.
pub struct NewNote<'a> {
    pub id: &'a NoteId,
    pub event: &'a EventId,
    pub author: &'a ActorId,
    pub body: &'a str,
    pub at: Timestamp,
}

pub async fn add_note(
    db: &D1Database,
    tenant_id: &TenantId,
    lead: &LeadId,
    note: &NewNote<'_>,
) -> Result<(), StoreError> {
    db.batch(vec![
        db.prepare(
            "INSERT INTO lead_notes (tenant_id, id, lead_id, author_id, body, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            note.id.as_str().into(),
            lead.as_str().into(),
            note.author.as_str().into(),
            note.body.into(),
            timestamp(note.at),
        ])?,
        event_statement(db, tenant_id, lead, note.event, &Change::Note, note.author, note.at)?,
    ])
    .await?;
    Ok(())
}

/// Takes a lead out of the spam folder with one pending delivery per destination and its history
/// entry, all or nothing. If another request released it first, the batch fails on its guard (the
/// history entry's kind is NULL unless this batch's update changed the lead) and stores nothing, so a
/// lead is never forwarded twice; the caller then finds it no longer spam.
pub async fn release(
    db: &D1Database,
    tenant_id: &TenantId,
    lead: &LeadId,
    event: &EventId,
    actor: &ActorId,
    deliveries: &[(DeliveryId, DestinationId)],
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut statements = vec![
        db.prepare(
            "UPDATE leads SET spam = 0, updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2 AND spam = 1",
        )
        .bind(&[tenant_id.as_str().into(), lead.as_str().into(), timestamp(at)])?,
        db.prepare(
            "INSERT INTO lead_events (tenant_id, id, lead_id, actor_id, kind, detail, created_at) \
             VALUES (?1, ?2, ?3, ?4, CASE WHEN changes() = 1 THEN 'released' END, ?5, ?6)",
        )
        .bind(&[
            tenant_id.as_str().into(),
            event.as_str().into(),
            lead.as_str().into(),
            actor.as_str().into(),
            serde_json::json!({ "summary": Change::Released.summary() }).to_string().into(),
            timestamp(at),
        ])?,
    ];
    for (delivery, destination) in deliveries {
        statements.push(forwarding::store::insert_delivery(
            db,
            tenant_id,
            delivery,
            lead,
            destination,
            at,
        )?);
    }
    db.batch(statements).await?;
    Ok(())
}
