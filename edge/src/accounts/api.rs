//! The accounts API under `/v1/account`: sign up, ask for a sign-in link, sign in (with a link or a
//! password), read one's account, list and end one's sessions, set a password.
//!
//! Every request that changes something must come from this installation's own pages and carry
//! JSON. Requests for emailed links are limited per address and per client, answer the same whether
//! or not the address has an account, and send their email after the answer, so neither the words
//! nor the timing of the answer tell which addresses have accounts.

use crate::accounts::guard::{self, SignedIn};
use crate::accounts::model::{
    LinkEmail, Purpose, SESSION_COOKIE, SESSION_MAX_MS, Token, api_key_secret, api_key_shown,
    existing_account_email, invitation_email, link_url, owner_invitation_email, parse_api_key,
    session_end, sign_in_email, sign_up_email, user_agent_summary,
};
use crate::accounts::password;
use crate::accounts::store::{self, NewApiKey, NewBusiness, NewLink, NewSession};
use crate::base::config::{EmailProvider, PublicBase};
use crate::base::context::Context;
use crate::base::crypto::{hex, hmac_sha256};
use crate::base::ids::{ApiKeyId, FormId, LinkId, SessionId, TenantId, UserId};
use crate::base::mail::{Mail, provider_request};
use crate::base::outbound::send;
use crate::base::random::random_bytes;
use crate::forms::model::{Limit, starter_form};
use crate::forms::store::NewForm;
use crate::http::cookie;
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::http::request::{header, read_json};
use crate::intake::limiter;
use crate::intake::model::limit::Decision;
use crate::intake::model::spam::client_key;
use inlet_shared::{
    Account, Action, ApiKeyList, ApiKeyRequest, ApiKeySummary, BusinessRequest, CreatedApiKey,
    Credentials, Email, InvitationRequest, LinkSent, MemberList, MemberSummary, Membership,
    OwnershipTransfer, PasswordRequest, Role, RoleChange, SessionSummary, Sessions,
    SignInLinkRequest, SignInRequest, SignUpRequest, User, check_password,
};
use worker::{Request, console_error};

/// Largest request body, in bytes: an address, a name, a password.
const MAX_BODY_BYTES: usize = 8 * 1024;
/// Emailed links per address, and per client, per hour.
const LINKS_PER_ADDRESS: Limit = Limit { limit: 5, window_seconds: 3600 };
const LINKS_PER_CLIENT: Limit = Limit { limit: 30, window_seconds: 3600 };
/// Password sign-in attempts per account, and per client, per 15 minutes.
const SIGN_INS_PER_ACCOUNT: Limit = Limit { limit: 10, window_seconds: 900 };
const SIGN_INS_PER_CLIENT: Limit = Limit { limit: 50, window_seconds: 900 };
/// Businesses a person may add, per day.
const BUSINESSES_PER_PERSON: Limit = Limit { limit: 10, window_seconds: 86_400 };
/// How long the email provider may take.
const EMAIL_TIMEOUT_MS: u32 = 10_000;

const LINK_SENT: &str = "Check your inbox: we sent a link to that address.";
const SIGN_IN_LINK_SENT: &str = "If that address has an account, a sign-in link is on its way.";

/// `POST /v1/account/sign-up`: emails a link that creates the business once it is opened (or, for
/// an address that already has an account, a sign-in link).
pub async fn sign_up(ctx: &Context, mut req: Request) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    if !ctx.config.sign_up_open {
        return Err(Problem::sign_up_closed().into());
    }
    let (base, provider) = link_settings(ctx)?;
    let request: SignUpRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let (name, email) = request.check().map_err(Problem::validation_failed)?;
    limit_links(ctx, &req, &email).await?;
    let (link_id, mail) = match store::find_user_by_email(ctx.db(), &email).await? {
        Some(_) => {
            let (id, token) = issue_link(ctx, Purpose::SignIn, &email, None).await?;
            (id, existing_account_email(&link_url(base, &token)))
        }
        None => {
            let (id, token) = issue_link(ctx, Purpose::SignUp, &email, Some(&name)).await?;
            (id, sign_up_email(&link_url(base, &token)))
        }
    };
    send_after_answer(ctx, provider, &email, &link_id, mail).await;
    Ok(link_sent(LINK_SENT))
}

