//! metrics settings: `config/metrics.toml`, then `METRICS__SECTION__KEY` variables.

use platform::settings::{
    DatabaseSettings, HttpSettings, JwksSettings, LogSettings, Mode, NatsSettings,
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub mode: Mode,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub nats: NatsSettings,
    pub log: LogSettings,
    /// Tokens come from the identity provider (ecommerce); this service only verifies them.
    pub auth: JwksSettings,
    pub dashboard: DashboardSettings,
    pub tasks: TaskSettings,
}

/// Which background tasks this replica runs; all by default. A replica with `consumers` off
/// only serves the API and the dashboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TaskSettings {
    pub consumers: bool,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self { consumers: true }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Demo,
            http: HttpSettings {
                port: 8084,
                ..HttpSettings::default()
            },
            database: DatabaseSettings {
                url: "sqlite://data/metrics.db".to_owned(),
                ..DatabaseSettings::default()
            },
            nats: NatsSettings::default(),
            log: LogSettings::default(),
            auth: JwksSettings::default(),
            dashboard: DashboardSettings::default(),
            tasks: TaskSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DashboardSettings {
    /// The identity provider's log-in endpoint; the dashboard's log-in form is passed to it.
    pub login_url: String,
    /// The live stream sends at most one update per this many milliseconds to each viewer.
    pub push_interval_ms: u64,
}

impl Default for DashboardSettings {
    fn default() -> Self {
        Self {
            login_url: "http://127.0.0.1:8081/auth/login".to_owned(),
            push_interval_ms: 500,
        }
    }
}
