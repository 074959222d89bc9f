//! The user lifecycle: an administrator disables, enables and deletes users, changes a role
//! and resets a password, users change their own password; each change is in the user's audit
//! trail, and each that must end the user's sessions makes their earlier tokens refused.
//! (Refusal on every service and replica within a second: tests/e2e, user_access.rs.)

use std::time::Duration;

use platform::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, blamed_fields, problem, spawn_app};

const PASSWORD: &str = "violet-harbor-71";

/// Creates a user with `role` (`extra` adds what the role needs); returns its id and a token.
async fn create_user(app: &TestApp, admin: &str, email: &str, role: &str) -> (String, String) {
    let mut body =
        json!({"email": email, "password": PASSWORD, "name": "Lena Ortiz", "role": role});
    if role == "marketplace_user" {
        body["shipping_address"] = json!("Calle 10 # 4-20, Medellín");
    }
    let created = app.post("/users", admin, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    (id, app.token_of(email, PASSWORD).await)
}

/// Waits until `token` is refused with a 401 on a route that checks only the token (not the
/// database, as `/auth/me` does); returns the problem's detail.
async fn refused(app: &TestApp, token: &str) -> String {
    test_support::eventually_some(Duration::from_secs(10), "the token refused", || async {
        let response = app.get("/products?limit=1", token).await;
        if response.status() != StatusCode::UNAUTHORIZED {
            return None;
        }
        let problem = problem(response).await;
        Some(problem["detail"].as_str().unwrap().to_owned())
    })
    .await
}

/// The actions of the user's audit trail, oldest first, each with who made it.
async fn trail(app: &TestApp, admin: &str, id: &str) -> Vec<(String, String)> {
    let changes = app.get(&format!("/users/{id}/changes"), admin).await;
    assert_eq!(changes.status(), StatusCode::OK);
    let changes: Value = changes.json().await.unwrap();
    let mut actions: Vec<(String, String)> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            assert!(change["changed_at"].is_string(), "{change}");
            (
                change["action"].as_str().unwrap().to_owned(),
                change["changed_by"]["email"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    actions.reverse();
    actions
}

/// `POST /users/{id}/disable` as `admin`.
async fn disable(app: &TestApp, admin: &str, id: &str) -> reqwest::Response {
    app.post(&format!("/users/{id}/disable"), admin, &Value::Null)
        .await
}

fn by_admin(actions: &[&str]) -> Vec<(String, String)> {
    actions
        .iter()
        .map(|action| ((*action).to_owned(), "admin@cargoexpress.test".to_owned()))
        .collect()
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_their_tokens_are_refused_until_enabled() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, token) = create_user(&app, &admin, "lena@ops.test", "operations_viewer").await;

    let disabled = disable(&app, &admin, &id).await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let disabled: Value = disabled.json().await.unwrap();
    assert_eq!(disabled["status"], "disabled");
    assert_eq!(
        refused(&app, &token).await,
        "authentication required: this token was revoked: the account was disabled"
    );
    let login = app.login("lena@ops.test", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert!(
        problem(login).await["detail"]
            .as_str()
            .unwrap()
            .contains("disabled")
    );
    // Disabling again changes nothing, and records nothing.
    let again = disable(&app, &admin, &id).await;
    assert_eq!(again.status(), StatusCode::OK);

    let enabled = app
        .post(&format!("/users/{id}/enable"), &admin, &Value::Null)
        .await;
    let enabled: Value = enabled.json().await.unwrap();
    assert_eq!(enabled["status"], "active");
    let fresh = app.token_of("lena@ops.test", PASSWORD).await;
    assert_eq!(app.get("/auth/me", &fresh).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/auth/me", &token).await.status(),
        StatusCode::UNAUTHORIZED,
        "a token from before the account was disabled stays refused"
    );
    assert_eq!(
        trail(&app, &admin, &id).await,
        by_admin(&["disabled", "enabled"])
    );
}

#[tokio::test]
async fn a_role_change_ends_the_users_sessions_and_their_next_token_has_the_new_role() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, token) = create_user(&app, &admin, "lena@ops.test", "operations_viewer").await;
    let path = format!("/users/{id}/role");

    let missing = app
        .put(&path, &admin, &json!({"role": "seller_user"}))
        .await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(missing).await), ["seller_id"]);
    let unknown = app
        .put(
            &path,
            &admin,
            &json!({"role": "seller_user", "seller_id": "no-such-seller"}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(unknown).await), ["seller_id"]);
    assert_eq!(
        app.get("/auth/me", &token).await.status(),
        StatusCode::OK,
        "a refused change ends no session"
    );

    let changed = app.put(&path, &admin, &json!({"role": "support"})).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["role"], "support");
    assert_eq!(
        refused(&app, &token).await,
        "authentication required: this token was revoked: the account's role changed; log in again"
    );
    let fresh = app.token_of("lena@ops.test", PASSWORD).await;
    let me: Value = app.get("/auth/me", &fresh).await.json().await.unwrap();
    assert_eq!(me["role"], "support");
    assert_eq!(
        app.get("/support/reports/tags", &fresh).await.status(),
        StatusCode::OK,
        "the new role's rights"
    );

    let changes: Value = app
        .get(&format!("/users/{id}/changes"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        changes["items"][0]["details"],
        json!({"role": {"old": "operations_viewer", "new": "support"}})
    );
}

