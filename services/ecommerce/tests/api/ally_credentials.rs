//! Seed 003 §3-4: ally credentials through the seed's own API, encrypted at rest, versioned,
//! never shown again; on SQLite and PostgreSQL, in-process and with the real binary.

use base64::Engine;
use platform::auth::Role;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use test_support::http::ServiceClient;

use crate::binary::RunningService;
use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};
use crate::support_reports::run_sql;

/// Seed 003's example, word for word.
const SEED_USER: &str = "aliado_addi";
const SEED_PASSWORD: &str = "}sxh7_5}BdJ4K:Qf";

const ADD_REFUSED: &str = "The ally was not found or the request is not correct";

fn seed_body() -> Value {
    json!({"user": SEED_USER, "password": SEED_PASSWORD})
}

/// A credentials key, as `openssl rand -base64 32` prints one.
fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

fn key_id(key: &str) -> String {
    ecommerce::vault::Key::from_base64(key).unwrap().id()
}

/// `POST /allies/{ally}/credentials` with `body` and extra headers.
async fn add(
    api: &ServiceClient,
    token: &str,
    ally: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = api
        .request(
            Method::POST,
            &format!("/allies/{ally}/credentials"),
            Some(token),
        )
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn check(api: &ServiceClient, token: &str, ally: &str) -> Response {
    api.get(&format!("/allies/{ally}/credentials"), token).await
}

/// Creates a store (a seller) as the demo administrator; answers its id.
async fn create_store(api: &ServiceClient, name: &str) -> String {
    let admin = api
        .token_of("admin@cargoexpress.test", "admin-demo-2026")
        .await;
    let slug = name.to_lowercase().replace(' ', "-");
    let response = api
        .post(
            "/sellers",
            &admin,
            &json!({"name": name, "description": "An ally of the marketplace",
                    "administrators": [{"email": format!("{slug}@allies.test"), "password": "ally-pass-4471", "name": "Ally Admin"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

async fn support_token(api: &ServiceClient) -> String {
    api.token_of("support@cargoexpress.test", "support-demo-2026")
        .await
}

/// The answer's status, `message` and `type`, checking that it is a problem document.
async fn seed_error(response: Response) -> (StatusCode, Value, Value) {
    let status = response.status();
    let problem = problem(response).await;
    assert_eq!(problem["status"], status.as_u16(), "{problem}");
    assert!(problem["title"].is_string() && problem["detail"].is_string());
    (status, problem["message"].clone(), problem["type"].clone())
}

/// The status and body (with its headers) of an answer, as text to search.
async fn answer_text(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let headers = format!("{:?}", response.headers());
    (
        status,
        format!("{headers}\n{}", response.text().await.unwrap()),
    )
}

/// The bytes the database holds, as a file system or a dump sees them.
fn database_bytes(url: &str) -> Vec<u8> {
    match url.strip_prefix("sqlite://") {
        Some(file) => {
            let mut bytes = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                if let Ok(content) = std::fs::read(format!("{file}{suffix}")) {
                    bytes.extend(content);
                }
            }
            assert!(!bytes.is_empty(), "the database file exists");
            bytes
        }
        None => {
            let dump = std::process::Command::new("pg_dump")
                .args(["--data-only", url])
                .output()
                .expect("pg_dump is installed");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            dump.stdout
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn the_seeds_example_sets_aliado_addi_on_a_store_and_the_secret_is_in_no_answer_log_or_database_file()
 {
    let service = RunningService::start(&[]).await;
    let ally = create_store(&service, "Addi Colombia").await;
    let support = support_token(&service).await;
    let mut answers = Vec::new();

    // The seed's request, as its documentation writes it.
    let added = add(&service, &support, &ally, &seed_body(), &[]).await;
    assert_eq!(added.status(), StatusCode::OK);
    assert_eq!(added.headers()["etag"], "\"1\"");
    let text = answer_text(added).await.1;
    let body: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"message": "Credentials added", "allyId": ally, "allyName": "Addi Colombia"})
    );
    answers.push(text);

    let checked = check(&service, &support, &ally).await;
    assert_eq!(checked.status(), StatusCode::OK);
    let (_, text) = answer_text(checked).await;
    assert!(
        text.ends_with("{\"message\":\"Ally has credentials set!\"}"),
        "{text}"
    );
    answers.push(text);

    // Every other answer that could hold the secret: bad bodies that carry it, an unknown ally,
    // a stale If-Match, the history, a revocation.
    let bad_bodies = [
        json!({"user": SEED_USER, "password": 123_456}),
        json!({"user": SEED_USER, "password": SEED_PASSWORD, "pasword": SEED_PASSWORD}),
        json!({"user": [SEED_USER], "password": {SEED_PASSWORD: SEED_PASSWORD}}),
        json!({"user": SEED_USER, "password": format!("{SEED_PASSWORD}\n")}),
        json!([SEED_USER, SEED_PASSWORD]),
    ];
    for body in &bad_bodies {
        let (status, text) = answer_text(add(&service, &support, &ally, body, &[]).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        answers.push(text);
    }
    let (status, text) =
        answer_text(add(&service, &support, "no-such-ally", &seed_body(), &[]).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    answers.push(text);
    let (status, text) = answer_text(
        add(
            &service,
            &support,
            &ally,
            &seed_body(),
            &[("if-match", "\"7\"")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    answers.push(text);
    let history = service
        .get(&format!("/allies/{ally}/credentials/history"), &support)
        .await;
    let (status, text) = answer_text(history).await;
    assert_eq!(status, StatusCode::OK);
    answers.push(text);

    let history: Value = service
        .get(&format!("/allies/{ally}/credentials/history"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["total"], 1);
    let version = &history["items"][0];
    assert_eq!(version["version"], 1);
    assert_eq!(version["action"], "set");
    assert_eq!(version["changed_by"]["email"], "support@cargoexpress.test");
    assert_eq!(
        version["key_id"],
        key_id(ecommerce::vault::DEMO_KEY_BASE64),
        "demo mode encrypts with the demo key"
    );

    let log = service.log_text();
    assert!(
        log.contains("ally credentials set") && log.contains(&ally),
        "the change is logged (without the secret)"
    );
    let database = database_bytes(service.database_url());
    for secret in [SEED_PASSWORD, SEED_USER, "sxh7_5", "BdJ4K"] {
        for (i, answer) in answers.iter().enumerate() {
            assert!(
                !answer.contains(secret),
                "answer {i} holds {secret}: {answer}"
            );
        }
        assert!(!log.contains(secret), "the log holds {secret}");
        assert!(!contains(&database, secret), "the database holds {secret}");
    }
}

#[tokio::test]
async fn every_answer_of_the_seeds_table_keeps_its_status_and_message_on_a_problem_document() {
    // A key of its own: in demo mode every instance can also read the demo key.
    let app = spawn_app_with(|s| s.credentials.key = Some(key(8).into())).await;
    let (ally, seller) = app.create_seller("Tabla Seed").await;
    let support = app.token(Role::Support).await;

    // POST: 400 for an unknown ally or a request that is not correct.
    let refusals = [
        ("no-such-ally", seed_body(), "application/json", "not-found"),
        (
            ally.as_str(),
            json!({"user": SEED_USER}),
            "application/json",
            "invalid-input",
        ),
        (
            ally.as_str(),
            json!({"user": "", "password": "x"}),
            "application/json",
            "invalid-input",
        ),
        (
            ally.as_str(),
            json!("{not json"),
            "text/plain",
            "unsupported-media-type",
        ),
    ];
    for (target, body, content_type, kind) in refusals {
        let response = app
            .request(
                Method::POST,
                &format!("/allies/{target}/credentials"),
                Some(&support),
            )
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let (status, message, problem_type) = seed_error(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target} {body}");
        assert_eq!(message, ADD_REFUSED);
        assert_eq!(problem_type, format!("urn:cargo-express:problem:{kind}"));
    }
    let not_json = app
        .request(
            Method::POST,
            &format!("/allies/{ally}/credentials"),
            Some(&support),
        )
        .header("content-type", "application/json")
        .body("{\"user\": ")
        .send()
        .await
        .unwrap();
    let (status, message, problem_type) = seed_error(not_json).await;
    assert_eq!(
        (status, message, problem_type),
        (
            StatusCode::BAD_REQUEST,
            json!(ADD_REFUSED),
            json!("urn:cargo-express:problem:malformed-request")
        )
    );
    let missing = add(&app, &support, &ally, &json!({"user": SEED_USER}), &[]).await;
    assert_eq!(
        crate::helpers::blamed_fields(&problem(missing).await),
        ["password"]
    );

    // GET: 404 for an unknown ally, 400 without credentials, 200 with them.
    let (status, message, _) = seed_error(check(&app, &support, "no-such-ally").await).await;
    assert_eq!(
        (status, message),
        (StatusCode::NOT_FOUND, json!("Ally was not found"))
    );
    let (status, message, _) = seed_error(check(&app, &support, &ally).await).await;
    assert_eq!(
        (status, message),
        (
            StatusCode::BAD_REQUEST,
            json!("Ally does not have credentials set!")
        )
    );
    assert_eq!(
        add(&app, &support, &ally, &seed_body(), &[]).await.status(),
        StatusCode::OK
    );
    let set = check(&app, &support, &ally).await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(
        set.json::<Value>().await.unwrap(),
        json!({"message": "Ally has credentials set!"})
    );

    // A revocation: the ally has no credentials again.
    let path = format!("/allies/{ally}/credentials");
    assert_eq!(
        app.delete(&path, &seller).await.status(),
        StatusCode::FORBIDDEN
    );
    let revoked = app.delete(&path, &support).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(revoked.headers()["etag"], "\"2\"");
    assert_eq!(
        revoked.json::<Value>().await.unwrap(),
        json!({"message": "Credentials revoked", "allyId": ally, "allyName": "Tabla Seed"})
    );
    let (status, message, _) = seed_error(check(&app, &support, &ally).await).await;
    assert_eq!(
        (status, message),
        (
            StatusCode::BAD_REQUEST,
            json!("Ally does not have credentials set!")
        )
    );
    let (status, _, _) = seed_error(app.delete(&path, &support).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nothing left to revoke");

    // Without a token, or with the wrong role: the platform's 401 and 403, with a message too.
    let anonymous = app.request(Method::GET, &path, None).send().await.unwrap();
    let (status, message, _) = seed_error(anonymous).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(message.is_string());
    let (status, message, _) = seed_error(add(&app, &seller, &ally, &seed_body(), &[]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message.as_str().unwrap().contains("support"));

    // 500 "Server error": credentials the service cannot read (their key is in no setting).
    assert_eq!(
        add(&app, &support, &ally, &seed_body(), &[]).await.status(),
        StatusCode::OK
    );
    let other_key = app
        .spawn_replica_with(|s| s.credentials.key = Some(key(9).into()))
        .await;
    let (status, message, problem_type) =
        seed_error(check(&other_key, &support, &ally).await).await;
    assert_eq!(
        (status, message, problem_type),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!("Server error"),
            json!("urn:cargo-express:problem:internal")
        )
    );
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_ally_does_not_decrypt() {
    let app = spawn_app().await;
    let (first, _) = app.create_seller("Primer Aliado").await;
    let (second, _) = app.create_seller("Segundo Aliado").await;
    let support = app.token(Role::Support).await;
    for ally in [&first, &second] {
        assert_eq!(
            add(&app, &support, ally, &seed_body(), &[]).await.status(),
            StatusCode::OK
        );
    }
    // Someone copies the first ally's stored credentials over the second's, by hand.
    let copied = run_sql(
        &app,
        &format!(
            "UPDATE ally_credentials
             SET nonce = (SELECT nonce FROM ally_credentials WHERE ally_id = '{first}' AND version = 1),
                 ciphertext = (SELECT ciphertext FROM ally_credentials WHERE ally_id = '{first}' AND version = 1)
             WHERE ally_id = '{second}' AND version = 1;"
        ),
    );
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );

    let (status, message, _) = seed_error(check(&app, &support, &second).await).await;
    assert_eq!(
        (status, message),
        (StatusCode::INTERNAL_SERVER_ERROR, json!("Server error"))
    );
    assert_eq!(check(&app, &support, &first).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_writes_replacing_the_same_version_at_once_one_wins_and_the_other_gets_412() {
    let app = spawn_app().await;
    let (ally, _) = app.create_seller("Aliado Concurrido").await;
    let support = app.token(Role::Support).await;
    let admin = app.token(Role::MarketplaceAdmin).await;

    let created = add(
        &app,
        &support,
        &ally,
        &seed_body(),
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    let mut etag = created.headers()["etag"].to_str().unwrap().to_owned();
    let again = add(
        &app,
        &support,
        &ally,
        &seed_body(),
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!(again.status(), StatusCode::PRECONDITION_FAILED);

    for round in 0..4 {
        let first = json!({"user": SEED_USER, "password": format!("first-{round}")});
        let second = json!({"user": SEED_USER, "password": format!("second-{round}")});
        let replaces = [("if-match", etag.as_str())];
        let (a, b) = tokio::join!(
            add(&app, &support, &ally, &first, &replaces),
            add(&app, &admin, &ally, &second, &replaces),
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
            "round {round}"
        );
        let (winner, loser) = if a.status() == StatusCode::OK {
            (a, b)
        } else {
            (b, a)
        };
        etag = winner.headers()["etag"].to_str().unwrap().to_owned();
        let refusal = problem(loser).await;
        assert_eq!(refusal["status"], 412);
        assert_eq!(
            refusal["type"],
            "urn:cargo-express:problem:precondition-failed"
        );
        assert_eq!(format!("\"{}\"", refusal["currentVersion"]), etag);
        assert!(
            refusal["message"]
                .as_str()
                .unwrap()
                .contains("another write came first")
        );
    }

    // Nothing was lost in silence: every accepted write is a version, newest first.
    let history: Value = app
        .get(&format!("/allies/{ally}/credentials/history"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["total"], 5);
    let versions: Vec<i64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [5, 4, 3, 2, 1]);
    assert_eq!(etag, "\"5\"");
    let stale = add(
        &app,
        &support,
        &ally,
        &seed_body(),
        &[("if-match", "\"4\"")],
    )
    .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn rotating_the_key_re_encrypts_every_version_after_which_the_old_key_can_go() {
    let (old_key, new_key) = (key(1), key(2));
    let mut service = RunningService::start(&[("ECOMMERCE__CREDENTIALS__KEY", &old_key)]).await;
    let support = support_token(&service).await;
    let first = create_store(&service, "Rotacion Uno").await;
    let second = create_store(&service, "Rotacion Dos").await;
    for (ally, password) in [(&first, "uno-1"), (&first, "uno-2"), (&second, "dos-1")] {
        let body = json!({"user": SEED_USER, "password": password});
        assert_eq!(
            add(&service, &support, ally, &body, &[]).await.status(),
            StatusCode::OK
        );
    }
    let revoke = service
        .delete(&format!("/allies/{second}/credentials"), &support)
        .await;
    assert_eq!(revoke.status(), StatusCode::OK);
    assert_eq!(
        add(&service, &support, &second, &seed_body(), &[])
            .await
            .status(),
        StatusCode::OK
    );

    // Step 1: the new key becomes current, the old one stays readable.
    service
        .restart_with(
            &[
                ("ECOMMERCE__CREDENTIALS__KEY", &new_key),
                ("ECOMMERCE__CREDENTIALS__PREVIOUS_KEYS", &old_key),
            ],
            &[],
        )
        .await;
    let support = support_token(&service).await;
    for ally in [&first, &second] {
        assert_eq!(
            check(&service, &support, ally).await.status(),
            StatusCode::OK
        );
    }
    let counted = service.cx_support(&["rotate-credentials-key", "--dry-run"]);
    let said = String::from_utf8_lossy(&counted.stdout).into_owned();
    assert!(
        counted.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&counted.stderr)
    );
    assert!(
        said.contains(&format!("{}  4 versions", key_id(&old_key))),
        "{said}"
    );

    // Step 2: the rotation.
    let rotated = service.cx_support(&["rotate-credentials-key"]);
    let said = String::from_utf8_lossy(&rotated.stdout).into_owned();
    assert!(
        rotated.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(
        said.contains("re-encrypted 4 credentials versions"),
        "{said}"
    );
    assert!(
        said.contains("the older keys can leave the settings"),
        "{said}"
    );
    let again = service.cx_support(&["rotate-credentials-key"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("re-encrypted 0"));

    // Step 3: the old key leaves; everything still reads.
    service
        .restart_with(&[], &["ECOMMERCE__CREDENTIALS__PREVIOUS_KEYS"])
        .await;
    let support = support_token(&service).await;
    for ally in [&first, &second] {
        assert_eq!(
            check(&service, &support, ally).await.status(),
            StatusCode::OK
        );
    }
    let history: Value = service
        .get(&format!("/allies/{first}/credentials/history"), &support)
        .await
        .json()
        .await
        .unwrap();
    for version in history["items"].as_array().unwrap() {
        assert_eq!(version["key_id"], key_id(&new_key));
        assert!(version["re_encrypted_at"].is_string());
        assert_eq!(version["changed_by"]["role"], "support", "authors are kept");
    }
    let database = database_bytes(service.database_url());
    for password in ["uno-1", "uno-2", "dos-1", SEED_PASSWORD] {
        assert!(!contains(&database, password));
    }
}

#[tokio::test]
async fn production_refuses_to_start_without_a_credentials_key_of_its_own() {
    for (key, expected) in [
        (None, "production needs a key for ally credentials"),
        (
            Some(ecommerce::vault::DEMO_KEY_BASE64.to_owned()),
            "refuses the public demo key",
        ),
        (Some("c2hvcnQ=".to_owned()), "must be 32 bytes"),
    ] {
        let error = crate::startup_rules::production_start_error(move |s| {
            s.credentials.key = key.map(Into::into);
        })
        .await;
        assert!(error.contains(expected), "{error}");
    }
    // With a key of its own it starts.
    let app: TestApp = spawn_app_with(|s| s.credentials.key = Some(key(3).into())).await;
    let support = app.token(Role::Support).await;
    let (ally, _) = app.create_seller("Con Llave").await;
    assert_eq!(
        add(&app, &support, &ally, &seed_body(), &[]).await.status(),
        StatusCode::OK
    );
}
