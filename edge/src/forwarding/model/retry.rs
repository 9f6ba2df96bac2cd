//! When a delivery is tried again: the retry schedule, and what each answer from a receiver means.
//!
//! The default schedule is the Standard Webhooks example: immediately, then 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 14 h, 20 h and 24 h after the previous attempt (ten attempts over about three days),
//! each wait lengthened by up to a tenth at random (the spec recommends jitter).
//! Plain arithmetic on inputs; the queue consumer in `forwarding/queue.rs` acts on the result.

/// Seconds to wait before attempts 2, 3, ... (the first attempt is immediate).
pub const STANDARD_SCHEDULE: &[u32] =
    &[5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400];

/// Longest delay a Cloudflare Queue accepts on a retry; longer waits are taken in several hops.
pub const MAX_QUEUE_DELAY_SECONDS: u32 = 43_200;

/// How long one attempt may take before it counts as a timeout (the spec suggests 15 to 30 s).
pub const ATTEMPT_TIMEOUT_MS: u32 = 15_000;

/// How long a claimed attempt holds its delivery against other messages: twice the timeout, so it
/// outlasts the attempt, yet short enough that a delivery whose attempt died is soon free again.
pub const ATTEMPT_LEASE_MS: u32 = 2 * ATTEMPT_TIMEOUT_MS;

/// Delays between attempts. Invariant: at most 20 entries, each at most 7 days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(Vec<u32>);

impl Default for Schedule {
    fn default() -> Self {
        Schedule(STANDARD_SCHEDULE.to_vec())
    }
}

impl Schedule {
    /// The schedule `DELIVERY_RETRY_SCHEDULE` configures (checked by `base::config`), or the
    /// standard one.
    pub fn configured(delays: Option<&[u32]>) -> Schedule {
        delays.map_or_else(Schedule::default, |delays| Schedule(delays.to_vec()))
    }

    /// Every attempt there will be, the first included.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX).saturating_add(1)
    }

    /// The wait after attempt `attempt` (1-based) failed, or `None` if that was the last.
    pub fn delay_after(&self, attempt: u32) -> Option<u32> {
        self.0.get(attempt.checked_sub(1)? as usize).copied()
    }
}

/// What happened when a delivery was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered with this status; `retry_after` is its `Retry-After`, in seconds.
    Answered { status: u16, retry_after: Option<u32> },
    /// No answer: a refused connection, a reset, a DNS failure, or the timeout.
    NoAnswer,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again after this many seconds.
    RetryIn(u32),
    /// Retryable, but that was the last attempt: the message goes to the dead-letter queue.
    Exhausted,
    /// The receiver refused for good (a 4xx other than 408 and 429, or a 3xx): no more attempts.
    Refused,
    /// `410 Gone`: the receiver wants nothing more; the destination is disabled.
    Gone,
}

/// Decides after attempt number `attempt` (1-based) ended with `outcome`.
pub fn next(schedule: &Schedule, attempt: u32, outcome: Attempt) -> Next {
    let retry_after = match outcome {
        Attempt::Answered { status: 200..=299, .. } => return Next::Delivered,
        Attempt::Answered { status: 410, .. } => return Next::Gone,
        Attempt::Answered { status: 408 | 429 | 500..=599, retry_after } => retry_after,
        Attempt::Answered { .. } => return Next::Refused,
        Attempt::NoAnswer => None,
    };
    match schedule.delay_after(attempt) {
        // Never sooner than the receiver asked, never later than the queue can wait in one hop.
        Some(delay) => Next::RetryIn(delay.max(retry_after.unwrap_or(0)).min(7 * 86_400)),
        None => Next::Exhausted,
    }
}

/// Adds up to a tenth of `seconds` at random, so receivers that failed together (an outage) are not
/// all retried in the same second. Never shortens the wait; waits under 10 s stay exact.
pub fn with_jitter(seconds: u32, random: u32) -> u32 {
    seconds.saturating_add(random % (seconds / 10 + 1))
}

