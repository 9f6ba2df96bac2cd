//! The rules of accounts as plain functions: the secret tokens of sessions and emailed links (256
//! random bits, stored only as their SHA-256), what each link is for and how long it lasts, when a
//! session ends, and the words of the emails that carry links.

use crate::base::clock::Timestamp;
use crate::base::config::PublicBase;
use crate::base::crypto::{hex, sha256};
use crate::base::ids::base32;

/// The session cookie. `__Host-`: only this origin can set it, over HTTPS (or localhost).
pub const SESSION_COOKIE: &str = "__Host-inlet_session";
/// A session ends after this long unused...
pub const SESSION_IDLE_MS: u64 = 7 * DAY_MS;
/// ...and this long after it began, however often it is used.
pub const SESSION_MAX_MS: u64 = 30 * DAY_MS;
/// A session's last use is written at most this often, so reading a page costs no write.
pub const SESSION_TOUCH_MS: u64 = 60_000;
/// Longest `User-Agent` kept with a session.
pub const MAX_USER_AGENT_CHARS: usize = 200;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;
/// Characters in a token: 256 bits in base32.
const TOKEN_CHARS: usize = 52;

/// A secret the person holds (in a cookie, in an emailed link) and the edge keeps only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// Never prints the secret, so a token in a log line or a failed assertion gives nothing away.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({}...)", self.hash().get(..8).unwrap_or_default())
    }
}

impl Token {
    pub fn new(random: [u8; 32]) -> Token {
        Token(base32(&random))
    }

    /// A token as a client sent it, if it has a token's shape; anything else cannot exist, and is
    /// refused without a query.
    pub fn parse(raw: &str) -> Option<Token> {
        let raw = raw.trim();
        let shaped = raw.len() == TOKEN_CHARS
            && raw.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        shaped.then(|| Token(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps: a copy of the database does not sign anyone in.
    pub fn hash(&self) -> String {
        hex(&sha256(self.0.as_bytes()))
    }
}

/// What an API key's secret starts with, so a key pasted into a public repository is recognisable
/// (secret scanners match prefixes like this one).
pub const API_KEY_PREFIX: &str = "inlet_";
/// Characters of a secret shown in the list of keys, to tell keys apart: the prefix and four more.
const API_KEY_SHOWN_CHARS: usize = API_KEY_PREFIX.len() + 4;

/// An API key's secret: the prefix and a [`Token`]. Kept only as the token's hash.
pub fn api_key_secret(token: &Token) -> String {
    format!("{API_KEY_PREFIX}{}", token.as_str())
}

/// The token inside an API key's secret, if the text has a key's shape.
pub fn parse_api_key(secret: &str) -> Option<Token> {
    Token::parse(secret.trim().strip_prefix(API_KEY_PREFIX)?)
}

/// The start of a secret that the list of keys shows.
pub fn api_key_shown(secret: &str) -> String {
    secret.chars().take(API_KEY_SHOWN_CHARS).collect()
}

/// What an emailed link does when it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the address of a sign-up, creating the business and its owner.
    SignUp,
    SignIn,
    /// Makes the person a member of a business, with a role.
    Invitation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::SignUp => "sign_up",
            Purpose::SignIn => "sign_in",
            Purpose::Invitation => "invitation",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        match text {
            "sign_up" => Some(Purpose::SignUp),
            "sign_in" => Some(Purpose::SignIn),
            "invitation" => Some(Purpose::Invitation),
            _ => None,
        }
    }

    /// How long the link works: a sign-in link briefly, a confirmation for a day, an invitation for
    /// a week (people are away).
    pub fn lifetime_ms(self) -> u64 {
        match self {
            Purpose::SignIn => 15 * MINUTE_MS,
            Purpose::SignUp => DAY_MS,
            Purpose::Invitation => 7 * DAY_MS,
        }
    }
}

/// Where an emailed link points: the dashboard's link page, with the token after `#`, which
/// browsers never send to a server, so it stays out of every log and `Referer`. The page asks the
/// person to press a button before using it, so a mail scanner that opens links cannot use it up.
pub fn link_url(base: &PublicBase, token: &Token) -> String {
    format!("{}/app/link#{}", base.url, token.as_str())
}

/// When a session that began at `created_at` and was last used at `last_used_at` ends.
pub fn session_end(created_at: Timestamp, last_used_at: Timestamp) -> Timestamp {
    last_used_at.plus_ms(SESSION_IDLE_MS).min(created_at.plus_ms(SESSION_MAX_MS))
}

/// Whether a use at `now` should be written down.
pub fn needs_touch(last_used_at: Timestamp, now: Timestamp) -> bool {
    now.ms_since(last_used_at) >= SESSION_TOUCH_MS
}

/// A `User-Agent` shortened for the list of sessions.
pub fn user_agent_summary(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.chars().take(MAX_USER_AGENT_CHARS).collect())
}

/// An email that carries a link: its subject and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEmail {
    pub subject: String,
    pub text: String,
}

/// The email for a sign-up's confirmation link. It leaves out the business name the request gave:
/// anyone can type any address and any name, and the email must not carry a stranger's words.
pub fn sign_up_email(url: &str) -> LinkEmail {
    LinkEmail {
        subject: "Confirm your email to start using Inlet".to_owned(),
        text: format!(
            "Hello,\n\nSomeone, hopefully you, asked to sign up for Inlet with this address. Open \
             this link to confirm it and go to your inbox:\n\n{url}\n\nThe link works once, for 24 \
             hours. If you did not ask for this, ignore this email: no account is made \
             without it.\n"
        ),
    }
}

