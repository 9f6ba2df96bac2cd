//! The payloads of a business's own endpoints (`/v1/tenants/{tenant_id}/...`) that the dashboard
//! reads: for now its forms, for the home page's embed snippets.

use serde::{Deserialize, Serialize};

/// `GET /v1/tenants/{tenant_id}/forms`: the business's forms, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormList {
    pub forms: Vec<FormSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSummary {
    /// The public id, the one in the embed snippets.
    pub id: String,
    pub title: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}
