use delivery::config::Settings;
use delivery::startup::Application;
use delivery::webhooks::gate::SubscriptionGate;
use delivery::worker::{StatusWorker, TickClock};
use platform::auth::Role;
use platform::outbox::OutboxSignal;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::app::{Instance, TestApp as Shell};
pub use test_support::eventually;
pub use test_support::http::{blamed_fields, problem};
use test_support::tokens::demo_verifier;
// The service client is always the same test user, so it owns the subscriptions it creates.
pub use test_support::tokens::{token, token_for};
use test_support::{TestDatabase, TestNats};

test_support::service_test_app! {
    /// The service on its own nats-server and database, verifying tokens of the demo identity key.
    pub struct TestApp(Settings) {
        /// The instance's webhook gate: closed here by its own API or by another replica's notice.
        pub gate: SubscriptionGate,
    }
}

/// Settings of a test instance: random port, the test's NATS namespace and database, the
/// status worker off (tests run ticks by hand) and quick webhook retries.
pub fn test_settings(nats: &TestNats, db: &TestDatabase) -> Settings {
    let mut settings = test_support::service_settings!(Settings, 0, nats, db);
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
    let nats = TestNats::start().await.expect("nats-server starts");
    let db = TestDatabase::create().expect("test database");
    let mut settings = test_settings(&nats, &db);
    adjust(&mut settings);
    let gate = SubscriptionGate::default();
    let shell = Shell::start(nats, Some(db), settings, |settings| {
        Application::build_with_gate(settings, demo_verifier(), gate.clone())
    })
    .await;
    TestApp { shell, gate }
}

/// Starts another instance with `settings` (and a webhook gate of its own); answers once it is
/// ready.
pub async fn start(settings: Settings) -> Instance {
    Instance::start(Application::build_with_verifier(settings, demo_verifier())).await
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

    /// Subscribes the service client to every status at `url`; returns the subscription.
    pub async fn subscribe(&self, url: &str) -> Value {
        self.subscribe_as(&token(Role::ServiceClient), &json!({"url": url}))
            .await
    }

    /// Subscribes the administrator to every client's deliveries at `url`.
    pub async fn subscribe_to_all(&self, url: &str) -> Value {
        let body = json!({"url": url, "all_deliveries": true});
        self.subscribe_as(&token(Role::MarketplaceAdmin), &body)
            .await
    }

    /// Creates the subscription `body` as the holder of `token`; returns it.
    pub async fn subscribe_as(&self, token: &str, body: &Value) -> Value {
        let response = self.post("/webhooks/subscriptions", token, body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "subscribing");
        response.json().await.unwrap()
    }
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