/// The email for a sign-up with an address that already has an account: it says so to the owner of
/// the address only, and signs them in instead. The answer to the request is the same either way.
pub fn existing_account_email(url: &str) -> LinkEmail {
    LinkEmail {
        subject: "You already have an Inlet account".to_owned(),
        text: format!(
            "Hello,\n\nSomeone, hopefully you, tried to sign up for Inlet with this address, which \
             already has an account. Open this link to sign in:\n\n{url}\n\nThe link works once, for \
             15 minutes. To add another business, sign in and add it from the dashboard. If you did \
             not ask for this, ignore this email.\n"
        ),
    }
}

/// The email for an invitation. The business's name and the inviter's address are in it: a person
/// must know who asks. Invitations are limited like every emailed link (per address, per client).
pub fn invitation_email(business_name: &str, inviter: &str, url: &str) -> LinkEmail {
    LinkEmail {
        subject: format!("{inviter} invited you to {business_name} on Inlet"),
        text: format!(
            "Hello,\n\n{inviter} invited you to work on the leads of {business_name} in Inlet. Open \
             this link to accept:\n\n{url}\n\nThe link works once, for 7 days. If you do not know \
             {inviter}, ignore this email.\n"
        ),
    }
}

/// The email the operator has sent to a business's first owner. The operator typed the business's
/// name, so it is in the email.
pub fn owner_invitation_email(business_name: &str, url: &str) -> LinkEmail {
    LinkEmail {
        subject: format!("Your Inlet account for {business_name}"),
        text: format!(
            "Hello,\n\nAn Inlet account was set up for {business_name}, with you as its owner. Open \
             this link to confirm your address and go to your inbox:\n\n{url}\n\nThe link works \
             once, for 24 hours. If you did not expect this, ignore this email.\n"
        ),
    }
}

pub fn sign_in_email(url: &str) -> LinkEmail {
    LinkEmail {
        subject: "Your Inlet sign-in link".to_owned(),
        text: format!(
            "Hello,\n\nOpen this link to sign in to Inlet:\n\n{url}\n\nThe link works once, for 15 \
             minutes. If you did not ask for it, ignore this email: nobody can sign in without it.\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_stored_only_as_a_hash() {
        let token = Token::new([7; 32]);
        assert_eq!(token.as_str().len(), TOKEN_CHARS);
        assert_eq!(token.hash().len(), 64);
        assert_ne!(token.hash(), token.as_str());
        assert_ne!(Token::new([8; 32]).hash(), token.hash());
        assert!(Token::parse(token.as_str()).is_some_and(|t| t.hash() == token.hash()));
        assert!(Token::parse(&format!(" {} ", token.as_str())).is_some());
        let upper = token.as_str().to_ascii_uppercase();
        for junk in ["", "abc", &upper, &format!("{}x", token.as_str()), &"é".repeat(26)] {
            assert!(Token::parse(junk).is_none(), "{junk}");
        }
    }

    #[test]
    fn an_api_key_is_a_prefixed_token_kept_as_its_hash() {
        let token = Token::new([3; 32]);
        let secret = api_key_secret(&token);
        assert!(secret.starts_with("inlet_") && secret.len() == 58, "{secret}");
        assert_eq!(parse_api_key(&format!(" {secret}\n")), Some(token.clone()));
        assert_eq!(api_key_shown(&secret), secret[..10]);
        for bad in [token.as_str(), "inlet_", "inlet_short", &secret.to_uppercase()] {
            assert_eq!(parse_api_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn purposes_round_trip_and_sign_in_links_are_short_lived() {
        for purpose in [Purpose::SignUp, Purpose::SignIn, Purpose::Invitation] {
            assert_eq!(Purpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(Purpose::parse("reset"), None);
        assert_eq!(Purpose::SignIn.lifetime_ms(), 15 * 60 * 1000);
        assert_eq!(Purpose::SignUp.lifetime_ms(), 24 * 60 * 60 * 1000);
    }

    #[test]
    fn links_are_built_from_the_public_base_with_the_token_after_the_hash() {
        let base = PublicBase { url: "https://leads.example.com".into(), origin: String::new() };
        let token = Token::new([0; 32]);
        assert_eq!(
            link_url(&base, &token),
            format!("https://leads.example.com/app/link#{}", "0".repeat(52))
        );
    }

    #[test]
    fn a_session_ends_when_idle_or_at_its_absolute_end() {
        let start = Timestamp::from_ms(1_000_000);
        assert_eq!(session_end(start, start), start.plus_ms(SESSION_IDLE_MS));
        let late = start.plus_ms(SESSION_MAX_MS - DAY_MS);
        assert_eq!(session_end(start, late), start.plus_ms(SESSION_MAX_MS));
        assert!(!needs_touch(start, start.plus_ms(SESSION_TOUCH_MS - 1)));
        assert!(needs_touch(start, start.plus_ms(SESSION_TOUCH_MS)));
    }

    #[test]
    fn user_agents_are_shortened() {
        assert_eq!(user_agent_summary("  "), None);
        assert_eq!(user_agent_summary(&"a".repeat(500)).map(|s| s.len()), Some(200));
    }

    #[test]
    fn emails_carry_the_link() {
        for email in [
            sign_up_email("U"),
            existing_account_email("U"),
            sign_in_email("U"),
            invitation_email("Acme", "bo@acme.example", "U"),
        ] {
            assert!(email.text.contains("\n\nU\n\n"), "{}", email.text);
            assert!(!email.subject.is_empty());
        }
    }
}
