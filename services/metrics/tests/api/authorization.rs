use platform::auth::Role;
use reqwest::{Method, StatusCode};

use crate::helpers::*;

const ENDPOINTS: [&str; 9] = [
    "/v1/metrics/summary",
    "/v1/metrics/deliveries-per-hour",
    "/v1/metrics/top-products",
    "/v1/metrics/revenue-per-hour",
    "/v1/metrics/delivery-outcomes",
    "/v1/metrics/orders-by-status",
    "/v1/metrics/dispatch-to-delivered",
    "/v1/metrics/ingest-lag",
    "/v1/metrics/stream",
];

#[tokio::test]
async fn only_operations_viewers_and_the_admin_read_metrics() {
    let app = spawn_app().await;
    for path in ENDPOINTS {
        let anonymous = app.request(Method::GET, path, None).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        for role in Role::ALL {
            let response = app.get(path, &token(role)).await;
            let allowed = matches!(role, Role::OperationsViewer | Role::MarketplaceAdmin);
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(response.status(), expected, "{path} as {role:?}");
        }
    }
}

#[tokio::test]
async fn the_dashboard_page_holds_no_data_and_browsers_typing_the_root_or_no_slash_reach_it() {
    let app = spawn_app().await;
    let page = app
        .request(Method::GET, "/dashboard/", None)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("login-form"));
    let client = platform::http_client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A browser typing the address lands on the dashboard, as it always did...
    let root = client
        .get(format!("{}/", app.address))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), StatusCode::FOUND);
    assert_eq!(root.headers()["location"], "/dashboard/");
    // ...and a script gets the service's index, the dashboard among its links.
    let index = client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    let index: serde_json::Value = index.json().await.unwrap();
    assert_eq!(index["service"], "Cargo Express metrics");
    assert!(
        index["links"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"name": "dashboard", "href": "/dashboard/"})),
        "{index}"
    );
    // The address without its slash leads to the page, query kept.
    let slashless = client
        .get(format!("{}/dashboard?from=bookmark", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(slashless.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(slashless.headers()["location"], "/dashboard/?from=bookmark");
}

#[tokio::test]
async fn bad_windows_are_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let viewer = token(Role::OperationsViewer);
    let cases = [
        (
            "/v1/metrics/summary?from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z",
            "from",
        ),
        (
            "/v1/metrics/summary?from=2026-01-01T00:00:00Z&to=2026-11-23T00:00:00Z",
            "from",
        ),
        ("/v1/metrics/summary?from=yesterday", "from"),
        ("/v1/metrics/top-products?limit=0", "limit"),
        ("/v1/metrics/top-products?by=colour", "by"),
        ("/v1/metrics/stream?hours=0", "hours"),
    ];
    for (path, field) in cases {
        let response = app.get(path, &viewer).await;
        let status = response.status();
        assert!(status.is_client_error(), "{path}: {status}");
        assert_eq!(blamed_fields(&problem(response).await), [field], "{path}");
    }
}
