//! One request is traceable by its W3C trace id: every log line it writes carries it, a caller's
//! `traceparent` is continued, events written meanwhile take the trace along, and at DEBUG its
//! database calls say how long they took.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, test, web};
use contracts::CloudEvent;
use diesel::connection::SimpleConnection;
use platform::db::{DatabaseUrl, Db, DbError};
use platform::http::{RequestTracing, observe_request};
use platform::outbox::OutboxMessage;
use platform::trace::{TRACEPARENT, TraceContext};
use test_support::TestDatabase;
use test_support::logs::CapturedLogs;
use tracing_subscriber::EnvFilter;

/// A handler that logs and writes an event, as a service's handlers do; answers the event's
/// `traceparent`.
async fn handler() -> HttpResponse {
    tracing::info!("handling the request");
    let event = CloudEvent::new("/test", "co.cargoexpress.test.v1", "s-1", 1);
    let message = OutboxMessage::event("orders.created".to_owned(), event).unwrap();
    tracing::warn!("about to answer");
    HttpResponse::Ok().body(
        message
            .headers
            .get(TRACEPARENT)
            .cloned()
            .unwrap_or_default(),
    )
}

#[actix_web::test]
async fn every_log_line_and_every_event_of_a_request_carries_its_trace_id() {
    let lines = CapturedLogs::default();
    let writer = lines.clone();
    let subscriber =
        platform::telemetry::json_lines(EnvFilter::new("info"), move || writer.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let app = test::init_service(
        App::new()
            .wrap(from_fn(observe_request))
            .wrap(RequestTracing::new())
            .route("/work", web::post().to(handler)),
    )
    .await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let request = test::TestRequest::post()
        .uri("/work")
        .insert_header((TRACEPARENT, format!("00-{trace_id}-00f067aa0ba902b7-01")))
        .to_request();
    let handed_on =
        String::from_utf8(test::call_and_read_body(&app, request).await.to_vec()).unwrap();

    assert_eq!(
        handed_on.split('-').nth(1),
        Some(trace_id),
        "the event continues the trace"
    );
    let logged = lines.json_lines();
    assert!(logged.len() >= 3, "{logged:#?}");
    for line in &logged {
        assert_eq!(line["span"]["trace_id"], trace_id, "{line}");
    }

    // Without a traceparent the request starts a trace of its own.
    let started = test::TestRequest::post().uri("/work").to_request();
    let handed_on =
        String::from_utf8(test::call_and_read_body(&app, started).await.to_vec()).unwrap();
    let new_trace = handed_on.split('-').nth(1).unwrap().to_owned();
    assert_eq!(new_trace.len(), 32);
    assert_ne!(new_trace, trace_id);
}

/// Where a slow request's time went: with DEBUG on for `platform::db`, each database call ends
/// with a line saying how long it waited and how long it held its connection, carrying the
/// trace id of the request it served.
#[tokio::test]
async fn at_debug_each_database_call_reports_its_time_under_the_requests_trace_id() {
    let lines = CapturedLogs::default();
    let writer = lines.clone();
    let subscriber =
        platform::telemetry::json_lines(EnvFilter::new("info,platform::db=debug"), move || {
            writer.clone()
        });
    let _default = tracing::subscriber::set_default(subscriber);
    let database = TestDatabase::create().unwrap();
    let db = Db::connect(&DatabaseUrl::parse(database.url()).unwrap(), 2).unwrap();

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let trace = TraceContext::parse(&format!("00-{trace_id}-00f067aa0ba902b7-01")).unwrap();
    platform::trace::scope(trace, async {
        db.write(|conn| -> Result<(), DbError> {
            conn.batch_execute("CREATE TABLE timed (id INTEGER)")?;
            Ok(())
        })
        .await
        .unwrap();
    })
    .await;

    let logged = lines.json_lines();
    let closed: Vec<_> = logged
        .iter()
        .filter(|line| line["message"] == "close" && line["span"]["name"] == "database")
        .collect();
    assert_eq!(closed.len(), 1, "{logged:#?}");
    let call = closed[0];
    assert_eq!(call["span"]["call"], "write");
    assert_eq!(call["span"]["trace_id"], trace_id);
    assert!(call["time.busy"].is_string(), "{call}");
    assert!(call["time.idle"].is_string(), "{call}");

    // At the default level the call writes no line of its own.
    let quiet = CapturedLogs::default();
    let writer = quiet.clone();
    let subscriber =
        platform::telemetry::json_lines(EnvFilter::new("info"), move || writer.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    db.run(|conn| conn.batch_execute("SELECT 1").map_err(DbError::from))
        .await
        .unwrap();
    assert!(quiet.json_lines().is_empty(), "{:#?}", quiet.json_lines());
}
