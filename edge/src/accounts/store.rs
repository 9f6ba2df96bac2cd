//! Accounts in D1: people, memberships, sessions and emailed links. Tokens arrive here already
//! hashed; no query sees a token itself.
//!
//! A person's rows are found by their id or their canonical address; a business's, by its tenant id
//! first. Using a link is one `UPDATE ... RETURNING`, so two requests with the same link cannot both
//! use it.

use crate::base::clock::Timestamp;
use crate::base::database::{StoreError, changed, text, timestamp};
use crate::base::ids::{ApiKeyId, LinkId, SessionId, TenantId, UserId};
use crate::forms::store::{NewForm, insert_form};
use inlet_shared::{Email, Role, Scope};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: Option<String>,
}

pub async fn find_user_by_email(
    db: &D1Database,
    email: &Email,
) -> Result<Option<UserRow>, StoreError> {
    Ok(db
        .prepare("SELECT id, email, password_hash FROM users WHERE email = ?1")
        .bind(&[email.as_str().into()])?
        .first::<UserRow>(None)
        .await?)
}

/// A link about to be emailed.
pub struct NewLink<'a> {
    pub id: &'a LinkId,
    pub token_hash: &'a str,
    pub purpose: &'static str,
    pub email: &'a Email,
    pub business_name: Option<&'a str>,
    /// An invitation's business, role and inviter.
    pub invitation: Option<(&'a TenantId, Role, &'a UserId)>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert_link(db: &D1Database, link: &NewLink<'_>) -> Result<(), StoreError> {
    db.prepare(
        "INSERT INTO links (id, token_hash, purpose, email, business_name, created_at, expires_at, \
         tenant_id, role, invited_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .bind(&[
        link.id.as_str().into(),
        link.token_hash.into(),
        link.purpose.into(),
        link.email.as_str().into(),
        text(link.business_name),
        timestamp(link.created_at),
        timestamp(link.expires_at),
        text(link.invitation.map(|(tenant, _, _)| tenant.as_str())),
        text(link.invitation.map(|(_, role, _)| role_name(role))),
        text(link.invitation.map(|(_, _, inviter)| inviter.as_str())),
    ])?
    .run()
    .await?;
    Ok(())
}

/// A link as it was when it was used.
#[derive(Debug, Deserialize)]
pub struct UsedLink {
    pub purpose: String,
    pub email: String,
    pub business_name: Option<String>,
    pub tenant_id: Option<TenantId>,
    pub role: Option<Role>,
}

/// Marks the link with this hash used, if it exists, is unused and has not expired, and returns it.
pub async fn use_link(
    db: &D1Database,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<UsedLink>, StoreError> {
    Ok(db
        .prepare(
            "UPDATE links SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL \
             AND expires_at > ?2 RETURNING purpose, email, business_name, tenant_id, role",
        )
        .bind(&[token_hash.into(), timestamp(now)])?
        .first::<UsedLink>(None)
        .await?)
}

/// A business about to be created by a confirmed sign-up.
pub struct NewBusiness<'a> {
    pub tenant_id: &'a TenantId,
    pub name: &'a str,
    /// The owner's id if the address has no account yet (an existing account keeps its id).
    pub new_user_id: &'a UserId,
    pub owner_email: &'a str,
    pub form: NewForm<'a>,
    pub created_at: Timestamp,
}

/// Creates the business, its owner's account (unless the address has one), the owner's membership
/// and the first form, all or nothing. Returns the owner.
pub async fn create_business(
    db: &D1Database,
    business: &NewBusiness<'_>,
) -> Result<UserId, StoreError> {
    let at = timestamp(business.created_at);
    let email: JsValue = business.owner_email.into();
    let statements = vec![
        db.prepare(
            "INSERT INTO users (id, email, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&[business.new_user_id.as_str().into(), email.clone(), at.clone()])?,
        db.prepare("INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)").bind(&[
            business.tenant_id.as_str().into(),
            business.name.into(),
            at.clone(),
        ])?,
        db.prepare(
            "INSERT INTO members (tenant_id, user_id, role, created_at) \
             SELECT ?1, id, 'owner', ?2 FROM users WHERE email = ?3",
        )
        .bind(&[business.tenant_id.as_str().into(), at, email])?,
        insert_form(db, &business.form)?,
    ];
    db.batch(statements).await?;
    let owner = db
        .prepare("SELECT id FROM users WHERE email = ?1")
        .bind(&[business.owner_email.into()])?
        .first::<Id>(None)
        .await?;
    owner.map(|row| row.id).ok_or_else(|| {
        StoreError::Corrupt(format!("business {}: its owner vanished", business.tenant_id))
    })
}

#[derive(Deserialize)]
struct Id {
    id: UserId,
}

/// Makes the address a member of the business with `role` (creating its account if it has none); a
/// person who is a member already keeps the role they have. Returns the person.
pub async fn accept_invitation(
    db: &D1Database,
    tenant_id: &TenantId,
    email: &str,
    role: Role,
    new_user_id: &UserId,
    at: Timestamp,
) -> Result<UserId, StoreError> {
    let (at, address): (JsValue, JsValue) = (timestamp(at), email.into());
    db.batch(vec![
        db.prepare(
            "INSERT INTO users (id, email, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&[new_user_id.as_str().into(), address.clone(), at.clone()])?,
        db.prepare(
            "INSERT INTO members (tenant_id, user_id, role, created_at) \
             SELECT ?1, id, ?2, ?3 FROM users WHERE email = ?4 \
             ON CONFLICT (tenant_id, user_id) DO NOTHING",
        )
        .bind(&[tenant_id.as_str().into(), role_name(role).into(), at, address])?,
    ])
    .await?;
    let user = db
        .prepare("SELECT id FROM users WHERE email = ?1")
        .bind(&[email.into()])?
        .first::<Id>(None)
        .await?;
    user.map(|row| row.id).ok_or_else(|| {
        StoreError::Corrupt(format!("invitation to {tenant_id}: the member vanished"))
    })
}

/// A role as the `members.role` column holds it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Member => "member",
        Role::Admin => "admin",
        Role::Owner => "owner",
    }
}

