use platform::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, problem, spawn_app};

#[tokio::test]
async fn demo_users_log_in_and_see_themselves() {
    let app = spawn_app().await;
    let token = app.token(Role::Courier).await;
    let me: Value = app.get("/auth/me", &token).await.json().await.unwrap();
    assert_eq!(me["role"], "courier");
    assert_eq!(me["courier_id"], 101);
    assert!(
        me.get("password_hash").is_none(),
        "hashes never leave the service"
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_gets_the_same_401() {
    let app = spawn_app().await;
    let wrong = app
        .login("admin@cargoexpress.test", "not-the-password")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = problem(wrong).await;
    let unknown = problem(
        app.login("nobody@cargoexpress.test", "whatever-it-is")
            .await,
    )
    .await;
    assert_eq!(
        wrong["detail"], unknown["detail"],
        "no hint about which emails exist"
    );
    let overlong = format!("{}@cargoexpress.test", "a".repeat(10_000));
    let overlong = app.login(&overlong, "whatever-it-is").await;
    assert_eq!(overlong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(overlong).await["detail"], wrong["detail"]);
}

#[tokio::test]
async fn a_person_registers_as_a_marketplace_user_and_logs_in() {
    let app = spawn_app().await;
    let body = json!({"email": "Nuevo@Example.com", "password": "a-good-password", "name": "Nuevo Cliente",
                      "shipping_address": "Calle 45 # 12-34, Medellín"});
    let response = app
        .request(Method::POST, "/auth/register", None)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["role"], "marketplace_user");
    assert_eq!(
        user["email"], "nuevo@example.com",
        "emails are stored lower-cased"
    );

    let token = app.token_of("NUEVO@example.com", "a-good-password").await;
    let me: Value = app.get("/auth/me", &token).await.json().await.unwrap();
    assert_eq!(me["shipping_address"], "Calle 45 # 12-34, Medellín");

    let again = app
        .request(Method::POST, "/auth/register", None)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(blamed_fields(&problem(again).await), ["email"]);
}

#[tokio::test]
async fn registration_needs_an_email_and_a_shipping_address() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": "a-good-password", "name": "X", "shipping_address": "Calle 1 # 2-3"}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": "a-good-password", "name": "X"}),
            "shipping_address",
        ),
        (
            json!({"email": "a@b.co", "password": "short", "name": "X", "shipping_address": "Calle 1 # 2-3"}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .request(Method::POST, "/auth/register", None)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert_eq!(blamed_fields(&problem(response).await), [field]);
    }
}

#[tokio::test]
async fn tokens_verify_against_the_published_jwks() {
    let app = spawn_app().await;
    let jwks: platform::auth::JwkSet = app
        .request(Method::GET, "/.well-known/jwks.json", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verifier = platform::auth::JwtVerifier::from_jwks(&jwks, "cargo-express").unwrap();
    let token = app.token(Role::OperationsViewer).await;
    let claims = verifier.verify(&token).unwrap();
    assert_eq!(claims.role, Role::OperationsViewer);
    assert_eq!(claims.email, "ops@cargoexpress.test");
}

#[tokio::test]
async fn other_services_verify_tokens_with_the_jwks_fetched_over_http() {
    let app = spawn_app().await;
    let url = format!("{}/.well-known/jwks.json", app.address);
    let verifier = platform::auth::JwtVerifier::fetch(&url, "cargo-express")
        .await
        .unwrap();
    let token = app.token(Role::ServiceClient).await;
    assert_eq!(verifier.verify(&token).unwrap().role, Role::ServiceClient);
    assert!(
        platform::auth::JwtVerifier::fetch(&format!("{}/nope", app.address), "cargo-express")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn missing_malformed_and_forged_tokens_are_refused_with_401() {
    let app = spawn_app().await;
    let no_token = app
        .request(Method::GET, "/auth/me", None)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");

    let basic = app
        .request(Method::GET, "/auth/me", None)
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);

    let garbage = app.get("/auth/me", "not.a.jwt").await;
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);

    // Signed with a key the platform does not publish.
    let foreign_pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKx+lHbSW8q0WjTPfA+qZ1nkGOXFWneluAqrIcwfmGQK\n-----END PRIVATE KEY-----\n";
    let forger = platform::auth::JwtIssuer::from_pem(foreign_pem, "cargo-express", 60).unwrap();
    let forged = forger
        .issue(platform::auth::TokenSubject {
            user_id: "x".into(),
            email: "evil@example.com".into(),
            role: Role::MarketplaceAdmin,
            seller_id: None,
            courier_id: None,
            generation: 0,
        })
        .unwrap();
    let response = app.get("/users", &forged.access_token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

const SEED_004_STORY_4: &str = include_str!("fixtures/seed-004/story-4.txt");

#[tokio::test]
async fn registration_takes_seed_004s_spelling_of_the_shipping_address() {
    assert!(SEED_004_STORY_4.contains("email and shipping_addres."));
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/auth/register", None)
        .json(&json!({
            "email": "seed-four@example.com",
            "password": "plum-canoe-harbor-42",
            "name": "Seed Four",
            "shipping_addres": "Carrera 7 # 32-16, Bogotá",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["shipping_address"], "Carrera 7 # 32-16, Bogotá");

    // Still an address: the seed's spelling goes through the same rule, named as ours.
    let short = app
        .request(Method::POST, "/auth/register", None)
        .json(&json!({
            "email": "seed-five@example.com",
            "password": "plum-canoe-harbor-42",
            "name": "Seed Five",
            "shipping_addres": "x",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(short).await), ["shipping_address"]);
}
