//! Layered settings: serde defaults, then an optional TOML file, then environment variables.
//!
//! A service named `ecommerce` reads `config/ecommerce.toml` (or the file named by
//! `ECOMMERCE_CONFIG`) and then `ECOMMERCE__SECTION__KEY` variables, e.g.
//! `ECOMMERCE__HTTP__PORT=8081`. Each service parses the raw layers into its own struct and
//! validates them before anything starts; there are no global settings, so tests set any field.
//!
//! A key that no setting reads (`ECOMMERCE__NATS__JETSTREAM__REPLCAS`, a renamed setting) would
//! otherwise be dropped in silence, so loading also names every such key: a service warns about
//! them at start-up, and `<service> --check-settings` fails on them (deployments are checked
//! that way before they ship).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use contracts::streams::Namespace;
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::db::DatabaseUrl;

/// The argument that makes a service load its settings, report keys no setting reads, and exit.
pub const CHECK_SETTINGS_ARG: &str = "--check-settings";
/// The operator command that sends a service's events again from its outbox.
pub const REPUBLISH_ARG: &str = "republish";

/// What a service binary was asked to do by its command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// No argument: run the service.
    Run,
    /// `--check-settings`: load the settings, report, exit non-zero on any unknown key.
    CheckSettings,
    /// `republish --since <RFC 3339 time>`: queue every event the outbox kept from that time on
    /// to be published again by the running relays (`platform::outbox::republish_since`).
    Republish {
        since: chrono::DateTime<chrono::Utc>,
    },
}

impl Command {
    /// Reads the process's arguments; anything but nothing, `--check-settings` or `republish
    /// --since TIME` is refused, so a mistyped flag never starts the service by accident.
    pub fn from_args() -> anyhow::Result<Self> {
        Self::parse(std::env::args().skip(1))
    }

    fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let command = match args.next() {
            None => Self::Run,
            Some(arg) if arg == CHECK_SETTINGS_ARG => Self::CheckSettings,
            Some(arg) if arg == REPUBLISH_ARG => {
                let (Some(flag), Some(time)) = (args.next(), args.next()) else {
                    bail!("usage: {REPUBLISH_ARG} --since 2026-12-07T10:00:00Z");
                };
                anyhow::ensure!(
                    flag == "--since",
                    "usage: {REPUBLISH_ARG} --since 2026-12-07T10:00:00Z (not {flag:?})"
                );
                let since = chrono::DateTime::parse_from_rfc3339(&time)
                    .with_context(|| {
                        format!("--since {time:?} is not an RFC 3339 time (2026-12-07T10:00:00Z)")
                    })?
                    .to_utc();
                Self::Republish { since }
            }
            Some(arg) => bail!(
                "unknown argument {arg:?}: run with no argument, {CHECK_SETTINGS_ARG} to check the settings and exit, or {REPUBLISH_ARG} --since TIME"
            ),
        };
        if let Some(extra) = args.next() {
            bail!("unexpected argument {extra:?}");
        }
        Ok(command)
    }
}

/// Settings as loaded, with every given key that no setting reads.
#[derive(Debug)]
pub struct Loaded<T> {
    pub settings: T,
    pub unknown: Vec<UnknownKey>,
}

/// A key given in the environment or the settings file that no setting reads: a typo, or a
/// setting that was renamed or removed. Named as the operator wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownKey {
    /// `ECOMMERCE__NATS__JETSTREAM__REPLCAS`
    Environment { variable: String },
    /// `nats.jetstream.replcas` in `config/ecommerce.toml`
    File { file: PathBuf, key: String },
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment { variable } => write!(f, "environment variable {variable}"),
            Self::File { file, key } => write!(f, "key {key} in {}", file.display()),
        }
    }
}

impl<T> Loaded<T> {
    /// For `--check-settings`: prints each unknown key (stderr) or that all keys are known
    /// (stdout); the exit code fails when there is any unknown key.
    pub fn check_report(&self, service: &str) -> ExitCode {
        if self.unknown.is_empty() {
            println!("{service}: settings loaded; every key given is a setting");
            return ExitCode::SUCCESS;
        }
        for key in &self.unknown {
            eprintln!("{service}: unknown setting: {key} (no setting reads it)");
        }
        ExitCode::FAILURE
    }

    /// For a normal start: a warning per unknown key (after telemetry is initialised, so the
    /// warnings reach the logs), then the settings.
    pub fn warn_unknown(self) -> T {
        for key in &self.unknown {
            tracing::warn!(setting = %key, "unknown setting ignored: no setting reads it (a typo?)");
        }
        self.settings
    }
}

