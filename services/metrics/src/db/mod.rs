//! Queries of the metrics database: plain sync diesel functions over `&mut DbConnection`,
//! reached from handlers and consumers through `Db::run` / `Db::write`.

pub mod queries;
pub mod rollups;
pub mod schema;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The metrics schema for both backends, applied at start-up.
pub fn migrations() -> platform::db::Migrations {
    platform::db::Migrations {
        sqlite: SQLITE_MIGRATIONS,
        postgres: POSTGRES_MIGRATIONS,
    }
}
