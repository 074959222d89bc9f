//! Test harness shared by every service's integration tests: real NATS and real databases.
//!
//! - [`TestNats`]: a private `nats-server` with JetStream on a free port and a temporary store,
//!   which a test can stop and start again to simulate an outage; or, when `TEST_NATS_URL` is
//!   set, an existing server shared through a unique namespace.
//! - [`TestDatabase`]: a fresh database per test, a temporary SQLite file by default, or a
//!   PostgreSQL database created (and dropped afterwards) on the server named by
//!   `TEST_DATABASE_URL=postgres://user@host:port/maintenance_db`.
//! - [`app::TestApp`]: the shell of a service's tests, the service running on both of these,
//!   with [`tokens`] signed as the identity provider signs them.

// Only tests run this crate: indexing a JSON answer that lacks the member fails the test, as
// it should.
#![allow(clippy::indexing_slicing)]

pub mod api_docs;
pub mod app;
pub mod bench;
pub mod browser;
pub mod contract;
mod database;
pub mod http;
pub mod logs;
mod nats;
pub mod reference;
pub mod streams;
pub mod tokens;
pub mod webhook_receiver;

pub use database::TestDatabase;
pub use nats::{JetStreamSync, TestNats, nats_server_binary};

/// A port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A short unique token for names (namespaces, database names).
pub fn unique_name(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A service's HTTP settings in a test: `port` (0 for any free one) and two workers.
pub fn http_settings(port: u16) -> platform::settings::HttpSettings {
    platform::settings::HttpSettings {
        workers: 2,
        ..platform::settings::HttpSettings::with_port(port)
    }
}

/// A service's settings in a test, the rest default: HTTP on `port` (0 for any free one), the
/// [`TestNats`] `nats`'s server and namespace and, for a service with a database, the
/// [`TestDatabase`] `db`.
///
/// ```ignore
/// let settings = test_support::service_settings!(Settings, 0, &nats, &db);
/// ```
#[macro_export]
macro_rules! service_settings {
    ($($settings:ident)::+, $port:expr, $nats:expr $(, $db:expr)? $(,)?) => {
        $($settings)::+ {
            http: $crate::http_settings($port),
            $(database: $db.settings(),)?
            nats: $nats.settings(),
            ..::std::default::Default::default()
        }
    };
}

/// Waits until `check` holds, polling; fails after `timeout`.
pub async fn eventually<F, Fut>(timeout: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_some(timeout, what, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await;
}

/// Polls `check` until it gives a value, and returns that; fails after `timeout`.
pub async fn eventually_some<T, F, Fut>(timeout: std::time::Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_ok(timeout, what, || {
        let found = check();
        async move { found.await.ok_or("nothing yet") }
    })
    .await
}

/// Polls `check` until it gives `Ok`, and returns that value; fails after `timeout`, saying
/// what the last `Err` held (the state it was still waiting on).
pub async fn eventually_ok<T, E, F, Fut>(
    timeout: std::time::Duration,
    what: &str,
    mut check: F,
) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let last = match check().await {
            Ok(value) => return value,
            Err(last) => last,
        };
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; last: {last}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