/// `POST /v1/businesses` (the operator's token): emails `email` a link that creates the business
/// and makes them its owner, as a sign-up does, even when public sign-up is closed. This is how the
/// first business of a closed installation begins.
pub async fn invite_owner(ctx: &Context, mut req: Request) -> Result<Reply, Failure> {
    let (base, provider) = link_settings(ctx)?;
    let request: SignUpRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let (name, email) = request.check().map_err(Problem::validation_failed)?;
    let (id, token) = issue_link(ctx, Purpose::SignUp, &email, Some(&name)).await?;
    send_after_answer(
        ctx,
        provider,
        &email,
        &id,
        owner_invitation_email(&name, &link_url(base, &token)),
    )
    .await;
    Ok(link_sent("The link is on its way to the business's first owner."))
}

/// `POST /v1/account/sign-in-links`: emails a sign-in link if the address has an account.
pub async fn request_sign_in_link(ctx: &Context, mut req: Request) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let (base, provider) = link_settings(ctx)?;
    let request: SignInLinkRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let email = request.check().map_err(Problem::validation_failed)?;
    limit_links(ctx, &req, &email).await?;
    if store::find_user_by_email(ctx.db(), &email).await?.is_some() {
        let (id, token) = issue_link(ctx, Purpose::SignIn, &email, None).await?;
        send_after_answer(ctx, provider, &email, &id, sign_in_email(&link_url(base, &token))).await;
    }
    Ok(link_sent(SIGN_IN_LINK_SENT))
}

/// `POST /v1/account/sessions`: signs in with an emailed link or a password, and sets the cookie.
pub async fn sign_in(ctx: &Context, mut req: Request) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let request: SignInRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let user_id = match request.credentials() {
        Some(Credentials::Link(raw)) => follow_link(ctx, raw).await?,
        Some(Credentials::Password { email, password }) => {
            check_sign_in(ctx, &req, email, password).await?
        }
        None => {
            return Err(Problem::malformed_json(
                r#"Send {"link": "..."} or {"email": "...", "password": "..."}."#,
            )
            .into());
        }
    };
    let user_agent = header(&req, "user-agent")?.and_then(|raw| user_agent_summary(&raw));
    start_session(ctx, &user_id, user_agent.as_deref()).await
}

/// `GET /v1/account`.
pub async fn read_account(ctx: &Context, req: &Request) -> Result<Reply, Failure> {
    let person = guard::signed_in(ctx, req).await?;
    let account =
        account(ctx, &person.user_id, &person.email, person.has_password, &person.session_id)
            .await?;
    Ok(Reply::json(200, &account).no_store())
}

/// `GET /v1/account/sessions`: the person's live sessions, newest first.
pub async fn list_sessions(ctx: &Context, req: &Request) -> Result<Reply, Failure> {
    let person = guard::signed_in(ctx, req).await?;
    let sessions = store::list_sessions(ctx.db(), &person.user_id, ctx.now)
        .await?
        .into_iter()
        .filter(|session| ctx.now < session_end(session.created_at, session.last_used_at))
        .map(|session| SessionSummary {
            current: session.id == person.session_id,
            id: session.id.to_string(),
            created_at: session.created_at.rfc3339(),
            last_used_at: session.last_used_at.rfc3339(),
            expires_at: session_end(session.created_at, session.last_used_at).rfc3339(),
            user_agent: session.user_agent,
        })
        .collect();
    Ok(Reply::json(200, &Sessions { sessions }).no_store())
}

