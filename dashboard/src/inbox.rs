//! The inbox and a lead's page. The inbox's filters live in the page's address (the same names the
//! API takes, through `InboxFilter`), so a filtered view can be bookmarked and shared; new leads
//! appear at the top on their own (the page asks for them every second) and are announced politely.
//! Everything a lead says is rendered as text, never as HTML.

use crate::api::{self, ApiError};
use crate::pages::{Outcome, Page, chosen_business, chosen_is, load_account, set_from, value_of};
use inlet_shared::{
    Account, Action, FormList, InboxFilter, LeadChange, LeadDetail, LeadPage, LeadStatus,
    LeadSummary, MemberList, Note, NoteRequest,
};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// How often an open inbox asks for new leads: one indexed page read a second, so a new lead shows
/// within about a second and a half even on a slow machine.
const POLL_MS: u32 = 1_000;

/// The filter names the address may carry.
const FILTER_NAMES: [&str; 10] = [
    "q",
    "form",
    "status",
    "from",
    "to",
    "utm_source",
    "utm_campaign",
    "assignee",
    "tag",
    "folder",
];

/// The id of the business the address names (`?business=`), else of the person's first.
fn business_of(account: &Account, wanted: Option<String>) -> Option<String> {
    chosen_business(account, wanted).map(|b| b.tenant_id)
}

/// `name=value&...`, encoded, for an address or an API call.
fn query_string(pairs: &[(&str, String)]) -> String {
    let Ok(params) = web_sys::UrlSearchParams::new() else { return String::new() };
    for (name, value) in pairs {
        params.append(name, value);
    }
    String::from(params.to_string())
}

