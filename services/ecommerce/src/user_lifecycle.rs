//! The user lifecycle: an administrator disables, enables and deletes users, changes a role and
//! resets a password; users change their own password.
//!
//! Each change is one transaction that updates the user, records who made it (the
//! `user_changes` audit trail) and, when the change must end the user's sessions, raises their
//! token generation and enqueues the new one for the `user_access` bucket. Every service follows
//! that bucket ([`platform::auth::JwtVerifier::follow_user_access`]), so the user's older tokens
//! are refused everywhere within moments, without a database call per request.

use contracts::user_access::AccessChange;
use platform::ApiError;
use platform::auth::Role;
use platform::db::{DbConnection, OnMissing};
use platform::outbox;
use serde_json::{Map, Value, json};

use crate::db::users::{self, RoleAssignment, User};
use crate::db::{ChangedBy, sellers, user_changes};
use crate::events::user_access::access_put;

/// One change of a user's account.
#[derive(Debug, Clone)]
pub enum Change {
    Disable,
    Enable,
    Delete,
    Role(RoleAssignment),
    /// By an administrator, to a password the server made (`hash` is its hash).
    ResetPassword {
        hash: String,
    },
    /// By the user, who gave their current password, with the token generation of the token
    /// they asked with: a token revoked meanwhile (the account disabled, the password reset)
    /// changes nothing.
    ChangePassword {
        hash: String,
        token_generation: i64,
    },
}

impl Change {
    /// The name the audit trail records.
    fn action(&self) -> &'static str {
        match self {
            Change::Disable => "disabled",
            Change::Enable => "enabled",
            Change::Delete => "deleted",
            Change::Role(_) => "role_changed",
            Change::ResetPassword { .. } => "password_reset",
            Change::ChangePassword { .. } => "password_changed",
        }
    }

    /// The change as the `user_access` bucket names it, for changes that end the user's
    /// sessions. Enabling ends none: tokens from before the account was disabled stay refused.
    fn ends_sessions(&self) -> Option<AccessChange> {
        match self {
            Change::Disable => Some(AccessChange::Disabled),
            Change::Enable => None,
            Change::Delete => Some(AccessChange::Deleted),
            Change::Role(_) => Some(AccessChange::RoleChanged),
            Change::ResetPassword { .. } => Some(AccessChange::PasswordReset),
            Change::ChangePassword { .. } => Some(AccessChange::PasswordChanged),
        }
    }

    /// Why an administrator may not make this change to their own account: nobody would be
    /// left to undo a lock-out if they were the last administrator, and their own password is
    /// changed knowing the current one.
    fn refused_on_oneself(&self) -> Option<&'static str> {
        match self {
            Change::Disable => {
                Some("you cannot disable your own account; another administrator can")
            }
            Change::Delete => Some("you cannot delete your own account; another administrator can"),
            Change::Role(_) => {
                Some("you cannot change the role of your own account; another administrator can")
            }
            Change::ResetPassword { .. } => {
                Some("you cannot reset your own password; change it with PUT /auth/password")
            }
            Change::Enable | Change::ChangePassword { .. } => None,
        }
    }

    /// Whether this change takes an administrator's rights away from `user`.
    fn removes_an_administrator(&self, user: &User) -> bool {
        let active_admin =
            user.role() == Some(Role::MarketplaceAdmin) && user.disabled_at.is_none();
        active_admin
            && match self {
                Change::Disable | Change::Delete => true,
                Change::Role(to) => to.role != Role::MarketplaceAdmin,
                _ => false,
            }
    }
}