#[derive(Debug, Deserialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
}

/// The business's members, owners first.
pub async fn list_members(
    db: &D1Database,
    tenant_id: &TenantId,
) -> Result<Vec<MemberRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT m.user_id, u.email, m.role FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.tenant_id = ?1 ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 \
             WHEN 'member' THEN 2 ELSE 3 END, u.email",
        )
        .bind(&[tenant_id.as_str().into()])?
        .all()
        .await?
        .results::<MemberRow>()?)
}

/// A member's row may change only if it is not the business's last owner's: one condition in the
/// statement itself, so two owners demoting or removing each other at once cannot leave none.
const NOT_THE_LAST_OWNER: &str = "(role <> 'owner' OR (SELECT count(*) FROM members \
     WHERE tenant_id = ?1 AND role = 'owner') > 1)";

/// Ends a person's membership if their role is still `was` (the role the caller was allowed to act
/// on); `false` if they are not a member with that role, or are the last owner.
pub async fn remove_member(
    db: &D1Database,
    tenant_id: &TenantId,
    user_id: &UserId,
    was: Role,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(format!(
            "DELETE FROM members WHERE tenant_id = ?1 AND user_id = ?2 AND role = ?3 \
             AND {NOT_THE_LAST_OWNER}"
        ))
        .bind(&[tenant_id.as_str().into(), user_id.as_str().into(), role_name(was).into()])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Gives a member another role if theirs is still `was` (the role the caller was allowed to act
/// on); `false` if they are not a member with that role, or are the last owner.
pub async fn change_role(
    db: &D1Database,
    tenant_id: &TenantId,
    user_id: &UserId,
    was: Role,
    role: Role,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(format!(
            "UPDATE members SET role = ?3 WHERE tenant_id = ?1 AND user_id = ?2 AND role = ?4 \
             AND {NOT_THE_LAST_OWNER}"
        ))
        .bind(&[
            tenant_id.as_str().into(),
            user_id.as_str().into(),
            role_name(role).into(),
            role_name(was).into(),
        ])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Makes `to` (a member, not an owner) an owner and `from` (an owner) an admin, in one statement;
/// `false` if either is not what it must be, and then nothing changed.
pub async fn transfer_ownership(
    db: &D1Database,
    tenant_id: &TenantId,
    from: &UserId,
    to: &UserId,
) -> Result<bool, StoreError> {
    // SQLite finds the rows an UPDATE changes before it changes any, so both conditions are read
    // as they were: the two rows change together, or neither does.
    let result = db
        .prepare(
            "UPDATE members SET role = CASE user_id WHEN ?2 THEN 'admin' ELSE 'owner' END \
             WHERE tenant_id = ?1 AND user_id IN (?2, ?3) AND ?2 <> ?3 \
             AND EXISTS (SELECT 1 FROM members WHERE tenant_id = ?1 AND user_id = ?2 \
                         AND role = 'owner') \
             AND EXISTS (SELECT 1 FROM members WHERE tenant_id = ?1 AND user_id = ?3 \
                         AND role <> 'owner')",
        )
        .bind(&[tenant_id.as_str().into(), from.as_str().into(), to.as_str().into()])?
        .run()
        .await?;
    Ok(result.meta().ok().flatten().and_then(|meta| meta.changes) == Some(2))
}

/// The business's name.
pub async fn business_name(
    db: &D1Database,
    tenant_id: &TenantId,
) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        name: String,
    }
    let row = db
        .prepare("SELECT name FROM tenants WHERE id = ?1")
        .bind(&[tenant_id.as_str().into()])?
        .first::<Row>(None)
        .await?;
    Ok(row.map(|row| row.name))
}

/// A session about to begin.
pub struct NewSession<'a> {
    pub id: &'a SessionId,
    pub token_hash: &'a str,
    pub user_id: &'a UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<&'a str>,
}

