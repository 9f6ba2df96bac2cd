//! The Worker's configuration, read from its environment into typed values: every variable, secret
//! and binding name the edge uses is written here and nowhere else (wrangler.toml declares them).
//!
//! A required setting that is missing, or any setting that is malformed, is a [`ConfigError`] that
//! names it; the entry points log it and answer 500 (or retry a queue batch later), so a bad deploy
//! shows at its first request, `/health` included. An optional provider that is not set up is not an
//! error: it is [`NotConfigured`], and a delivery that needs it says so in the delivery log.

use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Fetcher, ObjectNamespace, Queue};

const SECRET: &str = "INLET_SECRET";
const OPERATOR_TOKEN: &str = "INLET_OPERATOR_TOKEN";
const TURNSTILE_BASE_URL: &str = "TURNSTILE_BASE_URL";
const EMAIL_BASE_URL: &str = "EMAIL_BASE_URL";
const EMAIL_API_KEY: &str = "EMAIL_API_KEY";
const EMAIL_FROM: &str = "EMAIL_FROM";
const TWILIO_BASE_URL: &str = "TWILIO_BASE_URL";
const TWILIO_ACCOUNT_SID: &str = "TWILIO_ACCOUNT_SID";
const TWILIO_AUTH_TOKEN: &str = "TWILIO_AUTH_TOKEN";
const TWILIO_FROM: &str = "TWILIO_FROM";
const ALLOW_PRIVATE_DESTINATIONS: &str = "ALLOW_PRIVATE_DESTINATIONS";
const DELIVERY_RETRY_SCHEDULE: &str = "DELIVERY_RETRY_SCHEDULE";
const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
const SIGN_UP: &str = "SIGN_UP";

const DATABASE_BINDING: &str = "DB";
const DELIVERIES_BINDING: &str = "DELIVERIES";
const DEAD_DELIVERIES_BINDING: &str = "DEAD_DELIVERIES";
const LIMITER_BINDING: &str = "LIMITER";
const ASSETS_BINDING: &str = "ASSETS";

/// Shortest accepted `INLET_SECRET` and `INLET_OPERATOR_TOKEN`.
const MIN_SECRET_CHARS: usize = 16;
/// Most delays `DELIVERY_RETRY_SCHEDULE` may list, and the longest one.
const MAX_RETRY_DELAYS: usize = 20;
const MAX_RETRY_DELAY_SECONDS: u32 = 7 * 86_400;

/// Everything the Worker's variables and secrets say. No `Debug`: it holds secrets, which never
/// reach a log.
pub struct Config {
    /// Signs form tokens and keys the hashes of client addresses.
    pub secret: Secret,
    /// The operator API's bearer token; `None` keeps the operator API closed.
    pub operator_token: Option<String>,
    /// Where Turnstile tokens are verified (tests point it at a local receiver).
    pub turnstile_base_url: String,
    pub email: Result<EmailProvider, NotConfigured>,
    pub sms: Result<SmsProvider, NotConfigured>,
    /// Development only: destinations may be `http://` and private or loopback addresses.
    pub allow_private_destinations: bool,
    /// Seconds between delivery attempts; `None` means the Standard Webhooks schedule.
    /// Invariant: 1 to 20 delays, each at most 7 days.
    pub retry_delays: Option<Vec<u32>>,
    /// Where people reach this installation; every emailed link is built from it, never from a
    /// request's `Host` header.
    pub public_base: Result<PublicBase, NotConfigured>,
    /// Whether anyone may sign up (`SIGN_UP=open`, the default) or only the invited (`closed`).
    pub sign_up_open: bool,
}

/// `PUBLIC_BASE_URL`, e.g. `https://leads.example.com`: the links the Worker emails start with `url`,
/// and state-changing requests from a browser must come from `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase {
    /// Without a trailing slash.
    pub url: String,
    /// Scheme, host and port, as a browser's `Origin` header writes them.
    pub origin: String,
}

