//! The URL space of the Worker and the one place requests reach the capabilities' HTTP APIs.
//!
//! [`PATHS`] is the route table: each path template is written once, with the endpoint each method
//! reaches there, and it drives both matching and the test that the OpenAPI document lists exactly
//! these paths and methods. [`dispatch`] matches every [`Endpoint`] to its handler with no catch-all,
//! so an endpoint without a handler does not compile. Paths the static assets serve (`/widget.js`,
//! `/pkg/...`) never reach the Worker, so they are not here.

use crate::base::clock;
use crate::base::context::Context;
use crate::base::ids::{
    ApiKeyId, DeliveryId, DestinationId, FormId, LeadId, SessionId, TenantId, UserId, is_id,
};
use crate::http::bearer::require_bearer;
use crate::http::failure::Failure;
use crate::http::problem::Problem;
use crate::http::reply::Reply;
use crate::{accounts, dashboard, forms, forwarding, intake, leads};
use inlet_shared::Action;
use serde::Serialize;
use worker::Request;

/// The OpenAPI 3.1 document of the public API, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// What a request asks for, with the ids its path carried (checked to be ids, not looked up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    OpenApi,
    ReadForm(FormId),
    /// A renewed form token for a widget that has held its own for long.
    RenewFormToken(FormId),
    /// The CORS preflight of any of a form's public addresses.
    FormPreflight(FormId),
    Embed(FormId),
    SubmitLead(FormId),
    /// A person's account (session cookie), and the ways to get one.
    Account(AccountEndpoint),
    /// A business's own endpoints, for its members (session cookie) and, where an integrator may
    /// use them, its API keys.
    Business(BusinessEndpoint),
    /// Any page of the dashboard app: its `index.html`.
    App,
    /// The operator API (bearer token): only bootstrapping a business.
    Operator(Operator),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEndpoint {
    SignUp,
    RequestSignInLink,
    SignIn,
    Read,
    ListSessions,
    EndAllSessions,
    EndSession(SessionId),
    SetPassword,
    CreateBusiness,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusinessEndpoint {
    ListForms(TenantId),
    ListLeads(TenantId),
    ExportLeads(TenantId),
    ReadLead(TenantId, LeadId),
    ChangeLead(TenantId, LeadId),
    AddNote(TenantId, LeadId),
    ReleaseLead(TenantId, LeadId),
    Invite(TenantId),
    ListMembers(TenantId),
    RemoveMember(TenantId, UserId),
    ChangeRole(TenantId, UserId),
    TransferOwnership(TenantId),
    CreateApiKey(TenantId),
    ListApiKeys(TenantId),
    RevokeApiKey(TenantId, ApiKeyId),
    ListDestinations(TenantId, FormId),
    CreateDestination(TenantId, FormId),
    ReadDestination(TenantId, DestinationId),
    UpdateDestination(TenantId, DestinationId),
    DeleteDestination(TenantId, DestinationId),
    RotateSecret(TenantId, DestinationId),
    ListDeliveries(TenantId),
    ReadDelivery(TenantId, DeliveryId),
    ReplayDelivery(TenantId, DeliveryId),
}

/// What only the installation's operator may do (bearer `INLET_OPERATOR_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// Bootstraps a business: emails its first owner a sign-up link, even with sign-up closed.
    InviteOwner,
}

/// The methods the API distinguishes. `HEAD` is answered wherever `GET` is, without the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Patch,
    Delete,
    Options,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Method {
        match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "",
        }
    }
}

/// The ids a path carried, in the order its template names them.
pub struct Captures<'a>(std::slice::Iter<'a, &'a str>);

impl Captures<'_> {
    fn next<T: for<'s> From<&'s str>>(&mut self) -> Option<T> {
        self.0.next().map(|segment| T::from(segment))
    }
}

/// Builds the endpoint from a path's ids; `None` only if the template and the builder disagree.
type Build = fn(&mut Captures) -> Option<Endpoint>;