/// Reads the settings of `service` from its file and environment layers, naming the keys no
/// setting reads. The settings named in `list_keys` (e.g. `webhooks.allowed_hosts`) are read
/// from comma-separated environment variables:
/// `DELIVERY__WEBHOOKS__ALLOWED_HOSTS=ecommerce,partner`.
pub fn load<T: DeserializeOwned>(service: &str, list_keys: &[&str]) -> anyhow::Result<Loaded<T>> {
    let env_prefix = service.to_ascii_uppercase();
    let file = std::env::var(format!("{env_prefix}_CONFIG")).map_or_else(
        |_| PathBuf::from(format!("config/{service}.toml")),
        PathBuf::from,
    );
    load_from(service, &file, None, list_keys)
}

/// [`load`] from `file` and, when given, these `variables` instead of the process environment.
fn load_from<T: DeserializeOwned>(
    service: &str,
    file: &Path,
    variables: Option<config::Map<String, String>>,
    list_keys: &[&str],
) -> anyhow::Result<Loaded<T>> {
    let env_prefix = service.to_ascii_uppercase();
    let variable_names: Vec<String> = match &variables {
        Some(variables) => variables.keys().cloned().collect(),
        None => std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .collect(),
    };
    let mut ignored = Vec::new();
    let settings = config::Config::builder()
        .add_source(config::File::from(file.to_owned()).required(false))
        .add_source(environment(&env_prefix, list_keys).source(variables))
        .build()
        .and_then(|config| {
            serde_ignored::deserialize(config, |path| ignored.push(dotted_key(&path)))
        })
        .with_context(|| {
            format!(
                "reading {service} settings ({} and {env_prefix}__* variables)",
                file.display()
            )
        })?;
    let unknown = name_unknown_keys(&env_prefix, &variable_names, file, &ignored);
    Ok(Loaded { settings, unknown })
}

/// `nats.jetstream.replcas` for an ignored key's path; optional values add no segment.
fn dotted_key(path: &serde_ignored::Path<'_>) -> String {
    fn segments(path: &serde_ignored::Path<'_>, out: &mut Vec<String>) {
        match path {
            serde_ignored::Path::Root => {}
            serde_ignored::Path::Seq { parent, index } => {
                segments(parent, out);
                out.push(index.to_string());
            }
            serde_ignored::Path::Map { parent, key } => {
                segments(parent, out);
                out.push(key.clone());
            }
            serde_ignored::Path::Some { parent }
            | serde_ignored::Path::NewtypeStruct { parent }
            | serde_ignored::Path::NewtypeVariant { parent } => segments(parent, out),
        }
    }
    let mut out = Vec::new();
    segments(path, &mut out);
    out.join(".")
}

/// Names each ignored key as given: the environment variables that set it or anything under
/// it (a whole unknown section is one ignored key), else the file's key.
fn name_unknown_keys(
    env_prefix: &str,
    variable_names: &[String],
    file: &Path,
    ignored: &[String],
) -> Vec<UnknownKey> {
    let prefix = format!("{env_prefix}__").to_lowercase();
    let mut unknown = Vec::new();
    for key in ignored {
        let mut from_environment: Vec<&String> = variable_names
            .iter()
            .filter(|name| {
                let lower = name.to_lowercase();
                lower.strip_prefix(&prefix).is_some_and(|rest| {
                    let dotted = rest.replace("__", ".");
                    dotted == *key || dotted.starts_with(&format!("{key}."))
                })
            })
            .collect();
        from_environment.sort();
        if from_environment.is_empty() {
            unknown.push(UnknownKey::File {
                file: file.to_owned(),
                key: key.clone(),
            });
        }
        unknown.extend(
            from_environment
                .into_iter()
                .map(|variable| UnknownKey::Environment {
                    variable: variable.clone(),
                }),
        );
    }
    unknown
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

/// The transactional outbox (`platform::outbox`) of a service that has one.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OutboxSettings {
    /// How long a published event stays in the outbox, so that `republish --since` can send it
    /// again when NATS lost it (a power cut inside a sync window, a replaced volume, a deleted
    /// stream). Three days by default: a failure on a Friday night is still covered on Monday.
    pub retention_hours: u64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            retention_hours: 72,
        }
    }
}

/// How a service reaches NATS: one server or a cluster, with credentials and TLS, and how the
/// streams and buckets it owns are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NatsSettings {
    /// One server, or a cluster's servers separated by commas
    /// (`nats://n1:4222,nats://n2:4222,nats://n3:4222`); the client also learns the others from
    /// the cluster and moves to another when one fails.
    pub url: String,
    /// Prefix for streams, subjects and buckets; empty in production, unique per test run.
    pub namespace: String,
    pub auth: NatsAuth,
    pub tls: NatsTls,
    pub jetstream: JetStreamSettings,
}

impl NatsSettings {
    pub fn parsed_namespace(&self) -> anyhow::Result<Namespace> {
        Namespace::new(self.namespace.clone())
            .map_err(anyhow::Error::msg)
            .context("nats.namespace")
    }

