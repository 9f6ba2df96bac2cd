//! Who may do what in a business: four roles, the actions of the dashboard and its API, and one pure
//! function, [`Role::may`], that both sides ask. The edge enforces it on every request; the dashboard
//! asks it only to hide what a person may not do, which is a courtesy, never the defence.
//!
//! Each role may do everything the role below it may, and more: a viewer reads, a member works leads,
//! an admin runs the business's set-up and its people, an owner also hands the business on or ends
//! it. Actions on another member (changing a role, removing someone) are further limited by whom
//! they touch: nobody but an owner acts on an owner, which the edge checks with [`Role::may_manage`].

use serde::{Deserialize, Serialize};

/// A member's role in one business. Ordered from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads leads and their deliveries; changes nothing.
    Viewer,
    /// Works leads: status, assignment, tags, notes, "not spam", export.
    Member,
    /// Also the business's set-up (forms, destinations, API keys, replays) and its people.
    Admin,
    /// Also transfers ownership and closes the business. Every business has at least one.
    Owner,
}

/// Something a member asks to do in a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The inbox, a lead's page, its history and its deliveries.
    ReadLeads,
    /// A lead's status, assignee, tags and notes.
    WorkLeads,
    /// Mark a lead in the spam folder "not spam", which forwards it.
    ReleaseSpam,
    /// CSV export of a filtered view.
    ExportLeads,
    /// Create, edit, publish and delete forms.
    ManageForms,
    /// Add, change, rotate and delete destinations.
    ManageDestinations,
    /// Replay a failed or dead delivery.
    ReplayDeliveries,
    /// Create and revoke API keys.
    ManageApiKeys,
    /// Invite people, change their roles, remove them (below the owner: see [`Role::may_manage`]).
    ManageMembers,
    /// Make another member the owner.
    TransferOwnership,
    /// Close the business and erase its data.
    CloseBusiness,
}

impl Action {
    /// Every action, for tests and for the dashboard's list of what a role may do.
    pub const ALL: [Action; 11] = [
        Action::ReadLeads,
        Action::WorkLeads,
        Action::ReleaseSpam,
        Action::ExportLeads,
        Action::ManageForms,
        Action::ManageDestinations,
        Action::ReplayDeliveries,
        Action::ManageApiKeys,
        Action::ManageMembers,
        Action::TransferOwnership,
        Action::CloseBusiness,
    ];

    /// The least trusted role that may take this action.
    fn least_role(self) -> Role {
        match self {
            Action::ReadLeads => Role::Viewer,
            Action::WorkLeads | Action::ReleaseSpam | Action::ExportLeads => Role::Member,
            Action::ManageForms
            | Action::ManageDestinations
            | Action::ReplayDeliveries
            | Action::ManageApiKeys
            | Action::ManageMembers => Role::Admin,
            Action::TransferOwnership | Action::CloseBusiness => Role::Owner,
        }
    }
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Member, Role::Admin, Role::Owner];

    /// Whether a member with this role may take `action`.
    pub fn may(self, action: Action) -> bool {
        self >= action.least_role()
    }

    /// Whether a member with this role may change the role of, or remove, a member who has `target`:
    /// an admin acts on anyone below the owner, an owner on anyone; nobody else on anyone.
    pub fn may_manage(self, target: Role) -> bool {
        self.may(Action::ManageMembers) && (self == Role::Owner || target < Role::Owner)
    }

    /// Whether a member with this role may give someone the role `granted` (by invitation or by a
    /// change): never a role above one's own, and the owner's role only through a transfer.
    pub fn may_grant(self, granted: Role) -> bool {
        self.may(Action::ManageMembers) && granted <= self && granted < Role::Owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: a row per action, a column per role (viewer, member, admin,
    /// owner). A change to who may do what changes this table on purpose.
    #[test]
    fn every_role_and_action() {
        let table: [(Action, [bool; 4]); 11] = [
            (Action::ReadLeads, [true, true, true, true]),
            (Action::WorkLeads, [false, true, true, true]),
            (Action::ReleaseSpam, [false, true, true, true]),
            (Action::ExportLeads, [false, true, true, true]),
            (Action::ManageForms, [false, false, true, true]),
            (Action::ManageDestinations, [false, false, true, true]),
            (Action::ReplayDeliveries, [false, false, true, true]),
            (Action::ManageApiKeys, [false, false, true, true]),
            (Action::ManageMembers, [false, false, true, true]),
            (Action::TransferOwnership, [false, false, false, true]),
            (Action::CloseBusiness, [false, false, false, true]),
        ];
        assert_eq!(table.map(|(action, _)| action), Action::ALL);
        for (action, allowed) in table {
            for (role, expected) in Role::ALL.into_iter().zip(allowed) {
                assert_eq!(role.may(action), expected, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn only_an_owner_acts_on_an_owner() {
        for actor in Role::ALL {
            for target in Role::ALL {
                let expected = match actor {
                    Role::Owner => true,
                    Role::Admin => target != Role::Owner,
                    Role::Member | Role::Viewer => false,
                };
                assert_eq!(actor.may_manage(target), expected, "{actor:?} on {target:?}");
            }
        }
    }

    #[test]
    fn nobody_grants_more_than_they_have_nor_ownership() {
        let granted =
            |actor: Role| Role::ALL.into_iter().filter(|r| actor.may_grant(*r)).collect::<Vec<_>>();
        assert_eq!(granted(Role::Owner), [Role::Viewer, Role::Member, Role::Admin]);
        assert_eq!(granted(Role::Admin), [Role::Viewer, Role::Member, Role::Admin]);
        assert_eq!(granted(Role::Member), []);
        assert_eq!(granted(Role::Viewer), []);
    }

    #[test]
    fn roles_and_actions_are_snake_case_in_json() {
        assert_eq!(serde_json::to_string(&Role::Owner).ok().as_deref(), Some(r#""owner""#));
        let action: Action = serde_json::from_str(r#""manage_api_keys""#).expect("action");
        assert_eq!(action, Action::ManageApiKeys);
        assert!(serde_json::from_str::<Role>(r#""superuser""#).is_err());
    }
}
