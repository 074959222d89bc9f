use contracts::CloudEvent;
use contracts::courier_reports::CourierReport;
use contracts::streams::COURIER_REPORTS;
use ingest::config::Settings;
use ingest::startup::Application;
use platform::lifecycle::Service;
use serde_json::{Value, json};
use test_support::TestNats;
use test_support::app::{Instance, TestApp as Shell};
pub use test_support::http::{blamed_fields, problem};
use test_support::streams::stored_messages;
use test_support::tokens::demo_verifier;
pub use test_support::tokens::{courier_token, token};

test_support::service_test_app! {
    /// The service on its own nats-server, verifying tokens of the demo identity key.
    pub struct TestApp(Settings)
}

pub async fn spawn_app() -> TestApp {
    spawn_on(TestNats::start().await.expect("nats-server starts")).await
}

/// Spawns the service on `nats` after filling the reference buckets.
pub async fn spawn_on(nats: TestNats) -> TestApp {
    test_support::reference::publish(nats.url(), nats.namespace())
        .await
        .expect("reference data");
    start(nats).await
}

/// Spawns the service on `nats` as its buckets are; returns once it is ready, which includes
/// its copies of the catalog and the fleet having caught up.
pub async fn start(nats: TestNats) -> TestApp {
    let settings = test_support::service_settings!(Settings, 0, nats);
    let shell = Shell::start(nats, None, settings, build).await;
    TestApp { shell }
}

/// One more instance with `app`'s settings, once ready.
pub async fn start_replica(app: &TestApp) -> Instance {
    Instance::start(build(app.settings.clone())).await
}

async fn build(settings: Settings) -> anyhow::Result<Service> {
    Application::build_with_verifier(settings, demo_verifier()).await
}

impl TestApp {
    /// Posts a seed 000 report.
    pub async fn report(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post("/registrar_pedido_entregado", token, body).await
    }

    /// The reports stored on the test's COURIER_REPORTS stream, with their `Nats-Msg-Id`.
    pub async fn stored_reports(&self) -> Vec<(String, CloudEvent<CourierReport>)> {
        let nats = self.nats_client().await;
        let messages = stored_messages(&nats, &COURIER_REPORTS).await.unwrap();
        messages
            .into_iter()
            .map(|message| {
                let id = message
                    .headers
                    .get("Nats-Msg-Id")
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                (id, serde_json::from_slice(&message.payload).unwrap())
            })
            .collect()
    }
}

pub fn new_report_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The local time (Bogotá) `seconds_ago` seconds ago, as seed 000's generator writes it.
pub fn local_timestamp(seconds_ago: i64) -> String {
    let bogota = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
    (chrono::Utc::now() - chrono::TimeDelta::seconds(seconds_ago))
        .with_timezone(&bogota)
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// A report exactly as seed 000's generator sends it; its prices are deliberately wrong.
pub fn seed_report(pedido_id: &str, courier_id: i64, skus: &[&str]) -> Value {
    json!({
        "pedido_id": pedido_id,
        "repartidor": {"IdRepartidor": courier_id, "Nombre": "Someone"},
        "productos": skus.iter().map(|sku| json!({"IdProducto": sku, "producto": "x", "precio": 999.0})).collect::<Vec<_>>(),
        "timestamp": local_timestamp(3),
    })
}

/// A `/v1/reports` body.
pub fn v1_report(report_id: &str, lines: &[(&str, i64)]) -> Value {
    json!({
        "report_id": report_id,
        "lines": lines.iter().map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity})).collect::<Vec<_>>(),
        "delivered_at": chrono::Utc::now().to_rfc3339(),
    })
}
