//! The business's people and its API keys. What a person may do here is asked of `Role` (the same
//! rules the edge enforces): controls a role may not use are not shown, and the edge refuses them
//! anyway. A new key's secret is shown once, with a button that copies it.

use crate::api;
use crate::inbox::short_time;
use crate::pages::{
    Outcome, Page, Snippet, business_memo, chosen_is, joined, load_account, set_from, value_of,
};
use inlet_shared::{
    Action, ApiKeyList, ApiKeyRequest, CreatedApiKey, InvitationRequest, LinkSent, MemberList,
    MemberSummary, Membership, OwnershipTransfer, Role, RoleChange, Scope,
};
use leptos::either::{Either, EitherOf3, EitherOf4};
use leptos::prelude::*;
use leptos::task::spawn_local;

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Viewer => "Viewer",
        Role::Member => "Member",
        Role::Admin => "Admin",
        Role::Owner => "Owner",
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Member => "member",
        Role::Admin => "admin",
        Role::Owner => "owner",
    }
}

fn parse_role(name: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|role| role_name(*role) == name)
}

/// `/app/team`: the members, and for admins and owners, inviting, changing roles, removing and
/// handing ownership on.
#[component]
pub fn Team() -> impl IntoView {
    let account = load_account();
    let business = business_memo(account);
    let me = move || account.get().map(|a| a.user.id).unwrap_or_default();
    view! {
        <Page title="Team" signed_in=true account=account>
            {move || business.get().map(|b| view! { <Members business=b me=me()/> })}
        </Page>
    }
}

#[component]
fn Members(business: Membership, me: String) -> impl IntoView {
    let tenant = business.tenant_id.clone();
    let mine = business.role;
    let members = RwSignal::new(None::<Result<Vec<MemberSummary>, String>>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let base = format!("/v1/tenants/{tenant}");
    {
        let path = format!("{base}/members");
        spawn_local(async move {
            let loaded = api::get::<MemberList>(&path).await;
            members.set(Some(loaded.map(|l| l.members).map_err(|e| e.message())));
        });
    }
    let answered = move |result: Result<MemberList, api::ApiError>, done: String| match result {
        Ok(list) => {
            members.set(Some(Ok(list.members)));
            outcome.set(Some(Ok(done)));
        }
        Err(error) => outcome.set(Some(Err(error.message()))),
    };
    let change = {
        let base = base.clone();
        move |member: MemberSummary, role: Role| {
            let path = format!("{base}/members/{}", member.user_id);
            spawn_local(async move {
                let result = api::patch::<_, MemberList>(&path, &RoleChange { role }).await;
                let done = format!("{} is now {}.", member.email, role_name(role));
                answered(result, done);
            });
        }
    };
    let remove = {
        let base = base.clone();
        move |member: MemberSummary| {
            let path = format!("{base}/members/{}", member.user_id);
            let list = format!("{base}/members");
            spawn_local(async move {
                match api::delete(&path).await {
                    Ok(()) => {
                        let result = api::get::<MemberList>(&list).await;
                        answered(result, format!("{} was removed.", member.email));
                    }
                    Err(error) => outcome.set(Some(Err(error.message()))),
                }
            });
        }
    };
    let heir = RwSignal::new(String::new());
    let transfer = {
        let base = base.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let user_id = heir.get();
            if user_id.is_empty() {
                outcome.set(Some(Err("Choose the member who becomes the owner.".to_owned())));
                return;
            }
            let path = format!("{base}/ownership");
            spawn_local(async move {
                let result =
                    api::post::<_, MemberList>(&path, &OwnershipTransfer { user_id }).await;
                answered(result, "Ownership moved. You are an admin now.".to_owned());
            });
        }
    };
    let invite_email = RwSignal::new(String::new());
    let invite_role = RwSignal::new("member".to_owned());
    let invite = {
        let base = base.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(role) = parse_role(&invite_role.get()) else { return };
            let request = InvitationRequest { email: invite_email.get(), role };
            let path = format!("{base}/invitations");
            spawn_local(async move {
                match api::post::<_, LinkSent>(&path, &request).await {
                    Ok(sent) => {
                        invite_email.set(String::new());
                        outcome.set(Some(Ok(sent.message)));
                    }
                    Err(error) => outcome.set(Some(Err(error.message()))),
                }
            });
        }
    };
    let grantable: Vec<Role> = Role::ALL.into_iter().filter(|r| mine.may_grant(*r)).collect();
    let invite_roles = grantable.clone();
    view! {
        <h2>{business.name.clone()}</h2>
        <p class="signed-in">{format!("Your role: {}.", role_label(mine))}</p>
        <section class="card" aria-labelledby="members-heading">
            <h3 id="members-heading">"Members"</h3>
            {move || match members.get() {
                None => EitherOf3::A(view! { <p role="status">"Loading the members…"</p> }),
                Some(Err(message)) => EitherOf3::B(view! { <p role="alert">{message}</p> }),
                Some(Ok(list)) => EitherOf3::C(view! {
                    <ul class="members">
                        {list.into_iter().map(|member| {
                            let manageable = mine.may_manage(member.role) && member.user_id != me;
                            view! {
                                <MemberRow member=member manageable=manageable grantable=grantable.clone()
                                    change=change.clone() remove=remove.clone()/>
                            }
                        }).collect_view()}
                    </ul>
                }),
            }}
            <Outcome message=outcome/>
        </section>
        {mine.may(Action::ManageMembers).then(|| view! {
            <section class="card" aria-labelledby="invite-heading">
                <h3 id="invite-heading">"Invite someone"</h3>
                <form on:submit=invite.clone() novalidate>
                    <div class="field">
                        <label for="invite-email">"Email address"</label>
                        <input id="invite-email" type="email" autocomplete="off" required
                            prop:value=value_of(invite_email)
                            on:input=set_from(invite_email)/>
                    </div>
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" on:change=set_from(invite_role)>
                            {invite_roles.iter().map(|r| {
                                let name = role_name(*r);
                                view! { <option value=name selected=chosen_is(invite_role, name)>{role_label(*r)}</option> }
                            }).collect_view()}
                        </select>
                        <p class="help">"Viewers read leads; members also work them; admins also run the forms, keys and team."</p>
                    </div>
                    <button type="submit" class="primary">"Send invitation"</button>
                </form>
            </section>
        })}
        {mine.may(Action::TransferOwnership).then(|| view! {
            <section class="card" aria-labelledby="owner-heading">
                <h3 id="owner-heading">"Hand ownership on"</h3>
                <form on:submit=transfer.clone()>
                    <div class="field">
                        <label for="heir">"New owner"</label>
                        <select id="heir" on:change=set_from(heir)>
                            <option value="">"Choose a member"</option>
                            {move || members.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .filter(|m| m.role != Role::Owner)
                                .map(|m| view! { <option value=m.user_id.clone()>{m.email.clone()}</option> })
                                .collect_view()}
                        </select>
                        <p class="help">"They become the owner; you stay on as an admin."</p>
                    </div>
                    <button type="submit">"Make owner"</button>
                </form>
            </section>
        })}
    }
}

