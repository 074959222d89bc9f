//! ecommerce settings: `config/ecommerce.toml`, then `ECOMMERCE__SECTION__KEY` variables.

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use platform::auth::{DEMO_SIGNING_KEY_PEM, HashingSettings};
use platform::settings::{
    DatabaseSettings, HttpSettings, LogSettings, Mode, NatsSettings, OutboxSettings,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::demo_accounts::DEMO_ACCOUNTS;
use crate::purchases::GroupCommitSettings;
use crate::vault::{Key, Vault};

/// Settings read from comma-separated environment variables.
pub const LIST_SETTINGS: [&str; 3] = [
    "login_throttle.trusted_proxies",
    "credentials.previous_keys",
    "credentials.previous_key_files",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub mode: Mode,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub outbox: OutboxSettings,
    pub nats: NatsSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    /// The first administrator, created at start-up if no user has its email yet.
    pub bootstrap_admin: Option<BootstrapAdmin>,
    pub orders: OrderSettings,
    pub delivery: DeliverySettings,
    pub tasks: TaskSettings,
    pub login_throttle: LoginThrottleSettings,
    pub credentials: CredentialsSettings,
}

/// The keys that encrypt ally credentials at rest (see `vault`): each 32 random bytes in
/// base64 (`openssl rand -base64 32`), given inline or in a file (a mounted Secret). Demo mode
/// falls back to the public demo key; production requires a key of its own.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CredentialsSettings {
    /// The current key, which encrypts every write.
    pub key: Option<SecretString>,
    pub key_file: Option<PathBuf>,
    /// Older keys, which only decrypt, until `cx-support rotate-credentials-key` has
    /// re-encrypted everything under the current key (comma-separated in the variable).
    pub previous_keys: Vec<SecretString>,
    pub previous_key_files: Vec<PathBuf>,
}

/// The delivery service, where ecommerce registers its webhook receiver.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DeliverySettings {
    /// The delivery service's base URL; empty means no registration (ecommerce alone).
    pub url: String,
    /// Where the delivery service reaches ecommerce's receiver.
    pub receiver_url: String,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8082".to_owned(),
            receiver_url: "http://127.0.0.1:8081/webhooks/deliveries".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OrderSettings {
    /// How long a purchase's `Idempotency-Key` is remembered.
    pub idempotency_ttl_seconds: i64,
    /// How purchases share transactions.
    pub group_commit: GroupCommitSettings,
}

impl Default for OrderSettings {
    fn default() -> Self {
        Self {
            idempotency_ttl_seconds: 24 * 3600,
            group_commit: GroupCommitSettings::default(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Demo,
            http: HttpSettings {
                port: 8081,
                ..HttpSettings::default()
            },
            database: DatabaseSettings {
                url: "sqlite://data/ecommerce.db".to_owned(),
                ..DatabaseSettings::default()
            },
            outbox: OutboxSettings::default(),
            nats: NatsSettings::default(),
            log: LogSettings::default(),
            auth: AuthSettings::default(),
            bootstrap_admin: None,
            orders: OrderSettings::default(),
            delivery: DeliverySettings::default(),
            tasks: TaskSettings::default(),
            login_throttle: LoginThrottleSettings::default(),
            credentials: CredentialsSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// A PKCS#8 Ed25519 private key (`openssl genpkey -algorithm ed25519`). Demo mode falls
    /// back to the public demo key; production requires a key of its own.
    pub signing_key_file: Option<PathBuf>,
    pub issuer: String,
    pub token_ttl_seconds: i64,
    /// Where passwords are hashed and checked: `threads` (0: one per core).
    pub hashing: HashingSettings,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            signing_key_file: None,
            issuer: "cargo-express".to_owned(),
            token_ttl_seconds: 900,
            hashing: HashingSettings::default(),
        }
    }
}

/// How failed log-ins slow down password guessing (see `login_throttle`): per account and per
/// client address, a few failures are free, then each further one blocks the key twice as long
/// as the one before, from `first_block_seconds` up to the key's cap.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LoginThrottleSettings {
    pub account_free_failures: u32,
    /// Short, so that nobody can lock an account's owner out for long.
    pub account_max_block_seconds: u64,
    pub address_free_failures: u32,
    pub address_max_block_seconds: u64,
    pub first_block_seconds: u64,
    /// Failures are forgotten after this long without a new one (and no block running).
    pub forget_after_seconds: u64,
    /// Peers whose `X-Forwarded-For` is believed: IP addresses or CIDR ranges
    /// (`ECOMMERCE__LOGIN_THROTTLE__TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8`).
    pub trusted_proxies: Vec<String>,
}

