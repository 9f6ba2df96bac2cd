//! The inbox's endpoints: `GET /v1/tenants/{tenant_id}/leads` (a page, filtered),
//! `GET` and `PATCH .../leads/{lead_id}` (a lead's page; its status, assignee and tags), and
//! `POST .../leads/{lead_id}/notes`, `POST .../leads/{lead_id}/release` ("not spam", which forwards
//! it), and the CSV export. Reading needs `read_leads`, changing `work_leads`; changes
//! must come from the installation's own pages.

use crate::accounts::guard;
use crate::accounts::store::member_email;
use crate::base::context::Context;
use crate::base::database::{StoreError, from_json, share};
use crate::base::ids::{ActorId, DeliveryId, EventId, FormId, LeadId, NoteId, TenantId, UserId};
use crate::base::random::random_bytes;
use crate::forms;
use crate::forwarding;
use crate::forwarding::queue::{DeliveryMessage, enqueue};
use crate::forwarding::store::DeliveryFilter;
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::http::request::read_json;
use crate::leads::model::{CSV_HEADER, Change, Cursor, answers, csv_line, display_name, preview};
use crate::leads::store::{self, LeadUpdate, NewNote};
use inlet_shared::{
    Action, Consent, DEFAULT_PAGE, ErrorCode, FieldError, FormDefinition, InboxFilter, LeadAttempt,
    LeadChange, LeadDelivery, LeadDetail, LeadEvent, LeadPage, LeadSummary, MAX_NOTE_CHARS,
    MAX_PAGE, MAX_TAGS, Note, NoteRequest, normalise_tag,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use worker::{Request, console_error};

const MAX_BODY_BYTES: usize = 16 * 1024;

/// The request's query parameters, and the inbox filter they make.
fn read_filter(req: &Request) -> Result<(Vec<(String, String)>, InboxFilter), Failure> {
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let filter = InboxFilter::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|error| Problem::query_invalid(error.0))?;
    Ok((pairs, filter))
}

/// `GET /v1/tenants/{tenant_id}/leads?q=&form=&status=&from=&to=&utm_source=&utm_campaign=
/// &assignee=&tag=&folder=&cursor=&limit=`: newest first.
pub async fn list_leads(ctx: &Context, req: &Request, tenant: &TenantId) -> Result<Reply, Failure> {
    guard::caller(ctx, req, tenant, Action::ReadLeads).await?;
    let (pairs, filter) = read_filter(req)?;
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let after = match value("cursor").filter(|c| !c.is_empty()) {
        Some(text) => Some(
            Cursor::decode(text)
                .ok_or_else(|| Problem::query_invalid("cursor is not one we gave"))?,
        ),
        None => None,
    };
    let limit = match value("limit") {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| Problem::query_invalid(format!("limit must be 1 to {MAX_PAGE}")))?,
    };
    // One more than asked says whether there is a next page.
    let mut rows = store::list_leads(ctx.db(), tenant, &filter, after.as_ref(), limit + 1).await?;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|row| Cursor { created_at: row.created_at, id: row.id.clone() }.encode())
    } else {
        None
    };
    let mut forms: HashMap<String, Option<FormDefinition>> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        if !forms.contains_key(row.form_id.as_str()) {
            let form = forms::store::find_tenant_form(ctx.db(), tenant, &row.form_id).await?;
            forms.insert(row.form_id.to_string(), form.map(|f| f.definition));
        }
        let form = forms.get(row.form_id.as_str()).and_then(Option::as_ref);
        let fields = lead_fields(&row.fields, &row.id)?;
        items.push(LeadSummary {
            status: store::status(&row.status, &row.id)?,
            tags: row.tags(),
            id: row.id.to_string(),
            form_id: row.form_id.to_string(),
            created_at: row.created_at.rfc3339(),
            name: display_name(&fields, form),
            email: row.email,
            phone: row.phone,
            preview: preview(&fields, form),
            assignee_id: row.assignee_id,
            spam: row.spam != 0,
        });
    }
    Ok(Reply::json(200, &LeadPage { items, next_cursor }).no_store())
}

/// Leads read from D1 for each piece of an export.
const EXPORT_PAGE: usize = 500;

