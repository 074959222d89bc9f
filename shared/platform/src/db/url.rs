//! Database URLs: the scheme picks the backend, anything else is refused at start-up.

use std::path::Path;

use anyhow::{Context, bail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A validated database URL. SQLite URLs keep only the file path diesel opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    url: String,
}

impl DatabaseUrl {
    /// Accepts `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, and
    /// `postgres://` or `postgresql://` URLs.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() || path.contains(":memory:") {
                bail!("sqlite URL needs a file path (an in-memory database cannot be pooled)");
            }
            return Ok(Self {
                backend: Backend::Sqlite,
                url: path.to_owned(),
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                url: raw.to_owned(),
            });
        }
        bail!("unsupported database URL {raw:?}: use sqlite://<file> or postgres://<host>/<db>")
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What diesel's `establish` takes: the file path for SQLite, the URL for PostgreSQL.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Creates the folder of a SQLite file so that a fresh checkout just works.
    pub(crate) fn prepare(&self) -> anyhow::Result<()> {
        if self.backend == Backend::Sqlite
            && let Some(parent) = Path::new(&self.url).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        let sqlite = DatabaseUrl::parse("sqlite://data/ecommerce.db").unwrap();
        assert_eq!(
            (sqlite.backend(), sqlite.as_str()),
            (Backend::Sqlite, "data/ecommerce.db")
        );
        let absolute = DatabaseUrl::parse("sqlite:///var/lib/cx/e.db").unwrap();
        assert_eq!(absolute.as_str(), "/var/lib/cx/e.db");
        let pg = DatabaseUrl::parse("postgresql://cx@db/ecommerce").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
    }

    #[test]
    fn unknown_schemes_and_memory_databases_are_refused() {
        assert!(DatabaseUrl::parse("mysql://x/y").is_err());
        assert!(DatabaseUrl::parse("data/ecommerce.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
