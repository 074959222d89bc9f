use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tempfile::TempDir;

use crate::unique_name;

/// A fresh, empty database for one test; dropped with it.
pub struct TestDatabase {
    url: String,
    backend: Backend,
}

enum Backend {
    Sqlite {
        _dir: TempDir,
    },
    Postgres {
        maintenance_url: String,
        name: String,
    },
}

impl TestDatabase {
    /// PostgreSQL when `TEST_DATABASE_URL` names a server, SQLite otherwise.
    pub fn create() -> anyhow::Result<Self> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => Self::postgres(&url),
            _ => Self::sqlite(),
        }
    }

    pub fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Ok(Self {
            url,
            backend: Backend::Sqlite { _dir: dir },
        })
    }

    /// Creates a uniquely named database on the server of `maintenance_url`, keeping the URL's
    /// query (e.g. `?sslmode=disable`).
    pub fn postgres(maintenance_url: &str) -> anyhow::Result<Self> {
        let name = unique_name("cx_test_");
        let mut admin = PgConnection::establish(maintenance_url)?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (location, query) = maintenance_url
            .split_once('?')
            .unwrap_or((maintenance_url, ""));
        let base = location.rsplit_once('/').map_or(location, |(base, _)| base);
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        Ok(Self {
            url: format!("{base}/{name}{query}"),

            backend: Backend::Postgres {
                maintenance_url: maintenance_url.to_owned(),
                name,
            },
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A service's database settings for this database (a pool of four).
    pub fn settings(&self) -> platform::settings::DatabaseSettings {
        platform::settings::DatabaseSettings {
            url: self.url.clone(),
            pool_size: 4,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Backend::Postgres {
            maintenance_url,
            name,
        } = &self.backend
            && let Ok(mut admin) = PgConnection::establish(maintenance_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