/// `GET /v1/tenants/{tenant_id}/leads.csv?...`: every lead of the filtered view, newest first, as
/// RFC 4180 CSV in UTF-8 with a header row. It streams: one page of leads is read, written and
/// sent before the next is read, so an export of any size holds one page in memory.
pub async fn export_csv(ctx: &Context, req: &Request, tenant: &TenantId) -> Result<Reply, Failure> {
    guard::caller(ctx, req, tenant, Action::ExportLeads).await?;
    let (_, filter) = read_filter(req)?;
    let start = Export {
        db: share(ctx.db()),
        tenant: tenant.clone(),
        filter,
        after: None,
        forms: HashMap::new(),
        header: true,
        done: false,
    };
    let stream = futures_util::stream::unfold(Some(start), |state| async move {
        let mut export = state?;
        if export.header {
            export.header = false;
            // A byte-order mark, so spreadsheets read the file as UTF-8.
            let head = format!("\u{feff}{}", csv_line(&CSV_HEADER));
            return Some((Ok(head.into_bytes()), Some(export)));
        }
        match export.next_piece().await {
            Ok(Some(bytes)) => Some((Ok(bytes), Some(export))),
            Ok(None) => None,
            Err(error) => {
                console_error!("export of {}: {error}", export.tenant);
                Some((Err(worker::Error::RustError(error)), None))
            }
        }
    });
    let filename =
        format!("leads-{tenant}-{}.csv", ctx.now.rfc3339().get(..10).unwrap_or_default());
    Ok(Reply::streamed(200, "text/csv; charset=utf-8", Box::pin(stream))
        .no_store()
        .header("content-disposition", format!("attachment; filename=\"{filename}\"")))
}

/// Where a streaming export is.
struct Export {
    db: worker::D1Database,
    tenant: TenantId,
    filter: InboxFilter,
    /// The last lead written, `None` before the first page.
    after: Option<Cursor>,
    forms: HashMap<String, Option<FormDefinition>>,
    header: bool,
    /// The last page has been written.
    done: bool,
}

impl Export {
    /// The next page of leads as CSV lines; `None` when every lead has been written.
    async fn next_piece(&mut self) -> Result<Option<Vec<u8>>, String> {
        if self.done {
            return Ok(None);
        }
        let rows = store::list_leads(
            &self.db,
            &self.tenant,
            &self.filter,
            self.after.as_ref(),
            EXPORT_PAGE,
        )
        .await
        .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut piece = String::new();
        for row in &rows {
            if !self.forms.contains_key(row.form_id.as_str()) {
                let form = forms::store::find_tenant_form(&self.db, &self.tenant, &row.form_id)
                    .await
                    .map_err(|e| e.to_string())?;
                self.forms.insert(row.form_id.to_string(), form.map(|f| f.definition));
            }
            let form = self.forms.get(row.form_id.as_str()).and_then(Option::as_ref);
            let fields = lead_fields(&row.fields, &row.id).map_err(|e| e.to_string())?;
            let answers: Vec<String> = answers(&fields, form)
                .into_iter()
                .map(|a| format!("{}: {}", a.label, a.value))
                .collect();
            let message = fields
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| preview(&fields, form));
            piece.push_str(&csv_line(&[
                row.created_at.rfc3339(),
                row.id.to_string(),
                row.form_id.to_string(),
                row.status.clone(),
                display_name(&fields, form).unwrap_or_default(),
                row.email.clone().unwrap_or_default(),
                row.phone.clone().unwrap_or_default(),
                message,
                row.tags().join(", "),
                row.assignee_id.clone().unwrap_or_default(),
                row.utm_source.clone().unwrap_or_default(),
                row.utm_campaign.clone().unwrap_or_default(),
                row.page_url.clone().unwrap_or_default(),
                answers.join("\n"),
            ]));
        }
        self.done = rows.len() < EXPORT_PAGE;
        self.after =
            rows.last().map(|last| Cursor { created_at: last.created_at, id: last.id.clone() });
        Ok(Some(piece.into_bytes()))
    }
}

/// `GET /v1/tenants/{tenant_id}/leads/{lead_id}`.
pub async fn read_lead(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
    lead: &LeadId,
) -> Result<Reply, Failure> {
    guard::caller(ctx, req, tenant, Action::ReadLeads).await?;
    Ok(Reply::json(200, &detail(ctx, tenant, lead).await?).no_store())
}