/// `INLET_SECRET`'s bytes. Invariant: at least 16 of them.
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The operator's email provider: an HTTP API that takes `POST {base_url}/emails` with a bearer key
/// and `{"from", "to", "subject", "text", "reply_to"}` (Resend's shape; others offer compatible ones).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailProvider {
    pub base_url: String,
    pub api_key: String,
    pub from: String,
}

/// The operator's Twilio account. `from` is a Twilio number, or a Messaging Service SID (`MG...`).
#[derive(Clone, PartialEq, Eq)]
pub struct SmsProvider {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
}

/// A provider that is not set up, with the sentence the delivery log shows for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotConfigured(pub &'static str);

/// A setting that is missing or malformed. Its message names the setting and never shows its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration: {} {}", self.name, self.problem)
    }
}

fn error(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { name, problem: problem.into() }
}

impl Config {
    /// Reads every setting from the Worker's secrets and variables, which the runtime hands over
    /// alike, as string properties of `env` (local development passes secrets as variables).
    ///
    /// One property read per setting: workers-rs's `Env::secret` and `Env::var` each check the
    /// value's constructor by name and format an error for a missing one, and trying one, then the
    /// other, cost several round trips into JavaScript per setting.
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        Config::read(&|name| js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?.as_string())
    }

    /// Reads every setting through `lookup`; a value that is empty or blank counts as unset.
    pub fn read(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let secret = match get(SECRET) {
            Some(value) if value.len() >= MIN_SECRET_CHARS => Secret(value.into_bytes()),
            Some(_) => return Err(error(SECRET, "is shorter than 16 characters")),
            None => {
                return Err(error(SECRET, "is not set (a random string of 16 characters or more)"));
            }
        };
        let operator_token = match get(OPERATOR_TOKEN) {
            Some(token) if token.len() < MIN_SECRET_CHARS => {
                return Err(error(OPERATOR_TOKEN, "is shorter than 16 characters"));
            }
            token => token,
        };
        let base_url = |name: &'static str, default: &str| match get(name) {
            None => Ok(default.to_owned()),
            Some(value) => match url::Url::parse(value.trim()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(value.trim().to_owned()),
                _ => Err(error(name, "is not an http(s) URL")),
            },
        };
        let turnstile_base_url = base_url(TURNSTILE_BASE_URL, "https://challenges.cloudflare.com")?;
        let email_base_url = base_url(EMAIL_BASE_URL, "https://api.resend.com")?;
        let twilio_base_url = base_url(TWILIO_BASE_URL, "https://api.twilio.com")?;
        let email = match (get(EMAIL_API_KEY), get(EMAIL_FROM)) {
            (Some(api_key), Some(from)) => {
                Ok(EmailProvider { base_url: email_base_url, api_key, from })
            }
            _ => Err(NotConfigured("Email is not configured: set EMAIL_API_KEY and EMAIL_FROM.")),
        };
        let sms = match (get(TWILIO_ACCOUNT_SID), get(TWILIO_AUTH_TOKEN), get(TWILIO_FROM)) {
            (Some(account_sid), Some(auth_token), Some(from)) => {
                Ok(SmsProvider { base_url: twilio_base_url, account_sid, auth_token, from })
            }
            _ => Err(NotConfigured(
                "SMS is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM.",
            )),
        };
        let allow_private_destinations = match get(ALLOW_PRIVATE_DESTINATIONS).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(error(ALLOW_PRIVATE_DESTINATIONS, "must be true or false")),
        };
        let retry_delays =
            get(DELIVERY_RETRY_SCHEDULE).map(|text| read_delays(&text)).transpose()?;
        let public_base = match get(PUBLIC_BASE_URL) {
            None => Err(NotConfigured(
                "Accounts need PUBLIC_BASE_URL, the address people reach this installation at.",
            )),
            Some(value) => Ok(read_public_base(value.trim())?),
        };
        let sign_up_open = match get(SIGN_UP).as_deref() {
            None | Some("open") => true,
            Some("closed") => false,
            Some(_) => return Err(error(SIGN_UP, "must be open or closed")),
        };
        Ok(Config {
            secret,
            operator_token,
            turnstile_base_url,
            email,
            sms,
            allow_private_destinations,
            retry_delays,
            public_base,
            sign_up_open,
        })
    }
}