/// `DELETE /v1/account/sessions/{id}`: ends one of the person's sessions (signing out, when it is
/// the current one).
pub async fn end_session(ctx: &Context, req: &Request, id: &SessionId) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, req)?;
    let person = guard::signed_in(ctx, req).await?;
    if !store::delete_session(ctx.db(), &person.user_id, id).await? {
        return Err(Problem::session_not_found().into());
    }
    let reply = Reply::empty(204).no_store();
    Ok(if *id == person.session_id { forget_cookie(reply) } else { reply })
}

/// `DELETE /v1/account/sessions`: signs out everywhere, here included.
pub async fn end_all_sessions(ctx: &Context, req: &Request) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, req)?;
    let person = guard::signed_in(ctx, req).await?;
    store::delete_sessions(ctx.db(), &person.user_id, None).await?;
    Ok(forget_cookie(Reply::empty(204).no_store()))
}

/// `POST /v1/account/password`: sets or replaces the password, and ends every other session.
pub async fn set_password(ctx: &Context, mut req: Request) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let person: SignedIn = guard::signed_in(ctx, &req).await?;
    let request: PasswordRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    check_password(&request.password)
        .map_err(|problem| Problem::password_not_accepted(problem.message()))?;
    let phc = password::hash(&request.password, random_bytes()?)
        .map_err(|error| Failure::Internal(error.to_string()))?;
    store::set_password(ctx.db(), &person.user_id, &phc, &person.session_id, ctx.now).await?;
    Ok(Reply::empty(204).no_store())
}

/// `POST /v1/tenants/{tenant_id}/invitations`: emails a link that makes the address a member with
/// the role asked (never above the inviter's own, never owner), limited like every emailed link.
pub async fn invite(ctx: &Context, mut req: Request, tenant: &TenantId) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let inviter = guard::member(ctx, &req, tenant, Action::ManageMembers).await?;
    let (base, provider) = link_settings(ctx)?;
    let request: InvitationRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let email =
        SignInLinkRequest { email: request.email }.check().map_err(Problem::validation_failed)?;
    if !inviter.role.may_grant(request.role) {
        return Err(Problem::not_permitted().into());
    }
    limit_links(ctx, &req, &email).await?;
    let name = store::business_name(ctx.db(), tenant).await?.unwrap_or_default();
    let id = LinkId::new(random_bytes()?);
    let token = Token::new(random_bytes()?);
    let link = NewLink {
        id: &id,
        token_hash: &token.hash(),
        purpose: Purpose::Invitation.as_str(),
        email: &email,
        business_name: None,
        invitation: Some((tenant, request.role, &inviter.person.user_id)),
        created_at: ctx.now,
        expires_at: ctx.now.plus_ms(Purpose::Invitation.lifetime_ms()),
    };
    store::insert_link(ctx.db(), &link).await?;
    let mail = invitation_email(&name, &inviter.person.email, &link_url(base, &token));
    send_after_answer(ctx, provider, &email, &id, mail).await;
    Ok(link_sent("The invitation is on its way."))
}

/// `GET /v1/tenants/{tenant_id}/members`: for any member.
pub async fn list_members(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
) -> Result<Reply, Failure> {
    guard::member(ctx, req, tenant, Action::ReadLeads).await?;
    member_list(ctx, tenant).await
}

/// `DELETE /v1/tenants/{tenant_id}/members/{user_id}`: ends that person's access at once (every
/// request checks membership). Nobody but an owner removes an owner, and the last owner stays.
pub async fn remove_member(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
    user: &UserId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, req)?;
    let remover = guard::member(ctx, req, tenant, Action::ManageMembers).await?;
    let target =
        store::role_in(ctx.db(), tenant, user).await?.ok_or_else(Problem::member_not_found)?;
    if !remover.role.may_manage(target) {
        return Err(Problem::not_permitted().into());
    }
    if !store::remove_member(ctx.db(), tenant, user, target).await? {
        return Err(why_unchanged(ctx, tenant, user, target).await);
    }
    Ok(Reply::empty(204).no_store())
}

