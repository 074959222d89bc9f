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
pub mod users;

/// A page of a list, in creation order.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
}

pub use platform::db::{new_id, now};
