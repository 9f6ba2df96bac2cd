//! The delivery queue's consumers: one attempt per message, logged in D1, retried through the queue on
//! the schedule in `retry.rs`, and after the last attempt moved to the dead-letter queue.
//!
//! Queues deliver at least once, so every step reads the delivery's state first: a delivery already
//! delivered, refused or dead is acknowledged without another request, and an attempt is made only
//! by the message that claims it in D1 (a lease), so two messages of one delivery never both send.
//! Each message is acknowledged or retried on its own; an error never fails the batch (workers-rs
//! turns a failed batch into a panic).

use crate::app::{allow_private_destinations, setting};
use crate::destination::{Target, check_url};
use crate::forward::{self, EmailProvider, Outgoing, SmsProvider};
use crate::retry::{self, Attempt, Next, Schedule};
use crate::store::StoreError;
use crate::store::forwarding::{self as store, AttemptRecord};
use serde::{Deserialize, Serialize};
use worker::{
    D1Database, Env, Fetch, Headers, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder,
    RawMessage, Request, RequestInit, RequestRedirect, console_error, console_log, console_warn,
};

/// Producer bindings in wrangler.toml.
pub const QUEUE_BINDING: &str = "DELIVERIES";
pub const DEAD_LETTER_BINDING: &str = "DEAD_DELIVERIES";
/// The dead-letter queue's name ends with this; its consumer only marks deliveries dead.
const DEAD_LETTER_SUFFIX: &str = "-dead";
/// How long to wait before retrying a message whose processing failed on our side (D1 unavailable).
const INTERNAL_RETRY_SECONDS: u32 = 30;
// A message retried after our own failure (say, the attempt was sent but could not be logged) must
// find its lease expired, or it would be dropped and the delivery left to the sweep.
const _: () = assert!(retry::ATTEMPT_LEASE_MS <= INTERNAL_RETRY_SECONDS * 1_000);

/// A queue message: which delivery to attempt. The payload is read from D1 at attempt time, so an
/// erased lead is never sent and no lead data sits in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant_id: String,
    pub delivery_id: String,
}

/// Sends messages for deliveries that are already stored as pending.
pub async fn enqueue(env: &Env, messages: Vec<DeliveryMessage>) -> worker::Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let queue = env.queue(QUEUE_BINDING)?;
    // A queue takes at most 100 messages in one send.
    for chunk in messages.chunks(100) {
        queue.send_batch(chunk.to_vec()).await?;
    }
    Ok(())
}

/// What becomes of one message.
enum Disposition {
    Ack,
    RetryIn(u32),
    /// Every attempt failed: to the dead-letter queue.
    Dead,
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) {
    let dead_letters = batch.queue().ends_with(DEAD_LETTER_SUFFIX);
    let db = match env.d1("DB") {
        Ok(db) => db,
        Err(error) => {
            console_error!("deliveries: no database: {error}");
            batch.retry_all_with_options(
                &QueueRetryOptionsBuilder::new().with_delay_seconds(INTERNAL_RETRY_SECONDS).build(),
            );
            return;
        }
    };
    // Messages are independent: one slow receiver must not hold up the rest of the batch.
    let handled = batch.raw_iter().map(|message| handle(env, &db, message, dead_letters));
    futures_util::future::join_all(handled).await;
}

/// Acknowledges or retries one message; never fails.
async fn handle(env: &Env, db: &D1Database, message: RawMessage, dead_letters: bool) {
    let Ok(body) = serde_wasm_bindgen::from_value::<DeliveryMessage>(message.body()) else {
        console_warn!("deliveries: dropped a message that is not a delivery");
        message.ack();
        return;
    };
    if dead_letters {
        match store::mark_dead(db, &body.tenant_id, &body.delivery_id, js_sys::Date::now()).await {
            Ok(()) => message.ack(),
            Err(error) => retry_later(&message, &error),
        }
        return;
    }
    match attempt(env, db, &body).await {
        Ok(Disposition::Ack) => message.ack(),
        Ok(Disposition::RetryIn(seconds)) => {
            message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(retry::queue_delay(seconds))
                    .build(),
            );
        }
        Ok(Disposition::Dead) => match env.queue(DEAD_LETTER_BINDING) {
            Ok(queue) => match queue.send(body).await {
                Ok(()) => message.ack(),
                // The consumer's own dead_letter_queue catches it once the queue gives up.
                Err(error) => retry_later(&message, &error),
            },
            Err(error) => retry_later(&message, &error),
        },
        Err(error) => retry_later(&message, &error),
    }
}