    /// The servers of `url`.
    pub fn servers(&self) -> Vec<String> {
        self.url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".to_owned(),
            namespace: String::new(),
            auth: NatsAuth::default(),
            tls: NatsTls::default(),
            jetstream: JetStreamSettings::default(),
        }
    }
}

/// At most one way to authenticate to NATS; none for a server without authorization. Secrets
/// are `SecretString`s, which never print.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NatsAuth {
    /// With `password`.
    pub user: Option<String>,
    pub password: Option<SecretString>,
    pub token: Option<SecretString>,
    /// An NKey seed (`SU...`).
    pub nkey_seed: Option<SecretString>,
    /// A `.creds` file (JWT and NKey seed), as `nsc` writes it.
    pub credentials_file: Option<PathBuf>,
}

/// TLS to NATS: the CA that signed the servers' certificates, and a client certificate when
/// the servers verify clients.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NatsTls {
    /// Refuse a connection without TLS (implied by any file below).
    pub required: bool,
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// How the JetStream streams and KV buckets a service owns are kept. At start-up the owner
/// reconciles what exists with this (replicas raised, retention set) in place, never deleting.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JetStreamSettings {
    /// Copies of each stream and bucket: 1 on one server, 3 on a production cluster.
    pub replicas: usize,
    /// How long a repeated `Nats-Msg-Id` is recognised as a duplicate.
    pub duplicate_window_seconds: u64,
    /// Retention of the event streams, unless `retention` says otherwise for one; 0 keeps
    /// events forever. Seven days by default: a week of replay for a consumer that was down or
    /// metrics rebuilt, beyond the outboxes' three days of republishing.
    pub max_age_days: u64,
    /// Size cap of each event stream (oldest events go first); -1 for none. 1 GiB by default,
    /// one machine's share (the quick start, the local cluster's 4 GB stores); production
    /// sizes each stream from its measured event size and rate (docs/decisions.md, "Stream
    /// limits"). JetStream reserves it on every server holding a copy.
    pub max_bytes: i64,
    /// Per event stream, by lower-case name (`orders`, `deliveries`, `courier_reports`).
    pub retention: BTreeMap<String, Retention>,
}

impl Default for JetStreamSettings {
    fn default() -> Self {
        Self {
            replicas: 1,
            duplicate_window_seconds: 120,
            max_age_days: 7,
            max_bytes: 1 << 30,
            retention: BTreeMap::new(),
        }
    }
}

