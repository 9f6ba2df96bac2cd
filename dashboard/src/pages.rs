//! The dashboard's pages. Each is a `<main id="main">` with one `<h1>`; results are announced from
//! a live region (`role="status"`), refusals from `role="alert"`; every control has a label.

use crate::api::{self, ApiError};
use inlet_shared::{
    Account, BusinessRequest, FieldError, LinkSent, Membership, PasswordRequest, Sessions,
    SignInLinkRequest, SignInRequest, SignUpRequest, check_password,
};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The frame of every page: the header (with the signed-in person's links, and a switch between
/// their businesses when they have several) and the main landmark.
#[component]
pub fn Page(
    title: &'static str,
    #[prop(optional)] signed_in: bool,
    /// The signed-in person's account, once loaded: for the switch between businesses.
    #[prop(optional)]
    account: Option<RwSignal<Option<Account>>>,
    children: Children,
) -> impl IntoView {
    let navigate = use_navigate();
    let query = use_query_map();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Ok(account) = api::get::<Account>("/v1/account").await {
                let _ = api::delete(&format!("/v1/account/sessions/{}", account.session_id)).await;
            }
            navigate("/app/sign-in", Default::default());
        });
    };
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{title} · Inlet"));
    }
    // Links keep the business the address names, so moving between pages stays in it.
    // One closure type for every link, so the wasm holds one copy of the code that keeps them.
    let href = move |path: &'static str| {
        move || match query.with(|q| q.get("business")) {
            Some(business) => format!("{path}?business={business}"),
            None => path.to_owned(),
        }
    };
    view! {
        <header class="top">
            <a class="brand" href=href("/app/")>"Inlet"</a>
            {signed_in.then(|| view! {
                <nav aria-label="Dashboard">
                    <a href=href("/app/")>"Inbox"</a>
                    <a href=href("/app/forms")>"Forms"</a>
                    <a href=href("/app/team")>"Team"</a>
                    <a href=href("/app/api-keys")>"API keys"</a>
                    <a href=href("/app/account")>"Account"</a>
                    <button type="button" class="link-button" on:click=sign_out.clone()>
                        "Sign out"
                    </button>
                </nav>
            })}
            {move || account.and_then(|a| a.get()).filter(|a| a.businesses.len() > 1).map(|a| {
                view! { <BusinessSwitcher account=a/> }
            })}
        </header>
        <main id="main" tabindex="-1">
            <h1>{title}</h1>
            {children()}
        </main>
    }
}

/// The business the address names (`?business=`) if the person belongs to it, else their first.
pub fn chosen_business(account: &Account, wanted: Option<String>) -> Option<Membership> {
    let businesses = &account.businesses;
    wanted
        .and_then(|id| businesses.iter().find(|b| b.tenant_id == id).cloned())
        .or_else(|| businesses.first().cloned())
}

/// The business the address names, as [`chosen_business`] picks it, once the account is loaded.
pub fn business_memo(account: RwSignal<Option<Account>>) -> Memo<Option<Membership>> {
    let query = use_query_map();
    Memo::new(move |_| {
        account.get().and_then(|a| chosen_business(&a, query.with(|q| q.get("business"))))
    })
}

/// The line that says who is signed in, once the account is loaded.
fn signed_in_as(account: RwSignal<Option<Account>>) -> impl IntoView {
    move || {
        account.get().map(|a| {
            view! { <p class="signed-in">"Signed in as " <strong>{a.user.email}</strong></p> }
        })
    }
}

/// A request's field errors as one sentence to show.
pub fn joined(errors: Vec<FieldError>) -> String {
    let text: Vec<String> = errors.into_iter().map(|e| e.message).collect();
    text.join(" ")
}

