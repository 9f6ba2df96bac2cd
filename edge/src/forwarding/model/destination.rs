//! Where a form's leads go: an HTTP webhook, a notification email, an SMS, or a Slack-style incoming
//! webhook. This module holds the destination as stored, reads and checks what an operator asks for,
//! and keeps webhook URLs away from private networks (SSRF); it does no IO.

use crate::base::clock::Timestamp;
use crate::base::ids::{DestinationId, FormId};
use inlet_shared::{Country, Email, Phone};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Most addresses one email destination sends to.
pub const MAX_EMAIL_RECIPIENTS: usize = 10;
const MAX_NAME_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 2_000;

/// A destination's target. Invariant: URLs passed [`check_url`] when the target was made, emails and
/// phone numbers are normalised by `shared`'s rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// A Standard Webhooks-signed POST of the `lead.created` payload.
    Webhook { url: String },
    /// A Slack-style incoming webhook: a POST of `{"text": "..."}`.
    Slack { url: String },
    /// A summary email through the email provider's HTTP API.
    Email { to: Vec<String> },
    /// A short SMS through Twilio's Messages API.
    Sms { to: String },
}

/// The kinds of destination, as the API and the `destinations.kind` column name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    Webhook,
    Slack,
    Email,
    Sms,
}

impl DestinationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Slack => "slack",
            DestinationKind::Email => "email",
            DestinationKind::Sms => "sms",
        }
    }

    pub fn parse(name: &str) -> Option<DestinationKind> {
        [
            DestinationKind::Webhook,
            DestinationKind::Slack,
            DestinationKind::Email,
            DestinationKind::Sms,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// A destination with everything a delivery needs. Invariant: `secret` is set for webhooks.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: DestinationId,
    pub form_id: FormId,
    pub name: String,
    pub target: Target,
    pub secret: Option<String>,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<Timestamp>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Destination {
    /// When the previous secret stops signing, while a rotation still overlaps at `now`.
    pub fn overlap_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.previous_secret_expires_at.filter(|until| *until > now)
    }

    /// The secrets to sign with at `now`: the current one, and the previous one while it overlaps.
    pub fn live_secrets(&self, now: Timestamp) -> Vec<&str> {
        let previous =
            self.previous_secret.as_deref().filter(|_| self.overlap_until(now).is_some());
        self.secret.as_deref().into_iter().chain(previous).collect()
    }
}

impl Target {
    pub fn kind(&self) -> DestinationKind {
        match self {
            Target::Webhook { .. } => DestinationKind::Webhook,
            Target::Slack { .. } => DestinationKind::Slack,
            Target::Email { .. } => DestinationKind::Email,
            Target::Sms { .. } => DestinationKind::Sms,
        }
    }
}

/// What an operator sends to create a destination, untrusted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationRequest {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Email: one address or a list; SMS: one phone number.
    #[serde(default)]
    pub to: Option<serde_json::Value>,
}

/// Why a destination was refused: what kind of refusal (the API answers each with its own stable
/// code), and a sentence for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The request does not hold together (`destination_invalid`).
    Invalid,
    /// A URL that points at a private, loopback or link-local address, or is not https
    /// (`destination_url_not_allowed`).
    UrlNotAllowed,
}

fn refuse(kind: RefusalKind, message: impl Into<String>) -> Refusal {
    Refusal { kind, message: message.into() }
}

/// A checked request: the target and a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDestination {
    pub name: String,
    pub target: Target,
}

impl DestinationRequest {
    /// Checks the request. `country` reads SMS numbers typed without a country code; `allow_private`
    /// is the development setting that lets webhooks reach this machine.
    pub fn check(&self, country: Country, allow_private: bool) -> Result<NewDestination, Refusal> {
        let name = check_name(self.name.as_deref().unwrap_or_default())?;
        let url = || {
            self.url
                .as_deref()
                .ok_or_else(|| refuse(RefusalKind::Invalid, "url: required for this kind"))
        };
        let target = match DestinationKind::parse(&self.kind) {
            Some(DestinationKind::Webhook) => {
                Target::Webhook { url: check_url(url()?, allow_private)?.to_string() }
            }
            Some(DestinationKind::Slack) => {
                Target::Slack { url: check_url(url()?, allow_private)?.to_string() }
            }
            Some(DestinationKind::Email) => Target::Email { to: self.email_recipients()? },
            Some(DestinationKind::Sms) => {
                let raw = self.to.as_ref().and_then(|v| v.as_str()).ok_or_else(|| {
                    refuse(RefusalKind::Invalid, "to: a phone number is required")
                })?;
                let phone = Phone::parse(raw, country)
                    .map_err(|_| refuse(RefusalKind::Invalid, "to: not a valid phone number"))?;
                Target::Sms { to: phone.as_str().to_owned() }
            }
            None => {
                return Err(refuse(
                    RefusalKind::Invalid,
                    "kind: one of webhook, slack, email, sms",
                ));
            }
        };
        let wrong_member = match &target {
            Target::Webhook { .. } | Target::Slack { .. } => self.to.is_some().then_some("to"),
            Target::Email { .. } | Target::Sms { .. } => self.url.is_some().then_some("url"),
        };
        if let Some(member) = wrong_member {
            return Err(refuse(
                RefusalKind::Invalid,
                format!("{member}: not used by a {} destination", target.kind().as_str()),
            ));
        }
        Ok(NewDestination { name, target })
    }

