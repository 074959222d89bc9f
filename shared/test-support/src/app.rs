//! The shell of every service's integration tests: the service built from test settings, run in
//! the background on the test's own nats-server (and fresh database), reached over HTTP once
//! `/readyz` says it is ready, and stopped when the test drops it.
//!
//! A service's `tests/api/helpers.rs` keeps only what is its own: its test settings, how it is
//! built, its fixtures, and its `TestApp` wrapping a [`TestApp`] of its settings, declared with
//! [`service_test_app!`](crate::service_test_app) and given the service's methods in an `impl`.

use std::future::Future;
use std::ops::Deref;

use platform::db::{DatabaseUrl, Db};
use platform::lifecycle::Service;
use platform::nats::Nats;
use tokio_util::sync::CancellationToken;

use crate::http::ServiceClient;
use crate::{TestDatabase, TestNats};

/// One running instance of a service, reached with `api`; stopped when dropped.
pub struct Instance {
    pub api: ServiceClient,
    stop: CancellationToken,
}

#[allow(clippy::expect_used)]
impl Instance {
    /// Builds the service, runs it and answers once it is ready. Ready means its streams exist
    /// and its consumers are attached: nothing a test publishes or asks for races the start-up.
    pub async fn start(build: impl Future<Output = anyhow::Result<Service>>) -> Self {
        platform::telemetry::init_for_test();
        let instance = Self::run(build.await.expect("the service builds"));
        instance.wait_until_ready().await;
        instance
    }

    /// Runs a built service without waiting for it to be ready, for tests that wait themselves
    /// (services that become ready only together, or one that must not be ready yet).
    pub fn run(service: Service) -> Self {
        let api = ServiceClient::new(format!("http://127.0.0.1:{}", service.port()));
        let stop = service.stop_token();
        tokio::spawn(service.run_until_stopped());
        Self { api, stop }
    }

    /// Stops the service gracefully (it keeps finishing its work in the background).
    pub fn stop(&self) {
        self.stop.cancel();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Deref for Instance {
    type Target = ServiceClient;

    fn deref(&self) -> &ServiceClient {
        &self.api
    }
}

/// A service under test with what it runs on: the test's nats-server, its database (none for a
/// stateless service) and the settings it was started with, which a replica can reuse.
pub struct TestApp<S> {
    pub instance: Instance,
    pub nats: TestNats,
    pub settings: S,
    // Dropped last: the database outlives the service using it.
    db: Option<TestDatabase>,
}

#[allow(clippy::expect_used)]
impl<S> TestApp<S> {
    /// Starts the service `build` makes from `settings`, which name `nats` and `db`.
    pub async fn start<F>(
        nats: TestNats,
        db: Option<TestDatabase>,
        settings: S,
        build: impl FnOnce(S) -> F,
    ) -> Self
    where
        S: Clone,
        F: Future<Output = anyhow::Result<Service>>,
    {
        let instance = Instance::start(build(settings.clone())).await;
        Self {
            instance,
            nats,
            settings,
            db,
        }
    }

    /// The test's database.
    fn test_database(&self) -> &TestDatabase {
        self.db.as_ref().expect("a service with a database")
    }

    /// The URL of the test's database.
    pub fn database_url(&self) -> &str {
        self.test_database().url()
    }

    /// A connection pool of the test's database, for tests that set up or check state directly.
    pub fn database(&self) -> Db {
        let url = DatabaseUrl::parse(self.database_url()).expect("database url");
        Db::connect(&url, 2).expect("database")
    }

    /// A NATS client in the test's namespace.
    pub async fn nats_client(&self) -> Nats {
        self.nats.client().await.expect("nats")
    }
}

impl<S> Deref for TestApp<S> {
    type Target = Instance;

    fn deref(&self) -> &Instance {
        &self.instance
    }
}

/// Declares a service's own `TestApp`: a [`TestApp`] of its settings (field `shell`), plus any
/// fields the service's tests need, dereferencing to the shell (mutably too, for tests that stop
/// and resume the nats-server). The service's `helpers.rs` adds its own methods in an `impl`.
///
/// ```ignore
/// test_support::service_test_app! {
///     /// The service on its own nats-server and database.
///     pub struct TestApp(Settings) { pub gate: SubscriptionGate }
/// }
/// ```
#[macro_export]
macro_rules! service_test_app {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($settings:ty)
        $({ $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $field_type:ty),* $(,)? })?
    ) => {
        $(#[$meta])*
        $vis struct $name {
            shell: $crate::app::TestApp<$settings>,
            $($($(#[$field_meta])* $field_vis $field: $field_type,)*)?
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::app::TestApp<$settings>;

            fn deref(&self) -> &Self::Target {
                &self.shell
            }
        }

        impl ::std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.shell
            }
        }
    };
}