/// An http(s) URL with nothing after its path: links are built by appending to it.
fn read_public_base(value: &str) -> Result<PublicBase, ConfigError> {
    let invalid = || error(PUBLIC_BASE_URL, "must be an http(s) URL with no query or fragment");
    let url = url::Url::parse(value).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(invalid());
    }
    Ok(PublicBase {
        url: url.as_str().trim_end_matches('/').to_owned(),
        origin: url.origin().ascii_serialization(),
    })
}

/// `"5,300,1800"`: seconds between attempts.
fn read_delays(text: &str) -> Result<Vec<u32>, ConfigError> {
    let delays: Option<Vec<u32>> = text.split(',').map(|part| part.trim().parse().ok()).collect();
    match delays {
        Some(delays)
            if !delays.is_empty()
                && delays.len() <= MAX_RETRY_DELAYS
                && delays.iter().all(|d| *d <= MAX_RETRY_DELAY_SECONDS) =>
        {
            Ok(delays)
        }
        _ => Err(error(
            DELIVERY_RETRY_SCHEDULE,
            "must list 1 to 20 delays in seconds, each at most 604800, like \"5,300,1800\"",
        )),
    }
}

/// The Worker's bindings (wrangler.toml): its database, its two queues, the rate limiter, and its
/// static files.
pub struct Bindings {
    pub db: D1Database,
    /// Delivery attempts.
    pub deliveries: Queue,
    /// Deliveries whose every attempt failed.
    pub dead_deliveries: Queue,
    pub limiter: ObjectNamespace,
    /// `www/`, for the dashboard's page at addresses that are not files.
    pub assets: Fetcher,
}

