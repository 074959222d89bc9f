//! A backup restored into a fresh database: the service starts on it and nothing is lost.
//! It uses scripts/backup and scripts/restore, the commands of the runbook (pg_dump and
//! pg_restore on PostgreSQL; VACUUM INTO and a file copy on SQLite), so both backends are
//! covered by the same test.

use std::path::{Path, PathBuf};
use std::process::Command;

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::TestDatabase;

use crate::helpers::{TestApp, spawn_app, spawn_app_on};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// Runs `command`, failing the test with its output unless it succeeds; returns its stdout.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("the script starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Everything an administrator can list, as the API answers it.
async fn everything(app: &TestApp, admin: &str) -> Vec<(&'static str, Value)> {
    let mut lists = Vec::new();
    for path in [
        "/users?limit=200",
        "/sellers?limit=200",
        "/products?limit=200",
        "/portfolios?limit=200",
        "/orders?limit=200",
    ] {
        let response = app.get(path, admin).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        lists.push((path, response.json().await.expect("json")));
    }
    lists
}

#[tokio::test]
async fn a_backup_restored_into_a_fresh_database_serves_everything_it_held() {
    let app = spawn_app().await;
    let (_, seller) = app.create_seller("Backup Seller").await;
    app.create_product(&seller, "bk0001", 9.5, 40).await;
    let buyer = app.register_buyer("restored-buyer").await;
    let response = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "bk0001", "quantity": 3}]}),
            Some("before-the-backup"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let purchase: Value = response.json().await.unwrap();
    let order_id = purchase["orders"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.set_status(&seller, &order_id, "confirmed")
            .await
            .status(),
        StatusCode::OK
    );
    let admin = app.token(Role::MarketplaceAdmin).await;
    let before = everything(&app, &admin).await;

    // A backup while the service runs, as an operator takes one: from a folder of their own,
    // with a relative --out, which is taken from that folder (not the repository's root the
    // script works in).
    let operator = tempfile::tempdir().unwrap();
    let written = run(Command::new(script("backup"))
        .current_dir(operator.path())
        .args(["--out", "backups", "ecommerce"])
        .env("ECOMMERCE__DATABASE__URL", app.database_url()));
    let file = PathBuf::from(written.lines().last().expect("the backup names its file"));
    assert!(
        file.starts_with(operator.path().join("backups")),
        "{file:?}: in the operator's ./backups"
    );
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("ecommerce-") && file.with_file_name(format!("{name}.sha256")).exists(),
        "{name}: service and time in the name, a checksum beside it"
    );

    // Restored by the relative name the operator sees in their folder.
    let relative = format!("backups/{name}");
    let fresh = TestDatabase::create().unwrap();
    run(Command::new(script("restore"))
        .current_dir(operator.path())
        .args(["ecommerce", &relative, fresh.url()]));
    let again = Command::new(script("restore"))
        .current_dir(operator.path())
        .args(["ecommerce", &relative, fresh.url()])
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "restoring over a database that has data is refused"
    );

    // A second instance on the restored database, with a NATS of its own: the database alone
    // carries the platform's state.
    let restored = spawn_app_on(fresh).await;
    let admin = restored.token(Role::MarketplaceAdmin).await;
    assert_eq!(everything(&restored, &admin).await, before);
    assert_eq!(restored.stock("bk0001").await, 37);

    // The restored accounts log in with their own passwords, and the service goes on working
    // from the restored state: the same idempotency key gives the same order, a new purchase
    // takes from the restored stock.
    let buyer = restored
        .token_of("restored-buyer@buyers.test", "buyer-pass-123")
        .await;
    let replay = restored
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "bk0001", "quantity": 3}]}),
            Some("before-the-backup"),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(
        replay.headers()["idempotent-replayed"],
        "true",
        "the idempotency record was restored too"
    );
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["purchase_id"], purchase["purchase_id"]);
    let response = restored
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "bk0001", "quantity": 2}]}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(restored.stock("bk0001").await, 35);
}