fn retry_later(message: &RawMessage, error: &dyn std::fmt::Display) {
    console_error!("deliveries: {error}");
    message.retry_with_options(
        &QueueRetryOptionsBuilder::new().with_delay_seconds(INTERNAL_RETRY_SECONDS).build(),
    );
}

/// One attempt of one delivery.
async fn attempt(
    env: &Env,
    db: &D1Database,
    message: &DeliveryMessage,
) -> Result<Disposition, StoreError> {
    let tenant_id = message.tenant_id.as_str();
    let Some(delivery) = store::find_delivery(db, tenant_id, &message.delivery_id).await? else {
        return Ok(Disposition::Ack);
    };
    if delivery.is_settled() {
        return Ok(Disposition::Ack);
    }
    let now = js_sys::Date::now();
    // A wait longer than a queue can hold is taken in hops; a message that arrives early waits again.
    if let Some(due) = delivery.next_attempt_at.filter(|due| *due > now + 1_000.0) {
        return Ok(Disposition::RetryIn(((due - now) / 1_000.0).ceil() as u32));
    }
    let schedule =
        setting(env, "DELIVERY_RETRY_SCHEDULE").map(|s| Schedule::parse(&s)).unwrap_or_default();
    if delivery.attempts as u32 >= schedule.attempts() {
        return Ok(Disposition::Dead);
    }
    // Two messages of one delivery can be in hand at once (a late redelivery and the sweep's re-queue,
    // even in one batch): only the one that takes the lease goes on. The other is acknowledged; the
    // winner's message carries the delivery from here.
    if !store::claim_attempt(
        db,
        tenant_id,
        &delivery,
        now + f64::from(retry::ATTEMPT_LEASE_MS),
        now,
    )
    .await?
    {
        console_log!(
            "deliveries: {} is being attempted by another message; this one is dropped",
            delivery.id
        );
        return Ok(Disposition::Ack);
    }
    let Some(destination) =
        store::find_destination(db, tenant_id, &delivery.destination_id).await?
    else {
        store::mark_failed(db, tenant_id, &delivery.id, "The destination was deleted.", now)
            .await?;
        return Ok(Disposition::Ack);
    };
    if !destination.enabled {
        store::mark_failed(db, tenant_id, &delivery.id, "The destination is disabled.", now)
            .await?;
        return Ok(Disposition::Ack);
    }
    let Some((lead, form)) = store::find_lead_record(db, tenant_id, &delivery.lead_id).await?
    else {
        store::mark_failed(db, tenant_id, &delivery.id, "The lead no longer exists.", now).await?;
        return Ok(Disposition::Ack);
    };

    let allow_private = allow_private_destinations(env);
    let url_allowed =
        |url: &str| check_url(url, allow_private).map(|_| ()).map_err(|refusal| refusal.message);
    let outgoing: Result<Outgoing, String> = match &destination.target {
        Target::Webhook { url } => url_allowed(url).and_then(|()| {
            let secrets = destination.live_secrets(now);
            forward::webhook_request(
                url,
                &delivery.id,
                &secrets,
                (now / 1_000.0) as u64,
                forward::payload_body(&lead),
            )
            .ok_or_else(|| "The destination has no valid signing secret.".to_owned())
        }),
        Target::Slack { url } => {
            url_allowed(url).map(|()| forward::slack_request(url, &lead, &form))
        }
        Target::Email { to } => email_provider(env)
            .map(|provider| forward::email_request(&provider, to, &delivery.id, &lead, &form))
            .ok_or_else(|| "Email is not configured: set EMAIL_API_KEY and EMAIL_FROM.".to_owned()),
        Target::Sms { to } => sms_provider(env)
            .map(|provider| forward::sms_request(&provider, to, &lead, &form))
            .ok_or_else(|| {
                "SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM."
                    .to_owned()
            }),
    };
    let outgoing = match outgoing {
        Ok(outgoing) => outgoing,
        Err(reason) => {
            let record = AttemptRecord {
                attempted_at: now,
                outcome: "refused",
                status_code: None,
                duration_ms: 0.0,
                error: Some(&reason),
                next_attempt_at: None,
                status: "failed",
            };
            store::record_attempt(db, tenant_id, &delivery, &record).await?;
            return Ok(Disposition::Ack);
        }
    };

    let (outcome, error) = send(&outgoing).await;
    let finished = js_sys::Date::now();
    let status_code = match outcome {
        Attempt::Answered { status, .. } => Some(status),
        Attempt::NoAnswer => None,
    };
    let next = retry::next(&schedule, delivery.attempts as u32 + 1, outcome);
    let error = error.or_else(|| match next {
        Next::Delivered => None,
        _ => status_code.map(|code| format!("The receiver answered {code}.")),
    });
    let (outcome_name, status, next_attempt_at, disposition) = match next {
        Next::Delivered => ("delivered", "delivered", None, Disposition::Ack),
        Next::RetryIn(seconds) => {
            let seconds = retry::with_jitter(seconds, random_u32());
            (
                "retry",
                "retrying",
                Some(finished + f64::from(seconds) * 1_000.0),
                Disposition::RetryIn(seconds),
            )
        }
        Next::Exhausted => ("exhausted", "retrying", None, Disposition::Dead),
        Next::Refused => ("refused", "failed", None, Disposition::Ack),
        Next::Gone => ("gone", "failed", None, Disposition::Ack),
    };
    let record = AttemptRecord {
        attempted_at: now,
        outcome: outcome_name,
        status_code,
        duration_ms: finished - now,
        error: error.as_deref(),
        next_attempt_at,
        status,
    };
    store::record_attempt(db, tenant_id, &delivery, &record).await?;
    if next == Next::Gone {
        store::set_destination_enabled(
            db,
            tenant_id,
            &destination.id,
            false,
            Some("gone"),
            finished,
        )
        .await?;
    }
    Ok(disposition)
}

