//! The database door under a burst: queries wait for a pooled connection on the async runtime,
//! not each in a blocking thread of its own. (Its own test binary, so the thread count of the
//! process is this test's alone.)

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use platform::db::{DatabaseUrl, Db, DbError};
use test_support::TestDatabase;

/// The process's threads, as /proc/self/status counts them.
fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_queries_waits_for_connections_without_a_thread_each() {
    let database = TestDatabase::create().unwrap();
    let db = Db::connect(&DatabaseUrl::parse(database.url()).unwrap(), 2).unwrap();
    db.ping().await.unwrap();
    let before = threads();

    let sampling = Arc::new(AtomicBool::new(true));
    let most = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut most = 0;
            while sampling.load(Ordering::Relaxed) {
                most = most.max(threads());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            most
        })
    };
    let queries = (0..200).map(|_| {
        let db = db.clone();
        tokio::spawn(async move {
            db.run(|conn| {
                conn.batch_execute("SELECT 1")?;
                std::thread::sleep(Duration::from_millis(5));
                Ok::<_, DbError>(())
            })
            .await
        })
    });
    for query in futures_util::future::join_all(queries).await {
        query.unwrap().unwrap();
    }
    sampling.store(false, Ordering::Relaxed);
    let most = most.await.unwrap();
    assert!(
        most <= before + 8,
        "{before} threads before, {most} during 200 queries on 2 connections"
    );
}
