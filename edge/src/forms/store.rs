//! Forms in D1. The one query that does not name a tenant is the public lookup of a form by its
//! public id, which is how a request learns its tenant in the first place.

use crate::base::clock::Timestamp;
use crate::base::database::{StoreError, from_json, timestamp, to_json};
use crate::base::ids::{FormId, TenantId};
use crate::forms::model::StoredForm;
use inlet_shared::FormDefinition;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

#[derive(Deserialize)]
struct FormRow {
    tenant_id: TenantId,
    definition: String,
    allowed_origins: String,
    settings: String,
}

pub async fn find_form(
    db: &D1Database,
    form_id: &FormId,
) -> Result<Option<StoredForm>, StoreError> {
    let row = db
        .prepare("SELECT tenant_id, definition, allowed_origins, settings FROM forms WHERE id = ?1")
        .bind(&[form_id.as_str().into()])?
        .first::<FormRow>(None)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(StoredForm {
        tenant_id: row.tenant_id,
        id: form_id.clone(),
        definition: from_json(&row.definition, &format!("form {form_id}: definition"))?,
        allowed_origins: from_json(
            &row.allowed_origins,
            &format!("form {form_id}: allowed_origins"),
        )?,
        settings: from_json(&row.settings, &format!("form {form_id}: settings"))?,
    }))
}

/// A form of `tenant_id`: `None` if the tenant has no such form.
pub async fn find_tenant_form(
    db: &D1Database,
    tenant_id: &TenantId,
    form_id: &FormId,
) -> Result<Option<StoredForm>, StoreError> {
    Ok(find_form(db, form_id).await?.filter(|form| form.tenant_id == *tenant_id))
}

/// A form about to be stored.
pub struct NewForm<'a> {
    pub tenant_id: &'a TenantId,
    pub definition: &'a FormDefinition,
    pub allowed_origins: &'a [String],
    pub created_at: Timestamp,
}

/// The statement that stores `form`, for a caller that stores it together with other rows in one
/// batch (a sign-up stores the business, its owner and its first form at once).
pub fn insert_form(db: &D1Database, form: &NewForm) -> Result<D1PreparedStatement, StoreError> {
    Ok(db
        .prepare(
            "INSERT INTO forms (tenant_id, id, definition, allowed_origins, settings, created_at, \
             updated_at) VALUES (?1, ?2, ?3, ?4, '{}', ?5, ?5)",
        )
        .bind(&[
            form.tenant_id.as_str().into(),
            form.definition.id.as_str().into(),
            to_json(form.definition, "form definition")?.into(),
            to_json(form.allowed_origins, "allowed origins")?.into(),
            timestamp(form.created_at),
        ])?)
}

/// A form as a business's list shows it.
#[derive(Debug, Deserialize)]
pub struct FormListing {
    pub id: FormId,
    pub definition: String,
    pub created_at: Timestamp,
}

/// The business's forms, oldest first (a business has a handful; the form builder may page them).
pub async fn list_forms(
    db: &D1Database,
    tenant_id: &TenantId,
) -> Result<Vec<(FormId, FormDefinition, Timestamp)>, StoreError> {
    let rows = db
        .prepare(
            "SELECT id, definition, created_at FROM forms WHERE tenant_id = ?1 \
             ORDER BY created_at, id LIMIT 500",
        )
        .bind(&[tenant_id.as_str().into()])?
        .all()
        .await?
        .results::<FormListing>()?;
    rows.into_iter()
        .map(|row| {
            let definition = from_json(&row.definition, &format!("form {}: definition", row.id))?;
            Ok((row.id, definition, row.created_at))
        })
        .collect()
}