/// `PATCH /v1/tenants/{tenant_id}/leads/{lead_id}`: status, assignee and tags, each change
/// recorded with who made it.
pub async fn change_lead(
    ctx: &Context,
    mut req: Request,
    tenant: &TenantId,
    lead: &LeadId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let actor = guard::caller(ctx, &req, tenant, Action::WorkLeads).await?;
    let actor_id = ActorId::from(actor.id());
    let change: LeadChange = read_json(&mut req, MAX_BODY_BYTES).await?;
    let current =
        store::find_lead(ctx.db(), tenant, lead).await?.ok_or_else(Problem::lead_not_found)?;
    let mut events = Vec::new();
    let from_status = store::status(&current.status, lead)?;
    let status = change.status.filter(|to| *to != from_status);
    if let Some(to) = status {
        events.push((EventId::new(random_bytes()?), Change::Status { from: from_status, to }));
    }
    let assignee_id = change.assignee_id.as_ref().map(|a| a.as_deref().map(UserId::from));
    let assignee = match &assignee_id {
        Some(to) if to.as_ref().map(UserId::as_str) != current.assignee_id.as_deref() => {
            let to_email = match to {
                Some(user) => Some(
                    member_email(ctx.db(), tenant, user.as_str())
                        .await?
                        .ok_or_else(Problem::assignee_not_member)?,
                ),
                None => None,
            };
            let from_email = match &current.assignee_id {
                Some(user) => member_email(ctx.db(), tenant, user).await?,
                None => None,
            };
            events.push((
                EventId::new(random_bytes()?),
                Change::Assignee { from: from_email, to: to_email },
            ));
            Some(to.as_ref())
        }
        _ => None,
    };
    let (add_tags, remove_tags) = match &change.tags {
        Some(wanted) => tag_changes(&current.tags(), wanted)?,
        None => (Vec::new(), Vec::new()),
    };
    for tag in &add_tags {
        events.push((EventId::new(random_bytes()?), Change::TagAdded(tag.clone())));
    }
    for tag in &remove_tags {
        events.push((EventId::new(random_bytes()?), Change::TagRemoved(tag.clone())));
    }
    if !events.is_empty() {
        let update = LeadUpdate {
            status,
            assignee,
            add_tags: &add_tags,
            remove_tags: &remove_tags,
            events: &events,
            actor: &actor_id,
            at: ctx.now,
        };
        store::update_lead(ctx.db(), tenant, lead, &update).await?;
    }
    Ok(Reply::json(200, &detail(ctx, tenant, lead).await?).no_store())
}

/// `POST /v1/tenants/{tenant_id}/leads/{lead_id}/release`: "not spam". The lead leaves the spam
/// folder and is forwarded to the form's destinations like any other.
pub async fn release_spam(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
    lead: &LeadId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, req)?;
    let actor = guard::caller(ctx, req, tenant, Action::ReleaseSpam).await?;
    let current =
        store::find_lead(ctx.db(), tenant, lead).await?.ok_or_else(Problem::lead_not_found)?;
    if current.spam == 0 {
        return Err(Problem::lead_not_spam().into());
    }
    let mut deliveries = Vec::new();
    for destination in
        forwarding::store::enabled_destination_ids(ctx.db(), tenant, &current.form_id).await?
    {
        deliveries.push((DeliveryId::new(random_bytes()?), destination));
    }
    let event = EventId::new(random_bytes()?);
    let actor = &ActorId::from(actor.id());
    if let Err(error) =
        store::release(ctx.db(), tenant, lead, &event, actor, &deliveries, ctx.now).await
    {
        // Released by another request meanwhile: its deliveries stand, this one stored nothing.
        let now = store::find_lead(ctx.db(), tenant, lead).await?;
        if now.is_some_and(|lead| lead.spam == 0) {
            return Err(Problem::lead_not_spam().into());
        }
        return Err(error.into());
    }
    let messages = deliveries
        .into_iter()
        .map(|(delivery_id, _)| DeliveryMessage { tenant_id: tenant.clone(), delivery_id })
        .collect();
    if let Err(error) = enqueue(&ctx.bindings.deliveries, messages).await {
        console_error!(
            "lead {lead}: queueing its deliveries failed, the sweep will retry: {error}"
        );
    }
    Ok(Reply::json(200, &detail(ctx, tenant, lead).await?).no_store())
}

/// `POST /v1/tenants/{tenant_id}/leads/{lead_id}/notes`.
pub async fn add_note(
    ctx: &Context,
    mut req: Request,
    tenant: &TenantId,
    lead: &LeadId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let actor = guard::caller(ctx, &req, tenant, Action::WorkLeads).await?;
    let request: NoteRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let body = request.body.trim();
    if body.is_empty() {
        return Err(Problem::validation_failed(vec![FieldError::new(
            "body",
            ErrorCode::FieldRequired,
        )])
        .into());
    }
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(
            Problem::validation_failed(vec![FieldError::too_long("body", MAX_NOTE_CHARS)]).into()
        );
    }
    store::find_lead(ctx.db(), tenant, lead).await?.ok_or_else(Problem::lead_not_found)?;
    let id = NoteId::new(random_bytes()?);
    let note = NewNote {
        id: &id,
        event: &EventId::new(random_bytes()?),
        author: &ActorId::from(actor.id()),
        body,
        at: ctx.now,
    };
    store::add_note(ctx.db(), tenant, lead, &note).await?;
    let created = Note {
        id: id.to_string(),
        author: actor.name(),
        body: body.to_owned(),
        created_at: ctx.now.rfc3339(),
    };
    Ok(Reply::json(201, &created).no_store())
}

