//! Queries of the ecommerce database: plain sync diesel functions over `&mut DbConnection`,
//! reached from handlers through `Db::run`. They return `QueryResult`; handlers map errors.

pub mod ally_credentials;
pub mod delivery_subscription;
pub mod login_throttle;
pub mod orders;
pub mod portfolios;

pub mod products;
pub mod schema;
pub mod sellers;
pub mod user_changes;
pub mod users;

use platform::auth::Claims;

/// A page of a list, in creation order.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
}

pub use platform::db::{new_id, now};

/// Who made a change, as an audit trail names them.
#[derive(Debug, Clone)]
pub struct ChangedBy {
    pub user_id: String,
    pub email: String,
    pub role: String,
}

impl ChangedBy {
    /// The signed-in caller.
    pub fn caller(auth: &Claims) -> Self {
        Self {
            user_id: auth.sub.clone(),
            email: auth.email.clone(),
            role: auth.role.as_str().to_owned(),
        }
    }
}
