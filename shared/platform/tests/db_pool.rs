//! The pool against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL): a
//! connection whose write panicked never goes back to the pool with its transaction open.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use diesel::connection::SimpleConnection;
use platform::db::{DatabaseUrl, Db, DbError};
use test_support::TestDatabase;

#[tokio::test]
async fn a_write_that_panics_leaves_no_open_transaction_behind() {
    let database = TestDatabase::create().unwrap();
    // One connection: the next write can only get the one the panicking write had.
    let db = Db::connect(&DatabaseUrl::parse(database.url()).unwrap(), 1).unwrap();
    db.write(|conn| -> Result<(), DbError> {
        conn.batch_execute("CREATE TABLE notes (body TEXT NOT NULL)")?;
        Ok(())
    })
    .await
    .unwrap();

    let panicked = tokio::spawn({
        let db = db.clone();
        async move {
            db.write(|conn| -> Result<(), DbError> {
                conn.batch_execute("INSERT INTO notes (body) VALUES ('lost')")?;
                panic!("a bug in the middle of a write");
            })
            .await
        }
    })
    .await;
    assert!(panicked.is_err(), "the write panicked");

    // A write after it commits, and the panicked write's row is not there.
    db.write(|conn| -> Result<(), DbError> {
        conn.batch_execute("INSERT INTO notes (body) VALUES ('kept')")?;
        Ok(())
    })
    .await
    .expect("the next write gets a clean connection");
    let other = Db::connect(&DatabaseUrl::parse(database.url()).unwrap(), 1).unwrap();
    let bodies = other
        .run(|conn| -> Result<Vec<String>, DbError> {
            use diesel::prelude::*;
            diesel::sql_query("SELECT body FROM notes")
                .load::<Body>(conn)
                .map(|rows| rows.into_iter().map(|r| r.body).collect())
                .map_err(DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(bodies, ["kept"]);
}

#[derive(diesel::QueryableByName)]
struct Body {
    #[diesel(sql_type = diesel::sql_types::Text)]
    body: String,
}