#[component]
fn MemberRow(
    member: MemberSummary,
    manageable: bool,
    grantable: Vec<Role>,
    change: impl Fn(MemberSummary, Role) + Clone + Send + Sync + 'static,
    remove: impl Fn(MemberSummary) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    // The member's role if one may grant it, else the first one may: never a choice the list lacks.
    let start = if grantable.contains(&member.role) {
        Some(member.role)
    } else {
        grantable.first().copied()
    };
    let chosen = RwSignal::new(start.map(role_name).unwrap_or_default().to_owned());
    let select_id = format!("role-{}", member.user_id);
    let (for_save, for_remove) = (member.clone(), member.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(role) = parse_role(&chosen.get()) {
            change(for_save.clone(), role);
        }
    };
    view! {
        <li class="member">
            <p class="member-email">{member.email.clone()}</p>
            {if manageable {
                Either::Left(view! {
                    <form class="inline-form" on:submit=save>
                        <div class="field">
                            <label for=select_id.clone()>"Role"<span class="visually-hidden">{format!(" of {}", member.email)}</span></label>
                            <select id=select_id on:change=set_from(chosen)>
                                {grantable.iter().map(|r| {
                                    let name = role_name(*r);
                                    view! { <option value=name selected=chosen_is(chosen, name)>{role_label(*r)}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <button type="submit">"Save role"</button>
                        <button type="button" aria-label=format!("Remove {}", member.email)
                            on:click=move |_| remove(for_remove.clone())>"Remove"</button>
                    </form>
                })
            } else {
                Either::Right(view! { <p class="lead-meta">{role_label(member.role)}</p> })
            }}
        </li>
    }
}

/// `/app/api-keys`: the business's keys, making one (its secret shown once) and revoking one.
#[component]
pub fn ApiKeys() -> impl IntoView {
    let account = load_account();
    let business = business_memo(account);
    view! {
        <Page title="API keys" signed_in=true account=account>
            <p>"A key lets your own programs read the leads, or work them, through Inlet's API: "
               <a href="/v1/openapi.json">"the API's description"</a>". Send it as "
               <code>"Authorization: Bearer inlet_…"</code>"."</p>
            {move || business.get().map(|b| if b.role.may(Action::ManageApiKeys) {
                Either::Left(view! { <Keys business=b/> })
            } else {
                Either::Right(view! { <p>"Only the business's admins and owners manage its API keys."</p> })
            })}
        </Page>
    }
}

#[component]
fn Keys(business: Membership) -> impl IntoView {
    let path = format!("/v1/tenants/{}/api-keys", business.tenant_id);
    let keys = RwSignal::new(None::<Result<ApiKeyList, String>>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let created = RwSignal::new(None::<CreatedApiKey>);
    let reload = {
        let path = path.clone();
        move || {
            let path = path.clone();
            spawn_local(async move {
                keys.set(Some(api::get::<ApiKeyList>(&path).await.map_err(|e| e.message())));
            });
        }
    };
    reload();
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(Scope::Read.as_str().to_owned());
    let create = {
        let (path, reload) = (path.clone(), reload.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let request = ApiKeyRequest {
                name: name.get(),
                scope: Scope::parse(&scope.get()).unwrap_or(Scope::Read),
            };
            if let Err(errors) = request.check() {
                outcome.set(Some(Err(joined(errors))));
                return;
            }
            let (path, reload) = (path.clone(), reload.clone());
            spawn_local(async move {
                match api::post::<_, CreatedApiKey>(&path, &request).await {
                    Ok(key) => {
                        outcome.set(Some(Ok(format!(
                            "The key \u{201c}{}\u{201d} is ready.",
                            key.key.name
                        ))));
                        created.set(Some(key));
                        name.set(String::new());
                        reload();
                    }
                    Err(error) => outcome.set(Some(Err(error.message()))),
                }
            });
        }
    };
    let revoke = {
        let (path, reload) = (path.clone(), reload.clone());
        move |id: String, label: String| {
            let (path, reload) = (format!("{path}/{id}"), reload.clone());
            spawn_local(async move {
                match api::delete(&path).await {
                    Ok(()) => {
                        outcome.set(Some(Ok(format!(
                            "The key \u{201c}{label}\u{201d} no longer works."
                        ))));
                        reload();
                    }
                    Err(error) => outcome.set(Some(Err(error.message()))),
                }
            });
        }
    };
    view! {
        <h2>{business.name.clone()}</h2>
        <section class="card" aria-labelledby="new-key-heading">
            <h3 id="new-key-heading">"New key"</h3>
            <form on:submit=create novalidate>
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" type="text" maxlength="60" required aria-describedby="key-name-help"
                        prop:value=value_of(name) on:input=set_from(name)/>
                    <p class="help" id="key-name-help">"Say which program holds it, e.g. \u{201c}CRM sync\u{201d}."</p>
                </div>
                <div class="field">
                    <label for="key-scope">"What it may do"</label>
                    <select id="key-scope" on:change=set_from(scope)>
                        {Scope::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=chosen_is(scope, s.as_str())>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="help">"Read: leads and deliveries, and export. Read and write: also work leads, destinations and replays."</p>
                </div>
                <button type="submit" class="primary">"Create key"</button>
            </form>
            {move || created.get().map(|key| view! {
                <div class="new-secret">
                    <p><strong>"Copy this key now: it is shown only once. Inlet keeps only a fingerprint of it."</strong></p>
                    <Snippet label="Your new API key" code=key.secret/>
                </div>
            })}
            <Outcome message=outcome/>
        </section>
        <section class="card" aria-labelledby="keys-heading">
            <h3 id="keys-heading">"Keys"</h3>
            {move || match keys.get() {
                None => EitherOf4::A(view! { <p role="status">"Loading the keys…"</p> }),
                Some(Err(message)) => EitherOf4::B(view! { <p role="alert">{message}</p> }),
                Some(Ok(list)) if list.keys.is_empty() => EitherOf4::C(view! { <p>"No keys yet."</p> }),
                Some(Ok(list)) => EitherOf4::D(view! {
                    <ul class="members">
                        {list.keys.into_iter().map(|key| {
                            let revoke = revoke.clone();
                            let (id, label) = (key.id.clone(), key.name.clone());
                            view! {
                                <li class="member">
                                    <p class="member-email"><strong>{key.name.clone()}</strong>" · "{key.scope.label()}</p>
                                    <p class="lead-meta"><code>{format!("{}…", key.prefix)}</code>
                                        {format!(" · made {} by {}", short_time(&key.created_at), key.created_by.clone().unwrap_or_else(|| "a former member".to_owned()))}
                                        {format!(" · {}", key.last_used_at.as_deref().map(|at| format!("last used {}", short_time(at))).unwrap_or_else(|| "never used".to_owned()))}</p>
                                    <button type="button" aria-label=format!("Revoke {}", key.name)
                                        on:click=move |_| revoke(id.clone(), label.clone())>"Revoke"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }),
            }}
        </section>
    }
}
