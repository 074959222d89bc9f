//! Access that ends when an administrator ends it: a user changed through one ecommerce replica
//! has their token refused, with a 401 saying why, by both ecommerce replicas, delivery, ingest
//! and metrics within a second, none of them asking a database per request.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use test_support::app::Instance;
use test_support::http::{ServiceClient, problem};

use crate::stack::{Stack, ecommerce_settings};

/// The demo courier, whose token every service checks on some route.
const COURIER: (&str, &str) = ("courier101@cargoexpress.test", "courier-demo-2026");
const REFUSAL: &str = "authentication required: this token was revoked: the account was disabled";

/// A route of a service that checks the token first.
struct Check<'a> {
    name: &'a str,
    service: &'a ServiceClient,
    method: Method,
    path: &'a str,
}

impl Check<'_> {
    /// Calls the route with `token` (an empty JSON body for a POST).
    async fn call(&self, token: &str) -> reqwest::Response {
        let request = self
            .service
            .request(self.method.clone(), self.path, Some(token));
        let request = match self.method {
            Method::POST => request.json(&json!({})),
            _ => request,
        };
        request.send().await.expect("request sent")
    }
}

/// How long `check` takes to refuse `token`, once it does; `None` if it still took it after
/// `limit`.
async fn time_to_refusal(
    check: &Check<'_>,
    token: &str,
    started: Instant,
    limit: Duration,
) -> Option<(Duration, String)> {
    loop {
        let response = check.call(token).await;
        if response.status() == StatusCode::UNAUTHORIZED {
            let elapsed = started.elapsed();
            let detail = problem(response).await["detail"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            return Some((elapsed, detail));
        }
        if started.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_disabled_users_token_is_refused_by_every_service_and_replica_within_a_second() {
    let stack = Stack::start().await;
    // A second ecommerce replica on the same database and NATS (without the webhook link to
    // delivery, which the first replica holds).
    let replica = Instance::start(ecommerce::startup::Application::build(ecommerce_settings(
        0,
        &stack.nats,
        &stack.databases[0],
        "",
    )))
    .await;
    let admin = stack
        .ecommerce
        .token_of("admin@cargoexpress.test", "admin-demo-2026")
        .await;
    let courier = stack.ecommerce.token_of(COURIER.0, COURIER.1).await;
    let me: Value = stack
        .ecommerce
        .get("/auth/me", &courier)
        .await
        .json()
        .await
        .unwrap();
    let courier_id = me["id"].as_str().unwrap();

    // Where each service checks the courier's token: any answer but a 401 (a 403 for another
    // role's route, a 422 for the empty report) means the token itself was taken.
    let check = |name, service, method, path| Check {
        name,
        service,
        method,
        path,
    };
    let checks = [
        check(
            "ecommerce",
            &stack.ecommerce.api,
            Method::GET,
            "/products?limit=1",
        ),
        check(
            "ecommerce replica",
            &replica.api,
            Method::GET,
            "/products?limit=1",
        ),
        check(
            "delivery",
            &stack.delivery.api,
            Method::GET,
            "/deliveries?limit=1",
        ),
        check("ingest", &stack.ingest.api, Method::POST, "/v1/reports"),
        check(
            "metrics",
            &stack.metrics.api,
            Method::GET,
            "/v1/metrics/summary",
        ),
    ];
    for check in &checks {
        let status = check.call(&courier).await.status();
        assert_ne!(
            status,
            StatusCode::UNAUTHORIZED,
            "{} takes the token",
            check.name
        );
    }

    let disabled = replica
        .api
        .post(
            &format!("/users/{courier_id}/disable"),
            &admin,
            &Value::Null,
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let started = Instant::now();
    let limit = Duration::from_secs(1);
    let refusals = join_all(
        checks
            .iter()
            .map(|check| time_to_refusal(check, &courier, started, limit)),
    )
    .await;
    for (check, refusal) in checks.iter().zip(refusals) {
        let name = check.name;
        let (elapsed, detail) =
            refusal.unwrap_or_else(|| panic!("{name} still took the token after {limit:?}"));
        println!("{name}: refused after {elapsed:?}");
        assert_eq!(detail, REFUSAL, "{name}");
    }
}