/// A choice between the person's businesses: choosing one opens the same page for it.
#[component]
fn BusinessSwitcher(account: Account) -> impl IntoView {
    let navigate = use_navigate();
    let query = use_query_map();
    let current = chosen_business(&account, query.with_untracked(|q| q.get("business")))
        .map(|b| b.tenant_id)
        .unwrap_or_default();
    let switch = move |ev: leptos::ev::Event| {
        let path = web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_else(|| "/app/".to_owned());
        // A lead belongs to one business: another business opens at its inbox.
        let path = if path.starts_with("/app/leads/") { "/app/".to_owned() } else { path };
        navigate(&format!("{path}?business={}", event_target_value(&ev)), Default::default());
    };
    view! {
        <div class="switcher">
            <label for="business-switch">"Business"</label>
            <select id="business-switch" on:change=switch>
                {account.businesses.iter().map(|b| {
                    let selected = b.tenant_id == current;
                    view! { <option value=b.tenant_id.clone() selected=selected>{b.name.clone()}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// A line that says how the last action went: announced politely, or as an alert for a refusal.
#[component]
pub fn Outcome(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    view! {
        <p class="status" role="status" aria-live="polite">
            {move || message.get().and_then(|m| m.ok())}
        </p>
        <p class="error" role="alert">
            {move || message.get().and_then(|m| m.err())}
        </p>
    }
}

// The bindings below are functions, not closures written out at each control, so every control
// uses the same closure types and the wasm holds one copy of the code that runs them.

/// `value`, for a control's `prop:value`.
pub fn value_of(value: RwSignal<String>) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || value.get()
}

/// Sets `value` from an `input` or `change` event's control.
pub fn set_from(
    value: RwSignal<String>,
) -> impl Fn(leptos::ev::Event) + Copy + Send + Sync + 'static {
    move |ev| value.set(event_target_value(&ev))
}

/// Whether the option named `name` is the one chosen in `value`.
pub fn chosen_is(
    value: RwSignal<String>,
    name: &'static str,
) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    move || value.with(|v| v == name)
}

/// A labelled text input bound to `value`.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] help: Option<&'static str>,
) -> impl IntoView {
    let help_id = format!("{id}-help");
    let described = help.map(|_| help_id.clone());
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                required
                aria-describedby=described
                prop:value=value_of(value)
                on:input=set_from(value)
            />
            {help.map(|text| view! { <p class="help" id=help_id>{text}</p> })}
        </div>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let business = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SignUpRequest { business_name: business.get(), email: email.get() };
        if let Err(errors) = request.check() {
            outcome.set(Some(Err(joined(errors))));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = api::post::<_, LinkSent>("/v1/account/sign-up", &request).await;
            busy.set(false);
            outcome.set(Some(result.map(|sent| sent.message).map_err(|e| e.message())));
        });
    };
    view! {
        <Page title="Create your Inlet account">
            <p>"Your business gets a lead form you can paste into your website in a minute."</p>
            <form class="card" on:submit=submit novalidate>
                <Field id="business" label="Business name" kind="text" autocomplete="organization" value=business/>
                <Field id="email" label="Your email address" kind="email" autocomplete="email" value=email
                    help="We email you a link to confirm it."/>
                <button type="submit" class="primary" disabled=move || busy.get()>"Create account"</button>
                <Outcome message=outcome/>
            </form>
            <p>"Already have an account? " <a href="/app/sign-in">"Sign in"</a></p>
        </Page>
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let navigate = use_navigate();
    let link_email = RwSignal::new(String::new());
    let link_outcome = RwSignal::new(None);
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let password_outcome = RwSignal::new(None);
    let ask_for_link = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SignInLinkRequest { email: link_email.get() };
        spawn_local(async move {
            let result = api::post::<_, LinkSent>("/v1/account/sign-in-links", &request).await;
            link_outcome.set(Some(result.map(|sent| sent.message).map_err(|e| e.message())));
        });
    };
    let sign_in = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request =
            SignInRequest { link: None, email: Some(email.get()), password: Some(password.get()) };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::post::<_, Account>("/v1/account/sessions", &request).await {
                Ok(_) => navigate("/app/", Default::default()),
                Err(error) => password_outcome.set(Some(Err(error.message()))),
            }
        });
    };
    view! {
        <Page title="Sign in to Inlet">
            <section class="card" aria-labelledby="by-link">
                <h2 id="by-link">"With a link by email"</h2>
                <form on:submit=ask_for_link novalidate>
                    <Field id="link-email" label="Email address" kind="email" autocomplete="email" value=link_email/>
                    <button type="submit" class="primary">"Email me a sign-in link"</button>
                    <Outcome message=link_outcome/>
                </form>
            </section>
            <section class="card" aria-labelledby="by-password">
                <h2 id="by-password">"With your password"</h2>
                <form on:submit=sign_in novalidate>
                    <Field id="email" label="Email address" kind="email" autocomplete="username" value=email/>
                    <Field id="password" label="Password" kind="password" autocomplete="current-password" value=password/>
                    <button type="submit" class="primary">"Sign in"</button>
                    <Outcome message=password_outcome/>
                </form>
            </section>
            <p>"New to Inlet? " <a href="/app/sign-up">"Create an account"</a></p>
        </Page>
    }
}

