//! Production settings refuse the public demo keys and demo passwords; every mode refuses a
//! guessable bootstrap password and a bad log-in throttle setting.

use ecommerce::config::BootstrapAdmin;
use ecommerce::domain::demo_accounts::DEMO_ACCOUNTS;
use ecommerce::startup::Application;
use platform::settings::Mode;
use test_support::{TestDatabase, TestNats};

use crate::helpers::{spawn_app_with, test_settings};

/// A key for ally credentials of its own (production refuses to start without one).
pub const OWN_CREDENTIALS_KEY: &str = "b3duLWNyZWRlbnRpYWxzLWtleS1mb3ItdGVzdHMtMzI=";

fn own_key_file() -> tempfile::NamedTempFile {
    let key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDWX2K/aVJpwdFOOPHR8f7QNXg14/dMe5Jlj0UnKgo83\n-----END PRIVATE KEY-----\n";
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), key).unwrap();
    file
}

async fn build_error(adjust: impl FnOnce(&mut ecommerce::config::Settings)) -> String {
    let nats = TestNats::start().await.unwrap();
    let db = TestDatabase::create().unwrap();
    let mut settings = test_settings(&nats, &db);
    adjust(&mut settings);
    match Application::build(settings).await {
        Ok(_) => panic!("start-up should have been refused"),
        Err(error) => format!("{error:#}"),
    }
}

/// Why production mode, with a signing key of its own, refuses to start once `adjust` has
/// changed its settings.
pub async fn production_start_error(
    adjust: impl FnOnce(&mut ecommerce::config::Settings) + Send + 'static,
) -> String {
    let key = own_key_file();
    let path = key.path().to_owned();
    build_error(move |s| {
        s.mode = Mode::Production;
        s.auth.signing_key_file = Some(path);
        adjust(s);
    })
    .await
}

#[tokio::test]
async fn production_refuses_to_start_without_a_key_of_its_own() {
    let error = build_error(|s| s.mode = Mode::Production).await;
    assert!(error.contains("signing_key_file"), "{error}");

    let demo_key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(demo_key.path(), platform::auth::DEMO_SIGNING_KEY_PEM).unwrap();
    let path = demo_key.path().to_owned();
    let error = build_error(move |s| {
        s.mode = Mode::Production;
        s.auth.signing_key_file = Some(path);
    })
    .await;
    assert!(error.contains("demo signing key"), "{error}");
}

#[tokio::test]
async fn production_refuses_a_demo_password_for_the_bootstrap_admin() {
    let key = own_key_file();
    let path = key.path().to_owned();
    let error = build_error(move |s| {
        s.mode = Mode::Production;
        s.auth.signing_key_file = Some(path);
        s.bootstrap_admin = Some(BootstrapAdmin {
            email: "root@example.com".into(),
            password: DEMO_ACCOUNTS[0].password.to_owned().into(),
        });
    })
    .await;
    assert!(error.contains("demo password"), "{error}");
}

#[tokio::test]
async fn production_refuses_a_database_where_demo_accounts_keep_their_demo_passwords() {
    let nats = TestNats::start().await.unwrap();
    let db = TestDatabase::create().unwrap();
    let demo = Application::build(test_settings(&nats, &db)).await.unwrap();
    drop(demo);
    let key = own_key_file();
    let mut production = test_settings(&nats, &db);
    production.mode = Mode::Production;
    production.auth.signing_key_file = Some(key.path().to_owned());
    production.credentials.key = Some(OWN_CREDENTIALS_KEY.into());
    let error = format!(
        "{:#}",
        Application::build(production).await.err().expect("refused")
    );
    assert!(error.contains("demo password"), "{error}");
}

#[tokio::test]
async fn production_with_its_own_key_creates_only_the_bootstrap_admin() {
    let key = own_key_file();
    let path = key.path().to_owned();
    let app = spawn_app_with(move |s| {
        s.mode = Mode::Production;
        s.auth.signing_key_file = Some(path);
        s.credentials.key = Some(OWN_CREDENTIALS_KEY.into());
        s.bootstrap_admin = Some(BootstrapAdmin {
            email: "Root@Example.com".into(),
            password: "a-long-unique-secret".to_owned().into(),
        });
    })
    .await;
    assert_eq!(
        app.login("admin@cargoexpress.test", "admin-demo-2026")
            .await
            .status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    let token = app
        .token_of("root@example.com", "a-long-unique-secret")
        .await;
    let users: serde_json::Value = app.get("/users", &token).await.json().await.unwrap();
    assert_eq!(users["total"], 1);

    // Another administrator deletes the bootstrap one: a restart does not make it again.
    let second = serde_json::json!({"email": "second@example.com", "password": "violet-harbor-71",
        "name": "Second", "role": "marketplace_admin"});
    let created: serde_json::Value = app
        .post("/users", &token, &second)
        .await
        .json()
        .await
        .unwrap();
    let second = app.token_of("second@example.com", "violet-harbor-71").await;
    let me: serde_json::Value = app.get("/auth/me", &token).await.json().await.unwrap();
    let deleted = app
        .delete(&format!("/users/{}", me["id"].as_str().unwrap()), &second)
        .await;
    assert_eq!(deleted.status(), reqwest::StatusCode::NO_CONTENT);
    let restarted = app.spawn_replica().await;
    assert_eq!(
        restarted
            .login("root@example.com", "a-long-unique-secret")
            .await
            .status(),
        reqwest::StatusCode::UNAUTHORIZED
    );
    assert!(created["id"].is_string());
}

#[tokio::test]
async fn a_guessable_bootstrap_admin_password_stops_start_up() {
    let error = build_error(|s| {
        s.bootstrap_admin = Some(BootstrapAdmin {
            email: "root@example.com".into(),
            password: "rootroot2026".to_owned().into(),
        });
    })
    .await;
    assert!(
        error.contains("bootstrap_admin.password is too easy to guess"),
        "{error}"
    );
}

#[tokio::test]
async fn bad_log_in_throttle_settings_stop_start_up() {
    let error =
        build_error(|s| s.login_throttle.trusted_proxies = vec!["proxy.internal".into()]).await;
    assert!(error.contains("login_throttle.trusted_proxies"), "{error}");
    let error = build_error(|s| s.login_throttle.forget_after_seconds = 60).await;
    assert!(error.contains("forget_after_seconds"), "{error}");
}