/// Reads `Retry-After` as delay-seconds. (The HTTP-date form is rare from webhook receivers and is
/// ignored: the schedule's own delay applies.)
pub fn parse_retry_after(value: &str) -> Option<u32> {
    value.trim().parse::<u32>().ok()
}

/// The delay to give the queue for a wait of `seconds`: at most what a queue accepts in one hop.
pub fn queue_delay(seconds: u32) -> u32 {
    seconds.min(MAX_QUEUE_DELAY_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Attempt {
        Attempt::Answered { status, retry_after: None }
    }

    fn check(attempt: u32, outcome: Attempt, expected: Next) {
        assert_eq!(
            next(&Schedule::default(), attempt, outcome),
            expected,
            "attempt {attempt}: {outcome:?}"
        );
    }

    #[test]
    fn answers_are_classified_as_the_spec_suggests() {
        check(1, answered(200), Next::Delivered);
        check(1, answered(204), Next::Delivered);
        check(1, answered(301), Next::Refused);
        check(1, answered(400), Next::Refused);
        check(1, answered(404), Next::Refused);
        check(1, answered(410), Next::Gone);
        check(1, answered(408), Next::RetryIn(5));
        check(1, answered(429), Next::RetryIn(5));
        check(2, answered(500), Next::RetryIn(300));
        check(3, answered(503), Next::RetryIn(1_800));
        check(1, Attempt::NoAnswer, Next::RetryIn(5));
    }

    #[test]
    fn retry_after_is_honoured_but_never_shortens_the_schedule() {
        check(1, Attempt::Answered { status: 429, retry_after: Some(60) }, Next::RetryIn(60));
        check(2, Attempt::Answered { status: 503, retry_after: Some(1) }, Next::RetryIn(300));
        check(
            1,
            Attempt::Answered { status: 503, retry_after: Some(u32::MAX) },
            Next::RetryIn(7 * 86_400),
        );
    }

    #[test]
    fn the_standard_schedule_has_ten_attempts_over_three_days() {
        let schedule = Schedule::default();
        assert_eq!(schedule.attempts(), 10);
        let total: u32 = (1..schedule.attempts()).filter_map(|a| schedule.delay_after(a)).sum();
        assert_eq!(total, 5 + 300 + 1_800 + 7_200 + 18_000 + 36_000 + 50_400 + 72_000 + 86_400);
        check(9, answered(500), Next::RetryIn(86_400));
        check(10, answered(500), Next::Exhausted);
        check(10, answered(200), Next::Delivered);
        assert_eq!(schedule.delay_after(0), None);
    }

    #[test]
    fn jitter_only_lengthens_and_by_at_most_a_tenth() {
        for seconds in [0, 1, 5, 9, 10, 300, 86_400, u32::MAX] {
            for random in [0, 1, 7, 12_345, u32::MAX] {
                let jittered = with_jitter(seconds, random);
                assert!(
                    jittered >= seconds
                        && u64::from(jittered) <= u64::from(seconds) + u64::from(seconds / 10),
                    "{seconds} {random}"
                );
            }
        }
        assert_eq!(with_jitter(5, u32::MAX), 5);
        assert_eq!((0..100).map(|r| with_jitter(300, r)).max(), Some(330));
    }

    #[test]
    fn a_configured_schedule_replaces_the_standard_one() {
        assert_eq!(Schedule::configured(Some(&[1, 2, 3])), Schedule(vec![1, 2, 3]));
        assert_eq!(Schedule::configured(Some(&[1, 2])).attempts(), 3);
        assert_eq!(Schedule::configured(None), Schedule::default());
        assert_eq!(parse_retry_after(" 120 "), Some(120));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(queue_delay(86_400), MAX_QUEUE_DELAY_SECONDS);
        assert_eq!(queue_delay(5), 5);
    }
}
