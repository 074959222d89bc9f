//! The log-in throttle's counts (see `crate::login_throttle` for the policy). Counting runs in
//! one write transaction: on PostgreSQL the rows are locked (`FOR UPDATE`) and a missing row is
//! inserted by an upsert, so two replicas counting the same key at once both count.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::login_throttle;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
pub struct ThrottleRow {
    pub scope: String,
    pub subject: String,
    pub failures: i64,
    pub blocked_until: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// The row of one key, if it has one.
pub fn find(
    conn: &mut DbConnection,
    scope: &str,
    subject: &str,
) -> QueryResult<Option<ThrottleRow>> {
    login_throttle::table
        .find((scope, subject))
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()
}

/// [`find`], holding the row locked until the transaction ends (PostgreSQL; SQLite's write
/// transaction already excludes other writers).
pub fn find_for_update(
    conn: &mut DbConnection,
    scope: &str,
    subject: &str,
) -> QueryResult<Option<ThrottleRow>> {
    match conn {
        DbConnection::Postgres(pg) => login_throttle::table
            .find((scope, subject))
            .select(ThrottleRow::as_select())
            .for_update()
            .first(pg)
            .optional(),
        DbConnection::Sqlite(_) => find(conn, scope, subject),
    }
}

/// Counts one more failure of a key that had no row when it was looked up; answers the count
/// (more than 1 when another transaction inserted the row meanwhile).
pub fn insert_or_count(
    conn: &mut DbConnection,
    scope: &str,
    subject: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let statement = diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::scope.eq(scope),
            login_throttle::subject.eq(subject),
            login_throttle::failures.eq(1_i64),
            login_throttle::updated_at.eq(now),
        ))
        .on_conflict((login_throttle::scope, login_throttle::subject))
        .do_update()
        .set((
            login_throttle::failures.eq(login_throttle::failures + 1_i64),
            login_throttle::updated_at.eq(now),
        ))
        .returning(login_throttle::failures);
    platform::per_backend!(conn, c => statement.get_result(c))
}

/// Sets the count and block of a key's existing row.
pub fn set(
    conn: &mut DbConnection,
    scope: &str,
    subject: &str,
    failures: i64,
    blocked_until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(login_throttle::table.find((scope, subject)))
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::blocked_until.eq(blocked_until),
            login_throttle::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets a key.
pub fn delete(conn: &mut DbConnection, scope: &str, subject: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find((scope, subject)))
        .execute(conn)
        .map(drop)
}

/// Deletes the rows untouched since `before` whose block, if any, has ended by `now`.
pub fn delete_stale(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        login_throttle::table.filter(
            login_throttle::updated_at.lt(before).and(
                login_throttle::blocked_until
                    .is_null()
                    .or(login_throttle::blocked_until.le(now)),
            ),
        ),
    )
    .execute(conn)
}
