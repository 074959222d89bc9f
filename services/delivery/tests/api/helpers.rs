use std::time::Duration;

use delivery::config::Settings;
use delivery::startup::Application;
use delivery::webhooks::gate::SubscriptionGate;
use delivery::worker::{StatusWorker, TickClock};
use platform::auth::{DEMO_SIGNING_KEY_PEM, JwtIssuer, Role, TokenSubject};
use platform::db::{DatabaseUrl, Db};
use platform::outbox::OutboxSignal;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::{TestDatabase, TestNats};
use tokio_util::sync::CancellationToken;

use test_support::http::ServiceClient;
pub use test_support::http::{blamed_fields, problem};

pub const ISSUER: &str = "cargo-express";

/// The identity provider's demo key: tests mint tokens as ecommerce would.
pub fn issuer() -> JwtIssuer {
    JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, ISSUER, 900).unwrap()
}

pub struct TestApp {
    pub api: ServiceClient,
    pub nats: TestNats,
    pub settings: Settings,
    /// The instance's webhook gate: closed here by its own API or by another replica's notice.
    pub gate: SubscriptionGate,
    stop: CancellationToken,
    // Dropped last: the database outlives the service using it.
    db: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Settings of a test instance: random port, the test's NATS namespace and database, the
/// status worker off (tests run ticks by hand) and quick webhook retries.
pub fn test_settings(nats: &TestNats, db: &TestDatabase) -> Settings {
    let mut settings = Settings {
        http: test_support::http_settings(0),
        database: db.settings(),
        nats: nats.settings(),
        ..Settings::default()
    };
    settings.tasks.status_worker = false;
    settings.webhooks.first_retry_seconds = 1;
    settings.webhooks.timeout_ms = 2_000;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the service after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    platform::telemetry::init_for_test();
    let nats = TestNats::start().await.expect("nats-server starts");
    let db = TestDatabase::create().expect("test database");
    let mut settings = test_settings(&nats, &db);
    adjust(&mut settings);
    let gate = SubscriptionGate::default();
    let (address, stop) = start_with_gate(settings.clone(), gate.clone()).await;
    TestApp {
        api: ServiceClient::new(address),
        nats,
        settings,
        gate,
        stop,
        db,
    }
}

/// Starts an instance with `settings`; returns its address and stop token once it is ready.
pub async fn start(settings: Settings) -> (String, CancellationToken) {
    start_with_gate(settings, SubscriptionGate::default()).await
}

/// As [`start`], with the instance's webhook gate handed in for the test to watch.
pub async fn start_with_gate(
    settings: Settings,
    gate: SubscriptionGate,
) -> (String, CancellationToken) {
    let app = Application::build_with_gate(settings, issuer().verifier().unwrap(), gate)
        .await
        .expect("the service builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    // Ready means its streams exist and its consumers are attached: nothing a test publishes
    // or asks for races the start-up.
    ServiceClient::new(address.clone()).wait_until_ready().await;
    (address, stop)
}

impl std::ops::Deref for TestApp {
    type Target = ServiceClient;

    fn deref(&self) -> &ServiceClient {
        &self.api
    }
}

impl TestApp {
    /// Creates a delivery for `order_id` as the ecommerce service would; returns the body.
    pub async fn create_delivery(&self, order_id: &str) -> Value {
        let response = self
            .post(
                "/deliveries",
                &token(Role::ServiceClient),
                &delivery_request(order_id),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "creating a delivery"
        );
        response.json().await.unwrap()
    }

    /// A status worker on this instance's database, for tests to run ticks by hand.
    pub fn worker(&self, seed: u64) -> StatusWorker {
        StatusWorker::new(
            self.database(),
            OutboxSignal::default(),
            self.clock(),
            self.settings.worker.batch_size,
            Some(seed),
        )
    }

    pub fn clock(&self) -> TickClock {
        TickClock::new(self.settings.worker.interval())
    }

    pub fn database(&self) -> Db {
        Db::connect(&DatabaseUrl::parse(self.db.url()).unwrap(), 2).unwrap()
    }

    /// Subscribes the service client to every status at `url`; returns the subscription.
    pub async fn subscribe(&self, url: &str) -> Value {
        let response = self
            .post(
                "/webhooks/subscriptions",
                &token(Role::ServiceClient),
                &json!({"url": url}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "subscribing");
        response.json().await.unwrap()
    }
}

/// A token of the one test user of `role` (the service client is always the same one, so it
/// owns the subscriptions it creates across calls).
pub fn token(role: Role) -> String {
    token_for(role, &format!("test-{}", role.as_str()))
}

pub fn token_for(role: Role, user_id: &str) -> String {
    issuer()
        .issue(TokenSubject {
            user_id: user_id.to_owned(),
            email: format!("{user_id}@cargoexpress.test"),
            role,
            seller_id: None,
            courier_id: (role == Role::Courier).then_some(101),
        })
        .unwrap()
        .access_token
}

/// Seed 004's creation contract, spelled as the seed spells it.
pub fn delivery_request(order_id: &str) -> Value {
    json!({
        "order": {
            "foreing_order_id": order_id,
            "products": [
                {"sku": "pk0001", "name": "Moneda", "qty": 2},
                {"sku": "pk0004", "name": "Pendrive", "qty": 1}
            ]
        },
        "origin": {"address": "Calle 80 # 10-20, Bogotá"},
        "destination": {"name": "Bea Buyer", "address": "Carrera 7 # 32-16, Bogotá"}
    })
}

/// Waits until `check` holds, polling; fails after `timeout`.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
