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
    load_with_lists(service, &[])
}

/// As [`load`], reading the settings named in `list_keys` (e.g. `webhooks.allowed_hosts`) from
/// comma-separated environment variables: `DELIVERY__WEBHOOKS__ALLOWED_HOSTS=ecommerce,partner`.
pub fn load_with_lists<T: DeserializeOwned>(
    service: &str,
    list_keys: &[&str],
) -> anyhow::Result<T> {
    let env_prefix = service.to_ascii_uppercase();
    let file = std::env::var(format!("{env_prefix}_CONFIG"))
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(format!("config/{service}.toml")));
    config::Config::builder()
        .add_source(config::File::from(file.clone()).required(false))
        .add_source(environment(&env_prefix, list_keys))
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

/// Where a service that only verifies tokens finds the identity provider's public keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JwksSettings {
    pub jwks_url: String,
    pub issuer: String,
    /// How long start-up waits for the identity provider to answer.
    pub jwks_wait_seconds: u64,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            jwks_url: "http://127.0.0.1:8081/.well-known/jwks.json".to_owned(),
            issuer: "cargo-express".to_owned(),
            jwks_wait_seconds: 120,
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

/// The `<PREFIX>__SECTION__KEY` variables, `list_keys` read as comma-separated lists.
fn environment(env_prefix: &str, list_keys: &[&str]) -> config::Environment {
    let environment = config::Environment::with_prefix(env_prefix)
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true);
    if list_keys.is_empty() {
        // Without named keys a list separator would split every variable, log filters included.
        return environment;
    }
    list_keys
        .iter()
        .fold(environment.list_separator(","), |env, key| {
            env.with_list_parse_key(key)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe {
        hosts: Vec<String>,
        filter: String,
    }

    #[test]
    fn named_keys_read_comma_separated_lists_and_others_stay_strings() {
        let variables = [
            ("PROBE__HOSTS".to_owned(), "ecommerce,partner".to_owned()),
            ("PROBE__FILTER".to_owned(), "info,delivery=debug".to_owned()),
        ];
        let probe: Probe = config::Config::builder()
            .add_source(environment("PROBE", &["hosts"]).source(Some(variables.into())))
            .build()
            .and_then(config::Config::try_deserialize)
            .unwrap();
        assert_eq!(probe.hosts, ["ecommerce", "partner"]);
        assert_eq!(probe.filter, "info,delivery=debug");
    }
}