/// Reads user `id` for a change, locking what the change must see unchanged until it commits
/// (PostgreSQL; SQLite's write transaction already excludes other writers): the user's row, or,
/// for a change that takes an administrator's rights away, every active administrator's, so
/// that two administrators disabling each other at once cannot leave the platform without one.
fn lock_for(conn: &mut DbConnection, id: &str, change: &Change) -> Result<User, ApiError> {
    let missing = || ApiError::not_found(format!("user {id}"));
    let user = users::find(conn, id).on_missing(missing)?;
    if change.removes_an_administrator(&user) {
        let others = users::lock_active_admins(conn)?
            .into_iter()
            .filter(|admin| admin != id)
            .count();
        if others == 0 {
            return Err(ApiError::conflict(
                "this is the platform's last active administrator; make another one first",
            ));
        }
    } else {
        users::lock(conn, id)?;
    }
    // As it is now that nobody else can change it.
    users::find(conn, id).on_missing(missing)
}

/// Applies `change` to user `id` as `by`, in the caller's transaction; returns the user as the
/// change left them (`None` once deleted). A change that changes nothing (disabling a disabled
/// user, giving a user the role they have) is neither recorded nor ends a session.
pub fn apply(
    conn: &mut DbConnection,
    id: &str,
    change: &Change,
    by: &ChangedBy,
) -> Result<Option<User>, ApiError> {
    if let Some(refusal) = change.refused_on_oneself()
        && by.user_id == id
    {
        return Err(ApiError::conflict(refusal));
    }
    let user = lock_for(conn, id, change)?;
    if let Change::ChangePassword {
        token_generation, ..
    } = change
    {
        if user.disabled_at.is_some() {
            return Err(ApiError::forbidden(
                "this account is disabled; an administrator can enable it",
            ));
        }
        if user.token_generation != *token_generation {
            return Err(ApiError::Unauthorized(
                "this token was revoked: the account changed after it was issued; log in again"
                    .to_owned(),
            ));
        }
    }
    let details = match change {
        Change::Disable if user.disabled_at.is_some() => return Ok(Some(user)),
        Change::Enable if user.disabled_at.is_none() => return Ok(Some(user)),
        Change::Disable | Change::Enable => {
            users::set_disabled(conn, id, matches!(change, Change::Disable))?;
            Map::new()
        }
        Change::Delete => {
            users::erase(conn, id)?;
            Map::new()
        }
        Change::Role(to) => {
            let details = role_changes(&user, to);
            if details.is_empty() {
                return Ok(Some(user));
            }
            if let Some(seller_id) = &to.seller_id {
                sellers::find(conn, seller_id).on_missing(|| {
                    ApiError::invalid("seller_id", format!("no seller has the id {seller_id}"))
                })?;
            }
            users::set_role(conn, id, to)?;
            details
        }
        Change::ResetPassword { hash } | Change::ChangePassword { hash, .. } => {
            users::set_password_hash(conn, id, hash)?;
            Map::new()
        }
    };
    // An address is in no token: changing only it ends no session.
    let ends_sessions = match change {
        Change::Role(_) if details.keys().all(|field| field == "shipping_address") => None,
        _ => change.ends_sessions(),
    };
    if let Some(ended) = ends_sessions {
        let generation = users::raise_token_generation(conn, id, ended)?;
        let put = access_put(id, generation, ended).map_err(anyhow::Error::from)?;
        outbox::enqueue(conn, &[put])?;
    }
    user_changes::record(conn, id, change.action(), &Value::Object(details), by)?;
    match change {
        Change::Delete => Ok(None),
        _ => Ok(Some(users::find(conn, id)?)),
    }
}

/// `{"role": {"old": .., "new": ..}, "seller_id": ..}`: the fields of `to` that differ from
/// what `user` has. A shipping address is personal data, kept only on the user: the trail
/// says it changed, not what it was.
fn role_changes(user: &User, to: &RoleAssignment) -> Map<String, Value> {
    let pairs = [
        ("role", json!(user.role), json!(to.role.as_str())),
        ("seller_id", json!(user.seller_id), json!(to.seller_id)),
        ("courier_id", json!(user.courier_id), json!(to.courier_id)),
    ];
    let mut changed: Map<String, Value> = pairs
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| (field.to_owned(), json!({"old": old, "new": new})))
        .collect();
    if user.shipping_address != to.shipping_address {
        changed.insert("shipping_address".to_owned(), json!("changed"));
    }
    changed
}