/// One path template and the endpoint each of its methods reaches. Two paths are the same path
/// when their templates are.
pub struct Path {
    /// As the OpenAPI document writes it: literal segments and `{name}` for an id.
    pub template: &'static str,
    pub methods: &'static [(Method, Build)],
}

impl PartialEq for Path {
    fn eq(&self, other: &Path) -> bool {
        self.template == other.template
    }
}

impl Eq for Path {}

impl std::fmt::Debug for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.template)
    }
}

impl Path {
    /// The `Allow` header: the methods in table order, `HEAD` after `GET`.
    pub fn allow(&self) -> String {
        self.method_names(true).join(", ")
    }

    /// What a CORS preflight allows: the methods other than `OPTIONS`.
    pub fn preflight_methods(&self) -> String {
        self.method_names(false).join(", ")
    }

    fn method_names(&self, with_options: bool) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (method, _) in self.methods {
            match method {
                Method::Get => names.extend(["GET", "HEAD"]),
                Method::Options if !with_options => {}
                other => names.push(other.name()),
            }
        }
        names
    }

    /// The ids in `segments` if they fit this template.
    fn captures<'a>(&self, segments: &[&'a str]) -> Option<Vec<&'a str>> {
        let template: Vec<&str> = self.template.trim_start_matches('/').split('/').collect();
        if template.len() != segments.len() {
            return None;
        }
        let mut ids = Vec::new();
        for (expected, segment) in template.iter().zip(segments) {
            if expected.starts_with('{') {
                if !is_id(segment) {
                    return None;
                }
                ids.push(*segment);
            } else if expected != segment {
                return None;
            }
        }
        Some(ids)
    }
}

