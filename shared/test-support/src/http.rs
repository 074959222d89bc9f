//! Reading the platform's HTTP answers in tests.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// Reads a problem body, checking its media type.
#[allow(clippy::expect_used)]
pub async fn problem(response: Response) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        content_type, "application/problem+json",
        "errors are problem details"
    );
    response.json().await.expect("a problem body")
}

/// Reads the body of a successful answer; fails naming its URL and status otherwise.
#[allow(clippy::expect_used)]
pub async fn ok(response: Response) -> Value {
    let (url, status) = (response.url().to_string(), response.status());
    assert!(status.is_success(), "{url}: {status}");
    response.json().await.expect("a JSON body")
}

/// The names of the fields a problem blames.
pub fn blamed_fields(problem: &Value) -> Vec<String> {
    problem["invalid-params"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A service under test, reached over HTTP at `address`: one request helper per verb, with an
/// optional bearer token.
#[derive(Clone)]
pub struct ServiceClient {
    pub address: String,
    pub client: reqwest::Client,
}

#[allow(clippy::expect_used)]
impl ServiceClient {
    pub fn new(address: String) -> Self {
        Self {
            address,
            client: platform::http_client::builder()
                .build()
                .expect("an HTTP client"),
        }
    }

    /// What `/readyz` lists as found lost on NATS and made again (`recovered`).
    pub async fn recovered(&self) -> Vec<String> {
        let ready: Value = self
            .request(Method::GET, "/readyz", None)
            .send()
            .await
            .expect("/readyz answers")
            .json()
            .await
            .expect("/readyz is JSON");
        ready["recovered"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits, as an orchestrator would, until `/readyz` says the database and NATS answer.
    pub async fn wait_until_ready(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.request(Method::GET, "/readyz", None).send().await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} never became ready",
                self.address
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self
            .client
            .request(method, format!("{}{path}", self.address));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PUT, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(token))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /auth/login` at an identity provider.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.request(Method::POST, "/auth/login", None)
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request sent")
    }

    /// The access token an identity provider gives `email` for `password`.
    pub async fn token_of(&self, email: &str, password: &str) -> String {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "log-in of {email}");
        let body: Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("a token").to_owned()
    }
}
