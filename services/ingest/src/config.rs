//! ingest settings: `config/ingest.toml`, then `INGEST__SECTION__KEY` variables.

use chrono::{FixedOffset, TimeDelta};
use platform::settings::{HttpSettings, JwksSettings, LogSettings, Mode, NatsSettings};
use serde::Deserialize;

use crate::domain::report::Limits;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub mode: Mode,
    pub http: HttpSettings,
    pub nats: NatsSettings,
    pub log: LogSettings,
    /// Tokens come from the identity provider (ecommerce); this service only verifies them.
    pub auth: JwksSettings,
    pub reports: ReportSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Demo,
            http: HttpSettings {
                port: 8083,
                ..HttpSettings::default()
            },
            nats: NatsSettings::default(),
            log: LogSettings::default(),
            auth: JwksSettings::default(),
            reports: ReportSettings::default(),
        }
    }
}

/// What a report may hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReportSettings {
    /// The UTC offset seed 000's naive timestamps are read in. The default is
    /// America/Bogota's, which has had no daylight saving time since 1993.
    pub local_utc_offset: String,
    /// How far ahead of this server's clock a delivery time may be (device clocks drift).
    pub max_clock_skew_seconds: i64,
    /// How old a report may be: a device that was offline longer has lost it anyway.
    pub max_age_hours: i64,
    /// Product entries in one report (seed 000 sends 1 to 10).
    pub max_products: usize,
    /// Units of one product in one report.
    pub max_quantity: i64,
    /// Reports in one batch.
    pub max_batch: usize,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            local_utc_offset: "-05:00".to_owned(),
            max_clock_skew_seconds: 300,
            max_age_hours: 7 * 24,
            max_products: 100,
            max_quantity: 1_000,
            max_batch: 500,
        }
    }
}

impl ReportSettings {
    pub fn limits(&self) -> anyhow::Result<Limits> {
        let local_offset: FixedOffset = self.local_utc_offset.parse().map_err(|e| {
            anyhow::anyhow!(
                "reports.local_utc_offset {:?} is not an offset like -05:00: {e}",
                self.local_utc_offset
            )
        })?;
        Ok(Limits {
            local_offset,
            max_clock_skew: TimeDelta::seconds(self.max_clock_skew_seconds),
            max_age: TimeDelta::hours(self.max_age_hours),
            max_products: self.max_products,
            max_quantity: self.max_quantity,
            max_batch: self.max_batch,
        })
    }
}
