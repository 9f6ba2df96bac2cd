//! API keys: how an integrator's program reaches a business's endpoints without a person's session.
//! A key belongs to one business and has a scope, and [`Scope::may`] says what each scope may do,
//! as [`crate::Role::may`] does for people. The payloads of the keys' endpoints live here too.
//!
//! A key never manages people, keys or the business itself: those stay with the people who answer
//! for them.

use crate::{Action, ErrorCode, FieldError};
use serde::{Deserialize, Serialize};

/// Longest key name, in characters.
pub const MAX_API_KEY_NAME_CHARS: usize = 60;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reads leads and deliveries, and exports them; changes nothing.
    Read,
    /// Also works leads and runs the business's set-up: forms, destinations, replays.
    ReadWrite,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::ReadWrite];

    /// Whether a key with this scope may take `action`.
    pub fn may(self, action: Action) -> bool {
        match action {
            Action::ReadLeads | Action::ExportLeads => true,
            Action::WorkLeads
            | Action::ReleaseSpam
            | Action::ManageForms
            | Action::ManageDestinations
            | Action::ReplayDeliveries => self == Scope::ReadWrite,
            Action::ManageApiKeys
            | Action::ManageMembers
            | Action::TransferOwnership
            | Action::CloseBusiness => false,
        }
    }

    /// How the dashboard names it.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Read => "Read",
            Scope::ReadWrite => "Read and write",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read_write",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }
}

/// `POST /v1/tenants/{tenant_id}/api-keys`: a new key, named for the program that will hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRequest {
    pub name: String,
    pub scope: Scope,
}

impl ApiKeyRequest {
    /// The name, trimmed to one line, 1 to 60 characters.
    pub fn check(&self) -> Result<String, Vec<FieldError>> {
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            Err(vec![FieldError::new("name", ErrorCode::FieldRequired)])
        } else if name.chars().count() > MAX_API_KEY_NAME_CHARS {
            Err(vec![FieldError::too_long("name", MAX_API_KEY_NAME_CHARS)])
        } else {
            Ok(name)
        }
    }
}

/// A key as the business sees it: never its secret, which only the answer that created it holds.
/// Times are RFC 3339, UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: String,
    pub name: String,
    pub scope: Scope,
    /// The secret's first characters, to tell keys apart (`inlet_ab12`).
    pub prefix: String,
    pub created_at: String,
    /// Who created it; `None` if their account is gone.
    pub created_by: Option<String>,
    /// When it was last used (to the minute); `None` if never.
    pub last_used_at: Option<String>,
}

/// `GET /v1/tenants/{tenant_id}/api-keys`: the business's keys that are not revoked, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeySummary>,
}

/// The answer to creating a key: the key, and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub key: ApiKeySummary,
    /// Send it as `Authorization: Bearer <secret>`. Inlet keeps only its hash.
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table: a row per action, a column per scope (read, read and write).
    #[test]
    fn every_scope_and_action() {
        let table: [(Action, [bool; 2]); 11] = [
            (Action::ReadLeads, [true, true]),
            (Action::WorkLeads, [false, true]),
            (Action::ReleaseSpam, [false, true]),
            (Action::ExportLeads, [true, true]),
            (Action::ManageForms, [false, true]),
            (Action::ManageDestinations, [false, true]),
            (Action::ReplayDeliveries, [false, true]),
            (Action::ManageApiKeys, [false, false]),
            (Action::ManageMembers, [false, false]),
            (Action::TransferOwnership, [false, false]),
            (Action::CloseBusiness, [false, false]),
        ];
        assert_eq!(table.map(|(action, _)| action), Action::ALL);
        for (action, allowed) in table {
            for (scope, expected) in Scope::ALL.into_iter().zip(allowed) {
                assert_eq!(scope.may(action), expected, "{scope:?} {action:?}");
            }
        }
    }

    #[test]
    fn a_scope_reads_back_from_its_name() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            let json = serde_json::to_string(&scope).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
        }
        assert_eq!(Scope::parse("admin"), None);
    }

    #[test]
    fn a_key_needs_a_name_of_one_line() {
        let check = |name: &str| ApiKeyRequest { name: name.into(), scope: Scope::Read }.check();
        assert_eq!(check("  CRM \n sync ").as_deref(), Ok("CRM sync"));
        assert_eq!(check(" ").map_err(|e| e[0].code), Err(ErrorCode::FieldRequired));
        let long = "k".repeat(MAX_API_KEY_NAME_CHARS + 1);
        assert_eq!(check(&long).map_err(|e| e[0].limit), Err(Some(MAX_API_KEY_NAME_CHARS)));
    }
}