#[component]
pub fn Inbox() -> impl IntoView {
    let account = load_account();
    let query = use_query_map();
    let navigate = use_navigate();
    let filter = Memo::new(move |_| {
        query.with(|q| {
            let pairs: Vec<(&str, String)> =
                FILTER_NAMES.iter().filter_map(|name| q.get(name).map(|v| (*name, v))).collect();
            InboxFilter::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap_or_default()
        })
    });
    let business = Memo::new(move |_| {
        account.get().and_then(|a| business_of(&a, query.with(|q| q.get("business"))))
    });
    let leads = RwSignal::new(Vec::<LeadSummary>::new());
    let next = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let announce = RwSignal::new(None::<Result<String, String>>);
    let api_path = move |cursor: Option<String>| {
        let tenant = business.get_untracked()?;
        let mut pairs = filter.get_untracked().to_pairs();
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        Some(format!("/v1/tenants/{tenant}/leads?{}", query_string(&pairs)))
    };
    // A new filter or business: the first page again.
    Effect::new(move |_| {
        let (_, Some(_)) = (filter.get(), business.get()) else { return };
        let Some(path) = api_path(None) else { return };
        loaded.set(false);
        spawn_local(async move {
            match api::get::<LeadPage>(&path).await {
                Ok(page) => {
                    let count = page.items.len();
                    leads.set(page.items);
                    next.set(page.next_cursor);
                    announce.set(Some(Ok(match count {
                        0 => "No leads match.".to_owned(),
                        1 => "1 lead.".to_owned(),
                        n => format!(
                            "{n} leads{}.",
                            if next.get_untracked().is_some() { " or more" } else { "" }
                        ),
                    })));
                }
                Err(error) => announce.set(Some(Err(error.message()))),
            }
            loaded.set(true);
        });
    });
    // New leads, on their own: the first page again, keeping what is shown and adding what is new.
    let poll = set_interval_with_handle(
        move || {
            if !loaded.get_untracked() {
                return;
            }
            let Some(path) = api_path(None) else { return };
            spawn_local(async move {
                let Ok(page) = api::get::<LeadPage>(&path).await else { return };
                let shown = leads.get_untracked();
                let fresh: Vec<LeadSummary> = page
                    .items
                    .into_iter()
                    .filter(|l| !shown.iter().any(|s| s.id == l.id))
                    .collect();
                if fresh.is_empty() {
                    return;
                }
                let count = fresh.len();
                leads.update(|all| {
                    let mut merged = fresh;
                    merged.append(all);
                    *all = merged;
                });
                announce.set(Some(Ok(if count == 1 {
                    "1 new lead.".to_owned()
                } else {
                    format!("{count} new leads.")
                })));
            });
        },
        std::time::Duration::from_millis(u64::from(POLL_MS)),
    );
    on_cleanup(move || {
        if let Ok(handle) = poll {
            handle.clear();
        }
    });
    let more = move |_| {
        let Some(path) = api_path(next.get_untracked()) else { return };
        spawn_local(async move {
            if let Ok(page) = api::get::<LeadPage>(&path).await {
                leads.update(|all| all.extend(page.items));
                next.set(page.next_cursor);
            }
        });
    };
    // The filter form: its fields start from the address, and sending it changes the address.
    let field = |name: &'static str| {
        RwSignal::new(query.with_untracked(|q| q.get(name)).unwrap_or_default())
    };
    let (q, status, folder, from, to, tag, source, campaign) = (
        field("q"),
        field("status"),
        field("folder"),
        field("from"),
        field("to"),
        field("tag"),
        field("utm_source"),
        field("utm_campaign"),
    );
    let (form, assignee) = (field("form"), field("assignee"));
    // The choices of the form and assignee filters: the business's forms and members.
    let forms = RwSignal::new(Vec::<(String, String)>::new());
    let members = RwSignal::new(Vec::<(String, String)>::new());
    Effect::new(move |_| {
        let Some(tenant) = business.get() else { return };
        spawn_local(async move {
            if let Ok(list) = api::get::<FormList>(&format!("/v1/tenants/{tenant}/forms")).await {
                forms.set(list.forms.into_iter().map(|f| (f.id, f.title)).collect());
            }
            if let Ok(list) = api::get::<MemberList>(&format!("/v1/tenants/{tenant}/members")).await
            {
                members.set(list.members.into_iter().map(|m| (m.user_id, m.email)).collect());
            }
        });
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut pairs: Vec<(&str, String)> = [
            ("q", q.get()),
            ("status", status.get()),
            ("folder", folder.get()),
            ("from", from.get()),
            ("to", to.get()),
            ("tag", tag.get()),
            ("utm_source", source.get()),
            ("utm_campaign", campaign.get()),
            ("form", form.get()),
            ("assignee", assignee.get()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
        if let Some(tenant) = query.with_untracked(|q| q.get("business")) {
            pairs.push(("business", tenant));
        }
        navigate(&format!("/app/?{}", query_string(&pairs)), Default::default());
    };
    let export_href = move || {
        let tenant = business.get().unwrap_or_default();
        format!("/v1/tenants/{tenant}/leads.csv?{}", query_string(&filter.get().to_pairs()))
    };
    let link = move |id: &str| {
        let business = business.get().unwrap_or_default();
        format!("/app/leads/{id}?{}", query_string(&[("business", business)]))
    };
    view! {
        <Page title="Inbox" signed_in=true account=account>
            <form class="card filters" role="search" aria-label="Filter leads" on:submit=apply>
                <div class="field">
                    <label for="filter-q">"Search"</label>
                    <input id="filter-q" type="search" maxlength="48" placeholder="Name, email, phone or message"
                        prop:value=value_of(q) on:input=set_from(q)/>
                </div>
                <div class="filter-row">
                    <div class="field">
                        <label for="filter-status">"Status"</label>
                        <select id="filter-status" on:change=set_from(status)>
                            <option value="" selected=chosen_is(status, "")>"Any"</option>
                            {LeadStatus::ALL.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=chosen_is(status, s.as_str())>{s.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="filter-folder">"Folder"</label>
                        <select id="filter-folder" on:change=set_from(folder)>
                            <option value="" selected=move || folder.get() != "spam">"Inbox"</option>
                            <option value="spam" selected=chosen_is(folder, "spam")>"Spam"</option>
                        </select>
                    </div>
                    <FilterInput id="filter-from" label="From" kind="date" value=from/>
                    <FilterInput id="filter-to" label="To" kind="date" value=to/>
                    <FilterInput id="filter-tag" label="Tag" kind="text" value=tag/>
                    <FilterInput id="filter-source" label="UTM source" kind="text" value=source/>
                    <FilterInput id="filter-campaign" label="UTM campaign" kind="text" value=campaign/>
                    <FilterChoice id="filter-form" label="Form" value=form any="Any form" choices=forms/>
                    <FilterChoice id="filter-assignee" label="Assigned to" value=assignee any="Anyone" choices=members
                        first=("none", "Nobody")/>
                </div>
                <button type="submit" class="primary">"Show leads"</button>
            </form>
            <p class="actions">
                <a href=export_href download>"Export these leads as CSV"</a>
            </p>
            <Outcome message=announce/>
            <ul class="leads" aria-label="Leads">
                {move || leads.get().into_iter().map(|lead| {
                    let href = link(&lead.id);
                    let name = lead.name.clone().or(lead.email.clone()).unwrap_or_else(|| "Unnamed lead".to_owned());
                    view! {
                        <li class="lead">
                            <a href=href class="lead-name">{name}</a>
                            <span class=format!("badge status-{}", lead.status.as_str())>{lead.status.label()}</span>
                            <p class="lead-meta">
                                {lead.email.clone().unwrap_or_default()}" "{lead.phone.clone().unwrap_or_default()}
                                " · "<time datetime=lead.created_at.clone()>{short_time(&lead.created_at)}</time>
                            </p>
                            <p class="lead-preview">{lead.preview.clone()}</p>
                            {(!lead.tags.is_empty()).then(|| view! {
                                <p class="lead-tags">{lead.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</p>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=move || next.get().is_some()>
                <button type="button" on:click=more>"Show more leads"</button>
            </Show>
        </Page>
    }
}

#[component]
fn FilterInput(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type=kind prop:value=value_of(value) on:input=set_from(value)/>
        </div>
    }
}

/// A filter chosen from a list (`(value, label)` pairs), with "any" first and, if given, one more
/// choice before the list (`("none", "Nobody")`).
#[component]
fn FilterChoice(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    any: &'static str,
    choices: RwSignal<Vec<(String, String)>>,
    #[prop(optional)] first: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="" selected=move || value.get().is_empty()>{any}</option>
                {first.map(|(v, l)| view! { <option value=v selected=move || value.get() == v>{l}</option> })}
                {move || choices.get().into_iter().map(|(v, l)| {
                    let chosen = v.clone();
                    view! { <option value=v selected=move || value.get() == chosen>{l}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// Why a lead is in the spam folder, in words.
fn spam_reason(code: Option<&str>) -> &'static str {
    match code {
        Some("honeypot") => "it filled in a field only robots see",
        Some("too_fast") => "it was sent faster than a person types",
        Some("no_token" | "bad_token" | "token_expired") => {
            "it did not come from the form as served"
        }
        _ => "judged automated",
    }
}

/// `2026-12-02T09:15:00.000Z` as `2026-12-02 09:15 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// A lead's page: its answers, where it came from, its consent, and working it.
#[component]
pub fn LeadView() -> impl IntoView {
    let account = load_account();
    let params = use_params_map();
    let query = use_query_map();
    let lead = RwSignal::new(None::<Result<LeadDetail, String>>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let path = Memo::new(move |_| {
        let tenant =
            account.get().and_then(|a| business_of(&a, query.with(|q| q.get("business"))))?;
        let id = params.with(|p| p.get("id"))?;
        Some(format!("/v1/tenants/{tenant}/leads/{id}"))
    });
    Effect::new(move |_| {
        let Some(path) = path.get() else { return };
        spawn_local(async move {
            lead.set(Some(api::get::<LeadDetail>(&path).await.map_err(|e| e.message())));
        });
    });
    let save = move |change: LeadChange, done: &'static str| {
        let Some(path) = path.get_untracked() else { return };
        spawn_local(async move {
            match api::patch::<_, LeadDetail>(&path, &change).await {
                Ok(updated) => {
                    lead.set(Some(Ok(updated)));
                    outcome.set(Some(Ok(done.to_owned())));
                }
                Err(error) => outcome.set(Some(Err(error.message()))),
            }
        });
    };
    let me = move || account.get().map(|a| a.user.id);
    // What the person's role allows here: a viewer reads, and sees no controls to change.
    let role = move || {
        account
            .get()
            .and_then(|a| chosen_business(&a, query.with(|q| q.get("business"))))
            .map(|b| b.role)
    };
    view! {
        <Page title="Lead" signed_in=true account=account>
            <p><a href=move || format!("/app/?{}", query_string(&query.with(|q| q.get("business")).map(|b| vec![("business", b)]).unwrap_or_default()))>"← Inbox"</a></p>
            {move || match lead.get() {
                None => EitherOf3::A(view! { <p role="status">"Loading the lead…"</p> }),
                Some(Err(message)) => EitherOf3::B(view! { <p role="alert">{message}</p> }),
                Some(Ok(detail)) => EitherOf3::C(view! {
                    <LeadBody detail=detail save=save me=me() outcome=outcome path=path
                        may_work=role().is_some_and(|r| r.may(Action::WorkLeads))
                        may_replay=role().is_some_and(|r| r.may(Action::ReplayDeliveries))
                        may_release=role().is_some_and(|r| r.may(Action::ReleaseSpam))/>
                }),
            }}
        </Page>
    }
}

#[component]
fn LeadBody(
    detail: LeadDetail,
    save: impl Fn(LeadChange, &'static str) + Copy + Send + Sync + 'static,
    me: Option<String>,
    outcome: RwSignal<Option<Result<String, String>>>,
    path: Memo<Option<String>>,
    may_work: bool,
    may_release: bool,
    may_replay: bool,
) -> impl IntoView {
    let status = RwSignal::new(detail.status.as_str().to_owned());
    let tags = RwSignal::new(detail.tags.join(", "));
    let note = RwSignal::new(String::new());
    let notes = RwSignal::new(detail.notes.clone());
    let mine = me.is_some() && detail.assignee_id == me;
    let set_status = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let change = LeadChange { status: LeadStatus::parse(&status.get()), ..Default::default() };
        save(change, "Status saved.");
    };
    let set_tags = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let wanted: Vec<String> = tags
            .get()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        save(LeadChange { tags: Some(wanted), ..Default::default() }, "Tags saved.");
    };
    let assign = move |_| {
        let to = if mine { None } else { me.clone() };
        save(LeadChange { assignee_id: Some(to), ..Default::default() }, "Assignment saved.");
    };
    let add_note = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(path) = path.get_untracked() else { return };
        let request = NoteRequest { body: note.get() };
        spawn_local(async move {
            match api::post::<_, Note>(&format!("{path}/notes"), &request).await {
                Ok(created) => {
                    notes.update(|all| all.push(created));
                    note.set(String::new());
                    outcome.set(Some(Ok("Note added.".to_owned())));
                }
                Err(ApiError::Refused { message, .. }) => outcome.set(Some(Err(message))),
                Err(error) => outcome.set(Some(Err(error.message()))),
            }
        });
    };
    let release = move || {
        let Some(path) = path.get_untracked() else { return };
        spawn_local(async move {
            match api::post::<_, LeadDetail>(&format!("{path}/release"), &()).await {
                // A change of nothing answers the lead as it is now, which redraws the page.
                Ok(_) => save(LeadChange::default(), "Moved to the inbox and forwarded."),
                Err(error) => outcome.set(Some(Err(error.message()))),
            }
        });
    };
    // A replay answers `202`; the lead is read again to show the delivery's new state.
    let replay = move |delivery: String| {
        let Some(path) = path.get_untracked() else { return };
        let Some((base, _)) = path.split_once("/leads/") else { return };
        let replay_path = format!("{base}/deliveries/{delivery}/replay");
        spawn_local(async move {
            match api::post_empty(&replay_path, &()).await {
                Ok(()) => save(LeadChange::default(), "Sent again. The delivery is under way."),
                Err(error) => outcome.set(Some(Err(error.message()))),
            }
        });
    };
    let name = detail.answers.first().map(|a| a.value.clone()).unwrap_or_else(|| detail.id.clone());
    view! {
        <h2>{name}</h2>
        <p class="lead-meta">"From " {detail.form_title.clone()} " · " <time datetime=detail.created_at.clone()>{short_time(&detail.created_at)}</time></p>
        {detail.spam.then(|| view! {
            <div class="card spam">
                <p>{format!("In the spam folder ({}). It was not forwarded.", spam_reason(detail.spam_reason.as_deref()))}</p>
                {may_release.then(|| view! {
                    <button type="button" class="primary" on:click=move |_| release()>"Not spam: forward it"</button>
                })}
            </div>
        })}
        <section class="card" aria-labelledby="answers-heading">
            <h3 id="answers-heading">"Answers"</h3>
            <dl class="answers">
                {detail.answers.iter().map(|a| view! { <dt>{a.label.clone()}</dt><dd>{a.value.clone()}</dd> }).collect_view()}
            </dl>
        </section>
        {if may_work { Either::Left(view! {
        <section class="card" aria-labelledby="work-heading">
            <h3 id="work-heading">"Work this lead"</h3>
            <form on:submit=set_status class="inline-form">
                <div class="field">
                    <label for="lead-status">"Status"</label>
                    <select id="lead-status" on:change=set_from(status)>
                        {LeadStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=chosen_is(status, s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit">"Save status"</button>
            </form>
            <form on:submit=set_tags class="inline-form">
                <div class="field">
                    <label for="lead-tags">"Tags"</label>
                    <input id="lead-tags" type="text" aria-describedby="lead-tags-help"
                        prop:value=value_of(tags) on:input=set_from(tags)/>
                    <p class="help" id="lead-tags-help">"Separate tags with commas."</p>
                </div>
                <button type="submit">"Save tags"</button>
            </form>
            <p>
                {if mine { "Assigned to you. " } else if detail.assignee_id.is_some() { "Assigned to someone else. " } else { "Not assigned. " }}
                <button type="button" on:click=assign>{if mine { "Unassign" } else { "Assign to me" }}</button>
            </p>
            <Outcome message=outcome/>
        </section>
        }) } else { Either::Right(view! {
            <section class="card" aria-labelledby="work-heading">
                <h3 id="work-heading">"Status"</h3>
                <p><span class=format!("badge status-{}", detail.status.as_str())>{detail.status.label()}</span>
                   " Your role in this business reads leads; it does not change them."</p>
            </section>
        }) }}
        <section class="card" aria-labelledby="notes-heading">
            <h3 id="notes-heading">"Notes"</h3>
            <ul class="notes">
                {move || notes.get().into_iter().map(|n| view! {
                    <li><p class="note-body">{n.body}</p><p class="lead-meta">{n.author}" · "{short_time(&n.created_at)}</p></li>
                }).collect_view()}
            </ul>
            {may_work.then(|| view! {
            <form on:submit=add_note>
                <div class="field">
                    <label for="new-note">"New note"</label>
                    <textarea id="new-note" rows="3" maxlength="5000"
                        prop:value=value_of(note) on:input=set_from(note)></textarea>
                </div>
                <button type="submit">"Add note"</button>
            </form>
            })}
        </section>
        <section class="card" aria-labelledby="deliveries-heading">
            <h3 id="deliveries-heading">"Deliveries"</h3>
            {if detail.deliveries.is_empty() {
                view! { <p>{if detail.spam { "Not forwarded: it is in the spam folder." } else { "Not forwarded: the form has no destinations." }}</p> }.into_any()
            } else {
                view! {
                    <ul class="deliveries">
                        {detail.deliveries.iter().map(|d| {
                            let to = d.destination.clone().unwrap_or_else(|| "A deleted destination".to_owned());
                            let id = d.id.clone();
                            let label = format!("Send again to {to}");
                            view! {
                                <li>
                                    <p><strong>{to.clone()}</strong>" "<span class=format!("badge delivery-{}", d.status)>{d.status.clone()}</span></p>
                                    <ol class="attempts">
                                        {d.attempts.iter().map(|a| view! {
                                            <li class="lead-meta">{format!("Attempt {} · {} · {}{}{}", a.number, short_time(&a.attempted_at), a.outcome,
                                                a.status_code.map(|c| format!(" · HTTP {c}")).unwrap_or_default(),
                                                a.error.as_deref().map(|e| format!(" · {e}")).unwrap_or_default())}</li>
                                        }).collect_view()}
                                    </ol>
                                    {(may_replay && d.replayable).then(|| view! {
                                        <button type="button" aria-label=label on:click=move |_| replay(id.clone())>"Send again"</button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="source-heading">
            <h3 id="source-heading">"Where it came from"</h3>
            <dl class="answers">
                <dt>"Page"</dt><dd>{detail.page_url.clone().unwrap_or_else(|| "Not known".to_owned())}</dd>
                <dt>"Referrer"</dt><dd>{detail.referrer.clone().unwrap_or_else(|| "None".to_owned())}</dd>
                {detail.utm.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
            </dl>
            <h4>"Consent"</h4>
            {if detail.consents.is_empty() {
                Either::Left(view! { <p>"This form asked for no consent."</p> })
            } else {
                Either::Right(detail.consents.iter().map(|c| view! {
                    <blockquote class="consent">{c.text.clone()}</blockquote>
                    <p class="lead-meta">{format!("Version {}, {} when the lead was sent.", c.version, if c.given { "agreed" } else { "not agreed" })}</p>
                }).collect_view())
            }}
        </section>
        <section class="card" aria-labelledby="history-heading">
            <h3 id="history-heading">"History"</h3>
            <ol class="history">
                <li>{format!("Received {}", short_time(&detail.created_at))}</li>
                {detail.history.iter().map(|e| view! {
                    <li>{e.summary.clone()}" · "{e.actor.clone().unwrap_or_else(|| "Inlet".to_owned())}" · "{short_time(&e.created_at)}</li>
                }).collect_view()}
            </ol>
        </section>
    }
}
