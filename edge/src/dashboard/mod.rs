//! The dashboard's side of the edge: the app's page for every `/app/...` address (`page.rs`), and
//! the business's endpoints it reads that no capability before it owns (`api.rs`: its forms, for the
//! embed snippets). Every one of them starts at `accounts::guard`.

pub mod api;
pub mod page;
