//! Users whose access changed, as published to the `user_access` KV bucket by ecommerce (the
//! identity provider), keyed by user id.
//!
//! Every token carries the generation its user had when it was issued (the `gen` claim). A
//! change that must end a user's sessions (disabled, deleted, role changed, password changed or
//! reset) raises the user's generation; each service follows this bucket and refuses tokens
//! of an older generation, so access ends everywhere without a database call per request.
//! Users whose access never changed have no entry.

use serde::{Deserialize, Serialize};

/// A user's current token generation, and the change that raised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccess {
    pub generation: i64,
    pub change: AccessChange,
}

/// What ended a user's earlier tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessChange {
    Disabled,
    Deleted,
    RoleChanged,
    PasswordChanged,
    PasswordReset,
}

impl AccessChange {
    pub const ALL: [AccessChange; 5] = [
        AccessChange::Disabled,
        AccessChange::Deleted,
        AccessChange::RoleChanged,
        AccessChange::PasswordChanged,
        AccessChange::PasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessChange::Disabled => "disabled",
            AccessChange::Deleted => "deleted",
            AccessChange::RoleChanged => "role_changed",
            AccessChange::PasswordChanged => "password_changed",
            AccessChange::PasswordReset => "password_reset",
        }
    }

    pub fn parse(value: &str) -> Option<AccessChange> {
        AccessChange::ALL
            .into_iter()
            .find(|change| change.as_str() == value)
    }

    /// Why a token from before the change is refused, as the caller reads it.
    pub fn refusal(self) -> &'static str {
        match self {
            AccessChange::Disabled => "this token was revoked: the account was disabled",
            AccessChange::Deleted => "this token was revoked: the account was deleted",
            AccessChange::RoleChanged => {
                "this token was revoked: the account's role changed; log in again"
            }
            AccessChange::PasswordChanged | AccessChange::PasswordReset => {
                "this token was revoked: the account's password changed; log in again"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_round_trip_through_their_names() {
        for change in AccessChange::ALL {
            assert_eq!(AccessChange::parse(change.as_str()), Some(change));
            assert_eq!(serde_json::to_value(change).unwrap(), change.as_str());
        }
        let entry = UserAccess {
            generation: 3,
            change: AccessChange::RoleChanged,
        };
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::json!({"generation": 3, "change": "role_changed"})
        );
    }
}
