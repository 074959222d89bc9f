//! Each request's log line carries what forensics needs (seed 003 §4): the caller (user id and
//! role, or anonymous), the ally of an ally route, method, route, status, latency, request id
//! and, on failures, the problem type. (ecommerce's `cx-support failed-requests` reads them back:
//! its tests, `failed_requests`, read a real service's log file.)

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, test, web};
use platform::ApiError;
use platform::auth::{Authenticated, Role};
use platform::http::{RequestTracing, observe_request};
use serde_json::Value;
use test_support::logs::CapturedLogs;
use test_support::tokens::{demo_verifier, token_for};
use tracing_subscriber::EnvFilter;

/// The lines that end a request, as JSON.
fn request_ends(lines: &CapturedLogs) -> Vec<Value> {
    lines
        .json_lines()
        .into_iter()
        .filter(|line| line["message"] == "close" && line["span"]["name"] == "HTTP request")
        .collect()
}

/// An ally route as seed 003's API has them: the ally is the `{allyId}` path parameter.
async fn ally_credentials(
    caller: Authenticated,
    ally: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if ally.as_str() == "unknown" {
        return Err(ApiError::not_found(format!("ally {ally}"))
            .with_status(StatusCode::BAD_REQUEST)
            .with_member(
                "message",
                "The ally was not found or the request is not correct",
            ));
    }
    Ok(HttpResponse::Ok().body(caller.sub.clone()))
}

#[actix_web::test]
async fn a_request_line_names_the_caller_the_ally_the_problem_and_the_latency() {
    let lines = CapturedLogs::default();
    let writer = lines.clone();
    let subscriber =
        platform::telemetry::json_lines(EnvFilter::new("info"), move || writer.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let token = support_token();
    let app = test::init_service(
        App::new()
            .wrap(from_fn(observe_request))
            .wrap(RequestTracing::new())
            .app_data(web::Data::new(demo_verifier()))
            .route(
                "/allies/{allyId}/credentials",
                web::post().to(ally_credentials),
            ),
    )
    .await;

    let call = |ally: &str, token: Option<&str>| {
        let request = test::TestRequest::post().uri(&format!("/allies/{ally}/credentials"));
        match token {
            Some(token) => request
                .insert_header(("authorization", format!("Bearer {token}")))
                .to_request(),
            None => request.to_request(),
        }
    };
    // A request's line is written when its answer has been sent, body and all.
    let ok = test::call_service(&app, call("ally-1", Some(&token))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    test::read_body(ok).await;
    let refused = test::call_service(&app, call("unknown", Some(&token))).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    test::read_body(refused).await;
    let anonymous = test::call_service(&app, call("ally-1", None)).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    test::read_body(anonymous).await;

    let ends = request_ends(&lines);
    assert_eq!(ends.len(), 3, "one line per request: {ends:#?}");
    let span = |i: usize| &ends[i]["span"];
    assert_eq!(span(0)["principal"], "user-7");
    assert_eq!(span(0)["principal_role"], "support");
    assert_eq!(span(0)["ally_id"], "ally-1");
    assert_eq!(span(0)["http.route"], "/allies/{allyId}/credentials");
    assert_eq!(span(0)["http.method"], "POST");
    assert_eq!(span(0)["http.status_code"], 200);
    assert!(span(0)["latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(
        span(0)["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert!(
        span(0).get("problem_type").is_none(),
        "no problem on a success"
    );
    assert_eq!(span(1)["ally_id"], "unknown");
    assert_eq!(span(1)["http.status_code"], 400);
    assert_eq!(
        span(1)["problem_type"],
        "urn:cargo-express:problem:not-found"
    );
    assert_eq!(span(2)["principal"], "anonymous");
    assert!(span(2).get("principal_role").is_none());
    assert_eq!(
        span(2)["problem_type"],
        "urn:cargo-express:problem:unauthorized"
    );
}

/// The lines a service writes (`service_json_lines`) for a success, a refusal and an anonymous
/// call, with `filter`.
async fn service_lines(filter: &str) -> CapturedLogs {
    let lines = CapturedLogs::default();
    let writer = lines.clone();
    let subscriber =
        platform::telemetry::service_json_lines(EnvFilter::new(filter), move || writer.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let token = support_token();
    let app = test::init_service(
        App::new()
            .wrap(from_fn(observe_request))
            .wrap(RequestTracing::new())
            .app_data(web::Data::new(demo_verifier()))
            .route(
                "/allies/{allyId}/credentials",
                web::post().to(ally_credentials),
            ),
    )
    .await;
    for (ally, token) in [
        ("ally-1", Some(&token)),
        ("unknown", Some(&token)),
        ("ally-1", None),
    ] {
        let request = test::TestRequest::post().uri(&format!("/allies/{ally}/credentials"));
        let request = match token {
            Some(token) => request.insert_header(("authorization", format!("Bearer {token}"))),
            None => request,
        };
        let response = test::call_service(&app, request.to_request()).await;
        test::read_body(response).await;
    }
    lines
}

#[actix_web::test]
async fn a_service_logs_every_failed_request_at_info_and_successes_only_at_debug() {
    let lines = service_lines("info").await;
    let ends = request_ends(&lines);
    let statuses: Vec<&Value> = ends
        .iter()
        .map(|l| &l["span"]["http.status_code"])
        .collect();
    assert_eq!(statuses, [400, 401], "failures only: {ends:#?}");
    assert!(ends.iter().all(|line| line["level"] == "INFO"));
    assert_eq!(ends[0]["span"]["principal"], "user-7");
    assert_eq!(
        ends[0]["span"]["problem_type"],
        "urn:cargo-express:problem:not-found"
    );
    assert_eq!(ends[1]["span"]["principal"], "anonymous");

    let lines = service_lines(&format!(
        "info,{}=debug",
        platform::telemetry::SUCCESSES_TARGET
    ))
    .await;
    let ends = request_ends(&lines);
    assert_eq!(ends.len(), 3, "successes too at debug: {ends:#?}");
    assert_eq!(ends[0]["span"]["http.status_code"], 200);
    assert_eq!(ends[0]["span"]["principal"], "user-7");
}

/// A token of support user `user-7`.
fn support_token() -> String {
    token_for(Role::Support, "user-7")
}
