//! The database door: one pooled connection type for SQLite and PostgreSQL.
//!
//! Query functions are plain sync diesel functions taking `&mut DbConnection`; async code
//! reaches them only through [`Db::run`], which checks a connection out of the pool inside
//! `spawn_blocking`, so no query ever blocks the async runtime. A query first waits, on the
//! runtime, for one of as many turns as the pool has connections: a burst of requests would
//! otherwise park one blocking thread each on the pool (up to 512, each leaving memory in an
//! allocator arena of its own). The backend is chosen by the
//! URL scheme. Errors: queries return `QueryResult`; the door adds pool trouble as
//! [`DbError::Unavailable`]; a workflow keeps it in its own error enum ([`crate::database_errors!`]),
//! and handlers turn it into a problem through `From<DbError> for ApiError`.

mod migrate;
mod text_id;
mod url;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, R2D2Connection};
use diesel::result::DatabaseErrorKind;
pub use diesel::result::Error as DieselError;
use diesel::{PgConnection, SqliteConnection};
use tokio::sync::Semaphore;
use tracing::Instrument;

pub use migrate::Migrations;
pub use url::{Backend, DatabaseUrl};

use crate::error::ApiError;

/// A new row id: a UUIDv7, so ids sort in creation order.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The current time as stored: UTC without an offset (the portable `Timestamp` column).
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A connection to either backend; diesel generates `MultiBackend` for the portable schema.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$conn` bound to the backend's own connection, for statements the
/// portable `MultiBackend` cannot express (upserts): `per_backend!(conn, c => q.execute(c))`.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] DieselError),
}

/// Gives a workflow's error enum its `Database(DbError)` conversions, so `?` works on queries
/// (diesel's errors) and on the pool (`DbError`) alike: `platform::database_errors!(MyError);`.
#[macro_export]
macro_rules! database_errors {
    ($error:ty) => {
        impl From<$crate::db::DbError> for $error {
            fn from(error: $crate::db::DbError) -> Self {
                Self::Database(error)
            }
        }

        impl From<$crate::db::DieselError> for $error {
            fn from(error: $crate::db::DieselError) -> Self {
                Self::Database(error.into())
            }
        }
    };
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        DbError::Query(error).into()
    }
}

/// Answers `error` when the row is missing, e.g.
/// `.on_missing(|| ApiError::not_found(format!("order {id}")))?`; every other failure keeps the
/// shared mapping (an unreachable database stays a 503, never a 404).
pub trait OnMissing<T> {
    fn on_missing(self, error: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
}

impl<T> OnMissing<T> for QueryResult<T> {
    fn on_missing(self, error: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            DieselError::NotFound => error(),
            other => other.into(),
        })
    }
}

/// Names the unique field a failed insert or update collided on: `.or_duplicate("sku", &sku)?`.
pub trait OrDuplicate<T> {
    fn or_duplicate(self, field: &str, value: &str) -> Result<T, ApiError>;
}

impl<T> OrDuplicate<T> for QueryResult<T> {
    fn or_duplicate(self, field: &str, value: &str) -> Result<T, ApiError> {
        self.map_err(|error| match error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::duplicate(field, value)
            }
            other => other.into(),
        })
    }
}

impl DbError {
    /// Why the database cannot serve now, when that is the trouble (answered 503: try again),
    /// rather than the query.
    pub fn unavailable(&self) -> Option<String> {
        match self {
            DbError::Unavailable(why) => Some(why.clone()),
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                info,
            )) => Some(info.message().to_owned()),
            // SQLite answers "database is locked" only after its busy timeout ran out.
            DbError::Query(DieselError::DatabaseError(_, info))
                if info.message().contains("database is locked") =>
            {
                Some("database busy".to_owned())
            }
            DbError::Query(_) => None,
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        if let Some(why) = error.unavailable() {
            return ApiError::Unavailable(why);
        }
        match error {
            DbError::Query(DieselError::NotFound) => ApiError::not_found("resource"),
            DbError::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                ApiError::conflict("a resource with the same unique value already exists")
            }
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _,
            )) => {
                ApiError::conflict("the resource is referenced by, or refers to, another resource")
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// Opens connections of one backend, preparing SQLite ones for concurrent use.
#[derive(Debug, Clone)]
struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        let unavailable = |e: ConnectionError| DbError::Unavailable(e.to_string());
        match self.url.backend() {
            Backend::Postgres => PgConnection::establish(self.url.as_str())
                .map(DbConnection::Postgres)
                .map_err(unavailable),
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(self.url.as_str()).map_err(unavailable)?;
                // WAL (set once on the file by `Db::connect`) lets readers run beside the single
                // writer; NORMAL sync is durable across a process crash in WAL mode.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    /// As diesel's own manager does: a connection given back while its thread panics, or
    /// with a transaction still open (a failed rollback), is closed instead of pooled; on
    /// SQLite an open `BEGIN IMMEDIATE` would otherwise hold the write lock for good.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// How long a query waits for a pooled connection before the database counts as unavailable.
const CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// The pool, cheap to clone and share between handlers and workers.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    /// One permit per pooled connection, taken before a blocking thread is.
    checkouts: Arc<Semaphore>,
    /// SQLite has one writer at a time. Writers of this process take turns here, in order,
    /// instead of in SQLite's busy handler, which sleeps between tries (1, 2, 5, 10... ms).
    writer_turn: Option<Arc<Semaphore>>,
    /// The SQLite file, beside which a `.migrate-lock` file serialises migrations.
    sqlite_file: Option<std::path::PathBuf>,
}

impl Db {
    /// Builds the pool without waiting for a first connection, so a service can start (and
    /// report itself not ready) while the database is still coming up.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Self> {
        url.prepare()?;
        if url.backend() == Backend::Sqlite {
            // The journal mode belongs to the file. Switching it takes an exclusive lock that
            // does not wait on the busy timeout, so do it once, before the pool opens connections.
            SqliteConnection::establish(url.as_str())?
                .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
        }
        // No `SELECT 1` on every checkout: a broken connection shows up as an error anyway,
        // and the round trip would cost every query.
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(CONNECTION_WAIT)
            .build_unchecked(ConnectionManager { url: url.clone() });
        let writer_turn = (url.backend() == Backend::Sqlite).then(|| Arc::new(Semaphore::new(1)));
        let checkouts = Arc::new(Semaphore::new(usize::try_from(pool_size.max(1))?));
        Ok(Self {
            pool,
            backend: url.backend(),
            checkouts,
            writer_turn,
            sqlite_file: (url.backend() == Backend::Sqlite).then(|| url.as_str().into()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, in the caller's trace
    /// (its log lines and the events it writes keep the request's trace id).
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.checked_out(f).instrument(call_span("run")).await
    }

    /// [`Db::run`] inside the caller's span: waits for a turn, then runs `f` on a blocking
    /// thread.
    async fn checked_out<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let waited = tokio::time::timeout(CONNECTION_WAIT, self.checkouts.clone().acquire_owned());
        let turn = match waited.await {
            Ok(Ok(turn)) => turn,
            Ok(Err(closed)) => return Err(DbError::Unavailable(closed.to_string()).into()),
            Err(_) => {
                let why = "timed out waiting for a database connection".to_owned();
                return Err(DbError::Unavailable(why).into());
            }
        };
        let pool = self.pool.clone();
        let (span, trace) = (tracing::Span::current(), crate::trace::current());
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let _in_span = span.enter();
            let mut conn = pool
                .get()
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
            crate::trace::with(trace, || f(&mut conn))
        })
        .await
        .unwrap_or_else(|join_error| std::panic::resume_unwind(join_error.into_panic()))
    }

    /// Runs `f` in one write transaction (see [`write_transaction`]). Every write of a service
    /// goes through here.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<DieselError> + Send + 'static,
    {
        async {
            let _turn = match &self.writer_turn {
                Some(turn) => Some(
                    turn.acquire()
                        .await
                        .map_err(|e| DbError::Unavailable(e.to_string()))?,
                ),
                None => None,
            };
            self.checked_out(move |conn| write_transaction(conn, f))
                .await
        }
        .instrument(call_span("write"))
        .await
    }

    /// Runs the read-only `f` in one transaction, so that its several queries see the database
    /// at one moment (a summary must not count a batch that commits between two of them):
    /// PostgreSQL's `REPEATABLE READ READ ONLY`, SQLite's deferred transaction (one WAL
    /// snapshot from its first read).
    pub async fn read_consistent<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<DieselError> + Send + 'static,
    {
        self.checked_out(move |conn| {
            let begin = match conn {
                DbConnection::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                DbConnection::Sqlite(_) => "BEGIN DEFERRED",
            };
            in_transaction(conn, begin, f)
        })
        .instrument(call_span("read_consistent"))
        .await
    }

    /// Whether a connection can be had and answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| conn.batch_execute("SELECT 1").map_err(DbError::from))
            .await
    }
}

/// The DEBUG span of one database call. With DEBUG on for `platform::db`, its close line says
/// where the call's time went: `time.idle` waiting for a connection or the write turn,
/// `time.busy` holding the connection; it carries the caller's `trace_id`.
fn call_span(call: &'static str) -> tracing::Span {
    tracing::debug_span!("database", call, trace_id = %crate::trace::current_id())
}

/// Runs `f` in a transaction that holds the write lock from its first statement.
///
/// On SQLite a deferred transaction that reads and then writes fails with SQLITE_BUSY,
/// without waiting, when another writer committed in between; `BEGIN IMMEDIATE` queues it
/// behind the busy timeout instead. PostgreSQL gets an ordinary transaction.
fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConnection::Postgres(_) => conn.transaction(f),
        DbConnection::Sqlite(_) => in_transaction(conn, "BEGIN IMMEDIATE", f),
    }
}

/// Runs `f` in a transaction opened with `begin`: committed when `f` succeeds, rolled back
/// when it fails.
fn in_transaction<T, E, F>(conn: &mut DbConnection, begin: &str, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    per_backend!(conn, c => AnsiTransactionManager::begin_transaction_sql(c, begin))?;
    let result = f(conn);
    match result {
        Ok(value) => {
            if let Err(commit_error) =
                per_backend!(conn, c => AnsiTransactionManager::commit_transaction(c))
            {
                // A failed COMMIT may leave the transaction open; close it before the
                // connection goes back to the pool.
                let _ = per_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c));
                return Err(commit_error.into());
            }
            Ok(value)
        }
        Err(error) => {
            per_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c))?;
            Err(error)
        }
    }
}