impl Bindings {
    pub fn from_env(env: &Env) -> Result<Bindings, ConfigError> {
        let missing = |name: &'static str| move |_| error(name, "is not bound (see wrangler.toml)");
        Ok(Bindings {
            db: env.d1(DATABASE_BINDING).map_err(missing(DATABASE_BINDING))?,
            deliveries: env.queue(DELIVERIES_BINDING).map_err(missing(DELIVERIES_BINDING))?,
            dead_deliveries: env
                .queue(DEAD_DELIVERIES_BINDING)
                .map_err(missing(DEAD_DELIVERIES_BINDING))?,
            limiter: env.durable_object(LIMITER_BINDING).map_err(missing(LIMITER_BINDING))?,
            assets: env.assets(ASSETS_BINDING).map_err(missing(ASSETS_BINDING))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::read(&|name| map.get(name).cloned())
    }

    const SECRET_VALUE: (&str, &str) = ("INLET_SECRET", "0123456789abcdef");

    fn failure(pairs: &[(&str, &str)]) -> String {
        read(pairs).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn the_secret_alone_is_a_complete_configuration() {
        let config = read(&[SECRET_VALUE]).expect("config");
        assert_eq!(config.secret.as_bytes(), b"0123456789abcdef");
        assert_eq!(config.operator_token, None);
        assert_eq!(config.turnstile_base_url, "https://challenges.cloudflare.com");
        assert!(!config.allow_private_destinations);
        assert_eq!(config.retry_delays, None);
        assert_eq!(config.email.err().map(|n| n.0.contains("EMAIL_API_KEY")), Some(true));
        assert_eq!(config.sms.err().map(|n| n.0.contains("TWILIO_AUTH_TOKEN")), Some(true));
        assert!(config.public_base.is_err());
        assert!(config.sign_up_open);
    }

    #[test]
    fn a_missing_or_malformed_setting_is_named() {
        assert!(failure(&[]).contains("INLET_SECRET is not set"));
        assert!(failure(&[("INLET_SECRET", "   ")]).contains("INLET_SECRET is not set"));
        assert!(failure(&[("INLET_SECRET", "short")]).contains("INLET_SECRET is shorter"));
        let with = |pair: (&str, &str)| failure(&[SECRET_VALUE, pair]);
        assert!(with(("INLET_OPERATOR_TOKEN", "abc")).contains("INLET_OPERATOR_TOKEN"));
        assert!(with(("ALLOW_PRIVATE_DESTINATIONS", "yes")).contains("ALLOW_PRIVATE_DESTINATIONS"));
        assert!(with(("TURNSTILE_BASE_URL", "challenges")).contains("TURNSTILE_BASE_URL"));
        assert!(with(("EMAIL_BASE_URL", "ftp://x.example")).contains("EMAIL_BASE_URL"));
        for bad in ["a", "1,,2", "-1", "99999999", &"1,".repeat(21)] {
            assert!(
                with(("DELIVERY_RETRY_SCHEDULE", bad)).contains("DELIVERY_RETRY_SCHEDULE"),
                "{bad}"
            );
        }
        assert!(with(("SIGN_UP", "invite-only")).contains("SIGN_UP"));
        for bad in [
            "leads.example.com",
            "ftp://x.example",
            "https://x.example/?a=1",
            "https://u@x.example",
        ] {
            assert!(with(("PUBLIC_BASE_URL", bad)).contains("PUBLIC_BASE_URL"), "{bad}");
        }
        // The message never carries the value.
        assert!(!with(("INLET_OPERATOR_TOKEN", "hunter2")).contains("hunter2"));
    }

    #[test]
    fn settings_take_their_values() {
        let config = read(&[
            SECRET_VALUE,
            ("INLET_OPERATOR_TOKEN", "an-operator-token-of-length"),
            ("ALLOW_PRIVATE_DESTINATIONS", "true"),
            ("DELIVERY_RETRY_SCHEDULE", "1, 2,3"),
            ("EMAIL_BASE_URL", "http://127.0.0.1:9000"),
            ("EMAIL_API_KEY", "re_key"),
            ("EMAIL_FROM", "Inlet <leads@example.com>"),
            ("TWILIO_ACCOUNT_SID", "AC1"),
            ("TWILIO_AUTH_TOKEN", "token"),
            ("TWILIO_FROM", "+14155550100"),
            ("EMAIL_FROM_UNUSED", "ignored"),
        ])
        .expect("config");
        assert_eq!(config.operator_token.as_deref(), Some("an-operator-token-of-length"));
        assert!(config.allow_private_destinations);
        assert_eq!(config.retry_delays, Some(vec![1, 2, 3]));
        let email = config.email.expect("email");
        assert_eq!(
            (email.base_url.as_str(), email.api_key.as_str()),
            ("http://127.0.0.1:9000", "re_key")
        );
        let sms = config.sms.expect("sms");
        assert_eq!(
            (sms.base_url.as_str(), sms.from.as_str()),
            ("https://api.twilio.com", "+14155550100")
        );
        let public = read(&[
            SECRET_VALUE,
            ("PUBLIC_BASE_URL", "https://Leads.Example.com:8443/inlet/"),
            ("SIGN_UP", "closed"),
        ])
        .expect("config");
        assert_eq!(
            public.public_base,
            Ok(PublicBase {
                url: "https://leads.example.com:8443/inlet".into(),
                origin: "https://leads.example.com:8443".into(),
            })
        );
        assert!(!public.sign_up_open);
        // Half an email set-up is no email.
        let half = read(&[SECRET_VALUE, ("EMAIL_API_KEY", "re_key")]).expect("config");
        assert!(half.email.is_err());
    }
}
