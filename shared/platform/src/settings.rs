//! Layered settings: serde defaults, then an optional TOML file, then environment variables.
//!
//! A service named `ecommerce` reads `config/ecommerce.toml` (or the file named by
//! `ECOMMERCE_CONFIG`) and then `ECOMMERCE__SECTION__KEY` variables, e.g.
//! `ECOMMERCE__HTTP__PORT=8081`. Each service parses the raw layers into its own struct and
//! validates them before anything starts; there are no global settings, so tests set any field.

use std::path::PathBuf;

use anyhow::Context;
use contracts::streams::Namespace;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::db::DatabaseUrl;

/// Reads the settings of `service` from its file and environment layers.
pub fn load<T: DeserializeOwned>(service: &str) -> anyhow::Result<T> {
    let env_prefix = service.to_ascii_uppercase();
    let file = std::env::var(format!("{env_prefix}_CONFIG"))
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(format!("config/{service}.toml")));
    config::Config::builder()
        .add_source(config::File::from(file.clone()).required(false))
        .add_source(
            config::Environment::with_prefix(&env_prefix)
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        )
        .build()
        .and_then(config::Config::try_deserialize)
        .with_context(|| {
            format!(
                "reading {service} settings ({} and {env_prefix}__* variables)",
                file.display()
            )
        })
}

/// Where the HTTP server listens. Port 0 asks the OS for a free port (tests do).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpSettings {
    pub host: String,
    pub port: u16,
    /// Worker threads of the HTTP server; 0 means one per core.
    pub workers: usize,
}

impl HttpSettings {
    pub fn with_port(port: u16) -> Self {
        Self {
            port,
            ..Self::default()
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            workers: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` (the embedded default) or `postgres://user@host/db`.
    pub url: String,
    pub pool_size: u32,
}

impl DatabaseSettings {
    pub fn parsed_url(&self) -> anyhow::Result<DatabaseUrl> {
        DatabaseUrl::parse(&self.url).context("database.url")
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            pool_size: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NatsSettings {
    pub url: String,
    /// Prefix for streams, subjects and buckets; empty in production, unique per test run.
    pub namespace: String,
}

impl NatsSettings {
    pub fn parsed_namespace(&self) -> anyhow::Result<Namespace> {
        Namespace::new(self.namespace.clone())
            .map_err(anyhow::Error::msg)
            .context("nats.namespace")
    }
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".to_owned(),
            namespace: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, for log collectors.
    #[default]
    Json,
    /// Human-readable lines, for a terminal.
    Pretty,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Json,
            level: "info".to_owned(),
        }
    }
}

/// The fixed run mode. Production refuses demo keys and demo passwords at start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Quick start and tests: demo users and the demo signing key are allowed.
    #[default]
    Demo,
    Production,
}
