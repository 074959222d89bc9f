//! The dashboard in a real browser: Debian's headless Chromium driven over WebDriver
//! (chromedriver) logs in, sees the charts, sees a courier report change the numbers without a
//! reload, logs out, and is told when its session expires. The browser runs in Bogotá's time zone
//! (then, briefly, India's half-hour one), so the test can tell local times from UTC ones; and it
//! reports every Content-Security-Policy violation in its log, which must stay empty. Last, the
//! service's Swagger UI must still run. A screenshot of the dashboard is saved as
//! `dashboard.png` in the test's output directory (`CARGO_TARGET_TMPDIR`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::stack::Stack;

/// The browser's time zone, as a viewer in Bogotá has it (UTC−05:00 all year).
const BROWSER_ZONE: &str = "America/Bogota";

/// A chromedriver process and one browser session on it.
struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
}

impl Browser {
    async fn start() -> Self {
        let port = test_support::free_port().unwrap();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
            .arg(format!("--port={port}"))
            // Inherited by the browsers it starts.
            .env("TZ", BROWSER_ZONE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that the browsers it starts stop with it (see Drop).
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect(
                "chromedriver runs (apt-get install chromium chromium-driver; scripts/test does)",
            );
        let http = platform::http_client::builder().build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver never answered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let chromium = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1360,1500"]
            }
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"));
        Self {
            driver,
            http,
            session: format!("{base}/session/{id}"),
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self.http.request(method, format!("{}{path}", self.session));
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    async fn count(&self, css: &str) -> usize {
        let found = self
            .command(
                reqwest::Method::POST,
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found.as_array().map_or(0, Vec::len)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        let clear = format!("/element/{id}/clear");
        self.command(reqwest::Method::POST, &clear, json!({})).await;
        let path = format!("/element/{id}/value");
        self.command(reqwest::Method::POST, &path, json!({"text": text}))
            .await;
    }

    async fn click(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/click");
        self.command(reqwest::Method::POST, &path, json!({})).await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        let path = format!("/element/{id}/text");
        let text = self.command(reqwest::Method::GET, &path, Value::Null).await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until an element matches `css` (a page that draws itself after loading).
    async fn wait_until_present(&self, css: &str) {
        let started = Instant::now();
        while self.count(css).await == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{css} never appeared"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `css` is displayed (text of hidden elements still reads through WebDriver).
    async fn wait_until_shown(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/displayed");
        let started = Instant::now();
        while self.command(reqwest::Method::GET, &path, Value::Null).await != Value::Bool(true) {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{css} never shown"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn script(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Waits until the text of `css` satisfies `check`; returns how long that took.
    async fn wait_for_text(&self, css: &str, what: &str, check: impl Fn(&str) -> bool) -> Duration {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if check(&text) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{what}: {css} still says {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The browser's log since the last call: `(source, message)`. Content-Security-Policy
    /// violations come from the `security` source.
    async fn log(&self) -> Vec<(String, String)> {
        let entries = self
            .command(reqwest::Method::POST, "/se/log", json!({"type": "browser"}))
            .await;
        let field = |entry: &Value, name: &str| entry[name].as_str().unwrap_or_default().to_owned();
        entries
            .as_array()
            .unwrap_or_else(|| panic!("no browser log: {entries}"))
            .iter()
            .map(|entry| (field(entry, "source"), field(entry, "message")))
            .collect()
    }

    /// Asserts that the pages seen since the last look broke no Content-Security-Policy rule.
    async fn assert_no_policy_violations(&self) {
        let violations: Vec<String> = self
            .log()
            .await
            .into_iter()
            .filter(|(source, message)| {
                source == "security" || message.contains("Content Security Policy")
            })
            .map(|(_, message)| message)
            .collect();
        assert!(violations.is_empty(), "{violations:#?}");
    }

    /// The browser's time zone from now on, as a traveller's laptop would change it.
    async fn set_time_zone(&self, zone: &str) {
        let command =
            json!({"cmd": "Emulation.setTimezoneOverride", "params": {"timezoneId": zone}});
        self.command(reqwest::Method::POST, "/goog/cdp/execute", command)
            .await;
    }

    /// The tooltips of the deliveries-per-hour columns that count something, e.g.
    /// `Mon, Nov 23 08:00–09:00: 1`.
    async fn busy_delivery_hours(&self) -> Vec<String> {
        let titles = self
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

    async fn screenshot(&self, path: &std::path::Path) {
        let png = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    async fn quit(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

impl Drop for Browser {
    /// Stops chromedriver and every browser it started, even when the test failed midway.
    fn drop(&mut self) {
        if let Some(group) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .status();
        }
    }
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
        .token("courier103@cargoexpress.test", "courier-demo-2026")
        .await;
    let warm_up = Stack::seed_report(103, &["pk0002", "pk0003", "pk0003"]);
    let stored = stack
        .report("/registrar_pedido_entregado", &courier, &warm_up)
        .await;
    assert_eq!(stored.status(), StatusCode::OK);

    let browser = Browser::start().await;
    browser
        .go(&format!("{}/dashboard/", stack.metrics.address))
        .await;
    browser.type_into("#email", "ops@cargoexpress.test").await;
    browser.type_into("#password", "ops-demo-2026").await;
    browser.click("#login-button").await;
    browser.wait_until_shown("#dashboard-view").await;
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
    let busy = browser.busy_delivery_hours().await;
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
    let busy = browser.busy_delivery_hours().await;
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
    browser.type_into("#email", "ops@cargoexpress.test").await;
    browser.type_into("#password", "ops-demo-2026").await;
    browser.click("#login-button").await;
    browser.wait_until_shown("#dashboard-view").await;
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
