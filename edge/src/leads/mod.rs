//! The inbox: a business's leads, newest first, with keyset pages, search and filters; a lead's
//! page; its status, assignee and tags; its notes; and the record of every change.
//!
//! `model.rs` holds the rules as plain functions (cursors, what a lead's summary and answers show,
//! the sentences of its history), `store.rs` the SQL, `api.rs` the endpoints under
//! `/v1/tenants/{tenant_id}/leads`, each starting at `accounts::guard::member`.

pub mod api;
pub mod model;
pub mod store;
