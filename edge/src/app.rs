//! Request handling: routes a request, runs its handler, and turns every failure into a problem.
//!
//! Handlers return `Result<Reply, Failure>`; nothing here panics or unwraps. A `Failure::Internal` is
//! logged with its cause and answered with a bare 500.

use crate::cors::{self, ALLOWED_REQUEST_HEADERS, PREFLIGHT_MAX_AGE};
use crate::deliver::{self, DeliveryMessage};
use crate::limit::Decision;
use crate::problem::Problem;
use crate::reply::Reply;
use crate::route::{self, Method, Route, Routed};
use crate::spam::{self, Verdict};
use crate::store::{self, NewLead, StoreError, StoredForm};
use crate::{admin, ids, limiter, page, turnstile};
use futures_util::StreamExt;
use inlet_shared::{Lead, LeadSubmission, Locale};
use serde::Serialize;
use wasm_bindgen::JsCast;
use worker::{D1Database, Env, Request, console_error};

/// Largest request body accepted, in bytes. A lead is a few KiB at most.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Carries the signed time a form was served (see `spam`); the widget sends it back as `token`.
pub const FORM_TOKEN_HEADER: &str = "inlet-form-token";
/// Set on a `201` that repeats an earlier answer for the same `Idempotency-Key`.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_IDEMPOTENCY_KEY: usize = 255;
const DEFAULT_TURNSTILE_BASE_URL: &str = "https://challenges.cloudflare.com";

/// Why a handler did not produce its normal reply.
#[derive(Debug)]
pub enum Failure {
    /// The client's fault, answered as is. Boxed: a problem is large and failures are the rare path.
    Problem(Box<Problem>),
    /// Ours: logged, answered 500.
    Internal(String),
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        Failure::Problem(Box::new(problem))
    }
}