/// Randomness for jitter; a failure to get it only means no jitter.
fn random_u32() -> u32 {
    crate::app::random_array::<4>().map(u32::from_le_bytes).unwrap_or(0)
}

/// Makes the request, with a timeout and without following redirects (a 3xx is a failure: the
/// operator should fix the URL). Returns the outcome and, when there was no answer, why.
async fn send(outgoing: &Outgoing) -> (Attempt, Option<String>) {
    let request = (|| {
        let headers = Headers::new();
        for (name, value) in &outgoing.headers {
            headers.set(name, value)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_redirect(RequestRedirect::Manual)
            .with_body(Some(outgoing.body.as_str().into()));
        Request::new_with_init(&outgoing.url, &init)
    })();
    let request = match request {
        Ok(request) => request,
        Err(error) => {
            return (Attempt::NoAnswer, Some(format!("The request could not be made: {error}")));
        }
    };
    let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(
        retry::ATTEMPT_TIMEOUT_MS,
    ));
    match Fetch::Request(request).send_with_signal(&signal).await {
        Ok(response) => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .ok()
                .flatten()
                .and_then(|v| retry::parse_retry_after(&v));
            (Attempt::Answered { status: response.status_code(), retry_after }, None)
        }
        Err(_) if signal.aborted() => (
            Attempt::NoAnswer,
            Some(format!("No answer within {} s.", retry::ATTEMPT_TIMEOUT_MS / 1_000)),
        ),
        Err(error) => (Attempt::NoAnswer, Some(format!("No answer: {error}"))),
    }
}

fn email_provider(env: &Env) -> Option<EmailProvider> {
    Some(EmailProvider {
        base_url: setting(env, "EMAIL_BASE_URL")
            .unwrap_or_else(|| "https://api.resend.com".to_owned()),
        api_key: setting(env, "EMAIL_API_KEY")?,
        from: setting(env, "EMAIL_FROM")?,
    })
}

fn sms_provider(env: &Env) -> Option<SmsProvider> {
    Some(SmsProvider {
        base_url: setting(env, "TWILIO_BASE_URL")
            .unwrap_or_else(|| "https://api.twilio.com".to_owned()),
        account_sid: setting(env, "TWILIO_ACCOUNT_SID")?,
        auth_token: setting(env, "TWILIO_AUTH_TOKEN")?,
        from: setting(env, "TWILIO_FROM")?,
    })
}

/// Re-queues deliveries whose message was lost (the lead was stored but queueing failed, or a retry
/// never came back). Run by the cron trigger; tenant by tenant, so every query keeps its leading key.
pub async fn sweep(env: &Env) -> Result<usize, StoreError> {
    const OVERDUE_MS: f64 = 10.0 * 60.0 * 1_000.0;
    let db = env.d1("DB")?;
    let now = js_sys::Date::now();
    let mut requeued = 0;
    for tenant_id in store::tenant_ids(&db).await? {
        let ids = store::claim_overdue(&db, &tenant_id, now - OVERDUE_MS, now, 500).await?;
        requeued += ids.len();
        let messages = ids
            .into_iter()
            .map(|delivery_id| DeliveryMessage { tenant_id: tenant_id.clone(), delivery_id })
            .collect();
        enqueue(env, messages).await?;
    }
    Ok(requeued)
}
