//! Who is asking: the check every endpoint behind a sign-in calls first. A session cookie whose
//! token hashes to a live session is a signed-in person; anything else is `401 session_required`,
//! said the same way for a missing, forged, expired or ended session.
//!
//! Requests that change something also pass [`refuse_cross_site`] first, so another website cannot
//! make a person's browser send them.
//!
//! A business's endpoints that integrators may use start at [`caller`] instead, which also takes an
//! API key (`Authorization: Bearer inlet_...`): a key acts only on its own business, within its
//! scope, and is refused the same way whether it is unknown, forged or revoked.

use crate::accounts::model::{SESSION_COOKIE, Token, needs_touch, parse_api_key, session_end};
use crate::accounts::store;
use crate::base::context::Context;
use crate::base::ids::{ApiKeyId, SessionId, TenantId, UserId};
use crate::http::cookie::cookie;
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::request::header;
use crate::http::same_origin;
use inlet_shared::{Action, Role};
use worker::Request;

/// A signed-in person, and the session they asked with.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub email: String,
    pub has_password: bool,
}

/// The person whose session cookie came with the request. Marks the session used (at most once a
/// minute), which moves its idle end.
pub async fn signed_in(ctx: &Context, req: &Request) -> Result<SignedIn, Failure> {
    let token = cookie(req, SESSION_COOKIE)?
        .and_then(|raw| Token::parse(&raw))
        .ok_or_else(Problem::session_required)?;
    let row = store::find_session(ctx.db(), &token.hash())
        .await?
        .ok_or_else(Problem::session_required)?;
    if ctx.now >= row.expires_at || ctx.now >= session_end(row.created_at, row.last_used_at) {
        return Err(Problem::session_required().into());
    }
    if needs_touch(row.last_used_at, ctx.now) {
        store::touch_session(ctx.db(), &row.id, ctx.now).await?;
    }
    Ok(SignedIn {
        session_id: row.id,
        user_id: row.user_id,
        email: row.email,
        has_password: row.has_password != 0,
    })
}

/// A signed-in member of a business, and their role in it.
#[derive(Debug, Clone)]
pub struct Member {
    pub person: SignedIn,
    pub tenant_id: TenantId,
    pub role: Role,
}

/// The signed-in person, if they belong to `tenant_id` with a role that may take `action`. Someone
/// who is not a member is told the business does not exist (`404`), exactly as for a business that
/// does not: ids of other businesses reveal nothing. A member whose role may not is told so (`403`).
pub async fn member(
    ctx: &Context,
    req: &Request,
    tenant_id: &TenantId,
    action: Action,
) -> Result<Member, Failure> {
    let person = signed_in(ctx, req).await?;
    let role = store::role_in(ctx.db(), tenant_id, &person.user_id)
        .await?
        .ok_or_else(Problem::business_not_found)?;
    if !role.may(action) {
        return Err(Problem::not_permitted().into());
    }
    Ok(Member { person, tenant_id: tenant_id.clone(), role })
}

/// Who acts on a business's data: one of its members, or one of its API keys.
#[derive(Debug, Clone)]
pub enum Actor {
    Person(SignedIn),
    Key { id: ApiKeyId, name: String },
}

impl Actor {
    /// The id a lead's history and notes keep: a user's, or a key's.
    pub fn id(&self) -> &str {
        match self {
            Actor::Person(person) => person.user_id.as_str(),
            Actor::Key { id, .. } => id.as_str(),
        }
    }

    /// How the business sees the actor: an address, or the key's name.
    pub fn name(&self) -> String {
        match self {
            Actor::Person(person) => person.email.clone(),
            Actor::Key { name, .. } => format!("API key \u{201c}{name}\u{201d}"),
        }
    }
}

/// The member or API key making the request, if it may take `action` in `tenant_id`. A request
/// with an `Authorization` header is a key's, and only a live key of this business with a scope
/// that allows `action` passes: an unknown, malformed or revoked key is `401 api_key_invalid`,
/// another business's key `404`, as a stranger's session is. Without the header it is [`member`].
pub async fn caller(
    ctx: &Context,
    req: &Request,
    tenant_id: &TenantId,
    action: Action,
) -> Result<Actor, Failure> {
    let Some(authorization) = header(req, "authorization")? else {
        return Ok(Actor::Person(member(ctx, req, tenant_id, action).await?.person));
    };
    let token = authorization
        .strip_prefix("Bearer ")
        .and_then(parse_api_key)
        .ok_or_else(Problem::api_key_invalid)?;
    let key =
        store::find_api_key(ctx.db(), &token.hash()).await?.ok_or_else(Problem::api_key_invalid)?;
    if key.tenant_id != *tenant_id {
        return Err(Problem::business_not_found().into());
    }
    if !key.scope.may(action) {
        return Err(Problem::not_permitted().into());
    }
    if key.last_used_at.is_none_or(|last| needs_touch(last, ctx.now)) {
        store::touch_api_key(ctx.db(), tenant_id, &key.id, ctx.now).await?;
    }
    Ok(Actor::Key { id: key.id, name: key.name })
}

/// Refuses a state-changing request another site made: its origin must be this installation's
/// public origin or the one the request was sent to.
pub fn refuse_cross_site(ctx: &Context, req: &Request) -> Result<(), Failure> {
    let url = req.url()?;
    let own = url.origin().ascii_serialization();
    let mut origins = vec![own.as_str()];
    if let Ok(base) = &ctx.config.public_base {
        origins.push(base.origin.as_str());
    }
    same_origin::refuse_cross_site(req, &origins)
}
