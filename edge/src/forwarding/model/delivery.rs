//! A delivery (one lead on its way to one destination), its status, and the log of its attempts.
//! D1 rows read straight into these types in the store: statuses and outcomes as their names,
//! numbers as integers and [`Timestamp`]s.

use crate::base::clock::Timestamp;
use crate::base::ids::{DeliveryId, DestinationId, LeadId};
use serde::{Deserialize, Serialize};

/// Where a delivery stands. `Pending` and `Retrying` are waiting for an attempt; the other three are
/// settled until an operator replays a failed or dead one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Retrying,
    Delivered,
    /// Refused for good: by the receiver, or before sending (its destination or lead is gone).
    Failed,
    /// Every attempt of the schedule failed.
    Dead,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Retrying,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(name: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|status| status.as_str() == name)
    }

    /// Delivered, refused for good, or dead: nothing more happens unless it is replayed.
    pub fn is_settled(self) -> bool {
        matches!(self, DeliveryStatus::Delivered | DeliveryStatus::Failed | DeliveryStatus::Dead)
    }

    /// Only failed and dead deliveries are replayed.
    pub fn is_replayable(self) -> bool {
        matches!(self, DeliveryStatus::Failed | DeliveryStatus::Dead)
    }
}

/// How one attempt ended, as the delivery log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Delivered,
    /// Failed, and another attempt is scheduled.
    Retry,
    /// Failed, and it was the last attempt.
    Exhausted,
    /// Refused for good: by the receiver, or before sending (a URL no longer allowed, a provider
    /// that is not configured, no usable secret).
    Refused,
    /// The receiver answered `410 Gone`; the destination was disabled.
    Gone,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Retry => "retry",
            AttemptOutcome::Exhausted => "exhausted",
            AttemptOutcome::Refused => "refused",
            AttemptOutcome::Gone => "gone",
        }
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub lead_id: LeadId,
    pub destination_id: DestinationId,
    pub event: String,
    pub status: DeliveryStatus,
    /// Attempts in the current round (a replay starts a new one).
    pub attempts: u32,
    /// Attempts ever made: the next one's number in the log is this plus one.
    pub total_attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// One entry of the delivery log.
#[derive(Debug, Clone, Deserialize)]
pub struct AttemptEntry {
    pub number: u32,
    pub attempted_at: Timestamp,
    pub outcome: AttemptOutcome,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub next_attempt_at: Option<Timestamp>,
}

/// An attempt to log, and the delivery's state after it.
#[derive(Debug)]
pub struct AttemptRecord<'a> {
    pub attempted_at: Timestamp,
    pub outcome: AttemptOutcome,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<&'a str>,
    pub next_attempt_at: Option<Timestamp>,
    /// The delivery's status afterwards.
    pub status: DeliveryStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_and_write_their_names() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(DeliveryStatus::parse("lost"), None);
        let settled: Vec<&str> = DeliveryStatus::ALL
            .into_iter()
            .filter(|s| s.is_settled())
            .map(DeliveryStatus::as_str)
            .collect();
        assert_eq!(settled, ["delivered", "failed", "dead"]);
        let outcome = serde_json::to_string(&AttemptOutcome::Exhausted).unwrap_or_default();
        assert_eq!(outcome, format!("\"{}\"", AttemptOutcome::Exhausted.as_str()));
    }
}