impl Default for LoginThrottleSettings {
    fn default() -> Self {
        Self {
            account_free_failures: 5,
            account_max_block_seconds: 60,
            address_free_failures: 20,
            address_max_block_seconds: 15 * 60,
            first_block_seconds: 1,
            forget_after_seconds: 3600,
            trusted_proxies: vec!["127.0.0.0/8".to_owned(), "::1".to_owned()],
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: SecretString,
}

/// Background tasks, each of which can be switched off (tests switch off what they drive by hand).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TaskSettings {
    pub outbox_relay: bool,
    /// The per-status consumers of the ORDERS stream (audit lines, order statistics).
    pub order_consumers: bool,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            outbox_relay: true,
            order_consumers: true,
        }
    }
}

impl Settings {
    /// The signing key, refusing the public demo key in production.
    pub fn signing_key_pem(&self) -> anyhow::Result<SecretString> {
        let pem = match &self.auth.signing_key_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading auth.signing_key_file {}", path.display()))?,
            None if self.mode == Mode::Demo => DEMO_SIGNING_KEY_PEM.to_owned(),
            None => {
                bail!("production needs auth.signing_key_file (ECOMMERCE__AUTH__SIGNING_KEY_FILE)")
            }
        };
        if self.mode == Mode::Production && pem.trim() == DEMO_SIGNING_KEY_PEM.trim() {
            bail!(
                "production refuses the public demo signing key: generate one with `openssl genpkey -algorithm ed25519`"
            );
        }
        Ok(SecretString::from(pem))
    }

    /// The vault of the ally credentials: the current key and the older ones. Production
    /// refuses to run without a key of its own; demo mode can always read the demo key.
    pub fn credentials_vault(&self) -> anyhow::Result<Vault> {
        let settings = &self.credentials;
        let read_file = |path: &PathBuf, setting: &str| -> anyhow::Result<Key> {
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading {setting} {}", path.display()))?,
            );
            Key::from_base64(&text).map_err(|why| anyhow!("{setting} {}: {why}", path.display()))
        };
        let current = match (&settings.key, &settings.key_file) {
            (Some(_), Some(_)) => {
                bail!("give credentials.key or credentials.key_file, not both")
            }
            (Some(key), None) => Key::from_base64(key.expose_secret())
                .map_err(|why| anyhow!("credentials.key {why}"))?,
            (None, Some(path)) => read_file(path, "credentials.key_file")?,
            (None, None) if self.mode == Mode::Demo => Key::demo(),
            (None, None) => bail!(
                "production needs a key for ally credentials: credentials.key_file                  (ECOMMERCE__CREDENTIALS__KEY_FILE) or credentials.key, 32 random bytes in base64                  (`openssl rand -base64 32`)"
            ),
        };
        if self.mode == Mode::Production && current.is_demo() {
            bail!(
                "production refuses the public demo key for ally credentials: make one with                  `openssl rand -base64 32`"
            );
        }
        let mut previous = Vec::new();
        // An empty variable (ECOMMERCE__CREDENTIALS__PREVIOUS_KEYS=) holds no key.
        let given = |key: &&SecretString| !key.expose_secret().trim().is_empty();
        for (i, key) in settings.previous_keys.iter().filter(given).enumerate() {
            previous.push(
                Key::from_base64(key.expose_secret())
                    .map_err(|why| anyhow!("credentials.previous_keys[{i}] {why}"))?,
            );
        }
        for path in &settings.previous_key_files {
            previous.push(read_file(path, "credentials.previous_key_files")?);
        }
        if self.mode == Mode::Demo {
            previous.push(Key::demo());
        } else if previous.iter().any(Key::is_demo) {
            tracing::warn!(
                "the public demo key is among the previous ally credentials keys: run                  `cx-support rotate-credentials-key`, then remove it"
            );
        }
        Ok(Vault::new(current, previous))
    }

    /// Production rules that can be checked before touching the database.
    pub fn check_production_rules(&self) -> anyhow::Result<()> {
        if self.mode != Mode::Production {
            return Ok(());
        }
        if let Some(admin) = &self.bootstrap_admin {
            let password = admin.password.expose_secret();
            if password.chars().count() < 12 {
                bail!("production needs a bootstrap_admin.password of at least 12 characters");
            }
            if DEMO_ACCOUNTS.iter().any(|demo| demo.password == password) {
                bail!("production refuses a demo password for bootstrap_admin.password");
            }
        }
        Ok(())
    }
}
