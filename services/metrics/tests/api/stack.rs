//! All four services on one nats-server, each with its own database, as `scripts/up` runs them:
//! tokens come from ecommerce's keys, the status worker is off (courier reports deliver).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::http::ServiceClient;
use test_support::{TestDatabase, TestNats, free_port};
use tokio_util::sync::CancellationToken;

pub struct Stack {
    pub ecommerce: ServiceClient,
    pub delivery: ServiceClient,
    pub ingest: ServiceClient,
    pub metrics: ServiceClient,
    stops: Vec<CancellationToken>,
    _nats: TestNats,
    _databases: Vec<TestDatabase>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stops.iter().for_each(CancellationToken::cancel);
    }
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
        let url = |port: u16| format!("http://127.0.0.1:{port}");
        let nats_settings = nats.settings();
        let jwks_url = format!("{}/.well-known/jwks.json", url(ports[0]));
        let mut stops = Vec::new();

        let mut shop = ecommerce::config::Settings {
            http: test_support::http_settings(ports[0]),
            database: databases[0].settings(),
            nats: nats_settings.clone(),
            ..Default::default()
        };
        shop.delivery.url = url(ports[1]);
        shop.delivery.receiver_url = format!("{}/webhooks/deliveries", url(ports[0]));
        adjust_shop(&mut shop);
        let shop = ecommerce::startup::Application::build(shop).await.unwrap();
        stops.push(shop.stop_token());
        tokio::spawn(shop.run_until_stopped());

        let mut carrier = delivery::config::Settings {
            http: test_support::http_settings(ports[1]),
            database: databases[1].settings(),
            nats: nats_settings.clone(),
            ..Default::default()
        };
        carrier.auth.jwks_url = jwks_url.clone();
        carrier.tasks.status_worker = false;
        carrier.webhooks.first_retry_seconds = 1;
        let carrier = delivery::startup::Application::build(carrier)
            .await
            .unwrap();
        stops.push(carrier.stop_token());
        tokio::spawn(carrier.run_until_stopped());

        let mut reports = ingest::config::Settings {
            http: test_support::http_settings(ports[2]),
            nats: nats_settings.clone(),
            ..Default::default()
        };
        reports.auth.jwks_url = jwks_url.clone();
        let reports = ingest::startup::Application::build(reports).await.unwrap();
        stops.push(reports.stop_token());
        tokio::spawn(reports.run_until_stopped());

        let mut numbers = metrics_service::config::Settings {
            http: test_support::http_settings(ports[3]),
            database: databases[2].settings(),
            nats: nats_settings,
            ..Default::default()
        };
        numbers.auth.jwks_url = jwks_url;
        numbers.dashboard.login_url = format!("{}/auth/login", url(ports[0]));
        numbers.dashboard.push_interval_ms = 200;
        let numbers = metrics_service::startup::Application::build(numbers)
            .await
            .unwrap();
        stops.push(numbers.stop_token());
        tokio::spawn(numbers.run_until_stopped());

        let stack = Self {
            ecommerce: ServiceClient::new(url(ports[0])),
            delivery: ServiceClient::new(url(ports[1])),
            ingest: ServiceClient::new(url(ports[2])),
            metrics: ServiceClient::new(url(ports[3])),
            stops,
            _nats: nats,
            _databases: databases.into(),
        };
        for service in [
            &stack.ecommerce,
            &stack.delivery,
            &stack.ingest,
            &stack.metrics,
        ] {
            service.wait_until_ready().await;
        }
        stack
    }

    /// A demo user's token from ecommerce.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let response = self.ecommerce.login(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "log-in of {email}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Posts a report to ingest until the reference data has arrived there; returns the answer.
    pub async fn report(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let response = self.ingest.post(path, token, body).await;
            if response.status() != StatusCode::SERVICE_UNAVAILABLE {
                return response;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "ingest never loaded the catalog and fleet"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