/// Every path the Worker answers.
pub const PATHS: &[Path] = &[
    Path { template: "/health", methods: &[(Method::Get, |_| Some(Endpoint::Health))] },
    Path { template: "/v1/openapi.json", methods: &[(Method::Get, |_| Some(Endpoint::OpenApi))] },
    Path {
        template: "/v1/forms/{form_id}",
        methods: &[
            (Method::Get, |ids| Some(Endpoint::ReadForm(ids.next()?))),
            (Method::Options, |ids| Some(Endpoint::FormPreflight(ids.next()?))),
        ],
    },
    Path {
        template: "/v1/forms/{form_id}/token",
        methods: &[
            (Method::Get, |ids| Some(Endpoint::RenewFormToken(ids.next()?))),
            (Method::Options, |ids| Some(Endpoint::FormPreflight(ids.next()?))),
        ],
    },
    Path {
        template: "/v1/forms/{form_id}/leads",
        methods: &[
            (Method::Post, |ids| Some(Endpoint::SubmitLead(ids.next()?))),
            (Method::Options, |ids| Some(Endpoint::FormPreflight(ids.next()?))),
        ],
    },
    Path {
        template: "/v1/account",
        methods: &[(Method::Get, |_| Some(Endpoint::Account(AccountEndpoint::Read)))],
    },
    Path {
        template: "/v1/account/sign-up",
        methods: &[(Method::Post, |_| Some(Endpoint::Account(AccountEndpoint::SignUp)))],
    },
    Path {
        template: "/v1/account/sign-in-links",
        methods: &[(Method::Post, |_| Some(Endpoint::Account(AccountEndpoint::RequestSignInLink)))],
    },
    Path {
        template: "/v1/account/sessions",
        methods: &[
            (Method::Get, |_| Some(Endpoint::Account(AccountEndpoint::ListSessions))),
            (Method::Post, |_| Some(Endpoint::Account(AccountEndpoint::SignIn))),
            (Method::Delete, |_| Some(Endpoint::Account(AccountEndpoint::EndAllSessions))),
        ],
    },
    Path {
        template: "/v1/account/sessions/{session_id}",
        methods: &[(Method::Delete, |ids| {
            Some(Endpoint::Account(AccountEndpoint::EndSession(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/account/password",
        methods: &[(Method::Post, |_| Some(Endpoint::Account(AccountEndpoint::SetPassword)))],
    },
    Path {
        template: "/v1/businesses",
        methods: &[(Method::Post, |_| Some(Endpoint::Operator(Operator::InviteOwner)))],
    },
    Path {
        template: "/v1/account/businesses",
        methods: &[(Method::Post, |_| Some(Endpoint::Account(AccountEndpoint::CreateBusiness)))],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/forms",
        methods: &[(Method::Get, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ListForms(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/leads",
        methods: &[(Method::Get, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ListLeads(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/leads.csv",
        methods: &[(Method::Get, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ExportLeads(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/leads/{lead_id}",
        methods: &[
            (Method::Get, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::ReadLead(ids.next()?, ids.next()?)))
            }),
            (Method::Patch, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::ChangeLead(ids.next()?, ids.next()?)))
            }),
        ],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/leads/{lead_id}/notes",
        methods: &[(Method::Post, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::AddNote(ids.next()?, ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/leads/{lead_id}/release",
        methods: &[(Method::Post, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ReleaseLead(ids.next()?, ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/invitations",
        methods: &[(Method::Post, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::Invite(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/members",
        methods: &[(Method::Get, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ListMembers(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/members/{user_id}",
        methods: &[
            (Method::Patch, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::ChangeRole(ids.next()?, ids.next()?)))
            }),
            (Method::Delete, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::RemoveMember(ids.next()?, ids.next()?)))
            }),
        ],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/ownership",
        methods: &[(Method::Post, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::TransferOwnership(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/api-keys",
        methods: &[
            (Method::Get, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::ListApiKeys(ids.next()?)))
            }),
            (Method::Post, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::CreateApiKey(ids.next()?)))
            }),
        ],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/api-keys/{key_id}",
        methods: &[(Method::Delete, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::RevokeApiKey(ids.next()?, ids.next()?)))
        })],
    },
    Path {
        template: "/embed/{form_id}",
        methods: &[(Method::Get, |ids| Some(Endpoint::Embed(ids.next()?)))],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/forms/{form_id}/destinations",
        methods: &[
            (Method::Get, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::ListDestinations(
                    ids.next()?,
                    ids.next()?,
                )))
            }),
            (Method::Post, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::CreateDestination(
                    ids.next()?,
                    ids.next()?,
                )))
            }),
        ],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/destinations/{destination_id}",
        methods: &[
            (Method::Get, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::ReadDestination(
                    ids.next()?,
                    ids.next()?,
                )))
            }),
            (Method::Patch, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::UpdateDestination(
                    ids.next()?,
                    ids.next()?,
                )))
            }),
            (Method::Delete, |ids| {
                Some(Endpoint::Business(BusinessEndpoint::DeleteDestination(
                    ids.next()?,
                    ids.next()?,
                )))
            }),
        ],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/destinations/{destination_id}/rotate-secret",
        methods: &[(Method::Post, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::RotateSecret(ids.next()?, ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/deliveries",
        methods: &[(Method::Get, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ListDeliveries(ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/deliveries/{delivery_id}",
        methods: &[(Method::Get, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ReadDelivery(ids.next()?, ids.next()?)))
        })],
    },
    Path {
        template: "/v1/tenants/{tenant_id}/deliveries/{delivery_id}/replay",
        methods: &[(Method::Post, |ids| {
            Some(Endpoint::Business(BusinessEndpoint::ReplayDelivery(ids.next()?, ids.next()?)))
        })],
    },
];

/// Every address under `/app/` is a page of the dashboard app (not in [`PATHS`]: it is not part of
/// the API, and the OpenAPI document leaves it out, as it does the static files).
pub const APP: Path =
    Path { template: "/app/{page}", methods: &[(Method::Get, |_| Some(Endpoint::App))] };

/// What the router concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// The endpoint, and the path it was found on.
    Found(Endpoint, &'static Path),
    /// The path exists but not for this method; carries the `Allow` header value.
    MethodNotAllowed(String),
    NotFound,
}

/// The endpoint for `method` on `path` (and its path's template).
pub fn route(method: Method, path: &str) -> Routed {
    if path == "/app" || path.starts_with("/app/") {
        return match method {
            Method::Get | Method::Head => Routed::Found(Endpoint::App, &APP),
            _ => Routed::MethodNotAllowed(APP.allow()),
        };
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let Some((entry, ids)) =
        PATHS.iter().find_map(|entry| Some((entry, entry.captures(&segments)?)))
    else {
        return Routed::NotFound;
    };
    let asked = if method == Method::Head { Method::Get } else { method };
    let build = entry.methods.iter().find(|(m, _)| *m == asked && asked != Method::Other);
    match build.and_then(|(_, build)| build(&mut Captures(ids.iter()))) {
        Some(endpoint) => Routed::Found(endpoint, entry),
        None => Routed::MethodNotAllowed(entry.allow()),
    }
}

/// The Worker's answer to one request. Nothing here panics; every failure becomes a problem.
/// `background` lets a handler finish work after its answer has gone.
pub async fn handle(req: Request, env: &worker::Env, background: worker::Context) -> Reply {
    let method = Method::parse(req.method().as_ref());
    let reply = match route(method, &req.path()) {
        Routed::Found(endpoint, path) => match Context::from_env(env, clock::now()) {
            Ok(ctx) => {
                let ctx = ctx.with_background(background);
                dispatch(endpoint, path, req, &ctx).await.unwrap_or_else(Failure::into_reply)
            }
            Err(error) => Failure::from(error).into_reply(),
        },
        Routed::MethodNotAllowed(allow) => Reply::problem(&Problem::method_not_allowed(allow)),
        Routed::NotFound => Reply::problem(&Problem::not_found()),
    };
    if method == Method::Head { Reply { body: Vec::new(), stream: None, ..reply } } else { reply }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn dispatch(
    endpoint: Endpoint,
    path: &Path,
    req: Request,
    ctx: &Context,
) -> Result<Reply, Failure> {
    match endpoint {
        Endpoint::Health => {
            Ok(Reply::json(200, &Health { status: "ok" }).header("cache-control", "no-store"))
        }
        Endpoint::OpenApi => Ok(Reply::new(200, "application/json", OPENAPI)
            .header("cache-control", "public, max-age=300")
            .header("access-control-allow-origin", "*")),
        Endpoint::ReadForm(form) => forms::api::read_form(ctx, &req, &form).await,
        Endpoint::RenewFormToken(form) => forms::api::renew_token(ctx, &req, &form).await,
        Endpoint::FormPreflight(form) => {
            forms::api::preflight(ctx, &req, &form, &path.preflight_methods()).await
        }
        Endpoint::Embed(form) => forms::api::embed(ctx, &req, &form).await,
        Endpoint::SubmitLead(form) => intake::api::submit_lead(ctx, req, &form).await,
        Endpoint::Account(endpoint) => account(endpoint, req, ctx).await,
        Endpoint::Business(endpoint) => business(endpoint, req, ctx).await,
        Endpoint::App => dashboard::page::app_page(ctx).await,
        Endpoint::Operator(operator) => {
            require_bearer(&req, ctx.config.operator_token.as_deref())?;
            Ok(operate(operator, req, ctx).await?.header("cache-control", "no-store"))
        }
    }
}

async fn account(endpoint: AccountEndpoint, req: Request, ctx: &Context) -> Result<Reply, Failure> {
    use accounts::api;
    match endpoint {
        AccountEndpoint::SignUp => api::sign_up(ctx, req).await,
        AccountEndpoint::RequestSignInLink => api::request_sign_in_link(ctx, req).await,
        AccountEndpoint::SignIn => api::sign_in(ctx, req).await,
        AccountEndpoint::Read => api::read_account(ctx, &req).await,
        AccountEndpoint::ListSessions => api::list_sessions(ctx, &req).await,
        AccountEndpoint::EndAllSessions => api::end_all_sessions(ctx, &req).await,
        AccountEndpoint::EndSession(id) => api::end_session(ctx, &req, &id).await,
        AccountEndpoint::SetPassword => api::set_password(ctx, req).await,
        AccountEndpoint::CreateBusiness => api::create_business(ctx, req).await,
    }
}

async fn business(
    endpoint: BusinessEndpoint,
    req: Request,
    ctx: &Context,
) -> Result<Reply, Failure> {
    let reply = match endpoint {
        BusinessEndpoint::ListForms(tenant) => dashboard::api::list_forms(ctx, &req, &tenant).await,
        BusinessEndpoint::ListLeads(tenant) => leads::api::list_leads(ctx, &req, &tenant).await,
        BusinessEndpoint::ExportLeads(tenant) => leads::api::export_csv(ctx, &req, &tenant).await,
        BusinessEndpoint::ReadLead(tenant, lead) => {
            leads::api::read_lead(ctx, &req, &tenant, &lead).await
        }
        BusinessEndpoint::ChangeLead(tenant, lead) => {
            leads::api::change_lead(ctx, req, &tenant, &lead).await
        }
        BusinessEndpoint::AddNote(tenant, lead) => {
            leads::api::add_note(ctx, req, &tenant, &lead).await
        }
        BusinessEndpoint::ReleaseLead(tenant, lead) => {
            leads::api::release_spam(ctx, &req, &tenant, &lead).await
        }
        BusinessEndpoint::Invite(tenant) => accounts::api::invite(ctx, req, &tenant).await,
        BusinessEndpoint::ListMembers(tenant) => {
            accounts::api::list_members(ctx, &req, &tenant).await
        }
        BusinessEndpoint::RemoveMember(tenant, user) => {
            accounts::api::remove_member(ctx, &req, &tenant, &user).await
        }
        BusinessEndpoint::ChangeRole(tenant, user) => {
            accounts::api::change_role(ctx, req, &tenant, &user).await
        }
        BusinessEndpoint::TransferOwnership(tenant) => {
            accounts::api::transfer_ownership(ctx, req, &tenant).await
        }
        BusinessEndpoint::CreateApiKey(tenant) => {
            accounts::api::create_api_key(ctx, req, &tenant).await
        }
        BusinessEndpoint::ListApiKeys(tenant) => {
            accounts::api::list_api_keys(ctx, &req, &tenant).await
        }
        BusinessEndpoint::RevokeApiKey(tenant, key) => {
            accounts::api::revoke_api_key(ctx, &req, &tenant, &key).await
        }
        BusinessEndpoint::ListDestinations(tenant, form) => {
            allowed(ctx, &req, &tenant, Action::ManageDestinations).await?;
            forwarding::api::list_destinations(ctx, &tenant, &form).await
        }
        BusinessEndpoint::CreateDestination(tenant, form) => {
            allowed(ctx, &req, &tenant, Action::ManageDestinations).await?;
            forwarding::api::create_destination(ctx, req, &tenant, &form).await
        }
        BusinessEndpoint::ReadDestination(tenant, id) => {
            allowed(ctx, &req, &tenant, Action::ManageDestinations).await?;
            forwarding::api::read_destination(ctx, &tenant, &id).await
        }
        BusinessEndpoint::UpdateDestination(tenant, id) => {
            allowed(ctx, &req, &tenant, Action::ManageDestinations).await?;
            forwarding::api::update_destination(ctx, req, &tenant, &id).await
        }
        BusinessEndpoint::DeleteDestination(tenant, id) => {
            allowed(ctx, &req, &tenant, Action::ManageDestinations).await?;
            forwarding::api::delete_destination(ctx, &tenant, &id).await
        }
        BusinessEndpoint::RotateSecret(tenant, id) => {
            allowed(ctx, &req, &tenant, Action::ManageDestinations).await?;
            forwarding::api::rotate_secret(ctx, req, &tenant, &id).await
        }
        BusinessEndpoint::ListDeliveries(tenant) => {
            allowed(ctx, &req, &tenant, Action::ReadLeads).await?;
            forwarding::api::list_deliveries(ctx, &req, &tenant).await
        }
        BusinessEndpoint::ReadDelivery(tenant, id) => {
            allowed(ctx, &req, &tenant, Action::ReadLeads).await?;
            forwarding::api::read_delivery(ctx, &tenant, &id).await
        }
        BusinessEndpoint::ReplayDelivery(tenant, id) => {
            allowed(ctx, &req, &tenant, Action::ReplayDeliveries).await?;
            forwarding::api::replay_delivery(ctx, &tenant, &id).await
        }
    };
    // Answers about a business hold lead metadata and, once, secrets: never cached anywhere.
    reply.map(Reply::no_store)
}

async fn operate(operator: Operator, req: Request, ctx: &Context) -> Result<Reply, Failure> {
    match operator {
        Operator::InviteOwner => accounts::api::invite_owner(ctx, req).await,
    }
}

/// Lets a request through to one of the forwarding endpoints if its member or API key may take
/// `action`; a person's request that changes something must also come from the installation's
/// own pages. Here, not in `forwarding`, because forwarding sits below accounts.
async fn allowed(
    ctx: &Context,
    req: &Request,
    tenant: &TenantId,
    action: Action,
) -> Result<(), Failure> {
    if !matches!(Method::parse(req.method().as_ref()), Method::Get | Method::Head) {
        accounts::guard::refuse_cross_site(ctx, req)?;
    }
    accounts::guard::caller(ctx, req, tenant, action).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The OpenAPI document lists exactly the router's paths and methods (HEAD is implied by GET).
    #[test]
    fn the_openapi_document_matches_the_router() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
        let mut routed: Vec<&str> = PATHS.iter().map(|p| p.template).collect();
        routed.sort_unstable();
        documented.sort_unstable();
        assert_eq!(documented, routed);
        for path in PATHS {
            let mut methods: Vec<String> = paths[path.template]
                .as_object()
                .expect("path item")
                .keys()
                .filter(|k| *k != "parameters")
                .map(|m| m.to_ascii_uppercase())
                .collect();
            let mut expected: Vec<String> =
                path.methods.iter().map(|(m, _)| m.name().to_owned()).collect();
            methods.sort();
            expected.sort();
            assert_eq!(methods, expected, "{}", path.template);
        }
    }

    /// Every template's ids are ones its builders use, and every builder builds from them.
    #[test]
    fn every_builder_builds_from_its_template() {
        for path in PATHS {
            let segments: Vec<&str> = path
                .template
                .trim_start_matches('/')
                .split('/')
                .map(|s| if s.starts_with('{') { "x_1" } else { s })
                .collect();
            let ids = path.captures(&segments).expect(path.template);
            for (method, build) in path.methods {
                let mut captures = Captures(ids.iter());
                assert!(build(&mut captures).is_some(), "{method:?} {}", path.template);
                assert!(
                    captures.0.next().is_none(),
                    "{method:?} {} leaves ids unused",
                    path.template
                );
            }
        }
    }

    /// The document's examples are what the real types read and write.
    #[test]
    fn the_openapi_examples_parse_as_the_real_types() {
        let doc: Value = serde_json::from_str(OPENAPI).expect("valid JSON");
        let example = |pointer: &str| {
            doc.pointer(pointer).cloned().unwrap_or_else(|| panic!("no example at {pointer}"))
        };
        let form: inlet_shared::FormDefinition = serde_json::from_value(example(
            "/paths/~1v1~1forms~1{form_id}/get/responses/200/content/application~1json/example",
        ))
        .expect("form");
        assert_eq!(form.check(), Ok(()));
        let submission: inlet_shared::LeadSubmission = serde_json::from_value(example(
            "/paths/~1v1~1forms~1{form_id}~1leads/post/requestBody/content/application~1json/example",
        ))
        .expect("submission");
        assert!(inlet_shared::Lead::parse(&form, &submission).is_ok());
        let error: inlet_shared::FieldError =
            serde_json::from_value(example("/components/schemas/FieldError/example"))
                .expect("error");
        assert_eq!(error, inlet_shared::FieldError::too_long("message", 2000));
        let sign_up: inlet_shared::SignUpRequest = serde_json::from_value(example(
            "/paths/~1v1~1account~1sign-up/post/requestBody/content/application~1json/example",
        ))
        .expect("sign-up");
        assert!(sign_up.check().is_ok());
        let sign_in: inlet_shared::SignInRequest = serde_json::from_value(example(
            "/paths/~1v1~1account~1sessions/post/requestBody/content/application~1json/example",
        ))
        .expect("sign-in");
        assert!(sign_in.credentials().is_some());
        let _: inlet_shared::Account =
            serde_json::from_value(example("/components/schemas/Account/example"))
                .expect("account");
        let _: inlet_shared::FormList =
            serde_json::from_value(example("/components/schemas/FormList/example")).expect("forms");
        let created: inlet_shared::CreatedApiKey =
            serde_json::from_value(example("/components/schemas/CreatedApiKey/example"))
                .expect("api key");
        assert!(crate::accounts::model::parse_api_key(&created.secret).is_some());
        assert_eq!(created.key.prefix, created.secret[..10]);
        let _: inlet_shared::LinkSent =
            serde_json::from_value(example("/components/schemas/LinkSent/example")).expect("sent");
        let codes = doc
            .pointer("/components/schemas/Problem/properties/code/enum")
            .and_then(Value::as_array)
            .expect("codes");
        for problem in crate::http::problem::all_examples() {
            assert!(
                codes.contains(&Value::from(problem.code)),
                "{} is not documented",
                problem.code
            );
        }
    }

    fn found(method: &str, path: &str) -> Option<Endpoint> {
        match route(Method::parse(method), path) {
            Routed::Found(endpoint, _) => Some(endpoint),
            _ => None,
        }
    }

    fn check(method: &str, path: &str, expected: Endpoint) {
        assert_eq!(found(method, path), Some(expected), "{method} {path}");
    }

    fn refused(method: &str, path: &str) -> Routed {
        route(Method::parse(method), path)
    }

    #[test]
    fn routes() {
        let demo = || FormId::from("demo");
        let tenant = || TenantId::from("t_1");
        check("GET", "/health", Endpoint::Health);
        check("HEAD", "/health", Endpoint::Health);
        check("GET", "/v1/forms/demo", Endpoint::ReadForm(demo()));
        check("OPTIONS", "/v1/forms/demo", Endpoint::FormPreflight(demo()));
        check("GET", "/v1/forms/demo/token", Endpoint::RenewFormToken(demo()));
        check("POST", "/v1/forms/f_1-a/leads", Endpoint::SubmitLead(FormId::from("f_1-a")));
        check("OPTIONS", "/v1/forms/demo/leads", Endpoint::FormPreflight(demo()));
        check("GET", "/embed/demo", Endpoint::Embed(demo()));
        check("GET", "/v1/openapi.json", Endpoint::OpenApi);
        let account = |endpoint| Endpoint::Account(endpoint);
        check("GET", "/v1/account", account(AccountEndpoint::Read));
        check("POST", "/v1/account/sign-up", account(AccountEndpoint::SignUp));
        check("POST", "/v1/account/sign-in-links", account(AccountEndpoint::RequestSignInLink));
        check("POST", "/v1/account/sessions", account(AccountEndpoint::SignIn));
        check("GET", "/v1/account/sessions", account(AccountEndpoint::ListSessions));
        check("DELETE", "/v1/account/sessions", account(AccountEndpoint::EndAllSessions));
        check(
            "DELETE",
            "/v1/account/sessions/ses_1",
            account(AccountEndpoint::EndSession(SessionId::from("ses_1"))),
        );
        check("POST", "/v1/account/password", account(AccountEndpoint::SetPassword));
        assert_eq!(refused("GET", "/v1/account/sign-up"), Routed::MethodNotAllowed("POST".into()));
        check(
            "GET",
            "/v1/tenants/t_1/forms",
            Endpoint::Business(BusinessEndpoint::ListForms(tenant())),
        );
        for page in ["/app", "/app/", "/app/account", "/app/link", "/app/b/t_1/leads/ld_1"] {
            check("GET", page, Endpoint::App);
        }
        assert_eq!(refused("POST", "/app/account"), Routed::MethodNotAllowed("GET, HEAD".into()));
        assert_eq!(refused("GET", "/application"), Routed::NotFound);
        assert_eq!(
            refused("GET", "/v1/forms/demo/leads"),
            Routed::MethodNotAllowed("POST, OPTIONS".into())
        );
        assert_eq!(
            refused("DELETE", "/v1/forms/demo"),
            Routed::MethodNotAllowed("GET, HEAD, OPTIONS".into())
        );
        assert_eq!(refused("POST", "/health"), Routed::MethodNotAllowed("GET, HEAD".into()));
        assert_eq!(refused("BREW", "/health"), Routed::MethodNotAllowed("GET, HEAD".into()));
        for path in [
            "/",
            "/v1/forms/",
            "/v1/forms/a.b",
            "/v1/forms/%2e%2e",
            &format!("/v1/forms/{}", "a".repeat(65)),
            "/v1/forms/demo/leads/extra",
            "/v1/tenants/t.1/deliveries",
            "/v1/tenants/t_1",
        ] {
            assert_eq!(refused("GET", path), Routed::NotFound, "{path}");
        }
        let business = |endpoint| Endpoint::Business(endpoint);
        check("POST", "/v1/businesses", Endpoint::Operator(Operator::InviteOwner));
        let path = "/v1/tenants/t_1/forms/demo/destinations";
        check("POST", path, business(BusinessEndpoint::CreateDestination(tenant(), demo())));
        check("GET", path, business(BusinessEndpoint::ListDestinations(tenant(), demo())));
        let dst = || DestinationId::from("dst_1");
        check(
            "GET",
            "/v1/tenants/t_1/destinations/dst_1",
            business(BusinessEndpoint::ReadDestination(tenant(), dst())),
        );
        check(
            "PATCH",
            "/v1/tenants/t_1/destinations/dst_1",
            business(BusinessEndpoint::UpdateDestination(tenant(), dst())),
        );
        check(
            "DELETE",
            "/v1/tenants/t_1/destinations/dst_1",
            business(BusinessEndpoint::DeleteDestination(tenant(), dst())),
        );
        check(
            "POST",
            "/v1/tenants/t_1/destinations/dst_1/rotate-secret",
            business(BusinessEndpoint::RotateSecret(tenant(), dst())),
        );
        check(
            "GET",
            "/v1/tenants/t_1/deliveries",
            business(BusinessEndpoint::ListDeliveries(tenant())),
        );
        let msg = || DeliveryId::from("msg_1");
        check(
            "GET",
            "/v1/tenants/t_1/deliveries/msg_1",
            business(BusinessEndpoint::ReadDelivery(tenant(), msg())),
        );
        check(
            "POST",
            "/v1/tenants/t_1/deliveries/msg_1/replay",
            business(BusinessEndpoint::ReplayDelivery(tenant(), msg())),
        );
        assert_eq!(
            refused("POST", "/v1/tenants/t_1/deliveries/msg_1"),
            Routed::MethodNotAllowed("GET, HEAD".into())
        );
        let destinations = PATHS.iter().find(|p| p.template.ends_with("{destination_id}"));
        assert_eq!(destinations.map(Path::allow).as_deref(), Some("GET, HEAD, PATCH, DELETE"));
        let leads = PATHS.iter().find(|p| p.template.ends_with("/leads"));
        assert_eq!(leads.map(Path::preflight_methods).as_deref(), Some("POST"));
    }
}