/// `PATCH /v1/tenants/{tenant_id}/members/{user_id}` `{"role"}`: the roles one may manage, to a
/// role one may grant; the last owner keeps the role.
pub async fn change_role(
    ctx: &Context,
    mut req: Request,
    tenant: &TenantId,
    user: &UserId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let changer = guard::member(ctx, &req, tenant, Action::ManageMembers).await?;
    let request: RoleChange = read_json(&mut req, MAX_BODY_BYTES).await?;
    let target =
        store::role_in(ctx.db(), tenant, user).await?.ok_or_else(Problem::member_not_found)?;
    if !changer.role.may_manage(target) || !changer.role.may_grant(request.role) {
        return Err(Problem::not_permitted().into());
    }
    if !store::change_role(ctx.db(), tenant, user, target, request.role).await? {
        return Err(why_unchanged(ctx, tenant, user, target).await);
    }
    member_list(ctx, tenant).await
}

/// `POST /v1/tenants/{tenant_id}/ownership` `{"user_id"}`: the owner makes another member the
/// owner, and becomes an admin.
pub async fn transfer_ownership(
    ctx: &Context,
    mut req: Request,
    tenant: &TenantId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let owner = guard::member(ctx, &req, tenant, Action::TransferOwnership).await?;
    let request: OwnershipTransfer = read_json(&mut req, MAX_BODY_BYTES).await?;
    let heir = UserId::from(request.user_id.as_str());
    match store::role_in(ctx.db(), tenant, &heir).await? {
        None => return Err(Problem::member_not_found().into()),
        Some(Role::Owner) => return Err(Problem::already_owner().into()),
        Some(_) => {}
    }
    if !store::transfer_ownership(ctx.db(), tenant, &owner.person.user_id, &heir).await? {
        // Someone changed either role meanwhile; nothing was changed here.
        return Err(Problem::already_owner().into());
    }
    member_list(ctx, tenant).await
}

/// Why a member's row did not change: they left meanwhile, their role changed meanwhile (so the
/// caller's right to act on it was judged on a role they no longer have: the caller asks again), or
/// they are the last owner.
async fn why_unchanged(ctx: &Context, tenant: &TenantId, user: &UserId, was: Role) -> Failure {
    match store::role_in(ctx.db(), tenant, user).await {
        Ok(Some(role)) if role == was => Problem::last_owner().into(),
        Ok(Some(_)) => Problem::member_changed().into(),
        Ok(None) => Problem::member_not_found().into(),
        Err(error) => error.into(),
    }
}

/// The business's members, as `GET .../members` answers them.
async fn member_list(ctx: &Context, tenant: &TenantId) -> Result<Reply, Failure> {
    let members = store::list_members(ctx.db(), tenant)
        .await?
        .into_iter()
        .map(|row| MemberSummary {
            user_id: row.user_id.to_string(),
            email: row.email,
            role: row.role,
        })
        .collect();
    Ok(Reply::json(200, &MemberList { members }).no_store())
}

/// `POST /v1/account/businesses` `{"business_name"}`: another business, with the signed-in person
/// as its owner and a first form, at once (their address is confirmed already). Closed with
/// sign-up, and limited per person.
pub async fn create_business(ctx: &Context, mut req: Request) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let person = guard::signed_in(ctx, &req).await?;
    if !ctx.config.sign_up_open {
        return Err(Problem::sign_up_closed().into());
    }
    let request: BusinessRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let name = request.check().map_err(Problem::validation_failed)?;
    take(ctx, &format!("businesses:{}", person.user_id), BUSINESSES_PER_PERSON).await?;
    let tenant_id = TenantId::new(random_bytes()?);
    add_business(ctx, &tenant_id, &name, &person.email).await?;
    let created = Membership { tenant_id: tenant_id.to_string(), name, role: Role::Owner };
    Ok(Reply::json(201, &created).no_store())
}

