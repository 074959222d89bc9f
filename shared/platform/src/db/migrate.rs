//! Embedded migrations, run at start-up: the platform's own tables first (the outbox), then
//! the service's. Replicas that start together never race through the same migrations: on
//! PostgreSQL an advisory lock serialises them, on SQLite an exclusive lock on a
//! `.migrate-lock` file beside the database.

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Db, DbConnection};

/// The platform's own migrations (outbox, processed events), shared by every service. Their
/// versions (`0000000000000N`) sort before any service's dated ones and never collide with them.
const PLATFORM_SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PLATFORM_POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary but fixed: the key of the advisory lock taken while migrating.
const MIGRATION_LOCK_KEY: i64 = 0x0ca7_60e5;

/// A service's migrations, one folder per backend: `embed_migrations!("migrations/sqlite")`.
pub struct Migrations {
    pub sqlite: EmbeddedMigrations,
    pub postgres: EmbeddedMigrations,
}

impl Db {
    pub async fn migrate(&self, service: Migrations) -> anyhow::Result<()> {
        let lock_file = self
            .sqlite_file
            .as_ref()
            .map(|file| file.with_extension("migrate-lock"));
        self.run(move |conn| -> anyhow::Result<()> {
            match conn {
                DbConnection::Sqlite(c) => {
                    let lock_file = lock_file.context("a SQLite database has a file")?;
                    let lock = std::fs::File::create(&lock_file)
                        .with_context(|| format!("creating {}", lock_file.display()))?;
                    // Held until dropped at the end of this block; the OS frees it if we die.
                    lock.lock()
                        .with_context(|| format!("locking {}", lock_file.display()))?;
                    run_pending(c, PLATFORM_SQLITE)?;
                    run_pending(c, service.sqlite)?;
                }
                DbConnection::Postgres(c) => {
                    c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
                    let result = run_pending(c, PLATFORM_POSTGRES)
                        .and_then(|()| run_pending(c, service.postgres));
                    c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
                    result?;
                }
            }
            Ok(())
        })
        .await
        .context("running database migrations")
    }
}

fn run_pending<C, DB>(conn: &mut C, migrations: EmbeddedMigrations) -> anyhow::Result<()>
where
    C: MigrationHarness<DB>,
    DB: diesel::backend::Backend,
    EmbeddedMigrations: MigrationSource<DB>,
{
    conn.run_pending_migrations(migrations)
        .map_err(anyhow::Error::from_boxed)?;
    Ok(())
}
