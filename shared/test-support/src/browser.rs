//! A real browser for tests: Debian's headless Chromium driven over WebDriver (chromedriver),
//! with the few commands the platform's browser tests use. `CHROMEDRIVER` and `CHROMIUM`
//! override the programs' paths (`apt-get install chromium chromium-driver`; `scripts/test`
//! installs them).

// Panicking is how a test reports failure, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// A chromedriver process and one browser session on it.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose time zone is `zone` (`TZ`, e.g.
    /// `America/Bogota`).
    pub async fn start(zone: &str) -> Self {
        let port = crate::free_port().unwrap();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
            .arg(format!("--port={port}"))
            // Inherited by the browsers it starts.
            .env("TZ", zone)
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

    pub async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self.http.request(method, format!("{}{path}", self.session));
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["value"].clone()
    }

    pub async fn go(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    pub async fn element(&self, css: &str) -> String {
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

    pub async fn count(&self, css: &str) -> usize {
        let found = self
            .command(
                reqwest::Method::POST,
                "/elements",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found.as_array().map_or(0, Vec::len)
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        let clear = format!("/element/{id}/clear");
        self.command(reqwest::Method::POST, &clear, json!({})).await;
        let path = format!("/element/{id}/value");
        self.command(reqwest::Method::POST, &path, json!({"text": text}))
            .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        let path = format!("/element/{id}/click");
        self.command(reqwest::Method::POST, &path, json!({})).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        let path = format!("/element/{id}/text");
        let text = self.command(reqwest::Method::GET, &path, Value::Null).await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Waits until an element matches `css` (a page that draws itself after loading).
    pub async fn wait_until_present(&self, css: &str) {
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
    pub async fn wait_until_shown(&self, css: &str) {
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

    pub async fn script(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Waits until the text of `css` satisfies `check`; returns how long that took.
    pub async fn wait_for_text(
        &self,
        css: &str,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> Duration {
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
    pub async fn log(&self) -> Vec<(String, String)> {
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
    pub async fn assert_no_policy_violations(&self) {
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
    pub async fn set_time_zone(&self, zone: &str) {
        let command =
            json!({"cmd": "Emulation.setTimezoneOverride", "params": {"timezoneId": zone}});
        self.command(reqwest::Method::POST, "/goog/cdp/execute", command)
            .await;
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub async fn quit(self) {
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