impl From<worker::Error> for Failure {
    fn from(error: worker::Error) -> Self {
        Failure::Internal(error.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Internal(error.to_string())
    }
}

impl Failure {
    fn into_reply(self) -> Reply {
        match self {
            Failure::Problem(problem) => Reply::problem(&problem),
            Failure::Internal(cause) => {
                console_error!("internal error: {cause}");
                Reply::problem(&Problem::internal())
            }
        }
    }
}

pub async fn handle(req: Request, env: &Env) -> Reply {
    let method = Method::parse(req.method().as_ref());
    let reply = match route::route(method, &req.path()) {
        Routed::Found(route, method) => {
            dispatch(route, method, req, env).await.unwrap_or_else(Failure::into_reply)
        }
        Routed::MethodNotAllowed(allow) => Reply::problem(&Problem::method_not_allowed(allow)),
        Routed::NotFound => Reply::problem(&Problem::not_found()),
    };
    if method == Method::Head { Reply { body: Vec::new(), ..reply } } else { reply }
}

async fn dispatch(route: Route, method: Method, req: Request, env: &Env) -> Result<Reply, Failure> {
    match route {
        Route::Health => {
            Ok(Reply::json(200, &Health { status: "ok" }).header("cache-control", "no-store"))
        }
        Route::OpenApi => Ok(Reply::new(200, "application/json", crate::OPENAPI)
            .header("cache-control", "public, max-age=300")
            .header("access-control-allow-origin", "*")),
        Route::Form { form_id } => {
            let form = find_form(env, &form_id).await?;
            let origin = BrowserOrigin::check(&req, &form)?;
            let reply = match method {
                Method::Options => preflight(&origin, "GET, HEAD"),
                _ => {
                    let token = spam::form_token(
                        &secret(env)?,
                        &form.definition.id,
                        js_sys::Date::now() as u64,
                    );
                    Reply::json(200, &form.definition)
                        .header("cache-control", "public, max-age=60")
                        .header(FORM_TOKEN_HEADER, token)
                }
            };
            Ok(origin.expose(reply))
        }
        Route::FormToken { form_id } => {
            let form = find_form(env, &form_id).await?;
            let origin = BrowserOrigin::check(&req, &form)?;
            let reply = match method {
                Method::Options => preflight(&origin, "GET, HEAD"),
                _ => renew_token(&req, env, &form)?,
            };
            Ok(origin.expose(reply))
        }
        Route::Leads { form_id } => {
            let db = env.d1("DB")?;
            let form =
                store::find_form(&db, &form_id).await?.ok_or_else(Problem::form_not_found)?;
            let origin = BrowserOrigin::check(&req, &form)?;
            let reply = match method {
                Method::Options => preflight(&origin, "POST"),
                _ => accept_lead(req, env, &db, &form).await.unwrap_or_else(Failure::into_reply),
            };
            Ok(origin.expose(reply))
        }
        Route::Embed { form_id } => {
            // `?locale=es` picks the widget's language inside the frame.
            let locale = query_param(&req, "locale")?.unwrap_or_default();
            embed(env, &form_id, Locale::negotiate(&locale)).await
        }
        operator => admin::handle(operator, method, req, env).await,
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

#[derive(Serialize)]
struct Created<'a> {
    id: &'a str,
}

async fn find_form(env: &Env, form_id: &str) -> Result<StoredForm, Failure> {
    let db = env.d1("DB")?;
    Ok(store::find_form(&db, form_id).await?.ok_or_else(Problem::form_not_found)?)
}

/// The `Origin` of a browser request that passed the form's allow-list, or none for non-browser clients.
struct BrowserOrigin(Option<String>);

impl BrowserOrigin {
    fn check(req: &Request, form: &StoredForm) -> Result<BrowserOrigin, Failure> {
        let Some(origin) = req.headers().get("origin")? else { return Ok(BrowserOrigin(None)) };
        let own_origin = req.url()?.origin().ascii_serialization();
        if cors::is_allowed(&origin, &form.allowed_origins, &own_origin) {
            Ok(BrowserOrigin(Some(origin)))
        } else {
            Err(Problem::origin_not_allowed().into())
        }
    }

    /// Lets the browser read the reply (errors included, so the widget can show them).
    fn expose(&self, reply: Reply) -> Reply {
        match &self.0 {
            Some(origin) => reply.allow_origin(origin).header(
                "access-control-expose-headers",
                format!("retry-after, {FORM_TOKEN_HEADER}, {REPLAYED_HEADER}"),
            ),
            None => reply.header("vary", "Origin"),
        }
    }
}

fn preflight(origin: &BrowserOrigin, methods: &str) -> Reply {
    let reply = Reply::empty(204);
    match origin.0 {
        Some(_) => reply
            .header("access-control-allow-methods", methods)
            .header("access-control-allow-headers", ALLOWED_REQUEST_HEADERS)
            .header("access-control-max-age", PREFLIGHT_MAX_AGE),
        None => reply,
    }
}

/// Takes one submission. The order (ARCHITECTURE.md, "Intake order") keeps the cheap refusals first and
/// keeps junk out of the form's ceiling: a malformed or invalid request costs at most its sender's own
/// budget, never the budget the form's real visitors share, and a retry of a stored submission is
/// answered from the store before any limit is asked.
async fn accept_lead(
    mut req: Request,
    env: &Env,
    db: &D1Database,
    form: &StoredForm,
) -> Result<Reply, Failure> {
    require_json(&req)?;
    let idempotency_key = idempotency_key(&req)?;
    let body = read_body(&mut req, MAX_BODY_BYTES).await?;
    let submission = parse_submission(&body)?;
    let fingerprint = submission_fingerprint(&submission);
    if let Some(key) = &idempotency_key
        && let Some(reply) = replay(db, form, key, &fingerprint).await?
    {
        return Ok(reply);
    }
    let secret = secret(env)?;
    let client_ip = req.headers().get("cf-connecting-ip")?;
    let limits = &form.settings.rate_limit;
    let client = spam::client_key(&secret, client_ip.as_deref().unwrap_or("unknown"));
    take_limit(env, &format!("client:{}:{client}", form.definition.id), limits.per_client).await?;
    let lead = Lead::parse(&form.definition, &submission).map_err(Problem::validation_failed)?;
    if let Some(settings) = &form.settings.turnstile {
        let own_host = req.url()?.host_str().unwrap_or_default().to_owned();
        check_turnstile(
            env,
            &settings.secret,
            &submission,
            client_ip.as_deref(),
            &form.allowed_origins,
            &own_host,
        )
        .await?;
    }
    // Only a submission that is well formed, valid and past Turnstile counts toward the form's ceiling.
    take_limit(env, &format!("form:{}", form.definition.id), limits.per_form).await?;
    let now_ms = js_sys::Date::now();
    let min_fill_ms = u64::from(form.settings.min_fill_seconds) * 1000;
    let verdict = spam::verdict(
        &secret,
        &form.definition.id,
        submission.honeypot.as_deref(),
        submission.token.as_deref(),
        now_ms as u64,
        min_fill_ms,
    );
    let id = ids::lead_id(random_array()?);
    // One delivery per destination, stored with the lead; a bot's lead goes nowhere.
    let mut deliveries = Vec::new();
    if verdict == Verdict::Human {
        for destination_id in
            store::forwarding::enabled_destination_ids(db, &form.tenant_id, &form.definition.id)
                .await?
        {
            deliveries.push((ids::delivery_id(random_array()?), destination_id));
        }
    }
    let new_lead = NewLead {
        tenant_id: &form.tenant_id,
        form_id: &form.definition.id,
        id: &id,
        lead: &lead,
        received_at_ms: now_ms,
        // A bot is answered exactly as a person is, so it learns nothing from the answer.
        spam: match verdict {
            Verdict::Human => None,
            Verdict::Bot(reason) => Some(reason),
        },
        idempotency: idempotency_key.as_deref().map(|key| (key, fingerprint.as_str())),
        deliveries: &deliveries,
    };
    if let Err(error) = store::insert_lead(db, &new_lead).await {
        // A concurrent request with the same key may have stored first: answer as it was answered.
        if let Some(key) = &idempotency_key
            && let Some(reply) = replay(db, form, key, &fingerprint).await?
        {
            return Ok(reply);
        }
        return Err(error.into());
    }
    // The visitor's answer waits for the queue, never for a destination. If queueing fails the lead
    // and its pending deliveries are stored all the same, and the cron sweep queues them later.
    let messages = deliveries
        .into_iter()
        .map(|(delivery_id, _)| DeliveryMessage { tenant_id: form.tenant_id.clone(), delivery_id })
        .collect();
    if let Err(error) = deliver::enqueue(env, messages).await {
        console_error!("lead {id}: queueing its deliveries failed, the sweep will retry: {error}");
    }
    Ok(created(&id))
}

/// What an idempotency key is checked against: the submission without the proofs about its sender
/// (the form token and the Turnstile response), which a retry may carry renewed. Serialising our own
/// struct cannot fail (string keys, no floats).
fn submission_fingerprint(submission: &LeadSubmission) -> String {
    let content = LeadSubmission { token: None, turnstile: None, ..submission.clone() };
    spam::body_hash(&serde_json::to_vec(&content).unwrap_or_default())
}

/// `GET /v1/forms/{id}/token?previous=...`: a fresh form token, renewed from the one the widget holds
/// (see `spam::renewed_token`). Never cached: each answer is for its asker.
fn renew_token(req: &Request, env: &Env, form: &StoredForm) -> Result<Reply, Failure> {
    let previous = query_param(req, "previous")?;
    let min_fill_ms = u64::from(form.settings.min_fill_seconds) * 1000;
    let token = spam::renewed_token(
        &secret(env)?,
        &form.definition.id,
        previous.as_deref(),
        js_sys::Date::now() as u64,
        min_fill_ms,
    );
    Ok(Reply::json(200, &Renewed { token: &token })
        .header("cache-control", "no-store")
        .header(FORM_TOKEN_HEADER, token.clone()))
}

/// The first value of query parameter `name`, decoded.
fn query_param(req: &Request, name: &str) -> Result<Option<String>, Failure> {
    Ok(req.url()?.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned()))
}

#[derive(Serialize)]
struct Renewed<'a> {
    token: &'a str,
}