impl JetStreamSettings {
    /// The retention of stream `name` (`ORDERS`): its own if set, else the defaults.
    pub fn retention_of(&self, name: &str) -> Retention {
        let own = self.retention.get(&name.to_ascii_lowercase());
        Retention {
            max_age_days: own.and_then(|r| r.max_age_days).or(Some(self.max_age_days)),
            max_bytes: own.and_then(|r| r.max_bytes).or(Some(self.max_bytes)),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct Retention {
    pub max_age_days: Option<u64>,
    pub max_bytes: Option<i64>,
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
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn nats_settings_read_a_cluster_credentials_and_retention_and_never_print_secrets() {
        #[derive(Debug, Default, Deserialize)]
        #[serde(default)]
        struct Service {
            nats: NatsSettings,
        }
        let variables = [
            (
                "PROBE__NATS__URL".to_owned(),
                "nats://127.0.0.1:4222, nats://127.0.0.1:4223".to_owned(),
            ),
            ("PROBE__NATS__AUTH__USER".to_owned(), "delivery".to_owned()),
            (
                "PROBE__NATS__AUTH__PASSWORD".to_owned(),
                "s3cr3t-pass".to_owned(),
            ),
            (
                "PROBE__NATS__JETSTREAM__REPLICAS".to_owned(),
                "3".to_owned(),
            ),
            (
                "PROBE__NATS__JETSTREAM__RETENTION__ORDERS__MAX_AGE_DAYS".to_owned(),
                "30".to_owned(),
            ),
        ];
        let service: Service = config::Config::builder()
            .add_source(environment("PROBE", &[]).source(Some(variables.into())))
            .build()
            .and_then(config::Config::try_deserialize)
            .unwrap();
        let nats = service.nats;
        assert_eq!(
            nats.servers(),
            ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"]
        );
        assert_eq!(nats.auth.user.as_deref(), Some("delivery"));
        assert_eq!(
            nats.auth
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned()),
            Some("s3cr3t-pass".to_owned())
        );
        assert!(
            !format!("{nats:?}").contains("s3cr3t-pass"),
            "a secret never prints"
        );
        assert_eq!(nats.jetstream.replicas, 3);
        assert_eq!(nats.jetstream.retention_of("ORDERS").max_age_days, Some(30));
        assert_eq!(
            nats.jetstream.retention_of("DELIVERIES").max_age_days,
            Some(7)
        );
        assert_eq!(
            nats.jetstream.retention_of("DELIVERIES").max_bytes,
            Some(1 << 30)
        );
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Checked {
        nats: NatsSettings,
        admin: Option<Admin>,
    }

    #[derive(Debug, Deserialize)]
    struct Admin {
        email: String,
    }

    fn variables(pairs: &[(&str, &str)]) -> config::Map<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn keys_no_setting_reads_are_named_as_written_in_the_environment_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("probe.toml");
        std::fs::write(
            &file,
            "[nats.jetstream]\nreplicas = 3\nreplcas = 5\n\n[admin]\nemail = \"a@b.co\"\nemial = \"x\"\n",
        )
        .unwrap();
        let loaded: Loaded<Checked> = load_from(
            "probe",
            &file,
            Some(variables(&[
                ("PROBE__NATS__URL", "nats://n1:4222,nats://n2:4222"),
                ("PROBE__NATS__JETSTREAM__MAX_AGE_DAYZ", "30"),
                // A whole section no setting reads: each of its variables is named.
                ("PROBE__TRACING__LEVEL", "debug"),
                ("PROBE__TRACING__FORMAT", "json"),
                // Another service's variable is not this one's business.
                ("OTHER__NATS__REPLICAS", "3"),
            ])),
            &[],
        )
        .unwrap();
        assert_eq!(
            loaded.settings.nats.jetstream.replicas, 3,
            "known keys still load"
        );
        assert_eq!(loaded.settings.nats.servers().len(), 2);
        assert_eq!(
            loaded.settings.admin.as_ref().map(|a| a.email.as_str()),
            Some("a@b.co")
        );
        let mut named: Vec<String> = loaded.unknown.iter().map(ToString::to_string).collect();
        named.sort();
        let file_name = file.display();
        let mut expected = vec![
            "environment variable PROBE__NATS__JETSTREAM__MAX_AGE_DAYZ".to_owned(),
            "environment variable PROBE__TRACING__FORMAT".to_owned(),
            "environment variable PROBE__TRACING__LEVEL".to_owned(),
            format!("key admin.emial in {file_name}"),
            format!("key nats.jetstream.replcas in {file_name}"),
        ];
        expected.sort();
        assert_eq!(named, expected);
        assert_eq!(loaded.check_report("probe"), ExitCode::FAILURE);
    }

    #[test]
    fn settings_with_only_known_keys_pass_the_check() {
        let loaded: Loaded<Checked> = load_from(
            "probe",
            Path::new("/nonexistent/probe.toml"),
            Some(variables(&[
                ("PROBE__NATS__JETSTREAM__REPLICAS", "3"),
                ("PROBE__NATS__AUTH__PASSWORD", "s3cr3t"),
                (
                    "PROBE__NATS__JETSTREAM__RETENTION__ORDERS__MAX_AGE_DAYS",
                    "30",
                ),
                ("PROBE__ADMIN__EMAIL", "root@example.com"),
            ])),
            &[],
        )
        .unwrap();
        assert!(loaded.unknown.is_empty(), "{:?}", loaded.unknown);
        assert_eq!(loaded.check_report("probe"), ExitCode::SUCCESS);
        assert_eq!(loaded.warn_unknown().nats.jetstream.replicas, 3);
    }

    #[test]
    fn a_badly_typed_value_fails_the_load_naming_the_service() {
        let error = load_from::<Checked>(
            "probe",
            Path::new("/nonexistent/probe.toml"),
            Some(variables(&[("PROBE__NATS__JETSTREAM__REPLICAS", "three")])),
            &[],
        )
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("reading probe settings"),
            "{error:#}"
        );
    }

    #[test]
    fn the_command_line_is_nothing_check_settings_or_republish_since_a_time() {
        let parse = |args: &[&str]| Command::parse(args.iter().map(|a| (*a).to_owned()));
        assert_eq!(parse(&[]).unwrap(), Command::Run);
        assert_eq!(
            parse(&["--check-settings"]).unwrap(),
            Command::CheckSettings
        );
        assert!(
            parse(&["--check-setting"]).is_err(),
            "a typo never starts the service"
        );
        assert!(parse(&["--check-settings", "extra"]).is_err());
        assert_eq!(
            parse(&["republish", "--since", "2026-12-07T05:00:00-05:00"]).unwrap(),
            Command::Republish {
                since: "2026-12-07T10:00:00Z".parse().unwrap()
            }
        );
        for wrong in [
            &["republish"][..],
            &["republish", "--since"],
            &["republish", "--until", "2026-12-07T10:00:00Z"],
            &["republish", "--since", "yesterday"],
            &["republish", "--since", "2026-12-07T10:00:00Z", "extra"],
        ] {
            assert!(parse(wrong).is_err(), "{wrong:?} is refused");
        }
    }

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
