//! Exact rate limiting: a sliding log of accepted request times per key. One Durable Object owns each
//! key and handles its requests one at a time, so N + k concurrent requests against a limit of N get
//! exactly N through. The arithmetic is here, as plain functions; `limiter.rs` is the Durable Object.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The accepted request times (epoch ms) inside the current window, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlidingLog {
    times: VecDeque<f64>,
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
    pub fn take(&mut self, now_ms: f64, limit: u32, window_ms: f64) -> Decision {
        while self.times.front().is_some_and(|&t| t <= now_ms - window_ms) {
            self.times.pop_front();
        }
        // A log longer than the limit (the limit was lowered) keeps only its newest entries.
        while self.times.len() > limit as usize {
            self.times.pop_front();
        }
        if self.times.len() < limit as usize {
            self.times.push_back(now_ms);
            return Decision::Allowed;
        }
        let oldest = self.times.front().copied().unwrap_or(now_ms);
        let wait_ms = (oldest + window_ms - now_ms).max(0.0);
        Decision::Limited { retry_after: ((wait_ms / 1000.0).ceil() as u32).max(1) }
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
    pub window_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn allows_exactly_the_limit_then_says_when_to_retry() {
        let mut log = SlidingLog::default();
        let decisions: Vec<Decision> =
            (0..5).map(|i| log.take(1_000.0 + f64::from(i), 3, 60_000.0)).collect();
        assert_eq!(decisions[..3], [Decision::Allowed; 3]);
        assert_eq!(decisions[3], Decision::Limited { retry_after: 60 });
        // The oldest accepted request (t=1000) leaves the window at t=61000.
        assert_eq!(log.take(60_500.0, 3, 60_000.0), Decision::Limited { retry_after: 1 });
        assert_eq!(log.take(61_000.0, 3, 60_000.0), Decision::Allowed);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn a_lowered_limit_applies_at_once() {
        let mut log = SlidingLog::default();
        for i in 0..10 {
            log.take(f64::from(i), 10, 1_000.0);
        }
        assert!(matches!(log.take(10.0, 2, 1_000.0), Decision::Limited { .. }));
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
            let mut now = 0.0;
            let mut allowed = Vec::new();
            for gap in gaps {
                now += f64::from(gap);
                if log.take(now, limit, f64::from(window)) == Decision::Allowed {
                    allowed.push(now);
                }
            }
            for (i, start) in allowed.iter().enumerate() {
                let in_window = allowed[i..].iter().take_while(|&&t| t < start + f64::from(window)).count();
                prop_assert!(in_window <= limit as usize);
            }
        }
    }
}