fn created(id: &str) -> Reply {
    Reply::json(201, &Created { id }).header("cache-control", "no-store")
}

/// The Worker's secret for signing form tokens and hashing client addresses.
fn secret(env: &Env) -> Result<Vec<u8>, Failure> {
    match setting(env, "INLET_SECRET") {
        Some(value) if value.len() >= 16 => Ok(value.into_bytes()),
        _ => {
            Err(Failure::Internal("INLET_SECRET is not set (or shorter than 16 characters)".into()))
        }
    }
}

/// A Worker secret, or else a plain variable (local development passes both as `--var`); `None` if
/// unset or empty.
pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The development setting that lets destinations be `http://` and private or loopback addresses.
pub(crate) fn allow_private_destinations(env: &Env) -> bool {
    setting(env, "ALLOW_PRIVATE_DESTINATIONS").is_some_and(|v| v == "true")
}

/// Takes one request from the rate-limit bucket `key`, or refuses with `429`.
async fn take_limit(env: &Env, key: &str, limit: crate::settings::Limit) -> Result<(), Failure> {
    match limiter::take(env, key, limit).await? {
        Decision::Limited { retry_after } => Err(Problem::rate_limited(retry_after).into()),
        Decision::Allowed => Ok(()),
    }
}

/// The `Idempotency-Key` header, if any: 1 to 255 visible ASCII characters (quotes, as the draft's
/// structured-field string form has them, are dropped).
fn idempotency_key(req: &Request) -> Result<Option<String>, Failure> {
    let Some(raw) = req.headers().get("idempotency-key")? else { return Ok(None) };
    let key = raw.trim().trim_matches('"');
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Problem::idempotency_key_invalid().into());
    }
    Ok(Some(key.to_owned()))
}

