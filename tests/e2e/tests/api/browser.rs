//! The dashboard in a real browser: Debian's headless Chromium driven over WebDriver
//! (chromedriver) logs in, sees the charts, sees a courier report change the numbers without a
//! reload, logs out, and is told when its session expires. The browser runs in Bogotá's time zone
//! (then, briefly, India's half-hour one), so the test can tell local times from UTC ones; and it
//! reports every Content-Security-Policy violation in its log, which must stay empty. Last, the
//! service's Swagger UI must still run. A screenshot of the dashboard is saved as
//! `dashboard.png` in the test's output directory (`CARGO_TARGET_TMPDIR`).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use test_support::browser::Browser;

use crate::stack::Stack;

/// The browser's time zone, as a viewer in Bogotá has it (UTC−05:00 all year).
const BROWSER_ZONE: &str = "America/Bogota";

/// Logs in on the dashboard's form as the demo operator; answers once the dashboard shows.
async fn log_in_as_operator(browser: &Browser) {
    browser.type_into("#email", "ops@cargoexpress.test").await;
    browser.type_into("#password", "ops-demo-2026").await;
    browser.click("#login-button").await;
    browser.wait_until_shown("#dashboard-view").await;
}

/// The tooltips of the deliveries-per-hour columns that count something, e.g.
/// `Mon, Nov 23 08:00–09:00: 1`.
async fn busy_delivery_hours(browser: &Browser) -> Vec<String> {
    let titles = browser
        .script(
            "return [...document.querySelectorAll('#chart-deliveries rect > title')]\
             .map((title) => title.textContent);",
        )
        .await;
    titles
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|title| !title.ends_with(": 0"))
        .map(str::to_owned)
        .collect()
}

/// The column a seed report falls in, as a dashboard in `zone` labels it: the local start and end
/// of the report's UTC hour, e.g. `08:00–09:00`.
fn column_hours(report: &Value, zone: FixedOffset) -> String {
    // Seed reports carry Bogotá's local time without an offset (`Stack::seed_report`).
    let bogota = FixedOffset::west_opt(5 * 3600).unwrap();
    let written = report["timestamp"].as_str().unwrap();
    let at = NaiveDateTime::parse_from_str(written, "%Y-%m-%d %H:%M:%S%.f")
        .unwrap()
        .and_local_timezone(bogota)
        .unwrap();
    let start = DateTime::from_timestamp(at.timestamp().div_euclid(3600) * 3600, 0).unwrap();
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).format("%H:%M").to_string();
    format!("{}–{}", local(start), local(start + TimeDelta::hours(1)))
}

