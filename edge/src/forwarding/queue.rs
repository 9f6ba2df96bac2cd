//! The delivery queues: their producer ([`enqueue`]), their consumers (one attempt per message,
//! logged in D1, retried through the queue on the schedule in `model/retry.rs`, and after the last
//! attempt moved to the dead-letter queue), and the cron sweep that re-queues lost messages.
//!
//! Queues deliver at least once, so every step reads the delivery's state first: a delivery already
//! delivered, refused or dead is acknowledged without another request, and an attempt is made only
//! by the message that claims it in D1 (a lease), so two messages of one delivery never both send.
//! Each message is acknowledged or retried on its own; an error never fails the batch (workers-rs
//! turns a failed batch into a panic).

use crate::base::clock::Timestamp;
use crate::base::config::{Bindings, ConfigError};
use crate::base::context::Context;
use crate::base::database::StoreError;
use crate::base::ids::{DeliveryId, TenantId};
use crate::base::outbound::{self, Outgoing};
use crate::base::random::random_bytes;
use crate::forwarding::model::delivery::{AttemptOutcome, AttemptRecord, DeliveryStatus};
use crate::forwarding::model::destination::{Target, check_url};
use crate::forwarding::model::messages;
use crate::forwarding::model::retry::{self, Attempt, Next, Schedule};
use crate::forwarding::store;
use serde::{Deserialize, Serialize};
use worker::{
    D1Database, MessageBatch, MessageExt, Queue, QueueRetryOptionsBuilder, RawMessage,
    console_error, console_log, console_warn,
};

/// The dead-letter queue's name ends with this; its consumer only marks deliveries dead.
const DEAD_LETTER_SUFFIX: &str = "-dead";
/// How long to wait before retrying a message whose processing failed on our side (D1 unavailable).
const INTERNAL_RETRY_SECONDS: u32 = 30;
/// How long to wait while the configuration is broken: the queue's 20 retries then span over three
/// hours before a message goes to the dead-letter queue.
const CONFIG_RETRY_SECONDS: u32 = 600;
// A message retried after our own failure (say, the attempt was sent but could not be logged) must
// find its lease expired, or it would be dropped and the delivery left to the sweep.
const _: () = assert!(retry::ATTEMPT_LEASE_MS <= INTERNAL_RETRY_SECONDS * 1_000);
/// A delivery still waiting this long after its attempt was due has lost its queue message.
const OVERDUE_MS: u64 = 10 * 60 * 1_000;
/// Deliveries one sweep re-queues per tenant.
const SWEEP_BATCH: u32 = 500;
/// Messages a queue takes in one send.
const MAX_SEND_BATCH: usize = 100;

/// A queue message: which delivery to attempt. The payload is read from D1 at attempt time, so an
/// erased lead is never sent and no lead data sits in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant_id: TenantId,
    pub delivery_id: DeliveryId,
}