/// The original answer for a key seen before with this body; a refusal for the key with another body.
async fn replay(
    db: &D1Database,
    form: &StoredForm,
    key: &str,
    hash: &str,
) -> Result<Option<Reply>, Failure> {
    match store::find_idempotency_key(db, &form.tenant_id, &form.definition.id, key).await? {
        Some(record) if record.request_hash == hash => {
            Ok(Some(created(&record.lead_id).header(REPLAYED_HEADER, "true")))
        }
        Some(_) => Err(Problem::idempotency_key_reused().into()),
        None => Ok(None),
    }
}

async fn check_turnstile(
    env: &Env,
    secret: &str,
    submission: &LeadSubmission,
    client_ip: Option<&str>,
    allowed_origins: &[String],
    own_host: &str,
) -> Result<(), Failure> {
    let Some(token) = submission.turnstile.as_deref().filter(|t| !t.is_empty() && t.len() <= 2048)
    else {
        return Err(Problem::turnstile_failed().into());
    };
    let base =
        setting(env, "TURNSTILE_BASE_URL").unwrap_or_else(|| DEFAULT_TURNSTILE_BASE_URL.to_owned());
    match turnstile::verify(&base, secret, token, client_ip).await {
        Ok(verdict) if verdict.accepts(allowed_origins, own_host) => Ok(()),
        Ok(_) => Err(Problem::turnstile_failed().into()),
        Err(cause) => {
            console_error!("turnstile: {cause}");
            Err(Problem::turnstile_unavailable().into())
        }
    }
}

/// Parses the body as a submission. The top level must be an object: serde would otherwise read a JSON
/// array as a struct whose fields all take their defaults.
fn parse_submission(body: &[u8]) -> Result<LeadSubmission, Failure> {
    const SHAPE: &str = r#"Expected an object like {"fields": {"email": "..."}}."#;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Problem::malformed_json("The body is not valid JSON."))?;
    if !value.is_object() {
        return Err(Problem::malformed_json(SHAPE).into());
    }
    serde_json::from_value(value).map_err(|_| Problem::malformed_json(SHAPE).into())
}

pub(crate) fn require_json(req: &Request) -> Result<(), Failure> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "application/json" {
        Ok(())
    } else {
        Err(Problem::unsupported_media_type().into())
    }
}

/// Reads at most `max` bytes. A declared length over the limit is refused before reading anything, and
/// a body that streams past the limit is refused as soon as it does.
pub(crate) async fn read_body(req: &mut Request, max: usize) -> Result<Vec<u8>, Failure> {
    let declared =
        req.headers().get("content-length")?.and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(Problem::payload_too_large(max).into());
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream()?;
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(max));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max {
            return Err(Problem::payload_too_large(max).into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `N` bytes from the runtime's cryptographic random source.
pub(crate) fn random_array<const N: usize>() -> Result<[u8; N], Failure> {
    let crypto: web_sys::Crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| Failure::Internal("no crypto global".into()))?;
    let mut bytes = [0u8; N];
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(|_| Failure::Internal("crypto.getRandomValues failed".into()))?;
    Ok(bytes)
}

async fn embed(env: &Env, form_id: &str, locale: Locale) -> Result<Reply, Failure> {
    let form = match find_form(env, form_id).await {
        Ok(form) => form,
        Err(Failure::Problem(problem)) if problem.status == 404 => {
            // Any site may frame this sentence: it is what a site that embeds a deleted form shows.
            return Ok(Reply::new(404, "text/html; charset=utf-8", page::not_found_page())
                .header("content-security-policy", page::NOT_FOUND_CSP)
                .header("cache-control", "no-store"));
        }
        Err(failure) => return Err(failure),
    };
    let html = page::embed_page(&form.definition.id, &form.definition.title, locale.tag());
    Ok(Reply::new(200, "text/html; charset=utf-8", html)
        .header("content-security-policy", page::embed_csp(&form.allowed_origins))
        .header("cache-control", "public, max-age=60"))
}
