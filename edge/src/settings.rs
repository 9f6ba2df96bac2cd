//! A form's private settings: how it defends itself. Stored as JSON in `forms.settings`; every member
//! has a default, so `{}` is a complete, sensible configuration.

use serde::{Deserialize, Serialize};

/// Invariant: limits and windows are at least 1 (enforced by [`Limit::clamped`] where they are used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormSettings {
    pub rate_limit: RateLimits,
    /// Submissions sooner than this after the form was served are treated as bots. 0 turns it off.
    pub min_fill_seconds: u32,
    /// When set, every submission must carry a Turnstile token that siteverify accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turnstile: Option<Turnstile>,
}

impl Default for FormSettings {
    fn default() -> Self {
        FormSettings { rate_limit: RateLimits::default(), min_fill_seconds: 2, turnstile: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Per visitor (form and client IP).
    pub per_client: Limit,
    /// For the whole form, whatever the client: a ceiling against distributed floods.
    pub per_form: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_client: Limit { limit: 10, window_seconds: 600 },
            per_form: Limit { limit: 600, window_seconds: 600 },
        }
    }
}

/// At most `limit` accepted requests in any `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub limit: u32,
    pub window_seconds: u32,
}

impl Limit {
    /// The limit with nonsense (zeros, absurd windows) brought into range.
    pub fn clamped(self) -> Limit {
        Limit {
            limit: self.limit.clamp(1, 100_000),
            window_seconds: self.window_seconds.clamp(1, 86_400),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turnstile {
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_settings_take_every_default() {
        let settings: FormSettings = serde_json::from_str("{}").expect("parses");
        assert_eq!(settings, FormSettings::default());
        let partial: FormSettings = serde_json::from_str(
            r#"{"rate_limit": {"per_client": {"limit": 3, "window_seconds": 60}}}"#,
        )
        .expect("parses");
        assert_eq!(partial.rate_limit.per_client, Limit { limit: 3, window_seconds: 60 });
        assert_eq!(partial.rate_limit.per_form, RateLimits::default().per_form);
        assert_eq!(partial.min_fill_seconds, 2);
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(
            Limit { limit: 0, window_seconds: 0 }.clamped(),
            Limit { limit: 1, window_seconds: 1 }
        );
        assert_eq!(Limit { limit: 5, window_seconds: 1_000_000 }.clamped().window_seconds, 86_400);
    }
}