/// Sends messages for deliveries that are already stored as pending.
pub async fn enqueue(queue: &Queue, messages: Vec<DeliveryMessage>) -> worker::Result<()> {
    for chunk in messages.chunks(MAX_SEND_BATCH) {
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

/// Why an attempt or a sweep could not run to its end on our side; a message is retried later.
#[derive(Debug)]
pub enum Fault {
    Config(ConfigError),
    Store(StoreError),
    Queue(worker::Error),
}

impl From<StoreError> for Fault {
    fn from(error: StoreError) -> Self {
        Fault::Store(error)
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Config(error) => error.fmt(f),
            Fault::Store(error) => error.fmt(f),
            Fault::Queue(error) => write!(f, "queue: {error}"),
        }
    }
}

/// What a batch is consumed with.
enum Consumer<'a> {
    /// Attempts: the whole configuration.
    Attempts(&'a Context),
    /// Dead letters: marking a delivery dead needs only the database, so a configuration error
    /// elsewhere cannot make the dead-letter queue drop its messages (it has no queue of its own).
    DeadLetters(&'a D1Database, Timestamp),
}

/// Both delivery queues: attempts, and the dead-letter queue that marks deliveries dead.
pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &worker::Env, now: Timestamp) {
    let (bindings, ctx);
    let consumer = if batch.queue().ends_with(DEAD_LETTER_SUFFIX) {
        bindings = match Bindings::from_env(env) {
            Ok(bindings) => bindings,
            Err(error) => return retry_batch(&batch, &error, INTERNAL_RETRY_SECONDS),
        };
        Consumer::DeadLetters(&bindings.db, now)
    } else {
        ctx = match Context::from_env(env, now) {
            Ok(ctx) => ctx,
            // Not fixed by waiting a moment: wait long, so the queue's retries outlast a redeploy.
            Err(error) => return retry_batch(&batch, &error, CONFIG_RETRY_SECONDS),
        };
        Consumer::Attempts(&ctx)
    };
    // Messages are independent: one slow receiver must not hold up the rest of the batch.
    let handled = batch.raw_iter().map(|message| handle(&consumer, message));
    futures_util::future::join_all(handled).await;
}

/// Acknowledges or retries one message; never fails.
async fn handle(consumer: &Consumer<'_>, message: RawMessage) {
    let Ok(body) = serde_wasm_bindgen::from_value::<DeliveryMessage>(message.body()) else {
        console_warn!("deliveries: dropped a message that is not a delivery");
        message.ack();
        return;
    };
    let disposition = match consumer {
        Consumer::DeadLetters(db, now) => {
            let marked = store::mark_dead(db, &body.tenant_id, &body.delivery_id, *now).await;
            marked.map(|()| Disposition::Ack).map_err(Fault::from)
        }
        Consumer::Attempts(ctx) => match attempt(ctx, &body).await {
            // The consumer's own dead_letter_queue catches a message whose move fails for good.
            Ok(Disposition::Dead) => ctx
                .bindings
                .dead_deliveries
                .send(body)
                .await
                .map(|()| Disposition::Ack)
                .map_err(Fault::Queue),
            other => other,
        },
    };
    match disposition {
        Ok(Disposition::Ack | Disposition::Dead) => message.ack(),
        Ok(Disposition::RetryIn(seconds)) => {
            message.retry_with_options(&retry_in(retry::queue_delay(seconds)));
        }
        Err(fault) => {
            console_error!("deliveries: {fault}");
            message.retry_with_options(&retry_in(INTERNAL_RETRY_SECONDS));
        }
    }
}

fn retry_in(seconds: u32) -> worker::QueueRetryOptions {
    QueueRetryOptionsBuilder::new().with_delay_seconds(seconds).build()
}

fn retry_batch(batch: &MessageBatch<serde_json::Value>, error: &ConfigError, seconds: u32) {
    console_error!("deliveries: {error}");
    batch.retry_all_with_options(&retry_in(seconds));
}

/// One attempt of one delivery.
async fn attempt(ctx: &Context, message: &DeliveryMessage) -> Result<Disposition, Fault> {
    let (db, now) = (ctx.db(), ctx.now);
    let tenant_id = &message.tenant_id;
    let Some(delivery) = store::find_delivery(db, tenant_id, &message.delivery_id).await? else {
        return Ok(Disposition::Ack);
    };
    if delivery.status.is_settled() {
        return Ok(Disposition::Ack);
    }
    // A wait longer than a queue can hold is taken in hops; a message that arrives early waits again.
    if let Some(due) = delivery.next_attempt_at.filter(|due| due.ms_since(now) > 1_000) {
        return Ok(Disposition::RetryIn(due.seconds_since_rounded_up(now)));
    }
    let schedule = Schedule::configured(ctx.config.retry_delays.as_deref());
    if delivery.attempts >= schedule.attempts() {
        return Ok(Disposition::Dead);
    }
    // Two messages of one delivery can be in hand at once (a late redelivery and the sweep's
    // re-queue, even in one batch): only the one that takes the lease goes on. The other is
    // acknowledged; the winner's message carries the delivery from here.
    let lease_until = now.plus_ms(u64::from(retry::ATTEMPT_LEASE_MS));
    if !store::claim_attempt(db, tenant_id, &delivery, lease_until, now).await? {
        console_log!(
            "deliveries: {} is being attempted by another message; this one is dropped",
            delivery.id
        );
        return Ok(Disposition::Ack);
    }
    let fail = |reason: &'static str| store::mark_failed(db, tenant_id, &delivery.id, reason, now);
    let Some(destination) =
        store::find_destination(db, tenant_id, &delivery.destination_id).await?
    else {
        fail("The destination was deleted.").await?;
        return Ok(Disposition::Ack);
    };
    if !destination.enabled {
        fail("The destination is disabled.").await?;
        return Ok(Disposition::Ack);
    }
    let Some((lead, form)) = store::find_lead_record(db, tenant_id, &delivery.lead_id).await?
    else {
        fail("The lead no longer exists.").await?;
        return Ok(Disposition::Ack);
    };

    let config = &ctx.config;
    let url_allowed = |url: &str| {
        check_url(url, config.allow_private_destinations).map(|_| ()).map_err(|r| r.message)
    };
    let delivery_id = delivery.id.as_str();
    let outgoing: Result<Outgoing, String> = match &destination.target {
        Target::Webhook { url } => url_allowed(url).and_then(|()| {
            let secrets = destination.live_secrets(now);
            let body = messages::payload_body(&lead);
            messages::webhook_request(url, delivery_id, &secrets, now.as_seconds(), body)
                .ok_or_else(|| "The destination has no valid signing secret.".to_owned())
        }),
        Target::Slack { url } => {
            url_allowed(url).map(|()| messages::slack_request(url, &lead, &form))
        }
        Target::Email { to } => config
            .email
            .as_ref()
            .map(|provider| messages::email_request(provider, to, delivery_id, &lead, &form))
            .map_err(|not_configured| not_configured.0.to_owned()),
        Target::Sms { to } => config
            .sms
            .as_ref()
            .map(|provider| messages::sms_request(provider, to, &lead, &form))
            .map_err(|not_configured| not_configured.0.to_owned()),
    };
    let outgoing = match outgoing {
        Ok(outgoing) => outgoing,
        Err(reason) => {
            let record = AttemptRecord {
                attempted_at: now,
                outcome: AttemptOutcome::Refused,
                status_code: None,
                duration_ms: 0,
                error: Some(&reason),
                next_attempt_at: None,
                status: DeliveryStatus::Failed,
            };
            store::record_attempt(db, tenant_id, &delivery, &record).await?;
            return Ok(Disposition::Ack);
        }
    };

    let (attempt, duration_ms, error) = match outbound::send(&outgoing, retry::ATTEMPT_TIMEOUT_MS)
        .await
    {
        Ok(answer) => {
            let retry_after =
                answer.header("retry-after").and_then(|v| retry::parse_retry_after(&v));
            (Attempt::Answered { status: answer.status(), retry_after }, answer.elapsed_ms, None)
        }
        Err(no_answer) => (Attempt::NoAnswer, no_answer.elapsed_ms, Some(no_answer.reason)),
    };
    let finished = now.plus_ms(duration_ms);
    let status_code = match attempt {
        Attempt::Answered { status, .. } => Some(status),
        Attempt::NoAnswer => None,
    };
    let next = retry::next(&schedule, delivery.attempts + 1, attempt);
    let error = error.or_else(|| match next {
        Next::Delivered => None,
        _ => status_code.map(|code| format!("The receiver answered {code}.")),
    });
    let (outcome, status, next_attempt_at, disposition) = match next {
        Next::Delivered => {
            (AttemptOutcome::Delivered, DeliveryStatus::Delivered, None, Disposition::Ack)
        }
        Next::RetryIn(seconds) => {
            let seconds = retry::with_jitter(seconds, random_u32());
            let at = Some(finished.plus_seconds(seconds));
            (AttemptOutcome::Retry, DeliveryStatus::Retrying, at, Disposition::RetryIn(seconds))
        }
        Next::Exhausted => {
            (AttemptOutcome::Exhausted, DeliveryStatus::Retrying, None, Disposition::Dead)
        }
        Next::Refused => (AttemptOutcome::Refused, DeliveryStatus::Failed, None, Disposition::Ack),
        Next::Gone => (AttemptOutcome::Gone, DeliveryStatus::Failed, None, Disposition::Ack),
    };
    let record = AttemptRecord {
        attempted_at: now,
        outcome,
        status_code,
        duration_ms,
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
    random_bytes::<4>().map(u32::from_le_bytes).unwrap_or(0)
}

/// Re-queues deliveries whose message was lost (the lead was stored but queueing failed, or a retry
/// never came back). Run by the cron trigger; tenant by tenant, so every query keeps its leading key.
pub async fn sweep(env: &worker::Env, now: Timestamp) -> Result<usize, Fault> {
    let ctx = Context::from_env(env, now).map_err(Fault::Config)?;
    let mut requeued = 0;
    for tenant_id in store::tenant_ids(ctx.db()).await? {
        let due_before = now.minus_ms(OVERDUE_MS);
        let ids = store::claim_overdue(ctx.db(), &tenant_id, due_before, now, SWEEP_BATCH).await?;
        requeued += ids.len();
        let messages = ids
            .into_iter()
            .map(|delivery_id| DeliveryMessage { tenant_id: tenant_id.clone(), delivery_id })
            .collect();
        enqueue(&ctx.bindings.deliveries, messages).await.map_err(Fault::Queue)?;
    }
    Ok(requeued)
}