/// Stores a business, its owner (the address's account, made if it has none) and its first form,
/// made from the contact-form template. Returns the owner.
async fn add_business(
    ctx: &Context,
    tenant_id: &TenantId,
    name: &str,
    owner_email: &str,
) -> Result<UserId, Failure> {
    let form_id = FormId::new(random_bytes()?);
    let definition = starter_form(&form_id, name);
    // Any site may embed the first form until the owner names theirs, so the snippet works
    // wherever it is pasted; the spam defences apply all the same.
    let anywhere = ["*".to_owned()];
    let business = NewBusiness {
        tenant_id,
        name,
        new_user_id: &UserId::new(random_bytes()?),
        owner_email,
        form: NewForm {
            tenant_id,
            definition: &definition,
            allowed_origins: &anywhere,
            created_at: ctx.now,
        },
        created_at: ctx.now,
    };
    Ok(store::create_business(ctx.db(), &business).await?)
}

/// `POST /v1/tenants/{tenant_id}/api-keys` `{"name", "scope"}`: a new key, whose secret this answer
/// shows once; Inlet keeps only its hash.
pub async fn create_api_key(
    ctx: &Context,
    mut req: Request,
    tenant: &TenantId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, &req)?;
    let creator = guard::member(ctx, &req, tenant, Action::ManageApiKeys).await?;
    let request: ApiKeyRequest = read_json(&mut req, MAX_BODY_BYTES).await?;
    let name = request.check().map_err(Problem::validation_failed)?;
    let id = ApiKeyId::new(random_bytes()?);
    let secret = api_key_secret(&Token::new(random_bytes()?));
    let token = parse_api_key(&secret)
        .ok_or_else(|| Failure::Internal("a new API key does not parse".to_owned()))?;
    let shown = api_key_shown(&secret);
    let key = NewApiKey {
        tenant_id: tenant,
        id: &id,
        name: &name,
        scope: request.scope,
        shown: &shown,
        token_hash: &token.hash(),
        created_by: &creator.person.user_id,
        created_at: ctx.now,
    };
    store::insert_api_key(ctx.db(), &key).await?;
    let key = ApiKeySummary {
        id: id.to_string(),
        name,
        scope: request.scope,
        prefix: shown,
        created_at: ctx.now.rfc3339(),
        created_by: Some(creator.person.email),
        last_used_at: None,
    };
    Ok(Reply::json(201, &CreatedApiKey { key, secret }).no_store())
}

/// `GET /v1/tenants/{tenant_id}/api-keys`: the keys not revoked, newest first, with their last use.
pub async fn list_api_keys(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
) -> Result<Reply, Failure> {
    guard::member(ctx, req, tenant, Action::ManageApiKeys).await?;
    let keys = store::list_api_keys(ctx.db(), tenant)
        .await?
        .into_iter()
        .map(|row| ApiKeySummary {
            id: row.id.to_string(),
            name: row.name,
            scope: row.scope,
            prefix: row.shown,
            created_at: row.created_at.rfc3339(),
            created_by: row.created_by,
            last_used_at: row.last_used_at.map(|at| at.rfc3339()),
        })
        .collect();
    Ok(Reply::json(200, &ApiKeyList { keys }).no_store())
}

/// `DELETE /v1/tenants/{tenant_id}/api-keys/{key_id}`: the key stops working at once.
pub async fn revoke_api_key(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
    key: &ApiKeyId,
) -> Result<Reply, Failure> {
    guard::refuse_cross_site(ctx, req)?;
    guard::member(ctx, req, tenant, Action::ManageApiKeys).await?;
    if !store::revoke_api_key(ctx.db(), tenant, key, ctx.now).await? {
        return Err(Problem::api_key_not_found().into());
    }
    Ok(Reply::empty(204).no_store())
}