#[tokio::test]
async fn a_password_reset_gives_a_password_once_and_ends_the_users_sessions() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, token) = create_user(&app, &admin, "lena@ops.test", "operations_viewer").await;

    let reset = app
        .post(&format!("/users/{id}/password-reset"), &admin, &Value::Null)
        .await;
    assert_eq!(reset.status(), StatusCode::OK);
    let reset: Value = reset.json().await.unwrap();
    let temporary = reset["temporary_password"].as_str().unwrap();
    assert_eq!(
        refused(&app, &token).await,
        "authentication required: this token was revoked: the account's password changed; log in again"
    );
    assert_eq!(
        app.login("lena@ops.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.token_of("lena@ops.test", temporary).await;
    assert_eq!(
        trail(&app, &admin, &id).await,
        by_admin(&["password_reset"])
    );
    let trail_text = app
        .get(&format!("/users/{id}/changes"), &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!trail_text.contains(temporary), "{trail_text}");
}

#[tokio::test]
async fn users_change_their_own_password_after_giving_the_current_one() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, token) = create_user(&app, &admin, "lena@ops.test", "operations_viewer").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let anonymous = app
        .request(Method::PUT, "/auth/password", None)
        .json(&change(PASSWORD, "amber-lagoon-38"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = app
        .put(
            "/auth/password",
            &token,
            &change("not-my-password", "amber-lagoon-38"),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(wrong).await), ["current_password"]);
    let weak = app
        .put("/auth/password", &token, &change(PASSWORD, "password1"))
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(weak).await), ["new_password"]);
    let same = app
        .put("/auth/password", &token, &change(PASSWORD, PASSWORD))
        .await;
    assert_eq!(blamed_fields(&problem(same).await), ["new_password"]);

    let changed = app
        .put(
            "/auth/password",
            &token,
            &change(PASSWORD, "amber-lagoon-38"),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    let new_token = changed["access_token"].as_str().unwrap();
    assert_eq!(
        refused(&app, &token).await,
        "authentication required: this token was revoked: the account's password changed; log in again"
    );
    assert_eq!(
        app.get("/auth/me", new_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("lena@ops.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.token_of("lena@ops.test", "amber-lagoon-38").await;
    assert_eq!(
        trail(&app, &admin, &id).await,
        [("password_changed".to_owned(), "lena@ops.test".to_owned())]
    );
}

#[tokio::test]
async fn a_deleted_user_is_gone_but_their_orders_and_audit_trail_stay() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let buyer = app.register_buyer("marta").await;
    let me: Value = app.get("/auth/me", &buyer).await.json().await.unwrap();
    let id = me["id"].as_str().unwrap().to_owned();
    let bought = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0001", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(bought.status(), StatusCode::CREATED);
    let bought: Value = bought.json().await.unwrap();
    let order_id = bought["orders"][0]["id"].as_str().unwrap();

    let deleted = app.delete(&format!("/users/{id}"), &admin).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        refused(&app, &buyer).await,
        "authentication required: this token was revoked: the account was deleted"
    );
    assert_eq!(
        app.login("marta@buyers.test", "buyer-pass-123")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&format!("/users/{id}"), &admin).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/users/{id}"), &admin).await.status(),
        StatusCode::NOT_FOUND
    );
    let users = app
        .get("/users?limit=200", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!users.contains("marta"), "{users}");
    // The order stays, as the marketplace's record; the email is free again.
    assert_eq!(
        app.get(&format!("/orders/{order_id}"), &admin)
            .await
            .status(),
        StatusCode::OK
    );
    app.register_buyer("marta").await;
    assert_eq!(trail(&app, &admin, &id).await, by_admin(&["deleted"]));
}

