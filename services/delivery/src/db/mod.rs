//! Queries of the delivery database: plain sync diesel functions over `&mut DbConnection`,
//! reached from handlers and workers through `Db::run` / `Db::write`.

pub mod couriers;
pub mod deliveries;
pub mod schema;
pub mod webhooks;
