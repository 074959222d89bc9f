use async_nats::jetstream;
use contracts::CloudEvent;
use contracts::courier_reports::CourierReport;
use contracts::streams::{COURIER_REPORTS, Namespace};
use ingest::config::Settings;
use ingest::startup::Application;
use platform::auth::{DEMO_SIGNING_KEY_PEM, JwtIssuer, Role, TokenSubject};
use serde_json::{Value, json};
use test_support::TestNats;
use test_support::http::ServiceClient;
use tokio_util::sync::CancellationToken;

pub use test_support::http::{blamed_fields, problem};

pub struct TestApp {
    pub api: ServiceClient,
    pub nats: TestNats,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl std::ops::Deref for TestApp {
    type Target = ServiceClient;

    fn deref(&self) -> &ServiceClient {
        &self.api
    }
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
    let (api, stop) = start_replica(&nats).await;
    TestApp { api, nats, stop }
}

/// One more instance on `nats`, once ready; with its stop token.
pub async fn start_replica(nats: &TestNats) -> (ServiceClient, CancellationToken) {
    platform::telemetry::init_for_test();
    let settings = Settings {
        http: test_support::http_settings(0),
        nats: nats.settings(),
        ..Settings::default()
    };
    let verifier = issuer().verifier().unwrap();
    let app = Application::build_with_verifier(settings, verifier)
        .await
        .expect("the service builds");
    let api = ServiceClient::new(format!("http://127.0.0.1:{}", app.port()));
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    api.wait_until_ready().await;
    (api, stop)
}

impl TestApp {
    /// Posts a seed 000 report.
    pub async fn report(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post("/registrar_pedido_entregado", token, body).await
    }

    /// The reports stored on the test's COURIER_REPORTS stream, with their `Nats-Msg-Id`.
    pub async fn stored_reports(&self) -> Vec<(String, CloudEvent<CourierReport>)> {
        let client = async_nats::connect(self.nats.url()).await.unwrap();
        let jetstream = jetstream::new(client);
        let name = Namespace::new(self.nats.namespace())
            .unwrap()
            .stream_name(&COURIER_REPORTS);
        let mut stream = jetstream.get_stream(&name).await.unwrap();
        let count = stream.info().await.unwrap().state.messages;
        let mut reports = Vec::new();
        for sequence in 1..=count {
            let message = stream.get_raw_message(sequence).await.unwrap();
            let id = message
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.to_string())
                .unwrap_or_default();
            reports.push((id, serde_json::from_slice(&message.payload).unwrap()));
        }
        reports
    }
}

/// The identity provider's demo key: tests mint tokens as ecommerce would.
pub fn issuer() -> JwtIssuer {
    JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "cargo-express", 900).unwrap()
}

pub fn courier_token(courier_id: i64) -> String {
    token_for(Role::Courier, Some(courier_id))
}

pub fn token(role: Role) -> String {
    token_for(role, None)
}

fn token_for(role: Role, courier_id: Option<i64>) -> String {
    let user_id = format!("test-{}-{}", role.as_str(), courier_id.unwrap_or_default());
    issuer()
        .issue(TokenSubject {
            email: format!("{user_id}@cargoexpress.test"),
            user_id,
            role,
            seller_id: None,
            courier_id,
        })
        .unwrap()
        .access_token
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
