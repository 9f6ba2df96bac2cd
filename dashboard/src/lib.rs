//! Inlet's dashboard: the business's side of Inlet, a Leptos app rendered in the browser (csr) and
//! served by the Worker under `/app/`, where every path answers this app, so deep links and reloads
//! work. It talks only to the Worker's JSON API (`api.rs`), with the payload types from `shared`.
//!
//! The pages: sign-up, sign-in (by emailed link or password), the page an emailed link opens
//! (which asks for a press of a button before using the link, so a mail scanner that opens links
//! cannot use it up), the inbox and a lead's page (`inbox.rs`), the business's forms and their
//! embed snippets, the team and the API keys (`team.rs`), and the account (sessions, password,
//! another business).

mod api;
mod inbox;
mod pages;
mod team;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

/// Runs when the module loads: mounts the app on the page's `<body>`.
#[wasm_bindgen(start)]
pub fn start() {
    // No panic hook: the browser build traps at once on a panic, without a message to print
    // (`xtask/src/build.rs`).
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Routes fallback=|| view! { <pages::NotFound/> }>
                <Route path=path!("/app") view=inbox::Inbox/>
                <Route path=path!("/app/") view=inbox::Inbox/>
                <Route path=path!("/app/leads/:id") view=inbox::LeadView/>
                <Route path=path!("/app/forms") view=pages::Home/>
                <Route path=path!("/app/sign-up") view=pages::SignUp/>
                <Route path=path!("/app/sign-in") view=pages::SignIn/>
                <Route path=path!("/app/link") view=pages::FollowLink/>
                <Route path=path!("/app/account") view=pages::AccountPage/>
                <Route path=path!("/app/team") view=team::Team/>
                <Route path=path!("/app/api-keys") view=team::ApiKeys/>
            </Routes>
        </Router>
    }
}