/// Emailed links need the public base URL and an email provider.
fn link_settings(ctx: &Context) -> Result<(&PublicBase, &EmailProvider), Failure> {
    let base = ctx.config.public_base.as_ref().map_err(|n| Problem::accounts_unavailable(n.0))?;
    let provider = ctx.config.email.as_ref().map_err(|n| Problem::accounts_unavailable(n.0))?;
    Ok((base, provider))
}

/// Takes one emailed link from the address's budget and the client's.
async fn limit_links(ctx: &Context, req: &Request, email: &Email) -> Result<(), Failure> {
    take(ctx, &format!("links:address:{}", address_key(ctx, email)), LINKS_PER_ADDRESS).await?;
    take(ctx, &format!("links:client:{}", client(ctx, req)?), LINKS_PER_CLIENT).await
}

/// The limiter's key for an address: keyed with the secret, so limiter names carry no address.
fn address_key(ctx: &Context, email: &Email) -> String {
    let secret = ctx.config.secret.as_bytes();
    hex(&hmac_sha256(secret, &[b"account-address\n", email.as_str().as_bytes()])[..16])
}

fn client(ctx: &Context, req: &Request) -> Result<String, Failure> {
    let ip = header(req, "cf-connecting-ip")?;
    Ok(client_key(ctx.config.secret.as_bytes(), ip.as_deref().unwrap_or("unknown")))
}

async fn take(ctx: &Context, key: &str, limit: Limit) -> Result<(), Failure> {
    match limiter::take(&ctx.bindings.limiter, key, limit).await? {
        Decision::Limited { retry_after } => Err(Problem::rate_limited(retry_after).into()),
        Decision::Allowed => Ok(()),
    }
}

/// Stores a new link and returns its id and token (which only the email will carry).
async fn issue_link(
    ctx: &Context,
    purpose: Purpose,
    email: &Email,
    business_name: Option<&str>,
) -> Result<(LinkId, Token), Failure> {
    let id = LinkId::new(random_bytes()?);
    let token = Token::new(random_bytes()?);
    let link = NewLink {
        id: &id,
        token_hash: &token.hash(),
        purpose: purpose.as_str(),
        email,
        business_name,
        invitation: None,
        created_at: ctx.now,
        expires_at: ctx.now.plus_ms(purpose.lifetime_ms()),
    };
    store::insert_link(ctx.db(), &link).await?;
    Ok((id, token))
}

/// Sends the email once the answer has gone. A failure is logged without the email's contents (it
/// carries the link); the person asks again.
async fn send_after_answer(
    ctx: &Context,
    provider: &EmailProvider,
    to: &Email,
    link_id: &LinkId,
    mail: LinkEmail,
) {
    let to = [to.as_str().to_owned()];
    let outgoing = provider_request(
        provider,
        &Mail {
            to: &to,
            subject: &mail.subject,
            text: &mail.text,
            reply_to: None,
            idempotency_key: Some(link_id.as_str()),
        },
    );
    let link_id = link_id.clone();
    ctx.after_answer(async move {
        match send(&outgoing, EMAIL_TIMEOUT_MS).await {
            Ok(answer) if (200..300).contains(&answer.status()) => {}
            Ok(answer) => {
                console_error!("link {link_id}: the email provider answered {}", answer.status())
            }
            Err(error) => {
                console_error!("link {link_id}: the email provider did not answer: {error}")
            }
        }
    })
    .await;
}