/// The page an emailed link opens. The token is after `#`, which the browser never sends anywhere;
/// the page takes it out of the address bar (and so out of the history) at once.
#[component]
pub fn FollowLink() -> impl IntoView {
    let navigate = use_navigate();
    let token = take_fragment();
    let outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let has_token = !token.is_empty();
    let go = move |_| {
        let request = SignInRequest { link: Some(token.clone()), email: None, password: None };
        let navigate = navigate.clone();
        busy.set(true);
        spawn_local(async move {
            match api::post::<_, Account>("/v1/account/sessions", &request).await {
                Ok(_) => navigate("/app/", Default::default()),
                Err(error) => {
                    busy.set(false);
                    outcome.set(Some(Err(error.message())));
                }
            }
        });
    };
    view! {
        <Page title="Continue to Inlet">
            {if has_token {
                Either::Left(view! {
                    <p>"You opened a link from your email. Press the button to sign in on this device."</p>
                    <button type="button" class="primary" on:click=go disabled=move || busy.get()>
                        "Continue"
                    </button>
                })
            } else {
                Either::Right(view! {
                    <p>"This page needs the link from your email. "
                       <a href="/app/sign-in">"Ask for a new one"</a></p>
                })
            }}
            <Outcome message=outcome/>
            <Show when=move || matches!(outcome.get(), Some(Err(_)))>
                <p><a href="/app/sign-in">"Ask for a new link"</a></p>
            </Show>
        </Page>
    }
}

/// The address's fragment without `#`, after replacing the address with one that has none.
fn take_fragment() -> String {
    let Some(window) = web_sys::window() else { return String::new() };
    let hash = window.location().hash().unwrap_or_default();
    if !hash.is_empty()
        && let Ok(history) = window.history()
    {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&window.location().pathname().unwrap_or_default()),
        );
    }
    hash.trim_start_matches('#').to_owned()
}

/// Loads the signed-in person's account, or sends them to the sign-in page.
pub fn load_account() -> RwSignal<Option<Account>> {
    let account = RwSignal::new(None);
    let navigate = use_navigate();
    spawn_local(async move {
        match api::get::<Account>("/v1/account").await {
            Ok(loaded) => account.set(Some(loaded)),
            Err(ApiError::SignedOut) => navigate("/app/sign-in", Default::default()),
            Err(_) => {}
        }
    });
    account
}

/// The business's home: its forms, each with the two embed snippets to copy.
#[component]
pub fn Home() -> impl IntoView {
    let account = load_account();
    let query = use_query_map();
    let chosen =
        move || account.get().and_then(|a| chosen_business(&a, query.with(|q| q.get("business"))));
    view! {
        <Page title="Your forms" signed_in=true account=account>
            {signed_in_as(account)}
            {move || chosen().map(|business| view! { <Forms business=business/> })}
        </Page>
    }
}

#[component]
fn Forms(business: Membership) -> impl IntoView {
    let forms = RwSignal::new(None::<Result<inlet_shared::FormList, String>>);
    let tenant = business.tenant_id.clone();
    spawn_local(async move {
        let loaded =
            api::get::<inlet_shared::FormList>(&format!("/v1/tenants/{tenant}/forms")).await;
        forms.set(Some(loaded.map_err(|e| e.message())));
    });
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    view! {
        <h2>{business.name.clone()}</h2>
        {move || match forms.get() {
            None => EitherOf3::A(view! { <p role="status">"Loading your forms…"</p> }),
            Some(Err(message)) => EitherOf3::B(view! { <p role="alert">{message}</p> }),
            Some(Ok(list)) => EitherOf3::C(list.forms.into_iter().map(|form| {
                let script = format!(r#"<script src="{origin}/widget.js" data-form="{}" async></script>"#, form.id);
                let iframe = format!(
                    r#"<iframe src="{origin}/embed/{}" title="{}" style="width:100%;border:0;height:40rem"></iframe>"#,
                    form.id, form.title.replace('"', "&quot;")
                );
                view! {
                    <section class="card" aria-label=form.title.clone()>
                        <h3>{form.title.clone()}</h3>
                        <Snippet label="Script tag: paste it where the form should appear" code=script/>
                        <Snippet label="Or an iframe" code=iframe/>
                    </section>
                }
            }).collect_view()),
        }}
    }
}

/// An embed snippet (or a new key), shown as text, with a button that copies it.
#[component]
pub fn Snippet(label: &'static str, code: String) -> impl IntoView {
    let copied = RwSignal::new(None);
    let text = code.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            copied.set(Some(Ok("Copied.".to_owned())));
        }
    };
    view! {
        <div class="snippet">
            <p class="snippet-label">{label}</p>
            <pre><code>{code}</code></pre>
            <button type="button" on:click=copy aria-label=format!("Copy: {label}")>"Copy"</button>
            <Outcome message=copied/>
        </div>
    }
}