    fn email_recipients(&self) -> Result<Vec<String>, Refusal> {
        let raw: Vec<&str> = match &self.to {
            Some(serde_json::Value::String(one)) => vec![one.as_str()],
            Some(serde_json::Value::Array(many)) => {
                many.iter().filter_map(|v| v.as_str()).collect()
            }
            _ => {
                return Err(refuse(
                    RefusalKind::Invalid,
                    "to: an email address or a list of them is required",
                ));
            }
        };
        let count = self.to.as_ref().and_then(|v| v.as_array()).map_or(1, Vec::len);
        if raw.is_empty() || raw.len() != count || raw.len() > MAX_EMAIL_RECIPIENTS {
            return Err(refuse(
                RefusalKind::Invalid,
                format!("to: 1 to {MAX_EMAIL_RECIPIENTS} email addresses"),
            ));
        }
        raw.into_iter()
            .map(|address| {
                Email::parse(address).map(|email| email.as_str().to_owned()).map_err(|_| {
                    refuse(
                        RefusalKind::Invalid,
                        format!("to: {address:?} is not a valid email address"),
                    )
                })
            })
            .collect()
    }
}

/// A destination's display name, trimmed: at most 100 characters, no control characters.
pub fn check_name(raw: &str) -> Result<String, Refusal> {
    let name = raw.trim();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(refuse(
            RefusalKind::Invalid,
            format!("name: at most {MAX_NAME_CHARS} characters, no control characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Checks a URL a delivery will POST to. Outside development it must be `https` and name a public
/// host: no loopback, private, link-local, shared (CGNAT), multicast or reserved address, none
/// carried inside an IPv6 transition address (6to4, Teredo, SIIT, NAT64), no single-label or
/// `.localhost`/`.local`/`.internal` name, no credentials.
///
/// A public name that resolves to a private address cannot be caught here (a Worker has no DNS API);
/// Cloudflare's network does not route a Worker's `fetch` into private networks, which covers it.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, Refusal> {
    let not_allowed = |why: &str| refuse(RefusalKind::UrlNotAllowed, format!("url: {why}"));
    if raw.len() > MAX_URL_CHARS {
        return Err(refuse(
            RefusalKind::Invalid,
            format!("url: at most {MAX_URL_CHARS} characters"),
        ));
    }
    let mut url = Url::parse(raw.trim())
        .map_err(|_| refuse(RefusalKind::Invalid, "url: not a valid absolute URL"))?;
    url.set_fragment(None);
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(not_allowed("must use https")),
        _ => return Err(refuse(RefusalKind::Invalid, "url: must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(not_allowed("must not carry a user name or password"));
    }
    if allow_private {
        return Ok(url);
    }
    let public = match url.host() {
        Some(Host::Domain(name)) => is_public_name(name),
        Some(Host::Ipv4(ip)) => is_public_v4(ip),
        Some(Host::Ipv6(ip)) => is_public_v6(ip),
        None => false,
    };
    if public {
        Ok(url)
    } else {
        Err(not_allowed("must name a public host, not a private, loopback or link-local one"))
    }
}

fn is_public_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let internal_suffixes =
        [".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp"];
    name.contains('.')
        && name != "localhost"
        && !internal_suffixes.iter().any(|suffix| name.ends_with(suffix))
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking, RFC 2544
        || (a == 192 && b == 88 && ip.octets()[2] == 99) // 6to4 relay anycast, RFC 7526
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Addresses that carry an IPv4 address are judged by it: mapped, compatible, and the well-known
    // NAT64 prefix 64:ff9b::/96 (a public translator reaches only the public IPv4 Internet through it).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., c, d] = ip.octets();
        let [.., a, b, _, _] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        // Transition prefixes whose packets a relay or translator hands to an IPv4 address inside
        // them, one an operator's network may route to a private address. No receiver needs one, so
        // the whole prefix is refused, whatever IPv4 address it carries.
        || segments[0] == 0x2002 // 6to4, 2002::/16
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo, 2001::/32
        || segments[..6] == [0, 0, 0, 0, 0xffff, 0] // SIIT IPv4-translated, ::ffff:0:0:0/96
        || segments[..3] == [0x64, 0xff9b, 1] // local-use NAT64, 64:ff9b:1::/48
        || segments[..4] == [0x100, 0, 0, 0]) // discard-only, 100::/64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: serde_json::Value) -> DestinationRequest {
        serde_json::from_value(value).expect("request shape")
    }

    fn check_production(raw: &str) -> Result<String, RefusalKind> {
        check_url(raw, false).map(|u| u.to_string()).map_err(|r| r.kind)
    }

    #[test]
    fn public_https_urls_are_allowed() {
        for url in [
            "https://hooks.example.com/inlet",
            "https://crm.example.org:8443/hooks?token=abc",
            "https://93.184.215.14/hook",
            "https://[2606:4700::1111]/hook",
            "https://[2001:4860:4860::8888]/hook",
            "https://[64:ff9b::5db8:d70e]/hook",
            "https://hooks.slack.com/services/T000/B000/XXXX",
        ] {
            assert!(check_production(url).is_ok(), "{url}");
        }
        assert_eq!(
            check_production("https://example.com/a#frag").as_deref(),
            Ok("https://example.com/a")
        );
    }

    #[test]
    fn private_loopback_and_link_local_targets_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://127.1/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0177.0.0.1/",
            "https://localhost/",
            "https://LOCALHOST./",
            "https://api.localhost/",
            "https://printer.local/",
            "https://metadata.google.internal/",
            "https://metadata/",
            "https://10.0.0.8/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            // IPv6 transition addresses, whose packets reach the IPv4 address inside them.
            "https://[2002:7f00:1::]/",
            "https://[2002:a9fe:a9fe::]/",
            "https://[2002:c0a8:101::1]/",
            "https://[2002:5db8:d70e::]/",
            "https://[::ffff:0:7f00:1]/",
            "https://[::ffff:0:a9fe:a9fe]/",
            "https://[::ffff:0:5db8:d70e]/",
            "https://[64:ff9b:1::7f00:1]/",
            "https://[64:ff9b:1::a9fe:a9fe]/",
            "https://[64:ff9b:1:ffff::5db8:d70e]/",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "https://[2001::ffff:ffff]/",
            "https://[100::1]/",
            "https://[100::ffff:ffff:ffff:ffff]/",
            "https://192.88.99.1/",
            "https://[::ffff:192.88.99.1]/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "https://user:pass@example.com/",
            "http://example.com/",
        ] {
            assert_eq!(check_production(url), Err(RefusalKind::UrlNotAllowed), "{url}");
        }
        for url in [
            "ftp://example.com/",
            "not a url",
            "/relative",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            assert_eq!(check_production(url), Err(RefusalKind::Invalid), "{url}");
        }
    }

    #[test]
    fn the_development_setting_allows_local_receivers() {
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("http://localhost:9000/hook", true).is_ok());
        assert_eq!(
            check_url("ftp://127.0.0.1/", true).map_err(|r| r.kind),
            Err(RefusalKind::Invalid)
        );
    }

    #[test]
    fn requests_become_targets() {
        let us = Country::from_iso("US").expect("US");
        let checked = |value| request(value).check(us, false);
        assert_eq!(
            checked(
                json!({"kind": "webhook", "url": "https://crm.example.com/in", "name": " CRM "})
            ),
            Ok(NewDestination {
                name: "CRM".into(),
                target: Target::Webhook { url: "https://crm.example.com/in".into() }
            })
        );
        assert_eq!(
            checked(
                json!({"kind": "email", "to": ["Owner@Roofer.example", "team@roofer.example"]})
            )
            .map(|d| d.target),
            Ok(Target::Email {
                to: vec!["owner@roofer.example".into(), "team@roofer.example".into()]
            })
        );
        assert_eq!(
            checked(json!({"kind": "email", "to": "a@b.example"})).map(|d| d.target),
            Ok(Target::Email { to: vec!["a@b.example".into()] })
        );
        assert_eq!(
            checked(json!({"kind": "sms", "to": "(415) 555-2671"})).map(|d| d.target),
            Ok(Target::Sms { to: "+14155552671".into() })
        );
        assert_eq!(
            checked(json!({"kind": "slack", "url": "https://hooks.slack.com/services/x"}))
                .map(|d| d.target.kind()),
            Ok(DestinationKind::Slack)
        );
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        let us = Country::from_iso("US").expect("US");
        for value in [
            json!({"kind": "fax", "to": "1"}),
            json!({"kind": "webhook"}),
            json!({"kind": "webhook", "url": "https://a.example", "to": "x@y.example"}),
            json!({"kind": "email"}),
            json!({"kind": "email", "to": []}),
            json!({"kind": "email", "to": ["not-an-email"]}),
            json!({"kind": "email", "to": [1]}),
            json!({"kind": "email", "to": "a@b.example", "url": "https://a.example"}),
            json!({"kind": "email", "to": vec!["a@b.example"; 11]}),
            json!({"kind": "sms", "to": "12"}),
            json!({"kind": "sms", "to": ["+14155552671"]}),
            json!({"kind": "webhook", "url": "https://a.example", "name": "x".repeat(101)}),
        ] {
            let refusal = request(value.clone()).check(us, false).expect_err("refused");
            assert_eq!(refusal.kind, RefusalKind::Invalid, "{value}");
            assert!(!refusal.message.is_empty());
        }
        assert!(
            serde_json::from_value::<DestinationRequest>(json!({"kind": "webhook", "secret": "x"}))
                .is_err()
        );
    }
}
