//! Exact rate limiting: a sliding log of accepted request times per key. One Durable Object owns each
//! key and handles its requests one at a time, so N + k concurrent requests against a limit of N get
//! exactly N through. The arithmetic is here, as plain functions; `intake/limiter.rs` is the Durable
//! Object.

use crate::base::clock::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The accepted request times inside the current window, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlidingLog {
    times: VecDeque<Timestamp>,
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    Allowed,
    /// Refused; a request after `retry_after` whole seconds would be allowed.
    Limited {
        retry_after: u32,
    },
}

impl SlidingLog {
    /// Counts this request if fewer than `limit` were accepted in the `window_ms` before `now_ms`.
    pub fn take(&mut self, now: Timestamp, limit: u32, window_ms: u64) -> Decision {
        while self.times.front().is_some_and(|&t| now.ms_since(t) >= window_ms) {
            self.times.pop_front();
        }
        // A log longer than the limit (the limit was lowered) keeps only its newest entries.
        while self.times.len() > limit as usize {
            self.times.pop_front();
        }
        if self.times.len() < limit as usize {
            self.times.push_back(now);
            return Decision::Allowed;
        }
        let oldest = self.times.front().copied().unwrap_or(now);
        Decision::Limited {
            retry_after: oldest.plus_ms(window_ms).seconds_since_rounded_up(now).max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }
}

/// What the Worker asks the Durable Object.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TakeRequest {
    pub limit: u32,
    pub window_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_ms(ms)
    }

    #[test]
    fn allows_exactly_the_limit_then_says_when_to_retry() {
        let mut log = SlidingLog::default();
        let decisions: Vec<Decision> = (0..5).map(|i| log.take(at(1_000 + i), 3, 60_000)).collect();
        assert_eq!(decisions[..3], [Decision::Allowed; 3]);
        assert_eq!(decisions[3], Decision::Limited { retry_after: 60 });
        // The oldest accepted request (t=1000) leaves the window at t=61000.
        assert_eq!(log.take(at(60_500), 3, 60_000), Decision::Limited { retry_after: 1 });
        assert_eq!(log.take(at(61_000), 3, 60_000), Decision::Allowed);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn a_lowered_limit_applies_at_once() {
        let mut log = SlidingLog::default();
        for i in 0..10 {
            log.take(at(i), 10, 1_000);
        }
        assert!(matches!(log.take(at(10), 2, 1_000), Decision::Limited { .. }));
        assert_eq!(log.len(), 2);
    }

    proptest! {
        /// In any window, never more than `limit` requests are allowed.
        #[test]
        fn never_more_than_the_limit_in_any_window(
            gaps in proptest::collection::vec(0u32..400, 1..200),
            limit in 1u32..8,
            window in 100u32..2_000,
        ) {
            let mut log = SlidingLog::default();
            let mut now = 0;
            let mut allowed = Vec::new();
            for gap in gaps {
                now += u64::from(gap);
                if log.take(at(now), limit, u64::from(window)) == Decision::Allowed {
                    allowed.push(now);
                }
            }
            for (i, start) in allowed.iter().enumerate() {
                let in_window = allowed[i..].iter().take_while(|&&t| t < start + u64::from(window)).count();
                prop_assert!(in_window <= limit as usize);
            }
        }
    }
}
