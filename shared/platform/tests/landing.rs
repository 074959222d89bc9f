//! The addresses people type, on the platform's real server: `GET /` answers the service's index
//! (JSON, or a page for a browser), and a slash-less folder address (`/docs`, a service's
//! `/area`) is redirected with a 308 that keeps the query; nothing else is redirected.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use actix_web::{HttpResponse, web};
use platform::lifecycle::Supervisor;
use platform::nats::Nats;
use platform::server::{self, Shared};
use reqwest::{Method, StatusCode, redirect};
use serde_json::{Value, json};
use test_support::TestNats;
use test_support::http::problem;
use test_support::tokens::demo_verifier;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::{InfoBuilder, OpenApiBuilder};

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8";

struct TestServer {
    address: String,
    /// Does not follow redirects, so that the test sees them.
    client: reqwest::Client,
    stop: CancellationToken,
    _nats: TestNats,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn area_page() -> HttpResponse {
    HttpResponse::Ok().body("the area")
}

impl TestServer {
    /// The platform's server with a folder route (`/area/`) and a plain one (`/plain`);
    /// `links` are the service's own, when it has any.
    async fn start(links: Option<platform::landing::ServiceLinks>) -> Self {
        platform::telemetry::init_for_test();
        let nats = TestNats::start().await.unwrap();
        let shared = Shared {
            db: None,
            nats: Nats::connect(&nats.settings(), "landing-test")
                .await
                .unwrap(),
            verifier: web::Data::new(demo_verifier()),
        };
        let openapi = OpenApiBuilder::new()
            .info(
                InfoBuilder::new()
                    .title("Cargo Express test")
                    .version("9.8.7")
                    .description(Some("A service <for> tests"))
                    .build(),
            )
            .build();
        let routes = move |cfg: &mut web::ServiceConfig| {
            if let Some(links) = &links {
                cfg.app_data(web::Data::new(links.clone()));
            }
            cfg.route("/area/", web::get().to(area_page))
                .route("/plain", web::get().to(area_page));
        };
        let mut supervisor = Supervisor::new(CancellationToken::new());
        let settings = test_support::http_settings(0);
        let port = server::start(&settings, shared, openapi, routes, &mut supervisor).unwrap();
        let stop = supervisor.token();
        tokio::spawn(supervisor.run_until_stopped());
        let api = test_support::http::ServiceClient::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_ready().await;
        Self {
            address: api.address,
            client: platform::http_client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .unwrap(),
            stop,
            _nats: nats,
        }
    }

    async fn send(&self, method: Method, path: &str, accept: Option<&str>) -> reqwest::Response {
        let request = self
            .client
            .request(method, format!("{}{path}", self.address));
        let request = match accept {
            Some(accept) => request.header("accept", accept),
            None => request,
        };
        request.send().await.unwrap()
    }
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn the_root_answers_the_index_as_json_and_as_a_page_for_browsers() {
    let server = TestServer::start(None).await;
    for accept in [None, Some("*/*"), Some("application/json")] {
        let index = server.send(Method::GET, "/", accept).await;
        assert_eq!(index.status(), StatusCode::OK, "{accept:?}");
        assert!(
            index.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{accept:?}"
        );
        assert_eq!(index.headers()["vary"], "accept");
        let index: Value = index.json().await.unwrap();
        assert_eq!(index["service"], "Cargo Express test");
        assert_eq!(index["version"], "9.8.7");
        assert_eq!(
            index["links"],
            json!([
                {"name": "docs", "href": "/docs/"},
                {"name": "openapi", "href": "/openapi.json"},
                {"name": "healthz", "href": "/healthz"},
                {"name": "readyz", "href": "/readyz"},
                {"name": "metrics", "href": "/metrics"},
            ])
        );
        // Every link leads somewhere that answers.
        for link in index["links"].as_array().unwrap() {
            let path = link["href"].as_str().unwrap();
            let answer = server.send(Method::GET, path, None).await;
            assert_eq!(answer.status(), StatusCode::OK, "{path}");
        }
    }

    let page = server.send(Method::GET, "/", Some(BROWSER_ACCEPT)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let page = page.text().await.unwrap();
    assert!(page.contains("<h1>Cargo Express test</h1>"), "{page}");
    assert!(page.contains("A service &lt;for&gt; tests"), "{page}");
    for href in ["/docs/", "/openapi.json", "/healthz", "/readyz", "/metrics"] {
        assert!(page.contains(&format!("<a href=\"{href}\">")), "{href}");
    }
}

#[tokio::test]
async fn a_service_adds_its_links_and_may_send_browsers_to_its_home_page() {
    let server = TestServer::start(Some(platform::landing::ServiceLinks {
        links: vec![("area", "/area/")],
        browser_home: Some("/area/"),
    }))
    .await;
    let index: Value = server
        .send(Method::GET, "/", None)
        .await
        .json()
        .await
        .unwrap();
    let links = index["links"].as_array().unwrap();
    assert_eq!(links.len(), 6);
    assert_eq!(links[5], json!({"name": "area", "href": "/area/"}));

    let browser = server.send(Method::GET, "/", Some(BROWSER_ACCEPT)).await;
    assert_eq!(browser.status(), StatusCode::FOUND);
    assert_eq!(location(&browser), "/area/");
}

#[tokio::test]
async fn slashless_folder_addresses_are_redirected_with_their_query() {
    let server = TestServer::start(None).await;
    for (path, to) in [
        ("/docs", "/docs/"),
        ("/docs?url=x&y=1", "/docs/?url=x&y=1"),
        ("/area", "/area/"),
        ("/area?from=bookmark", "/area/?from=bookmark"),
    ] {
        for method in [Method::GET, Method::HEAD] {
            let answer = server.send(method.clone(), path, None).await;
            assert_eq!(
                answer.status(),
                StatusCode::PERMANENT_REDIRECT,
                "{method} {path}"
            );
            assert_eq!(location(&answer), to, "{method} {path}");
            assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
        }
        let landed = server.send(Method::GET, to, Some(BROWSER_ACCEPT)).await;
        assert_eq!(landed.status(), StatusCode::OK, "{to}");
    }
}

#[tokio::test]
async fn nothing_else_is_redirected() {
    let server = TestServer::start(None).await;
    // No folder behind it, another method, or the route itself answers.
    for (method, path) in [
        (Method::GET, "/nothing"),
        (Method::GET, "/docsx"),
        (Method::GET, "/are"),
        (Method::POST, "/docs"),
        (Method::DELETE, "/area"),
    ] {
        let answer = server.send(method.clone(), path, None).await;
        assert!(
            answer.status().is_client_error(),
            "{method} {path}: {}",
            answer.status()
        );
        assert!(
            answer.headers().get("location").is_none(),
            "{method} {path}"
        );
        if method == Method::GET {
            assert_eq!(answer.status(), StatusCode::NOT_FOUND);
            problem(answer).await;
        }
    }
    let plain = server.send(Method::GET, "/plain", None).await;
    assert_eq!(plain.status(), StatusCode::OK);
    let with_slash = server.send(Method::GET, "/plain/", None).await;
    assert_eq!(with_slash.status(), StatusCode::NOT_FOUND);
}
