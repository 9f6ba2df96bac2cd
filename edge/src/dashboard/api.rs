//! A business's endpoints the dashboard reads, under `/v1/tenants/{tenant_id}`, for its members.

use crate::accounts::guard;
use crate::base::context::Context;
use crate::base::ids::TenantId;
use crate::forms;
use crate::http::failure::Failure;
use crate::http::reply::Reply;
use inlet_shared::{Action, FormList, FormSummary};
use worker::Request;

/// `GET /v1/tenants/{tenant_id}/forms`: the business's forms, for any member.
pub async fn list_forms(ctx: &Context, req: &Request, tenant: &TenantId) -> Result<Reply, Failure> {
    guard::caller(ctx, req, tenant, Action::ReadLeads).await?;
    let forms = forms::store::list_forms(ctx.db(), tenant)
        .await?
        .into_iter()
        .map(|(id, definition, created_at)| FormSummary {
            id: id.to_string(),
            title: definition.title,
            created_at: created_at.rfc3339(),
        })
        .collect();
    Ok(Reply::json(200, &FormList { forms }).no_store())
}
