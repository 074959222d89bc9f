//! Seed 003 §4 ("people say their credentials do not work: how many requests failed, which
//! clients were affected?"): the real service logs its requests, some of them fail on purpose,
//! and `cx-support failed-requests` must count exactly those, from the service's own log file,
//! rotated (gzip) and partly corrupt.

use std::io::Write;

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use test_support::http::ServiceClient;

use crate::binary::{RunningService, cx_support};

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

async fn token_of(api: &ServiceClient, email: &str, password: &str) -> (String, String) {
    let response = api.login(email, password).await;
    assert_eq!(response.status(), StatusCode::OK, "login of {email}");
    let body: Value = response.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["user"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn create_store(api: &ServiceClient, admin: &str, name: &str) -> String {
    let slug = name.to_lowercase().replace(' ', "-");
    let response = api
        .post(
            "/sellers",
            admin,
            &json!({"name": name, "description": "An ally", "administrators": [
                {"email": format!("{slug}@allies.test"), "password": "ally-pass-4471", "name": "Ally Admin"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs `cx-support failed-requests --json` on `files` (standard input: `stdin`).
fn report(args: &[&str], stdin: Option<&[u8]>) -> Value {
    let mut all = vec!["failed-requests", "--json"];
    all.extend(args);
    let output = cx_support(&all, &[], stdin);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap()
}

/// Failures per key in a report's list.
fn tallies(list: &Value) -> Vec<(String, u64, u64)> {
    let mut tallies: Vec<(String, u64, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_owned(),
                t["client_errors"].as_u64().unwrap(),
                t["server_errors"].as_u64().unwrap(),
            )
        })
        .collect();
    tallies.sort();
    tallies
}

#[tokio::test]
async fn cx_support_counts_the_failed_requests_the_service_logged_from_rotated_and_torn_files() {
    let mut service = RunningService::start(&[("ECOMMERCE__CREDENTIALS__KEY", &key(5))]).await;
    let (admin, _) = token_of(&service, "admin@cargoexpress.test", "admin-demo-2026").await;
    let working = create_store(&service, &admin, "Aliado Sano").await;
    let unreadable = create_store(&service, &admin, "Aliado Roto").await;
    let without = create_store(&service, &admin, "Aliado Sin Claves").await;
    let (support, _) = token_of(&service, "support@cargoexpress.test", "support-demo-2026").await;
    let credentials = json!({"user": "aliado_addi", "password": "}sxh7_5}BdJ4K:Qf"});
    let path = format!("/allies/{unreadable}/credentials");
    assert_eq!(
        service.post(&path, &support, &credentials).await.status(),
        StatusCode::OK
    );
    // A restart with another key: the second ally's credentials can no longer be read (500).
    service
        .restart_with(&[("ECOMMERCE__CREDENTIALS__KEY", &key(6))], &[])
        .await;
    let (support, support_id) =
        token_of(&service, "support@cargoexpress.test", "support-demo-2026").await;
    let (seller, seller_id) = token_of(&service, "aliado-sano@allies.test", "ally-pass-4471").await;
    let credentials_of = |ally: &str| format!("/allies/{ally}/credentials");
    assert_eq!(
        service
            .post(&credentials_of(&working), &support, &credentials)
            .await
            .status(),
        StatusCode::OK
    );

    // What fails, on purpose: 3 anonymous, 5 of support (one a 500), 1 of a seller user.
    for _ in 0..3 {
        let anonymous = service
            .request(Method::GET, &credentials_of(&working), None)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..2 {
        let unknown = service
            .post(&credentials_of("no-such-ally"), &support, &credentials)
            .await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    }
    let none = service.get(&credentials_of(&without), &support).await;
    assert_eq!(none.status(), StatusCode::BAD_REQUEST);
    let missing = service.get(&credentials_of("nope"), &support).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let broken = service.get(&credentials_of(&unreadable), &support).await;
    assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let forbidden = service
        .post(&credentials_of(&working), &seller, &credentials)
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    // And what works, and a failure elsewhere (a wrong password at log-in).
    assert_eq!(
        service
            .get(&credentials_of(&working), &support)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        service
            .login("support@cargoexpress.test", "not-the-password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // A request's line is written once its answer is sent; give the last one a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let log = std::fs::read(&service.log).unwrap();
    let whole = report(&["--route", "/allies", "-"], Some(&log));
    assert_eq!(whole["failed"], 9, "{whole:#}");
    assert_eq!(
        (&whole["client_errors"], &whole["server_errors"]),
        (&json!(8), &json!(1))
    );
    let mut principals = vec![
        ("anonymous".to_owned(), 3, 0),
        (seller_id.clone(), 1, 0),
        (support_id.clone(), 4, 1),
    ];
    principals.sort();
    assert_eq!(tallies(&whole["principals"]), principals);
    let support_tally = whole["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == support_id.as_str())
        .unwrap();
    assert_eq!(support_tally["role"], "support");
    let mut allies = vec![
        (working.clone(), 4, 0),
        (unreadable.clone(), 0, 1),
        (without.clone(), 1, 0),
        ("no-such-ally".to_owned(), 2, 0),
        ("nope".to_owned(), 1, 0),
    ];
    allies.sort();
    assert_eq!(tallies(&whole["allies"]), allies);
    let problems = tallies(&whole["problem_types"]);
    assert!(problems.contains(&("urn:cargo-express:problem:internal".to_owned(), 0, 1)));
    assert!(problems.contains(&("urn:cargo-express:problem:unauthorized".to_owned(), 3, 0)));
    let (first, last) = (
        whole["first_failure"].as_str().unwrap(),
        whole["last_failure"].as_str().unwrap(),
    );
    assert!(first <= last, "{first} {last}");

    // The same log rotated: its first half compressed by logrotate, the second torn at the
    // start (the rotation cut a line) and with garbage in the middle.
    let dir = tempfile::tempdir().unwrap();
    let middle = log[..log.len() / 2]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    let rotated = dir.path().join("ecommerce.log.1.gz");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&log[..middle]).unwrap();
    std::fs::write(&rotated, gzip.finish().unwrap()).unwrap();
    let second = &log[middle..];
    let cut = second.len() / 2
        + second[second.len() / 2..]
            .iter()
            .position(|b| *b == b'\n')
            .unwrap()
        + 1;
    let mut current = b"\"http.status_code\":500,\"name\":\"HTTP request\"}}\n".to_vec();
    current.extend_from_slice(&second[..cut]);
    current.extend_from_slice(b"\x00\x00\xff\xfe garbage from a full disk\n");
    current.extend_from_slice(&second[cut..]);
    let current_file = dir.path().join("ecommerce.log");
    std::fs::write(&current_file, current).unwrap();

    let files = [
        rotated.to_str().unwrap().to_owned(),
        current_file.to_str().unwrap().to_owned(),
    ];
    let split = report(&["--route", "/allies", &files[0], &files[1]], None);
    for field in [
        "failed",
        "client_errors",
        "server_errors",
        "principals",
        "allies",
        "first_failure",
        "last_failure",
    ] {
        assert_eq!(split[field], whole[field], "{field}");
    }
    assert_eq!(split["lines"]["unreadable"], 2);
    assert_eq!(
        split["lines"]["requests"], whole["lines"]["requests"],
        "no request line is lost to the rotation"
    );

    // Without the route filter the log-in failure counts too; the text form says the totals.
    let everything = report(&[&files[0], &files[1]], None);
    assert!(
        everything["failed"].as_u64().unwrap() >= 10,
        "{everything:#}"
    );
    assert!(
        tallies(&everything["routes"]).contains(&("POST /auth/login".to_owned(), 1, 0)),
        "{everything:#}"
    );
    let text = cx_support(
        &[
            "failed-requests",
            "--route",
            "/allies",
            &files[0],
            &files[1],
        ],
        &[],
        None,
    );
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("Failed requests: 9 of "), "{text}");
    assert!(text.contains("1 server errors 5xx"), "{text}");
    assert!(text.contains(&format!("{support_id} (support)")), "{text}");

    // A window in time that ends before the failures holds none of them.
    let before = report(
        &[
            "--route",
            "/allies",
            "--until",
            "2000-01-01",
            &files[0],
            &files[1],
        ],
        None,
    );
    assert_eq!(before["failed"], 0);
    // A file that cannot be read is named and fails the command, after the others are counted.
    let missing = cx_support(
        &["failed-requests", "/nonexistent/ecommerce.log", &files[1]],
        &[],
        None,
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/ecommerce.log"));
}
