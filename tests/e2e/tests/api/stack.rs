//! All four services on one nats-server, each with its own database, as `scripts/up` runs them:
//! tokens come from ecommerce's keys, the status worker is off (courier reports deliver).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::app::Instance;
use test_support::{TestDatabase, TestNats, free_port, service_settings};

pub struct Stack {
    pub ecommerce: Instance,
    pub delivery: Instance,
    pub ingest: Instance,
    pub metrics: Instance,
    // Dropped after the services.
    pub nats: TestNats,
    /// ecommerce's, delivery's and metrics' databases.
    pub databases: [TestDatabase; 3],
}

/// ecommerce's settings on `port`, registering its webhook receiver with delivery at
/// `delivery_url`.
pub fn ecommerce_settings(
    port: u16,
    nats: &TestNats,
    db: &TestDatabase,
    delivery_url: &str,
) -> ecommerce::config::Settings {
    let mut shop = service_settings!(ecommerce::config::Settings, port, nats, db);
    shop.delivery.url = delivery_url.to_owned();
    shop.delivery.receiver_url = format!("{}/webhooks/deliveries", address(port));
    shop
}

/// delivery's settings on `port`: the status worker off (a test moves deliveries) and quick
/// webhook retries.
pub fn delivery_settings(
    port: u16,
    nats: &TestNats,
    db: &TestDatabase,
) -> delivery::config::Settings {
    let mut carrier = service_settings!(delivery::config::Settings, port, nats, db);
    carrier.tasks.status_worker = false;
    carrier.webhooks.first_retry_seconds = 1;
    carrier
}

/// Where a service listening on `port` answers.
pub fn address(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// Where ecommerce, listening on `port`, publishes its keys.
pub fn jwks_url(port: u16) -> String {
    format!("{}/.well-known/jwks.json", address(port))
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The stack, after `adjust_shop` has changed ecommerce's settings.
    pub async fn start_with(adjust_shop: impl FnOnce(&mut ecommerce::config::Settings)) -> Self {
        platform::telemetry::init_for_test();
        let nats = TestNats::start().await.unwrap();
        let databases = [(); 3].map(|()| TestDatabase::create().unwrap());
        let ports = [(); 4].map(|()| free_port().unwrap());

        let mut shop = ecommerce_settings(ports[0], &nats, &databases[0], &address(ports[1]));
        adjust_shop(&mut shop);
        let ecommerce = Instance::run(ecommerce::startup::Application::build(shop).await.unwrap());

        let mut carrier = delivery_settings(ports[1], &nats, &databases[1]);
        carrier.auth.jwks_url = jwks_url(ports[0]);
        let delivery = Instance::run(
            delivery::startup::Application::build(carrier)
                .await
                .unwrap(),
        );

        let mut reports = service_settings!(ingest::config::Settings, ports[2], nats);
        reports.auth.jwks_url = jwks_url(ports[0]);
        let ingest = Instance::run(ingest::startup::Application::build(reports).await.unwrap());

        let mut numbers = service_settings!(
            metrics_service::config::Settings,
            ports[3],
            nats,
            databases[2]
        );
        numbers.auth.jwks_url = jwks_url(ports[0]);
        numbers.dashboard.login_url = format!("{}/auth/login", address(ports[0]));
        numbers.dashboard.push_interval_ms = 200;
        let metrics = Instance::run(
            metrics_service::startup::Application::build(numbers)
                .await
                .unwrap(),
        );

        for service in [&ecommerce, &delivery, &ingest, &metrics] {
            service.wait_until_ready().await;
        }
        Self {
            ecommerce,
            delivery,
            ingest,
            metrics,
            nats,
            databases,
        }
    }

    /// Posts a report to ingest until the reference data has arrived there; returns the answer.
    pub async fn report(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        test_support::eventually_some(
            Duration::from_secs(20),
            "ingest to load the catalog and fleet",
            || async {
                let response = self.ingest.post(path, token, body).await;
                (response.status() != StatusCode::SERVICE_UNAVAILABLE).then_some(response)
            },
        )
        .await
    }

    /// A seed 000 report of `skus` by courier `courier_id`, as the generator sends it.
    pub fn seed_report(courier_id: i64, skus: &[&str]) -> Value {
        let bogota = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
        json!({
            "pedido_id": uuid::Uuid::new_v4().to_string(),
            "repartidor": {"IdRepartidor": courier_id, "Nombre": "x"},
            "productos": skus.iter().map(|sku| json!({"IdProducto": sku})).collect::<Vec<_>>(),
            "timestamp": chrono::Utc::now().with_timezone(&bogota).format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        })
    }
}
