use std::time::Duration;

use contracts::CloudEvent;
use contracts::catalog::CatalogProduct;
use contracts::orders::{self, OrderStatus, OrderStatusChanged};
use contracts::streams::{CATALOG, Namespace, ORDERS};

use ecommerce::config::Settings;
use ecommerce::domain::demo_accounts::DEMO_ACCOUNTS;
use ecommerce::startup::Application;
use platform::auth::Role;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use test_support::app::{Instance, TestApp as Shell};
pub use test_support::http::{blamed_fields, problem};
use test_support::streams::stored_messages;
use test_support::{TestDatabase, TestNats};

test_support::service_test_app! {
    /// The service on its own nats-server and database.
    pub struct TestApp(Settings)
}

/// Settings of a test instance: random port, the test's own NATS namespace and database.
pub fn test_settings(nats: &TestNats, db: &TestDatabase) -> Settings {
    let mut settings = test_support::service_settings!(Settings, 0, nats, db);
    // No delivery service runs beside these tests; the end-to-end tests (tests/e2e) link them.
    settings.delivery.url = String::new();
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the service after `adjust` has changed its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDatabase::create().expect("test database");
    spawn(db, adjust).await
}

/// Spawns the service on `db` (e.g. one a backup was restored into), with a NATS of its own.
pub async fn spawn_app_on(db: TestDatabase) -> TestApp {
    spawn(db, |_| {}).await
}

async fn spawn(db: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let nats = TestNats::start().await.expect("nats-server starts");
    let mut settings = test_settings(&nats, &db);
    adjust(&mut settings);
    let shell = Shell::start(nats, Some(db), settings, Application::build).await;
    TestApp { shell }
}

impl TestApp {
    /// Another instance of this service on the same database, as a second replica or this one
    /// restarted would be.
    pub async fn spawn_replica(&self) -> Instance {
        self.spawn_replica_with(|_| {}).await
    }

    /// Another instance on the same database, with settings changed by `adjust` (other keys).
    pub async fn spawn_replica_with(&self, adjust: impl FnOnce(&mut Settings)) -> Instance {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        Instance::start(Application::build(settings)).await
    }

    /// A token of the demo account with `role`.
    pub async fn token(&self, role: Role) -> String {
        let demo = DEMO_ACCOUNTS
            .iter()
            .find(|d| d.role == role)
            .expect("a demo account per role");
        self.token_of(demo.email, demo.password).await
    }

    /// Creates a seller with one administrator and returns (seller id, administrator token).
    pub async fn create_seller(&self, name: &str) -> (String, String) {
        let admin = self.token(Role::MarketplaceAdmin).await;
        let email = format!("{}@sellers.test", name.to_lowercase().replace(' ', "-"));
        let response = self
            .post(
                "/sellers",
                &admin,
                &json!({
                    "name": name,
                    "description": format!("{name} sells things"),
                    "warehouse_address": "Calle 100 # 10-20, Bogotá",
                    "administrators": [{"email": email, "password": "seller-pass-123", "name": "Seller Admin"}]
                }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        let id = body["id"].as_str().expect("an id").to_owned();
        (id, self.token_of(&email, "seller-pass-123").await)
    }

    /// Registers a marketplace user and returns its token.
    pub async fn register_buyer(&self, name: &str) -> String {
        let email = format!("{name}@buyers.test");
        let response = self
            .request(Method::POST, "/auth/register", None)
            .json(
                &json!({"email": email, "password": "buyer-pass-123", "name": name,
                          "shipping_address": format!("Calle {} # 1-2, Cali", name.len())}),
            )
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), StatusCode::CREATED, "registering {name}");
        self.token_of(&email, "buyer-pass-123").await
    }

    /// `POST /orders` with optional idempotency key.
    pub async fn purchase(&self, token: &str, body: &Value, key: Option<&str>) -> Response {
        let mut request = self
            .request(Method::POST, "/orders", Some(token))
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("request sent")
    }

    /// `POST /orders/{id}/status`.
    pub async fn set_status(&self, token: &str, order_id: &str, status: &str) -> Response {
        self.post(
            &format!("/orders/{order_id}/status"),
            token,
            &json!({"status": status}),
        )
        .await
    }

    /// Units in stock of the product with `sku`.
    pub async fn stock(&self, sku: &str) -> i64 {
        let admin = self.token(Role::MarketplaceAdmin).await;
        let page: Value = self
            .get("/products?limit=200", &admin)
            .await
            .json()
            .await
            .expect("json");
        page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|p| p["sku"] == sku))
            .and_then(|p| p["quantity"].as_i64())
            .expect("the product exists")
    }

    /// The events on `orders.<status>` so far, once there are at least `wanted` of them (30 s at most).
    pub async fn order_events(
        &self,
        status: OrderStatus,
        wanted: usize,
    ) -> Vec<CloudEvent<OrderStatusChanged>> {
        let nats = self.nats_client().await;
        let subject = nats.namespace().resolve(&orders::subject(status));
        let what = format!("{wanted} events on {subject}");
        test_support::eventually_some(Duration::from_secs(30), &what, || async {
            // None yet while the stream cannot be read (the nats-server restarting).
            let events: Vec<CloudEvent<OrderStatusChanged>> = stored_messages(&nats, &ORDERS)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|message| message.subject.as_str() == subject)
                .map(|message| serde_json::from_slice(&message.payload).expect("an order event"))
                .collect();
            (events.len() >= wanted).then_some(events)
        })
        .await
    }

    /// Creates a product as the seller user holding `token`.
    pub async fn create_product(&self, token: &str, sku: &str, price: f64, quantity: i64) -> Value {
        let response = self
            .post(
                "/products",
                token,
                &json!({"sku": sku, "name": format!("Product {sku}"), "description": "A product", "price": price, "quantity": quantity}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating {sku}");
        response.json().await.expect("json")
    }

    /// The catalog entry of `sku` in the KV bucket once it satisfies `wanted`, or panics after 30 s.
    pub async fn wait_for_catalog(
        &self,
        sku: &str,
        wanted: impl Fn(Option<&CatalogProduct>) -> bool,
    ) -> Option<CatalogProduct> {
        let nats = self.nats_client().await;
        let namespace = Namespace::new(self.nats.namespace()).expect("namespace");
        let what = format!("catalog entry {sku} as wanted");
        test_support::eventually_ok(Duration::from_secs(30), &what, || async {
            let entry = match nats
                .jetstream()
                .get_key_value(namespace.bucket_name(&CATALOG))
                .await
            {
                Ok(bucket) => bucket
                    .get(sku)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|bytes| serde_json::from_slice::<CatalogProduct>(&bytes).ok()),
                Err(_) => None,
            };
            if wanted(entry.as_ref()) {
                Ok(entry)
            } else {
                Err(format!("{entry:?}"))
            }
        })
        .await
    }
}

/// Asserts that every answer is a 201 of one and the same purchase, as retries with one
/// `Idempotency-Key` must be.
pub async fn assert_one_purchase(responses: Vec<Response>) {
    let mut purchase_ids = Vec::new();
    for response in responses {
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        purchase_ids.push(body["purchase_id"].as_str().unwrap().to_owned());
    }
    purchase_ids.dedup();
    assert_eq!(
        purchase_ids.len(),
        1,
        "every retry answers the first purchase"
    );
}