/// Uses an emailed link: a sign-in link signs its person in; a sign-up link creates the business,
/// its owner and its first form. Unknown, used and expired links are refused alike.
async fn follow_link(ctx: &Context, raw: &str) -> Result<UserId, Failure> {
    let token = Token::parse(raw).ok_or_else(Problem::link_invalid)?;
    let link = store::use_link(ctx.db(), &token.hash(), ctx.now)
        .await?
        .ok_or_else(Problem::link_invalid)?;
    let email = Email::parse(&link.email)
        .map_err(|_| Failure::Internal(format!("a link to a malformed address: {}", link.email)))?;
    match Purpose::parse(&link.purpose) {
        Some(Purpose::SignIn) => {
            // The account may have been deleted since the link was sent.
            let user = store::find_user_by_email(ctx.db(), &email).await?;
            Ok(user.ok_or_else(Problem::link_invalid)?.id)
        }
        Some(Purpose::SignUp) => {
            let name = link.business_name.unwrap_or_default();
            add_business(ctx, &TenantId::new(random_bytes()?), &name, email.as_str()).await
        }
        Some(Purpose::Invitation) => {
            let (Some(tenant), Some(role)) = (link.tenant_id, link.role) else {
                return Err(Failure::Internal("an invitation without its business".to_owned()));
            };
            let new_user = UserId::new(random_bytes()?);
            Ok(store::accept_invitation(
                ctx.db(),
                &tenant,
                email.as_str(),
                role,
                &new_user,
                ctx.now,
            )
            .await?)
        }
        None => Err(Failure::Internal(format!("a link with purpose {:?}", link.purpose))),
    }
}

/// Checks an address and password, within the account's and the client's budgets. A wrong address
/// and a wrong password are refused alike, after the same work.
async fn check_sign_in(
    ctx: &Context,
    req: &Request,
    email: &str,
    given: &str,
) -> Result<UserId, Failure> {
    let email = Email::parse(email).map_err(|_| Problem::sign_in_failed())?;
    take(ctx, &format!("sign-in:address:{}", address_key(ctx, &email)), SIGN_INS_PER_ACCOUNT)
        .await?;
    take(ctx, &format!("sign-in:client:{}", client(ctx, req)?), SIGN_INS_PER_CLIENT).await?;
    let user = store::find_user_by_email(ctx.db(), &email).await?;
    let stored = user.as_ref().and_then(|user| user.password_hash.as_deref());
    match user {
        Some(user) if password::verify(given, stored) => Ok(user.id),
        _ => Err(Problem::sign_in_failed().into()),
    }
}

/// Begins a session for the person and answers with their account and the cookie.
async fn start_session(
    ctx: &Context,
    user_id: &UserId,
    user_agent: Option<&str>,
) -> Result<Reply, Failure> {
    let id = SessionId::new(random_bytes()?);
    let token = Token::new(random_bytes()?);
    let session = NewSession {
        id: &id,
        token_hash: &token.hash(),
        user_id,
        created_at: ctx.now,
        expires_at: ctx.now.plus_ms(SESSION_MAX_MS),
        user_agent,
    };
    store::insert_session(ctx.db(), &session).await?;
    let person = store::find_session(ctx.db(), &token.hash())
        .await?
        .ok_or_else(|| Failure::Internal(format!("session {id} vanished as it began")))?;
    let account =
        account(ctx, user_id, &person.email, person.has_password != 0, &person.id).await?;
    let cookie = cookie::set(SESSION_COOKIE, token.as_str(), SESSION_MAX_MS / 1000);
    Ok(Reply::json(201, &account).no_store().header("set-cookie", cookie))
}

async fn account(
    ctx: &Context,
    user_id: &UserId,
    email: &str,
    has_password: bool,
    session_id: &SessionId,
) -> Result<Account, Failure> {
    let businesses = store::memberships(ctx.db(), user_id)
        .await?
        .into_iter()
        .map(|row| Membership {
            tenant_id: row.tenant_id.to_string(),
            name: row.name,
            role: row.role,
        })
        .collect();
    Ok(Account {
        user: User { id: user_id.to_string(), email: email.to_owned(), has_password },
        session_id: session_id.to_string(),
        businesses,
    })
}

fn link_sent(message: &str) -> Reply {
    Reply::json(202, &LinkSent { message: message.to_owned() }).no_store()
}

fn forget_cookie(reply: Reply) -> Reply {
    reply.header("set-cookie", cookie::clear(SESSION_COOKIE))
}