pub async fn insert_session(db: &D1Database, session: &NewSession<'_>) -> Result<(), StoreError> {
    db.prepare(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_used_at, expires_at, \
         user_agent) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
    )
    .bind(&[
        session.id.as_str().into(),
        session.token_hash.into(),
        session.user_id.as_str().into(),
        timestamp(session.created_at),
        timestamp(session.expires_at),
        text(session.user_agent),
    ])?
    .run()
    .await?;
    Ok(())
}

/// A session with the person it belongs to.
#[derive(Debug, Deserialize)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub email: String,
    pub has_password: u8,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn find_session(
    db: &D1Database,
    token_hash: &str,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT s.id, s.user_id, u.email, u.password_hash IS NOT NULL AS has_password, \
             s.created_at, s.last_used_at, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
        )
        .bind(&[token_hash.into()])?
        .first::<SessionRow>(None)
        .await?)
}

pub async fn touch_session(
    db: &D1Database,
    id: &SessionId,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.prepare("UPDATE sessions SET last_used_at = ?2 WHERE id = ?1")
        .bind(&[id.as_str().into(), timestamp(now)])?
        .run()
        .await?;
    Ok(())
}

/// A session as its owner's list shows it.
#[derive(Debug, Deserialize)]
pub struct SessionListing {
    pub id: SessionId,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
}

/// The person's sessions that have not passed their absolute end, newest first (the caller drops
/// the idle ones).
pub async fn list_sessions(
    db: &D1Database,
    user_id: &UserId,
    now: Timestamp,
) -> Result<Vec<SessionListing>, StoreError> {
    Ok(db
        .prepare(
            "SELECT id, created_at, last_used_at, expires_at, user_agent FROM sessions \
             WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC, id DESC LIMIT 100",
        )
        .bind(&[user_id.as_str().into(), timestamp(now)])?
        .all()
        .await?
        .results::<SessionListing>()?)
}

/// Ends one of the person's sessions; `false` if they have no such session.
pub async fn delete_session(
    db: &D1Database,
    user_id: &UserId,
    id: &SessionId,
) -> Result<bool, StoreError> {
    let result = db
        .prepare("DELETE FROM sessions WHERE user_id = ?1 AND id = ?2")
        .bind(&[user_id.as_str().into(), id.as_str().into()])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// Ends every session of the person, but `keep` if given.
pub async fn delete_sessions(
    db: &D1Database,
    user_id: &UserId,
    keep: Option<&SessionId>,
) -> Result<(), StoreError> {
    db.prepare("DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2")
        .bind(&[user_id.as_str().into(), text(keep.map(SessionId::as_str))])?
        .run()
        .await?;
    Ok(())
}

/// Sets the person's password hash and ends every other session they have, in one transaction.
pub async fn set_password(
    db: &D1Database,
    user_id: &UserId,
    phc: &str,
    keep: &SessionId,
    now: Timestamp,
) -> Result<(), StoreError> {
    db.batch(vec![
        db.prepare("UPDATE users SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1")
            .bind(&[user_id.as_str().into(), phc.into(), timestamp(now)])?,
        db.prepare("DELETE FROM sessions WHERE user_id = ?1 AND id != ?2")
            .bind(&[user_id.as_str().into(), keep.as_str().into()])?,
    ])
    .await?;
    Ok(())
}

/// One business the person belongs to.
#[derive(Debug, Deserialize)]
pub struct MembershipRow {
    pub tenant_id: TenantId,
    pub name: String,
    pub role: Role,
}

pub async fn memberships(
    db: &D1Database,
    user_id: &UserId,
) -> Result<Vec<MembershipRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT m.tenant_id, t.name, m.role FROM members m JOIN tenants t ON t.id = m.tenant_id \
             WHERE m.user_id = ?1 ORDER BY t.name, m.tenant_id",
        )
        .bind(&[user_id.as_str().into()])?
        .all()
        .await?
        .results::<MembershipRow>()?)
}

/// The person's role in the business, `None` if they are not a member of it.
pub async fn role_in(
    db: &D1Database,
    tenant_id: &TenantId,
    user_id: &UserId,
) -> Result<Option<Role>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        role: Role,
    }
    let row = db
        .prepare("SELECT role FROM members WHERE tenant_id = ?1 AND user_id = ?2")
        .bind(&[tenant_id.as_str().into(), user_id.as_str().into()])?
        .first::<Row>(None)
        .await?;
    Ok(row.map(|row| row.role))
}

