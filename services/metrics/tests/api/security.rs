//! What a browser is told about the dashboard: a strict Content-Security-Policy (the page's own
//! files only, nothing inline, no framing), no referrer, no MIME sniffing; and the page keeps to
//! that policy. A log-in body over the limit is refused with 413.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};

use crate::helpers::*;

/// The directives of a Content-Security-Policy header: name to sources.
fn directives(policy: &str) -> HashMap<String, Vec<String>> {
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace().map(str::to_owned);
            Some((words.next()?, words.collect()))
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_files_forbid_inline_code_other_origins_and_framing() {
    let app = spawn_app().await;
    for path in ["/dashboard/", "/dashboard/app.js", "/dashboard/app.css"] {
        let response = app.request(Method::GET, path, None).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{path} has no {name}"))
                .to_owned()
        };
        let policy = header("content-security-policy");
        assert!(!policy.contains("unsafe-"), "{path}: {policy}");
        let policy = directives(&policy);
        let expected = [
            ("default-src", "'none'"),
            ("script-src", "'self'"),
            ("style-src", "'self'"),
            ("img-src", "'self' data:"),
            ("connect-src", "'self'"),
            ("form-action", "'self'"),
            ("frame-ancestors", "'none'"),
            ("base-uri", "'none'"),
            ("object-src", "'none'"),
        ];
        for (directive, sources) in expected {
            assert_eq!(
                policy.get(directive).map(|s| s.join(" ")).as_deref(),
                Some(sources),
                "{path}: {directive}"
            );
        }
        assert_eq!(policy.len(), expected.len(), "{path}: {policy:?}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    }
}

#[tokio::test]
async fn the_dashboard_page_holds_no_inline_script_style_or_event_handler() {
    let app = spawn_app().await;
    let page = app
        .request(Method::GET, "/dashboard/", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .to_lowercase();
    for script in page.split("<script").skip(1) {
        let tag = &script[..script.find('>').unwrap()];
        assert!(tag.contains(" src="), "an inline script: <script{tag}>");
    }
    assert!(!page.contains("<style"), "an inline style sheet");
    let attributes: Vec<&str> = page
        .split(|c: char| c.is_whitespace() || c == '<')
        .filter_map(|word| word.split_once('=').map(|(name, _)| name))
        .collect();
    assert!(!attributes.contains(&"style"), "a style attribute");
    let handlers: Vec<&&str> = attributes
        .iter()
        .filter(|name| name.starts_with("on") && name.len() > 2)
        .collect();
    assert!(
        handlers.is_empty(),
        "event handler attributes: {handlers:?}"
    );
}

#[tokio::test]
async fn a_log_in_body_over_the_limit_is_refused_with_413() {
    let app = spawn_app().await;
    let password = "p".repeat(platform::json::MAX_BODY_BYTES);
    let response = app
        .request(Method::POST, "/dashboard/session", None)
        .json(&serde_json::json!({"email": "ops@cargoexpress.test", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let problem = problem(response).await;
    assert_eq!(
        problem["type"],
        "urn:cargo-express:problem:payload-too-large"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("262144 bytes"),
        "{problem}"
    );
}