#[tokio::test]
async fn an_administrator_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let me: Value = app.get("/auth/me", &admin).await.json().await.unwrap();
    let id = me["id"].as_str().unwrap();
    for response in [
        disable(&app, &admin, id).await,
        app.delete(&format!("/users/{id}"), &admin).await,
        app.put(
            &format!("/users/{id}/role"),
            &admin,
            &json!({"role": "support"}),
        )
        .await,
        app.post(&format!("/users/{id}/password-reset"), &admin, &Value::Null)
            .await,
    ] {
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(
            problem(response).await["detail"]
                .as_str()
                .unwrap()
                .contains("your own")
        );
    }
    assert_eq!(app.get("/auth/me", &admin).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_seller_deletes_its_users_and_ends_their_sessions() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (seller_id, seller_admin) = app.create_seller("Closing Shop").await;
    let members: Value = app
        .get(&format!("/sellers/{seller_id}/users"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let member = members[0]["id"].as_str().unwrap().to_owned();

    let deleted = app.delete(&format!("/sellers/{seller_id}"), &admin).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        refused(&app, &seller_admin).await,
        "authentication required: this token was revoked: the account was deleted"
    );
    assert_eq!(trail(&app, &admin, &member).await, by_admin(&["deleted"]));
}

#[tokio::test]
async fn a_disabled_user_cannot_renew_their_access_by_changing_their_password() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, token) = create_user(&app, &admin, "lena@ops.test", "operations_viewer").await;
    let disabled = disable(&app, &admin, &id).await;
    assert_eq!(disabled.status(), StatusCode::OK);
    // At once, before or after the services heard of it: refused either way, no new token.
    let renewed = app
        .put(
            "/auth/password",
            &token,
            &json!({"current_password": PASSWORD, "new_password": "amber-lagoon-38"}),
        )
        .await;
    assert!(
        [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&renewed.status()),
        "{}",
        renewed.status()
    );
    assert_eq!(
        app.login("lena@ops.test", PASSWORD).await.status(),
        StatusCode::FORBIDDEN,
        "the password did not change"
    );
}

#[tokio::test]
async fn changing_only_a_buyers_shipping_address_ends_no_session_and_keeps_it_out_of_the_trail() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, token) = create_user(&app, &admin, "lena@buyers.test", "marketplace_user").await;
    let moved = app
        .put(
            &format!("/users/{id}/role"),
            &admin,
            &json!({"role": "marketplace_user", "shipping_address": "Carrera 50 # 12-3, Cali"}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let changes = app
        .get(&format!("/users/{id}/changes"), &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        changes.contains(r#""shipping_address":"changed""#),
        "{changes}"
    );
    assert!(
        !changes.contains("Medellín") && !changes.contains("Cali"),
        "{changes}"
    );
    // Once a later revocation (another user's) has reached the service, this token is still
    // taken: nothing was published to end it.
    let (other, other_token) =
        create_user(&app, &admin, "otto@ops.test", "operations_viewer").await;
    disable(&app, &admin, &other).await;
    refused(&app, &other_token).await;
    assert_eq!(
        app.get("/products?limit=1", &token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn two_administrators_disabling_each_other_at_once_leave_one_active() {
    let app = spawn_app().await;
    let mut admin = app.token(Role::MarketplaceAdmin).await;
    for round in 0..4 {
        let me: Value = app.get("/auth/me", &admin).await.json().await.unwrap();
        let first = me["id"].as_str().unwrap().to_owned();
        let email = format!("admin{round}@ops.test");
        let (second, second_token) = create_user(&app, &admin, &email, "marketplace_admin").await;
        // The only two active administrators, each disabling the other.
        let others: Value = app
            .get("/users?role=marketplace_admin&limit=100", &admin)
            .await
            .json()
            .await
            .unwrap();
        let active = |admins: &Value, id: &str| {
            admins["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|user| user["id"] == id && user["status"] == "active")
        };
        assert!(active(&others, &first) && active(&others, &second));
        let (disable_second, disable_first) = (
            format!("/users/{second}/disable"),
            format!("/users/{first}/disable"),
        );
        tokio::join!(
            app.post(&disable_second, &admin, &Value::Null),
            app.post(&disable_first, &second_token, &Value::Null),
        );
        let mut survivors = Vec::new();
        for token in [&admin, &second_token] {
            let listed = app
                .get("/users?role=marketplace_admin&limit=100", token)
                .await;
            if listed.status() == StatusCode::OK {
                let admins: Value = listed.json().await.unwrap();
                survivors = [&first, &second]
                    .into_iter()
                    .filter(|id| active(&admins, id))
                    .cloned()
                    .collect();
            }
        }
        assert_eq!(survivors.len(), 1, "round {round}: {survivors:?}");
        admin = if survivors[0] == first {
            admin
        } else {
            second_token
        };
    }
}