/// The address of a member of the business, `None` if the person is not one.
pub async fn member_email(
    db: &D1Database,
    tenant_id: &TenantId,
    user_id: &str,
) -> Result<Option<String>, StoreError> {
    #[derive(Deserialize)]
    struct Row {
        email: String,
    }
    let row = db
        .prepare(
            "SELECT u.email FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.tenant_id = ?1 AND m.user_id = ?2",
        )
        .bind(&[tenant_id.as_str().into(), user_id.into()])?
        .first::<Row>(None)
        .await?;
    Ok(row.map(|row| row.email))
}

/// Deletes sessions and links that can no longer be used (sessions past their end or unused since
/// `idle_since`): nothing is kept longer than it serves.
pub async fn delete_expired(
    db: &D1Database,
    now: Timestamp,
    idle_since: Timestamp,
) -> Result<(), StoreError> {
    db.batch(vec![
        db.prepare("DELETE FROM sessions WHERE expires_at <= ?1 OR last_used_at <= ?2")
            .bind(&[timestamp(now), timestamp(idle_since)])?,
        db.prepare("DELETE FROM links WHERE expires_at <= ?1").bind(&[timestamp(now)])?,
    ])
    .await?;
    Ok(())
}

/// An API key about to be created.
pub struct NewApiKey<'a> {
    pub tenant_id: &'a TenantId,
    pub id: &'a ApiKeyId,
    pub name: &'a str,
    pub scope: Scope,
    pub shown: &'a str,
    pub token_hash: &'a str,
    pub created_by: &'a UserId,
    pub created_at: Timestamp,
}

pub async fn insert_api_key(db: &D1Database, key: &NewApiKey<'_>) -> Result<(), StoreError> {
    db.prepare(
        "INSERT INTO api_keys (tenant_id, id, name, scope, shown, token_hash, created_by, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&[
        key.tenant_id.as_str().into(),
        key.id.as_str().into(),
        key.name.into(),
        key.scope.as_str().into(),
        key.shown.into(),
        key.token_hash.into(),
        key.created_by.as_str().into(),
        timestamp(key.created_at),
    ])?
    .run()
    .await?;
    Ok(())
}

/// A key as its business's list shows it.
#[derive(Debug, Deserialize)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub scope: Scope,
    pub shown: String,
    pub created_at: Timestamp,
    /// The creator's address; `None` if their account is gone.
    pub created_by: Option<String>,
    pub last_used_at: Option<Timestamp>,
}

/// The business's keys that are not revoked, newest first.
pub async fn list_api_keys(
    db: &D1Database,
    tenant_id: &TenantId,
) -> Result<Vec<ApiKeyRow>, StoreError> {
    Ok(db
        .prepare(
            "SELECT k.id, k.name, k.scope, k.shown, k.created_at, u.email AS created_by, \
             k.last_used_at FROM api_keys k LEFT JOIN users u ON u.id = k.created_by \
             WHERE k.tenant_id = ?1 AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id",
        )
        .bind(&[tenant_id.as_str().into()])?
        .all()
        .await?
        .results::<ApiKeyRow>()?)
}

/// Revokes a key of the business; `false` if it has no such key, or it was revoked already.
pub async fn revoke_api_key(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &ApiKeyId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let result = db
        .prepare(
            "UPDATE api_keys SET revoked_at = ?3 \
             WHERE tenant_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        )
        .bind(&[tenant_id.as_str().into(), id.as_str().into(), timestamp(at)])?
        .run()
        .await?;
    Ok(changed(&result))
}

/// A live key, found by its secret's hash: how a request with a key learns its business.
#[derive(Debug, Deserialize)]
pub struct LiveApiKey {
    pub tenant_id: TenantId,
    pub id: ApiKeyId,
    pub name: String,
    pub scope: Scope,
    pub last_used_at: Option<Timestamp>,
}

pub async fn find_api_key(
    db: &D1Database,
    token_hash: &str,
) -> Result<Option<LiveApiKey>, StoreError> {
    Ok(db
        .prepare(
            "SELECT tenant_id, id, name, scope, last_used_at FROM api_keys \
             WHERE token_hash = ?1 AND revoked_at IS NULL",
        )
        .bind(&[token_hash.into()])?
        .first::<LiveApiKey>(None)
        .await?)
}

pub async fn touch_api_key(
    db: &D1Database,
    tenant_id: &TenantId,
    id: &ApiKeyId,
    at: Timestamp,
) -> Result<(), StoreError> {
    db.prepare("UPDATE api_keys SET last_used_at = ?3 WHERE tenant_id = ?1 AND id = ?2")
        .bind(&[tenant_id.as_str().into(), id.as_str().into(), timestamp(at)])?
        .run()
        .await?;
    Ok(())
}
