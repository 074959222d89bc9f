//! delivery settings: `config/delivery.toml`, then `DELIVERY__SECTION__KEY` variables.

use std::time::Duration;

use platform::settings::{
    DatabaseSettings, HttpSettings, JwksSettings, LogSettings, Mode, NatsSettings, OutboxSettings,
};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub mode: Mode,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub outbox: OutboxSettings,
    pub nats: NatsSettings,
    pub log: LogSettings,
    /// Tokens come from the identity provider (ecommerce); this service only verifies them.
    pub auth: JwksSettings,
    pub worker: WorkerSettings,
    pub webhooks: WebhookSettings,
    pub tasks: TaskSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Demo,
            http: HttpSettings {
                port: 8082,
                ..HttpSettings::default()
            },
            database: DatabaseSettings {
                url: "sqlite://data/delivery.db".to_owned(),
                ..DatabaseSettings::default()
            },
            outbox: OutboxSettings::default(),
            nats: NatsSettings::default(),
            log: LogSettings::default(),
            auth: JwksSettings::default(),
            worker: WorkerSettings::default(),
            webhooks: WebhookSettings::default(),
            tasks: TaskSettings::default(),
        }
    }
}

/// The status worker (seed 004 item 3).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WorkerSettings {
    /// Every this often, every delivery not yet delivered moves one step.
    pub interval_ms: u64,
    /// Deliveries moved per transaction.
    pub batch_size: i64,
    /// Seeds the 50/50 draw at IN_ROUTE_OF_DELIVERY; absent means the operating system's entropy.
    pub seed: Option<u64>,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            interval_ms: 30_000,
            batch_size: 10_000,
            seed: None,
        }
    }
}

impl WorkerSettings {
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.max(1))
    }
}

/// The webhook dispatcher (seed 004 item 4).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Hosts a subscription may point at even though they resolve to private, loopback or
    /// link-local addresses. Demo mode adds `localhost`, `127.0.0.1` and `::1`.
    pub allowed_hosts: Vec<String>,
    /// The whole request to a subscriber, connection included.
    pub timeout_ms: u64,
    /// Requests in flight at once, over all subscribers.
    pub max_in_flight: usize,
    /// Requests in flight to one subscription, so a slow subscriber holds only its own share.
    pub max_in_flight_per_subscription: usize,
    /// The first retry waits this long; each later one twice as long, with jitter.
    pub first_retry_seconds: u64,
    pub max_retry_interval_seconds: u64,
    /// A message still failing this long after it was created is marked failed.
    pub give_up_after_seconds: u64,
    /// After a rotation the previous secret keeps signing this long.
    pub rotation_grace_seconds: i64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            timeout_ms: 5_000,
            max_in_flight: 256,
            max_in_flight_per_subscription: 32,
            first_retry_seconds: 5,
            max_retry_interval_seconds: 3_600,
            give_up_after_seconds: 26 * 3_600,
            rotation_grace_seconds: 24 * 3_600,
        }
    }
}

/// Background tasks, each of which can be switched off (tests switch off what they drive by hand).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TaskSettings {
    pub outbox_relay: bool,
    pub status_worker: bool,
    /// Creates deliveries from `orders.dispatched`.
    pub order_consumer: bool,
    /// Marks deliveries DELIVERED from courier reports that carry their tracking number.
    pub report_consumer: bool,
    /// Turns delivery events into webhook messages.
    pub webhook_fanout: bool,
    /// Sends webhook messages.
    pub webhook_sender: bool,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            outbox_relay: true,
            status_worker: true,
            order_consumer: true,
            report_consumer: true,
            webhook_fanout: true,
            webhook_sender: true,
        }
    }
}

impl Settings {
    /// The hosts webhooks may reach on private addresses: the configured ones, plus loopback
    /// in demo mode so the local demo and tests can run a subscriber next to the service.
    pub fn webhook_allowed_hosts(&self) -> Vec<String> {
        let mut hosts = self.webhooks.allowed_hosts.clone();
        if self.mode == Mode::Demo {
            hosts.extend(["localhost", "127.0.0.1", "::1"].map(str::to_owned));
        }
        hosts
    }
}
