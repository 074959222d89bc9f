use std::time::Duration;

use chrono::TimeDelta;
use ecommerce::workers::login_throttle_sweeper;
use futures_util::future::join_all;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, problem, spawn_app_with};

const OPS: (&str, &str) = ("ops@cargoexpress.test", "ops-demo-2026");

/// `POST /auth/login` through a proxy on loopback that says the client is `client`.
async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> Response {
    app.request(Method::POST, "/auth/login", None)
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// The `Retry-After` seconds of a 429, checking its problem body.
async fn refused(response: Response) -> u64 {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds >= 1);
    let problem = problem(response).await;
    assert_eq!(
        problem["type"],
        "urn:cargo-express:problem:too-many-requests"
    );
    seconds
}

async fn wait(seconds: u64) {
    tokio::time::sleep(Duration::from_secs(seconds) + Duration::from_millis(100)).await;
}

#[tokio::test]
async fn guessing_one_accounts_password_is_refused_even_for_the_right_password() {
    // A first block longer than the burst can take on a busy machine: with the default second,
    // a burst slower than that lets a few more guesses through once the block ends, as it should.
    let app = spawn_app_with(|s| s.login_throttle.first_block_seconds = 60).await;
    // The reported attack: 50 wrong passwords on one account at once, then the right one.
    let wrong: Vec<String> = (0..50).map(|i| format!("guess-{i}")).collect();
    let guesses = wrong.iter().map(|w| app.login(OPS.0, w));
    let statuses: Vec<StatusCode> = join_all(guesses).await.iter().map(|r| r.status()).collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(checked <= 6, "{checked} guesses were checked: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(s)),
        "{statuses:?}"
    );
    refused(app.login(OPS.0, OPS.1).await).await;
}

#[tokio::test]
async fn a_blocked_account_lets_its_owner_in_once_the_block_ends() {
    let app = spawn_app_with(|s| {
        s.login_throttle.account_free_failures = 2;
        s.login_throttle.account_max_block_seconds = 2;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login(OPS.0, "not-it").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let retry_after = refused(app.login(OPS.0, OPS.1).await).await;
    assert_eq!(retry_after, 1, "the first block");
    wait(retry_after).await;
    assert_eq!(app.login(OPS.0, OPS.1).await.status(), StatusCode::OK);
    // The success cleared the account's failures: the free ones are free again.
    for _ in 0..2 {
        assert_eq!(
            app.login(OPS.0, "not-it").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.login(OPS.0, OPS.1).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_further_failure_doubles_the_block_up_to_the_cap() {
    let app = spawn_app_with(|s| {
        s.login_throttle.account_free_failures = 1;
        s.login_throttle.account_max_block_seconds = 2;
    })
    .await;
    assert_eq!(
        app.login(OPS.0, "not-it").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mut blocks = Vec::new();
    for _ in 0..3 {
        assert_eq!(
            app.login(OPS.0, "not-it").await.status(),
            StatusCode::UNAUTHORIZED
        );
        let retry_after = refused(app.login(OPS.0, "not-it").await).await;
        blocks.push(retry_after);
        wait(retry_after).await;
    }
    assert_eq!(blocks, [1, 2, 2]);
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_refused_and_other_addresses_are_not() {
    let app = spawn_app_with(|s| s.login_throttle.address_free_failures = 3).await;
    for n in 0..4 {
        let email = format!("someone{n}@example.com");
        let response = login_from(&app, "203.0.113.7", &email, "a-guess-123").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{email}");
    }
    refused(login_from(&app, "203.0.113.7", OPS.0, OPS.1).await).await;
    let elsewhere = login_from(&app, "198.51.100.9", OPS.0, OPS.1).await;
    assert_eq!(elsewhere.status(), StatusCode::OK);
}

#[tokio::test]
async fn forwarded_addresses_from_untrusted_peers_are_ignored() {
    let app = spawn_app_with(|s| {
        s.login_throttle.address_free_failures = 2;
        s.login_throttle.trusted_proxies = Vec::new();
    })
    .await;
    for n in 1..=3 {
        let email = format!("someone{n}@example.com");
        let response = login_from(&app, &format!("203.0.113.{n}"), &email, "a-guess-123").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Every guess counted for the peer (127.0.0.1), whatever the header claimed.
    refused(login_from(&app, "198.51.100.9", OPS.0, OPS.1).await).await;
}

#[tokio::test]
async fn replicas_share_the_throttle_and_a_restart_keeps_it() {
    let app = spawn_app_with(|s| {
        s.login_throttle.account_free_failures = 2;
        s.login_throttle.first_block_seconds = 30;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.login(OPS.0, "not-it").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let replica = app.spawn_replica().await;
    let retry_after = refused(replica.login(OPS.0, OPS.1).await).await;
    assert!((29..=30).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn throttled_log_ins_are_counted_in_metrics() {
    let app = spawn_app_with(|s| s.login_throttle.account_free_failures = 0).await;
    assert_eq!(
        app.login(OPS.0, "not-it").await.status(),
        StatusCode::UNAUTHORIZED
    );
    refused(app.login(OPS.0, "not-it").await).await;
    let metrics = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"login_throttled_total{scope="account"}"#,
        r#"login_throttle_blocks_total{scope="account"}"#,
        r#"login_attempts_total{outcome="throttled"}"#,
        r#"login_attempts_total{outcome="failed"}"#,
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}

#[tokio::test]
async fn forgotten_counts_are_swept_and_start_afresh() {
    let app = spawn_app_with(|s| s.login_throttle.account_free_failures = 2).await;
    for _ in 0..2 {
        assert_eq!(
            app.login(OPS.0, "not-it").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Forgetting at once: every count not blocked right now goes.
    let swept = login_throttle_sweeper::sweep_once(&app.database(), TimeDelta::zero())
        .await
        .unwrap();
    assert_eq!(swept, 2, "the account's count and the address's");
    for _ in 0..2 {
        assert_eq!(
            app.login(OPS.0, "not-it").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.login(OPS.0, OPS.1).await.status(), StatusCode::OK);
}
