//! The ids that cross module boundaries, as types: a tenant's id cannot be passed where a form's is
//! expected. And the formats of the ids the edge makes; randomness comes in as an argument (the
//! caller reads it from `random`), so the formats are testable natively.
//!
//! An id type holds a string that was either made here, read from D1, or checked by [`is_id`] as a
//! path segment: callers look ids up, they never trust one to exist.

use serde::{Deserialize, Serialize};

/// Longest id the API looks up; anything longer cannot exist and is answered 404 without touching D1.
pub const MAX_ID_LEN: usize = 64;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/// Ids are short, URL-safe and have no dots: `demo`, `t_demo`, `ld_3kq9...`.
pub fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_LEN
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> $name {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A business: the leading key of every table.
    TenantId
);
id_type!(
    /// A form's public id, the one in its embed code (`demo`, `f_...`).
    FormId
);
id_type!(
    /// A lead: `ld_` and 26 base32 characters encoding 128 random bits, so ids are unguessable and
    /// can appear in links without revealing how many leads a business has.
    LeadId
);
id_type!(
    /// A destination: `dst_` and 128 random bits.
    DestinationId
);
id_type!(
    /// A person who signs in: `usr_` and 128 random bits. Not under a tenant: one person may belong to
    /// several businesses.
    UserId
);
id_type!(
    /// A session's public id (`ses_` and 128 random bits), shown in the list of one's sessions and used
    /// to end one. Never the session's token, which only the browser's cookie holds.
    SessionId
);
id_type!(
    /// An emailed link's public id (`lnk_` and 128 random bits), e.g. to withdraw an invitation.
    LinkId
);
id_type!(
    /// A note on a lead: `nt_` and 128 random bits.
    NoteId
);
id_type!(
    /// One change in a lead's history: `ev_` and 128 random bits.
    EventId
);
id_type!(
    /// An API key's public id (`key_` and 128 random bits), shown in the business's list of keys and
    /// used to revoke one. Never the key's secret.
    ApiKeyId
);
id_type!(
    /// Who made a change to a lead, as its history keeps it: a [`UserId`] or an [`ApiKeyId`].
    ActorId
);
id_type!(
    /// A delivery: `msg_` and 128 random bits. It is the Standard Webhooks `webhook-id`, the same on
    /// every attempt, so receivers can drop duplicates.
    DeliveryId
);

impl TenantId {
    /// A business that signed up: `t_` and 128 random bits (seeded ones have names like `t_demo`).
    pub fn new(random: [u8; 16]) -> TenantId {
        TenantId(format!("t_{}", base32(&random)))
    }
}

impl FormId {
    /// A form made in the dashboard: `f_` and 128 random bits, so form ids in embed snippets do not
    /// reveal how many forms there are.
    pub fn new(random: [u8; 16]) -> FormId {
        FormId(format!("f_{}", base32(&random)))
    }
}

impl UserId {
    pub fn new(random: [u8; 16]) -> UserId {
        UserId(format!("usr_{}", base32(&random)))
    }
}

impl SessionId {
    pub fn new(random: [u8; 16]) -> SessionId {
        SessionId(format!("ses_{}", base32(&random)))
    }
}

impl LinkId {
    pub fn new(random: [u8; 16]) -> LinkId {
        LinkId(format!("lnk_{}", base32(&random)))
    }
}

impl NoteId {
    pub fn new(random: [u8; 16]) -> NoteId {
        NoteId(format!("nt_{}", base32(&random)))
    }
}

impl EventId {
    pub fn new(random: [u8; 16]) -> EventId {
        EventId(format!("ev_{}", base32(&random)))
    }
}

impl LeadId {
    pub fn new(random: [u8; 16]) -> LeadId {
        LeadId(format!("ld_{}", base32(&random)))
    }
}

impl DestinationId {
    pub fn new(random: [u8; 16]) -> DestinationId {
        DestinationId(format!("dst_{}", base32(&random)))
    }
}

impl ApiKeyId {
    pub fn new(random: [u8; 16]) -> ApiKeyId {
        ApiKeyId(format!("key_{}", base32(&random)))
    }
}

impl DeliveryId {
    pub fn new(random: [u8; 16]) -> DeliveryId {
        DeliveryId(format!("msg_{}", base32(&random)))
    }
}

/// Crockford base32, lower case, without padding: 26 characters for 128 bits, 52 for 256.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(LeadId::new([0; 16]).as_str(), format!("ld_{}", "0".repeat(26)));
        assert_eq!(LeadId::new([0xff; 16]).as_str(), format!("ld_{}w", "z".repeat(25)));
        assert_eq!(base32(b"f"), "cr");
        assert_eq!(base32(b"foobar"), "csqpyrk1e8");
        let id = LeadId::new(*b"0123456789abcdef");
        assert_eq!(id.as_str().len(), 29);
        assert!(is_id(id.as_str()));
        assert!(is_id(DestinationId::new([7; 16]).as_str()));
        assert!(DeliveryId::new([0; 16]).as_str().starts_with("msg_"));
        for id in [
            TenantId::new([9; 16]).to_string(),
            FormId::new([9; 16]).to_string(),
            UserId::new([9; 16]).to_string(),
            SessionId::new([9; 16]).to_string(),
            LinkId::new([9; 16]).to_string(),
            ApiKeyId::new([9; 16]).to_string(),
        ] {
            assert!(is_id(&id) && id.ends_with(&base32(&[9; 16])), "{id}");
        }
        assert_eq!(base32(&[0; 32]).len(), 52);
    }

    #[test]
    fn ids_are_short_url_safe_segments() {
        for good in ["demo", "t_1", "f_1-a", &"a".repeat(MAX_ID_LEN)] {
            assert!(is_id(good), "{good}");
        }
        for bad in ["", "a.b", "%2e%2e", "a/b", "a b", &"a".repeat(MAX_ID_LEN + 1)] {
            assert!(!is_id(bad), "{bad}");
        }
    }

    #[test]
    fn ids_serialise_as_plain_strings() {
        let id = TenantId::from("t_demo");
        assert_eq!(serde_json::to_string(&id).ok().as_deref(), Some(r#""t_demo""#));
        assert_eq!(serde_json::from_str::<TenantId>(r#""t_demo""#).ok(), Some(id));
    }
}