/// The account: sessions (with signing out everywhere) and the password.
#[component]
pub fn AccountPage() -> impl IntoView {
    let account = load_account();
    let navigate = use_navigate();
    let sessions = RwSignal::new(None::<Sessions>);
    spawn_local(async move {
        if let Ok(loaded) = api::get::<Sessions>("/v1/account/sessions").await {
            sessions.set(Some(loaded));
        }
    });
    let password = RwSignal::new(String::new());
    let outcome = RwSignal::new(None);
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = password.get();
        if let Err(problem) = check_password(&chosen) {
            outcome.set(Some(Err(problem.message())));
            return;
        }
        spawn_local(async move {
            let request = PasswordRequest { password: chosen };
            let result = api::post_empty("/v1/account/password", &request).await;
            outcome.set(Some(
                result
                    .map(|()| {
                        "Your password is set. Your other sessions were signed out.".to_owned()
                    })
                    .map_err(|e| e.message()),
            ));
            if let Ok(loaded) = api::get::<Sessions>("/v1/account/sessions").await {
                sessions.set(Some(loaded));
            }
        });
    };
    let business_name = RwSignal::new(String::new());
    let added = RwSignal::new(None);
    let add_business = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = BusinessRequest { business_name: business_name.get() };
        if let Err(errors) = request.check() {
            added.set(Some(Err(joined(errors))));
            return;
        }
        spawn_local(async move {
            match api::post::<_, Membership>("/v1/account/businesses", &request).await {
                Ok(created) => {
                    business_name.set(String::new());
                    added.set(Some(Ok(format!("{} is ready, with its first form.", created.name))));
                    if let Ok(loaded) = api::get::<Account>("/v1/account").await {
                        account.set(Some(loaded));
                    }
                }
                Err(error) => added.set(Some(Err(error.message()))),
            }
        });
    };
    let everywhere = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = api::delete("/v1/account/sessions").await;
            navigate("/app/sign-in", Default::default());
        });
    };
    view! {
        <Page title="Your account" signed_in=true account=account>
            {signed_in_as(account)}
            <section class="card" aria-labelledby="password-heading">
                <h2 id="password-heading">"Password"</h2>
                <form on:submit=set_password novalidate>
                    <Field id="new-password" label="New password" kind="password" autocomplete="new-password"
                        value=password help="10 to 128 characters. Any characters; a few words make a good one."/>
                    <button type="submit" class="primary">"Set password"</button>
                    <Outcome message=outcome/>
                </form>
            </section>
            <section class="card" aria-labelledby="business-heading">
                <h2 id="business-heading">"Add a business"</h2>
                <p>"Run another business from the same account: it starts with its own contact form."</p>
                <form on:submit=add_business novalidate>
                    <Field id="new-business" label="Business name" kind="text" autocomplete="organization"
                        value=business_name/>
                    <button type="submit">"Add business"</button>
                    <Outcome message=added/>
                </form>
            </section>
            <section class="card" aria-labelledby="sessions-heading">
                <h2 id="sessions-heading">"Where you are signed in"</h2>
                <div class="table-scroll" role="region" aria-labelledby="sessions-heading" tabindex="0">
                <table>
                    <thead><tr><th scope="col">"Browser"</th><th scope="col">"Signed in"</th><th scope="col">"Last used"</th></tr></thead>
                    <tbody>
                        {move || sessions.get().map(|s| s.sessions.into_iter().map(|session| view! {
                            <tr>
                                <td class="browser">{session.user_agent.unwrap_or_else(|| "Unknown".to_owned())}
                                    {session.current.then_some(" (this one)")}</td>
                                <When time=session.created_at/>
                                <When time=session.last_used_at/>
                            </tr>
                        }).collect_view())}
                    </tbody>
                </table>
                </div>
                <button type="button" on:click=everywhere.clone()>"Sign out everywhere"</button>
            </section>
        </Page>
    }
}

/// A table cell with an RFC 3339 time as a date and a time of day, in UTC.
#[component]
fn When(time: String) -> impl IntoView {
    let date = time.get(..10).unwrap_or(&time).to_owned();
    let clock = time.get(11..16).map(|hm| format!("{hm} UTC")).unwrap_or_default();
    view! { <td class="when"><time datetime=time.clone()><span>{date}</span><span>{clock}</span></time></td> }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Page title="Page not found">
            <p><a href="/app/">"Go to your inbox"</a></p>
        </Page>
    }
}
