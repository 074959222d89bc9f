//! The dashboard in a real browser: Debian's headless Chromium driven over WebDriver
//! (chromedriver) logs in, sees the charts, sees a courier report change the numbers without a
//! reload, logs out, and is told when its session expires. A screenshot of the dashboard is
//! saved as `dashboard.png` in the test's output directory (`CARGO_TARGET_TMPDIR`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::stack::Stack;

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

#[tokio::test]
async fn an_operator_logs_in_watches_a_report_arrive_and_logs_out() {
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
    browser.quit().await;
}
