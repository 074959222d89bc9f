use platform::auth::Role;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, problem, spawn_app};

/// The reason a 422 gives for `field`.
async fn reason(response: Response, field: &str) -> String {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = problem(response).await;
    assert_eq!(blamed_fields(&problem), [field], "{problem}");
    problem["invalid-params"][0]["reason"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn common_and_guessable_passwords_are_refused_everywhere_a_password_is_set() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let email = "weak@example.com";
    for weak in ["password", "12345678", "aaaaaaaa", email, "Weak Example"] {
        let person = json!({"email": email, "password": weak, "name": "Weak Example"});
        let mut registration = person.clone();
        registration["shipping_address"] = json!("Calle 1 # 2-3, Cali");
        let registered = app
            .request(Method::POST, "/auth/register", None)
            .json(&registration)
            .send()
            .await
            .unwrap();
        let why = reason(registered, "password").await;
        assert!(why.starts_with("is too easy to guess"), "{weak}: {why}");

        let mut user = person.clone();
        user["role"] = json!("operations_viewer");
        let created = app.post("/users", &admin, &user).await;
        assert!(
            reason(created, "password")
                .await
                .starts_with("is too easy to guess")
        );

        let seller =
            json!({"name": "Weak Co", "description": "Sells weakly", "administrators": [person]});
        let created = app.post("/sellers", &admin, &seller).await;
        let why = reason(created, "administrators[0].password").await;
        assert!(why.starts_with("is too easy to guess"), "{weak}: {why}");
    }
    let users: Value = app.get("/users", &admin).await.json().await.unwrap();
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(!emails.contains(&email), "nothing was created");
}

#[tokio::test]
async fn the_refusal_says_why_the_password_is_guessable() {
    let app = spawn_app().await;
    let register = |password: &str| {
        let body = json!({"email": "ana.perez@olla.co", "password": password, "name": "Ana Pérez",
                          "shipping_address": "Calle 1 # 2-3, Cali"});
        app.request(Method::POST, "/auth/register", None)
            .json(&body)
            .send()
    };
    let why = reason(register("password").await.unwrap(), "password").await;
    assert!(why.contains("top-10 common password"), "{why}");
    let why = reason(register("anaperez2026").await.unwrap(), "password").await;
    assert!(why.contains("your email address or name"), "{why}");
    let why = reason(register("qwertyuiop").await.unwrap(), "password").await;
    assert!(why.contains("common password"), "{why}");
    let accepted = register("plum-canoe-harbor").await.unwrap();
    assert_eq!(accepted.status(), StatusCode::CREATED);
}
