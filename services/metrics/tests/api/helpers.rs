use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use chrono::{DateTime, TimeDelta, Utc};
use contracts::CloudEvent;
use contracts::courier_reports::{self, COURIER_REPORT_RECEIVED, CourierReport, ReportLine};
use contracts::deliveries::{self, DELIVERY_STATUS_CHANGED, DeliveryStatus, DeliveryStatusChanged};
use contracts::orders::{
    self, Destination, ORDER_STATUS_CHANGED, OrderLine, OrderStatus, OrderStatusChanged, Origin,
};
use contracts::streams::{COURIER_REPORTS, DELIVERIES, ORDERS};
use metrics_service::config::Settings;
use metrics_service::startup::Application;
use platform::auth::Role;
use platform::lifecycle::Service;
use platform::nats::Nats;
use serde::Serialize;
use serde_json::Value;
use test_support::app::{Instance, TestApp as Shell};
pub use test_support::http::{blamed_fields, problem};
use test_support::tokens::demo_verifier;
pub use test_support::tokens::{token, token_by};
use test_support::{TestDatabase, TestNats};

test_support::service_test_app! {
    /// The service on its own nats-server and database, verifying tokens of the demo identity key.
    pub struct TestApp(Settings)
}

pub fn test_settings(nats: &TestNats, db: &TestDatabase) -> Settings {
    let mut settings = test_support::service_settings!(Settings, 0, nats, db);
    settings.dashboard.push_interval_ms = 100;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_on(TestNats::start().await.expect("nats-server starts")).await
}

pub async fn spawn_on(nats: TestNats) -> TestApp {
    let db = TestDatabase::create().expect("test database");
    let settings = test_settings(&nats, &db);
    let shell = Shell::start(nats, Some(db), settings, build).await;
    TestApp { shell }
}

/// Starts another instance with `settings`; answers once it is ready.
pub async fn start(settings: Settings) -> Instance {
    Instance::start(build(settings)).await
}

async fn build(settings: Settings) -> anyhow::Result<Service> {
    Application::build_with_verifier(settings, demo_verifier()).await
}

impl TestApp {
    /// Every metric over the last `hours` hours, as the operations viewer sees them.
    pub async fn summary(&self) -> Value {
        let response = self
            .get("/v1/metrics/summary", &token(Role::OperationsViewer))
            .await;
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap()
    }

    /// Waits until the summary satisfies `check`; returns it.
    pub async fn summary_when(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        test_support::eventually_ok(Duration::from_secs(15), what, || async {
            let summary = self.summary().await;
            if check(&summary) {
                Ok(summary)
            } else {
                Err(format!("{summary:#}"))
            }
        })
        .await
    }

    pub async fn publisher(&self) -> Publisher {
        Publisher::connect(&self.nats).await
    }
}

/// Publishes events onto the test's streams as ecommerce, delivery and ingest would.
pub struct Publisher(Nats);

impl Publisher {
    pub async fn connect(nats: &TestNats) -> Self {
        let nats = nats.client().await.unwrap();
        for stream in [ORDERS, DELIVERIES, COURIER_REPORTS] {
            nats.ensure_stream(&stream).await.unwrap();
        }
        Self(nats)
    }

    /// Publishes `event` on the production `subject` (in the test's namespace) under
    /// `message_id` (a fresh id makes JetStream store a copy, as a redelivery would hand the
    /// consumer one).
    pub async fn publish<T: Serialize>(
        &self,
        subject: String,
        event: &CloudEvent<T>,
        message_id: &str,
    ) {
        let message = PublishMessage::build()
            .payload(serde_json::to_vec(event).unwrap().into())
            .message_id(message_id);
        self.0
            .jetstream()
            .send_publish(self.0.namespace().resolve(&subject), message)
            .await
            .unwrap()
            .await
            .unwrap();
    }

    pub async fn report(&self, event: &CloudEvent<CourierReport>) {
        self.publish(courier_reports::subject(), event, &event.id.to_string())
            .await;
    }

    pub async fn delivery(&self, event: &CloudEvent<DeliveryStatusChanged>) {
        let subject = deliveries::subject(event.data.status);
        self.publish(subject, event, &event.id.to_string()).await;
    }

    pub async fn order(&self, event: &CloudEvent<OrderStatusChanged>) {
        let subject = orders::subject(event.data.status);
        self.publish(subject, event, &event.id.to_string()).await;
    }
}

/// A courier report delivered `at`, received `lag_ms` later, of `(sku, quantity, cents)` lines.
pub fn report(
    courier_id: i64,
    at: DateTime<Utc>,
    lag_ms: i64,
    lines: &[(&str, i64, i64)],
) -> CloudEvent<CourierReport> {
    let id = uuid::Uuid::new_v4();
    let lines: Vec<ReportLine> = lines
        .iter()
        .map(|(sku, quantity, price)| ReportLine {
            sku: (*sku).to_owned(),
            name: format!("Product {sku}"),
            quantity: *quantity,
            unit_price_cents: *price,
        })
        .collect();
    let data = CourierReport {
        report_id: id.to_string(),
        courier_id,
        courier_name: format!("Courier {courier_id}"),
        units: lines.iter().map(|l| l.quantity).sum(),
        total_cents: lines.iter().map(|l| l.quantity * l.unit_price_cents).sum(),
        lines,
        delivered_at: at,
        received_at: at + TimeDelta::milliseconds(lag_ms),
        tracking_number: None,
    };
    CloudEvent::new(
        "/cargo-express/ingest",
        COURIER_REPORT_RECEIVED,
        id.to_string(),
        data,
    )
    .with_id(id)
}

pub fn delivery_change(
    courier_id: i64,
    status: DeliveryStatus,
    at: DateTime<Utc>,
) -> CloudEvent<DeliveryStatusChanged> {
    let data = DeliveryStatusChanged {
        delivery_id: "d".to_owned(),
        tracking_number: "CX0000000000000001".to_owned(),
        foreign_order_id: "o".to_owned(),
        courier_id,
        marketplace_order: true,
        status,
        previous_status: Some(DeliveryStatus::InRouteOfDelivery),
        changed_at: at,
    };
    CloudEvent::new(
        "/cargo-express/delivery",
        DELIVERY_STATUS_CHANGED,
        "d",
        data,
    )
}

pub fn order_change(
    order_id: &str,
    status: OrderStatus,
    at: DateTime<Utc>,
) -> CloudEvent<OrderStatusChanged> {
    let data = OrderStatusChanged {
        order_id: order_id.to_owned(),
        purchase_id: "p".to_owned(),
        seller_id: "s".to_owned(),
        buyer_id: "b".to_owned(),
        status,
        previous_status: None,
        lines: vec![OrderLine {
            product_id: "p1".to_owned(),
            sku: "pk0001".to_owned(),
            name: "Moneda".to_owned(),
            quantity: 1,
            unit_price_cents: 100,
        }],
        total_cents: 100,
        origin: Origin {
            address: "a".to_owned(),
        },
        destination: Destination {
            name: "n".to_owned(),
            address: "a".to_owned(),
        },
        changed_at: at,
    };
    CloudEvent::new(
        "/cargo-express/ecommerce",
        ORDER_STATUS_CHANGED,
        order_id,
        data,
    )
}
