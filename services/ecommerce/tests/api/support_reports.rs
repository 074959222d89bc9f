//! Seed 003 §1-2 as support runs them: the SQL files of `docs/support/sql/`, run by the
//! database's own client (`sqlite3`, `psql`) as the runbook says, on SQLite and PostgreSQL; the
//! same report through the API (JSON and CSV); and the audit trail of a store's changes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Seed 003 §2's store.
const SEED_STORE: &str = "0d4f7a40-651d-44fb-8744-04d9b31ef844";

/// `docs/support/sql/<name>.<backend>.sql` for the backend of `app`'s database.
pub fn sql_file(app: &TestApp, name: &str) -> PathBuf {
    let backend = if is_postgres(app) {
        "postgres"
    } else {
        "sqlite"
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/support/sql")
        .join(format!("{name}.{backend}.sql"))
}

fn is_postgres(app: &TestApp) -> bool {
    app.database_url().starts_with("postgres")
}

/// Runs `sql` with the database's own client, stopping at the first error, as the runbook does:
/// `sqlite3 -bail <file>` or `psql <url> -v ON_ERROR_STOP=1 -qAt`.
pub fn run_sql(app: &TestApp, sql: &str) -> Output {
    run_sql_on(app.database_url(), sql)
}

/// [`run_sql`] on the database at `url`.
pub fn run_sql_on(url: &str, sql: &str) -> Output {
    let mut command = match url.strip_prefix("sqlite://") {
        Some(file) => {
            let mut sqlite = Command::new("sqlite3");
            sqlite.args(["-bail", file]);
            sqlite
        }
        None => {
            let mut psql = Command::new("psql");
            psql.args([url, "-v", "ON_ERROR_STOP=1", "-qAt"]);
            psql
        }
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the database client (sqlite3 or psql) is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs the support SQL file `name` and answers what it printed, failing the test if it fails.
pub fn run_sql_file(app: &TestApp, name: &str) -> String {
    let file = sql_file(app, name);
    let output = run_sql(app, &std::fs::read_to_string(&file).unwrap());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{} failed:\n{stdout}{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Creates a store with `tags` through the API; answers its id.
async fn store_with_tags(app: &TestApp, name: &str, tags: &[&str]) -> String {
    let (id, owner) = app.create_seller(name).await;
    let response = app
        .patch(&format!("/sellers/{id}"), &owner, &json!({"tags": tags}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    id
}

#[tokio::test]
async fn the_tags_report_file_and_the_api_list_every_tag_with_its_stores() {
    let app = spawn_app().await;
    store_with_tags(&app, "Libros Sur", &["education", "books"]).await;
    store_with_tags(&app, "Cursos Norte", &["Education", "finance"]).await;
    store_with_tags(&app, "Comidas", &["food", "books"]).await;

    // The default seller has accessories and electronics since the first migration.
    let expected = json!([
        {"tag": "books", "stores": 2},
        {"tag": "education", "stores": 2},
        {"tag": "accessories", "stores": 1},
        {"tag": "electronics", "stores": 1},
        {"tag": "finance", "stores": 1},
        {"tag": "food", "stores": 1},
    ]);
    let printed = run_sql_file(&app, "tags-report");
    let from_sql: Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(from_sql, expected, "{printed}");

    let support = app.token(Role::Support).await;
    let report = app.get("/support/reports/tags", &support).await;
    assert_eq!(report.status(), StatusCode::OK);
    let report: Value = report.json().await.unwrap();
    assert_eq!(report["tags"], expected, "the API and the SQL file agree");

    let csv = app
        .request(
            reqwest::Method::GET,
            "/support/reports/tags",
            Some(&support),
        )
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        csv.text().await.unwrap(),
        "tag,stores\r\nbooks,2\r\neducation,2\r\naccessories,1\r\nelectronics,1\r\nfinance,1\r\nfood,1\r\n"
    );

    let seller = app.token(Role::SellerUser).await;
    assert_eq!(
        app.get("/support/reports/tags", &seller).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_urgent_owner_and_tags_file_changes_the_seed_store_at_once_and_leaves_an_audit_row() {
    let app = spawn_app().await;
    // Seed 003's store, as the database would hold it (its id is the seed's, not one of ours).
    let now = if is_postgres(&app) {
        "now() AT TIME ZONE 'UTC'"
    } else {
        "CURRENT_TIMESTAMP"
    };
    let inserted = run_sql(
        &app,
        &format!(
            "INSERT INTO sellers (id, name, description, owner_name, created_at, updated_at)
             VALUES ('{SEED_STORE}', 'Finanzas Fáciles', 'Cursos de finanzas', 'Young-Fox', {now}, {now});
             INSERT INTO seller_tags (seller_id, tag) VALUES ('{SEED_STORE}', 'finance'), ('{SEED_STORE}', 'courses');"
        ),
    );
    assert!(
        inserted.status.success(),
        "{}",
        String::from_utf8_lossy(&inserted.stderr)
    );
    let other = store_with_tags(&app, "Otra Tienda", &["finance"]).await;

    let printed = run_sql_file(&app, "store-owner-and-tags");
    let shown: Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(shown["owner_name"], "Old-Wolf", "{printed}");
    assert_eq!(shown["tags"], json!(["courses", "education"]));

    let support = app.token(Role::Support).await;
    let store: Value = app
        .get(&format!("/sellers/{SEED_STORE}"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(store["owner_name"], "Old-Wolf");
    assert_eq!(store["tags"], json!(["courses", "education"]));
    let untouched: Value = app
        .get(&format!("/sellers/{other}"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        untouched["tags"],
        json!(["finance"]),
        "only the one store changes"
    );

    let changes: Value = app
        .get(&format!("/sellers/{SEED_STORE}/changes"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changes["total"], 1);
    let change = &changes["items"][0];
    assert!(
        change["changed_by"]["user_id"]
            .as_str()
            .unwrap()
            .starts_with("sql:"),
        "{change}"
    );
    assert_eq!(
        change["changes"],
        json!({
            "owner_name": {"old": "Young-Fox", "new": "Old-Wolf"},
            "tags": {"old": ["courses", "finance"], "new": ["courses", "education"]},
        })
    );

    // Run again, it changes nothing and records nothing.
    let again: Value =
        serde_json::from_str(run_sql_file(&app, "store-owner-and-tags").trim()).unwrap();
    assert_eq!(again, shown);
    let changes: Value = app
        .get(&format!("/sellers/{SEED_STORE}/changes"), &support)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        changes["total"], 1,
        "a change that changed nothing is not recorded"
    );

    // For a store that does not exist the file fails whole and changes nothing.
    let deleted = run_sql(
        &app,
        &format!(
            "DELETE FROM seller_changes WHERE seller_id = '{SEED_STORE}';
             DELETE FROM seller_tags WHERE seller_id = '{SEED_STORE}';
             DELETE FROM sellers WHERE id = '{SEED_STORE}';"
        ),
    );
    assert!(deleted.status.success());
    let file = sql_file(&app, "store-owner-and-tags");
    let missing = run_sql(&app, &std::fs::read_to_string(file).unwrap());
    assert!(!missing.status.success(), "a missing store is an error");
    let report: Value = serde_json::from_str(run_sql_file(&app, "tags-report").trim()).unwrap();
    assert!(
        !report
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tag"] == "education"),
        "no tag was added for the missing store: {report}"
    );
}

#[tokio::test]
async fn every_change_of_a_store_through_the_api_is_audited_with_who_and_the_old_and_new_values() {
    let app = spawn_app().await;
    let (id, owner) = app.create_seller("Tienda Auditada").await;
    let path = format!("/sellers/{id}");
    let support = app.token(Role::Support).await;
    let admin = app.token(Role::MarketplaceAdmin).await;

    let changed = app
        .patch(
            &path,
            &support,
            &json!({"owner_name": "Old-Wolf", "tags": ["Education"]}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    // Nothing changes, nothing is recorded.
    let same = app
        .patch(&path, &owner, &json!({"owner_name": "Old-Wolf"}))
        .await;
    assert_eq!(same.status(), StatusCode::OK);
    let renamed = app
        .patch(&path, &admin, &json!({"name": "Tienda Renombrada"}))
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);

    let changes = app.get(&format!("{path}/changes"), &admin).await;
    assert_eq!(changes.status(), StatusCode::OK);
    let changes: Value = changes.json().await.unwrap();
    assert_eq!(changes["total"], 2);
    let (newest, oldest) = (&changes["items"][0], &changes["items"][1]);
    assert_eq!(newest["changed_by"]["role"], "marketplace_admin");
    assert_eq!(
        newest["changes"],
        json!({"name": {"old": "Tienda Auditada", "new": "Tienda Renombrada"}})
    );
    assert_eq!(oldest["changed_by"]["email"], "support@cargoexpress.test");
    assert_eq!(oldest["changed_by"]["role"], "support");
    assert_eq!(
        oldest["changes"],
        json!({
            "owner_name": {"old": null, "new": "Old-Wolf"},
            "tags": {"old": [], "new": ["education"]},
        })
    );
    assert!(oldest["changed_at"].as_str().is_some());

    assert_eq!(
        app.get(&format!("{path}/changes"), &owner).await.status(),
        StatusCode::FORBIDDEN,
        "the audit trail is for support and the administrator"
    );
    assert_eq!(
        app.get("/sellers/nope/changes", &support).await.status(),
        StatusCode::NOT_FOUND
    );
}
