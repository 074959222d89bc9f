//! Queries of the delivery database: plain sync diesel functions over `&mut DbConnection`,
//! reached from handlers and workers through `Db::run` / `Db::write`.

pub mod couriers;
pub mod deliveries;
pub mod schema;
pub mod webhooks;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The delivery schema for both backends, applied at start-up.
pub fn migrations() -> platform::db::Migrations {
    platform::db::Migrations {
        sqlite: SQLITE_MIGRATIONS,
        postgres: POSTGRES_MIGRATIONS,
    }
}
