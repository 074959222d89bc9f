//! The HTTP server every service runs, on a real listener with a real nats-server: every answer,
//! errors and unknown routes included, says `nosniff`, and a body over the limit is refused with
//! a 413 problem naming the limit by both body extractors, declared length or not.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use actix_web::{HttpResponse, web};
use platform::ApiError;
use platform::auth::Authenticated;
use platform::json::{Json, MAX_BODY_BYTES, RawBody};
use platform::lifecycle::Supervisor;
use platform::nats::Nats;
use platform::server::{self, Shared};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use test_support::TestNats;
use test_support::http::{ServiceClient, problem};
use test_support::tokens::demo_verifier;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::{InfoBuilder, OpenApiBuilder};

/// The platform's server with a route of each kind a service has.
struct TestServer {
    api: ServiceClient,
    stop: CancellationToken,
    _nats: TestNats,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn echo(body: Json<Value>) -> web::Json<Value> {
    web::Json(body.into_inner())
}

async fn count_bytes(body: RawBody) -> String {
    body.0.len().to_string()
}

async fn who_am_i(caller: Authenticated) -> String {
    caller.email.clone()
}

async fn always_conflicts() -> Result<HttpResponse, ApiError> {
    Err(ApiError::conflict("this route always conflicts"))
}

impl TestServer {
    async fn start() -> Self {
        platform::telemetry::init_for_test();
        let nats = TestNats::start().await.unwrap();
        let shared = Shared {
            db: None,
            nats: Nats::connect(&nats.settings(), "server-test")
                .await
                .unwrap(),
            verifier: web::Data::new(demo_verifier()),
        };
        let openapi = OpenApiBuilder::new()
            .info(InfoBuilder::new().title("test").version("1").build())
            .build();
        let routes = |cfg: &mut web::ServiceConfig| {
            cfg.route("/echo", web::post().to(echo))
                .route("/bytes", web::post().to(count_bytes))
                .route("/me", web::get().to(who_am_i))
                .route("/conflict", web::post().to(always_conflicts));
        };
        let mut supervisor = Supervisor::new(CancellationToken::new());
        let settings = test_support::http_settings(0);
        let port = server::start(&settings, shared, openapi, routes, &mut supervisor).unwrap();
        let stop = supervisor.token();
        tokio::spawn(supervisor.run_until_stopped());
        let api = ServiceClient::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_ready().await;
        Self {
            api,
            stop,
            _nats: nats,
        }
    }

    fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> RequestBuilder {
        self.api
            .request(Method::POST, path, None)
            .header("content-type", content_type)
            .body(body)
    }
}

/// A JSON document of exactly `size` bytes: one string.
fn json_of_size(size: usize) -> Vec<u8> {
    let mut body = vec![b'"'; size];
    body[1..size - 1].fill(b'a');
    body
}

/// `body` sent in chunks without a declared length, as a streaming client sends it.
fn streamed(body: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn every_answer_says_nosniff_errors_and_unknown_routes_included() {
    let server = TestServer::start().await;
    let get = |path: &str| server.api.request(Method::GET, path, None);
    let answers = [
        ("health", get("/healthz"), StatusCode::OK),
        ("openapi", get("/openapi.json"), StatusCode::OK),
        ("swagger ui", get("/docs/"), StatusCode::OK),
        ("unknown route", get("/nowhere"), StatusCode::NOT_FOUND),
        ("no token", get("/me"), StatusCode::UNAUTHORIZED),
        (
            "handler error",
            server.post("/conflict", "application/json", "{}"),
            StatusCode::CONFLICT,
        ),
        (
            "not json",
            server.post("/echo", "text/plain", "{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "malformed json",
            server.post("/echo", "application/json", "{"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "json",
            server.post("/echo", "application/json", r#"{"a":1}"#),
            StatusCode::OK,
        ),
    ];
    for (what, request, status) in answers {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{what}");
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .map(|v| v.as_bytes()),
            Some(&b"nosniff"[..]),
            "{what}: {:?}",
            response.headers()
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_naming_the_limit() {
    let server = TestServer::start().await;
    assert_eq!(MAX_BODY_BYTES, 256 * 1024);
    let over = json_of_size(MAX_BODY_BYTES + 1);
    let refusals = [
        (
            "json, declared",
            server.post("/echo", "application/json", over.clone()),
        ),
        (
            "json, streamed",
            server.post("/echo", "application/json", streamed(over.clone())),
        ),
        (
            "raw, declared",
            server.post("/bytes", "application/json", over.clone()),
        ),
        (
            "raw, streamed",
            server.post("/bytes", "application/json", streamed(over)),
        ),
    ];
    for (what, request) in refusals {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{what}");
        let problem = problem(response).await;
        assert_eq!(
            problem["type"], "urn:cargo-express:problem:payload-too-large",
            "{what}"
        );
        assert_eq!(problem["status"], 413, "{what}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("262144 bytes (256 KiB)"),
            "{what}: {detail}"
        );
    }

    // The limit itself is accepted.
    let at_limit = json_of_size(MAX_BODY_BYTES);
    let echoed = server
        .post("/echo", "application/json", streamed(at_limit.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), StatusCode::OK);
    let echoed: Value = echoed.json().await.unwrap();
    assert_eq!(echoed.as_str().map(str::len), Some(MAX_BODY_BYTES - 2));
    let counted = server
        .post("/bytes", "application/octet-stream", at_limit)
        .send()
        .await
        .unwrap();
    assert_eq!(counted.status(), StatusCode::OK);
    assert_eq!(counted.text().await.unwrap(), MAX_BODY_BYTES.to_string());
    let small = server
        .post("/echo", "application/json", json!({"a": 1}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), StatusCode::OK);
}