/// The tags to add and to remove to make `current` into `wanted` (normalised, at most 20).
fn tag_changes(
    current: &[String],
    wanted: &[String],
) -> Result<(Vec<String>, Vec<String>), Failure> {
    let mut tags: Vec<String> = Vec::new();
    for raw in wanted {
        let tag = normalise_tag(raw).ok_or_else(|| {
            Problem::validation_failed(vec![FieldError::new("tags", ErrorCode::InvalidCharacters)])
        })?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Problem::validation_failed(vec![FieldError::too_long("tags", MAX_TAGS)]).into());
    }
    let add = tags.iter().filter(|t| !current.contains(t)).cloned().collect();
    let remove = current.iter().filter(|t| !tags.contains(t)).cloned().collect();
    Ok((add, remove))
}

async fn detail(ctx: &Context, tenant: &TenantId, lead: &LeadId) -> Result<LeadDetail, Failure> {
    let record =
        store::find_lead(ctx.db(), tenant, lead).await?.ok_or_else(Problem::lead_not_found)?;
    let form = forms::store::find_tenant_form(ctx.db(), tenant, &record.form_id).await?;
    let definition = form.as_ref().map(|f| &f.definition);
    let fields = lead_fields(&record.fields, lead)?;
    let consents: Vec<Consent> = from_json(&record.consents, &format!("lead {lead}: consents"))?;
    let utm = [
        ("utm_source", &record.utm_source),
        ("utm_medium", &record.utm_medium),
        ("utm_campaign", &record.utm_campaign),
        ("utm_term", &record.utm_term),
        ("utm_content", &record.utm_content),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name.to_owned(), v)))
    .collect();
    let notes = store::notes(ctx.db(), tenant, lead)
        .await?
        .into_iter()
        .map(|row| Note {
            id: row.id.to_string(),
            author: row.author.unwrap_or_else(|| "a former member".to_owned()),
            body: row.body,
            created_at: row.created_at.rfc3339(),
        })
        .collect();
    let history = store::events(ctx.db(), tenant, lead)
        .await?
        .into_iter()
        .map(|row| LeadEvent {
            actor: row.actor,
            kind: row.kind,
            summary: row.summary,
            created_at: row.created_at.rfc3339(),
        })
        .collect();
    let deliveries = deliveries(ctx, tenant, lead, &record.form_id).await?;
    Ok(LeadDetail {
        deliveries,
        status: store::status(&record.status, lead)?,
        tags: record.tags(),
        id: record.id.to_string(),
        form_id: record.form_id.to_string(),
        form_title: definition
            .map(|d| d.title.clone())
            .unwrap_or_else(|| record.form_id.to_string()),
        created_at: record.created_at.rfc3339(),
        answers: answers(&fields, definition),
        page_url: record.page_url,
        referrer: record.referrer,
        utm,
        consents,
        spam: record.spam != 0,
        spam_reason: record.spam_reason,
        assignee_id: record.assignee_id,
        notes,
        history,
    })
}

/// Most deliveries a lead's page lists: one per destination, and a form has at most 100.
const MAX_LEAD_DELIVERIES: u32 = 100;

/// The lead's deliveries, oldest first, each with its destination's name and every attempt.
async fn deliveries(
    ctx: &Context,
    tenant: &TenantId,
    lead: &LeadId,
    form: &FormId,
) -> Result<Vec<LeadDelivery>, Failure> {
    let filter = DeliveryFilter {
        status: None,
        lead_id: Some(lead.as_str()),
        destination_id: None,
        limit: MAX_LEAD_DELIVERIES,
    };
    let found = forwarding::store::list_deliveries(ctx.db(), tenant, &filter).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let destinations = forwarding::store::list_destinations(ctx.db(), tenant, form).await?;
    let mut shown = Vec::with_capacity(found.len());
    for delivery in found.into_iter().rev() {
        let destination = destinations.iter().find(|d| d.id == delivery.destination_id);
        let attempts = forwarding::store::list_attempts(ctx.db(), tenant, &delivery.id)
            .await?
            .into_iter()
            .map(|entry| LeadAttempt {
                number: entry.number,
                attempted_at: entry.attempted_at.rfc3339(),
                outcome: entry.outcome.as_str().to_owned(),
                status_code: entry.status_code,
                error: entry.error,
            })
            .collect();
        shown.push(LeadDelivery {
            id: delivery.id.to_string(),
            destination: destination.map(|d| {
                if d.name.is_empty() { d.target.kind().as_str().to_owned() } else { d.name.clone() }
            }),
            status: delivery.status.as_str().to_owned(),
            replayable: delivery.status.is_replayable() && destination.is_some_and(|d| d.enabled),
            attempts,
        });
    }
    Ok(shown)
}

fn lead_fields(column: &str, lead: &LeadId) -> Result<Map<String, Value>, StoreError> {
    from_json(column, &format!("lead {lead}: fields"))
}