#[tokio::test]
async fn an_operator_logs_in_watches_a_report_arrive_in_local_time_and_logs_out() {
    let stack = Stack::start().await;
    let courier = stack
        .ecommerce
        .token_of("courier103@cargoexpress.test", "courier-demo-2026")
        .await;
    let warm_up = Stack::seed_report(103, &["pk0002", "pk0003", "pk0003"]);
    let stored = stack
        .report("/registrar_pedido_entregado", &courier, &warm_up)
        .await;
    assert_eq!(stored.status(), StatusCode::OK);

    let browser = Browser::start(BROWSER_ZONE).await;
    browser
        .go(&format!("{}/dashboard/", stack.metrics.address))
        .await;
    log_in_as_operator(&browser).await;
    browser
        .wait_for_text("#tile-reports", "the first numbers", |t| t == "1")
        .await;
    browser
        .wait_for_text("#live-state", "the live stream", |t| t.contains("live"))
        .await;
    assert!(
        browser.count("#chart-products svg rect").await >= 2,
        "product bars"
    );
    assert!(
        browser.count("#chart-revenue svg rect").await >= 1,
        "revenue columns"
    );
    assert_eq!(browser.count("#table-couriers tbody tr").await, 1);

    // Times are the browser's, and the page names the zone: the report's column is its hour in
    // Bogotá (UTC would put it five columns later).
    assert_eq!(
        browser.text("#time-zone").await,
        "Times in America/Bogota (UTC−05:00)"
    );
    let bogota = FixedOffset::west_opt(5 * 3600).unwrap();
    let busy = busy_delivery_hours(&browser).await;
    assert_eq!(busy.len(), 1, "one busy hour: {busy:?}");
    assert!(
        busy[0].contains(&column_hours(&warm_up, bogota)) && busy[0].ends_with(": 1"),
        "the report at {} shows as {busy:?}",
        warm_up["timestamp"]
    );

    // The couriers table says which numbers come from which source.
    let header = browser.text("#table-couriers thead").await;
    assert!(
        header.contains("From couriers' reports") && header.contains("From the delivery service"),
        "{header}"
    );
    assert!(
        browser
            .text("#couriers-note")
            .await
            .contains("Two sources, counted apart")
    );

    // A report arrives: the numbers change without a reload.
    let report = Stack::seed_report(103, &["pk0004", "pk0004", "pk0001"]);
    let stored = stack
        .report("/registrar_pedido_entregado", &courier, &report)
        .await;
    assert_eq!(stored.status(), StatusCode::OK);
    let took = browser
        .wait_for_text("#tile-reports", "the report on the dashboard", |t| t == "2")
        .await;
    println!("the report reached the dashboard in {took:?}");
    assert_eq!(browser.text("#tile-revenue").await, "$43.00");
    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    browser.screenshot(&screenshot).await;
    println!("screenshot: {}", screenshot.display());

    // A viewer in India (UTC+05:30): each column runs from half past to half past.
    browser.set_time_zone("Asia/Kolkata").await;
    browser.script("location.reload();").await;
    browser
        .wait_for_text("#time-zone", "the new time zone", |t| {
            t.starts_with("Times in Asia/") && t.ends_with("(UTC+05:30)")
        })
        .await;
    browser
        .wait_for_text("#tile-reports", "the numbers after the reload", |t| {
            t == "2"
        })
        .await;
    let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let hours = column_hours(&warm_up, india);
    assert!(hours.ends_with(":30"), "{hours}");
    let busy = busy_delivery_hours(&browser).await;
    assert!(
        busy.iter().any(|t| t.contains(&hours)),
        "{hours} in {busy:?}"
    );
    browser.set_time_zone(BROWSER_ZONE).await;

    browser.click("#logout").await;
    browser.wait_until_shown("#login-form").await;
    browser
        .wait_for_text("#login-message", "the log-out", |t| {
            t.contains("logged out")
        })
        .await;

    // Log in again, then let the session run out (its expiry moved a second ahead).
    log_in_as_operator(&browser).await;
    browser
        .script(
            "const s = JSON.parse(sessionStorage.getItem('cargo-express-dashboard'));\
             s.expiresAt = Date.now() + 1000;\
             sessionStorage.setItem('cargo-express-dashboard', JSON.stringify(s));\
             location.reload();",
        )
        .await;
    browser
        .wait_for_text("#login-message", "the expiry message", |t| {
            t.contains("session has expired")
        })
        .await;
    browser.assert_no_policy_violations().await;

    // Swagger UI, on the same service, still draws itself from its scripts: one refused (a
    // wrong media type under `nosniff`) would leave the page blank.
    browser
        .go(&format!("{}/docs/", stack.metrics.address))
        .await;
    browser.wait_until_present(".swagger-ui .info .title").await;
    browser
        .wait_for_text(".swagger-ui .info .title", "the API docs", |t| {
            t.contains("Cargo Express metrics")
        })
        .await;
    assert!(browser.count(".opblock").await >= 10, "the endpoints");
    let refused: Vec<(String, String)> = browser
        .log()
        .await
        .into_iter()
        .filter(|(_, message)| message.contains("Refused"))
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
    browser.quit().await;
}
