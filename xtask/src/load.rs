//! What the two benchmarks share: numbered requests spread over threads, an HTTP client that counts
//! statuses instead of failing on them, and the percentiles of the times they measured. Figures are
//! printed, never asserted.

use std::sync::atomic::{AtomicUsize, Ordering};

/// An HTTP client for driving a stack: a 4xx or a 5xx is an answer to count, not an error.
pub fn client() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// [`client`], keeping up to `connections` connections to each host open between requests, for a
/// benchmark that measures the server rather than TCP set-up (ureq's pool keeps 3 per host).
pub fn keep_alive_client(connections: usize) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(connections * 4)
        .max_idle_connections_per_host(connections)
        .build()
        .into()
}

/// Calls `job` once with each number in `0..jobs`, from `threads` threads at a time, and returns once
/// every call has.
pub fn spread(threads: usize, jobs: usize, job: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= jobs {
                        break;
                    }
                    job(n);
                }
            });
        }
    });
}

/// Measured times in milliseconds, sorted in ascending order (the invariant every percentile reads).
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<f64>,
}

impl Latencies {
    pub fn new(mut milliseconds: Vec<f64>) -> Latencies {
        milliseconds.sort_by(f64::total_cmp);
        Latencies { sorted: milliseconds }
    }

    /// The time at `fraction` of the way up (nearest rank: 0.5 is the median, 0.99 the p99); 0 when
    /// nothing was measured.
    pub fn percentile(&self, fraction: f64) -> f64 {
        let last = self.sorted.len().saturating_sub(1) as f64;
        self.sorted.get((last * fraction).round() as usize).copied().unwrap_or(0.0)
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn percentiles_are_nearest_ranks_of_the_sorted_times() {
        let latencies = Latencies::new((1..=101).rev().map(f64::from).collect());
        assert_eq!(latencies.len(), 101);
        assert_eq!(latencies.percentile(0.0), 1.0);
        assert_eq!(latencies.percentile(0.5), 51.0);
        assert_eq!(latencies.percentile(0.99), 100.0);
        assert_eq!(latencies.percentile(1.0), 101.0);
        assert_eq!(Latencies::new(vec![7.5]).percentile(0.99), 7.5);
        assert_eq!(Latencies::default().percentile(0.5), 0.0);
    }

    #[test]
    fn spread_calls_each_number_once() {
        let seen = Mutex::new(Vec::new());
        spread(3, 50, |n| seen.lock().unwrap().push(n));
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
    }
}
