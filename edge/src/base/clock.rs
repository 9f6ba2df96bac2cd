//! Time as the edge counts it: a [`Timestamp`] is whole milliseconds since the Unix epoch, UTC.
//!
//! [`now`] is the one reading of the runtime's clock. The entry points read it once per request,
//! queue batch or cron run and pass it down (a [`Stopwatch`] reads it again only to measure how long
//! an outbound call took), so everything below them is a plain function of the time it is given.

use serde::{Deserialize, Serialize};

/// A point in time. Invariant: never before the epoch; arithmetic saturates instead of wrapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    pub const fn from_ms(ms: u64) -> Timestamp {
        Timestamp(ms)
    }

    pub const fn as_ms(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch (Standard Webhooks' `webhook-timestamp`).
    pub const fn as_seconds(self) -> u64 {
        self.0 / 1_000
    }

    pub const fn plus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    pub const fn plus_seconds(self, seconds: u32) -> Timestamp {
        self.plus_ms(seconds as u64 * 1_000)
    }

    pub const fn minus_ms(self, ms: u64) -> Timestamp {
        Timestamp(self.0.saturating_sub(ms))
    }

    /// Milliseconds from `earlier` to this time, 0 if `earlier` is later.
    pub const fn ms_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Whole seconds from `earlier` to this time, rounded up, 0 if `earlier` is later.
    pub fn seconds_since_rounded_up(self, earlier: Timestamp) -> u32 {
        u32::try_from(self.ms_since(earlier).div_ceil(1_000)).unwrap_or(u32::MAX)
    }

    /// RFC 3339 in UTC with milliseconds, e.g. `2026-11-25T21:36:03.120Z`.
    pub fn rfc3339(self) -> String {
        let (days, ms_of_day) = (self.0 / 86_400_000, self.0 % 86_400_000);
        let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX / 2));
        let (hours, minutes, seconds, millis) = (
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60,
            ms_of_day / 1000 % 60,
            ms_of_day % 1000,
        );
        format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
    }
}

/// The runtime's clock (in a Worker, the time the current event began; it does not advance while
/// code runs, only across IO).
pub fn now() -> Timestamp {
    // `Date.now()` is a whole, non-negative number of milliseconds: the conversion is exact.
    Timestamp(js_sys::Date::now() as u64)
}

/// Measures how long one outbound call took.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Timestamp);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(now())
    }

    pub fn elapsed_ms(self) -> u64 {
        now().ms_since(self.0)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small and positive by construction (day 1..=31, month 1..=12).
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_as_rfc_3339() {
        let at = |ms| Timestamp::from_ms(ms).rfc3339();
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(1_764_106_563_120), "2025-11-25T21:36:03.120Z");
        assert_eq!(at(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_ms(5_000);
        assert_eq!(t.minus_ms(9_000), Timestamp::from_ms(0));
        assert_eq!(Timestamp::from_ms(u64::MAX).plus_seconds(1), Timestamp::from_ms(u64::MAX));
        assert_eq!(t.plus_seconds(2).ms_since(t), 2_000);
        assert_eq!(t.ms_since(t.plus_ms(1)), 0);
        assert_eq!(t.plus_ms(1_001).seconds_since_rounded_up(t), 2);
        assert_eq!(t.seconds_since_rounded_up(t), 0);
        assert_eq!(Timestamp::from_ms(1_649_367_553_999).as_seconds(), 1_649_367_553);
    }
}
