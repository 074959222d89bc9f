//! Reading the platform's HTTP answers in tests.

use reqwest::Response;
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
