//! The transactional outbox: a change and the messages announcing it commit together, and a
//! relay publishes the messages to JetStream afterwards.
//!
//! Nothing is lost when NATS is down (rows wait), nothing is published for a rolled-back
//! transaction (the rows never existed), and nothing is delivered twice: every message carries
//! its id as `Nats-Msg-Id`, so JetStream drops a republished one inside its dedupe window.
//! Several relays (one per replica) can run at once: each leases the rows it takes, and on
//! PostgreSQL skips rows another relay holds locked.
//!
//! Published rows are kept for a retention window (`outbox.retention_hours`), so that events
//! NATS lost after acknowledging them can be sent again: [`republish_since`] (the services'
//! `republish --since TIME` command) queues them once more, and every consumer is idempotent.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDateTime, Utc};
use contracts::CloudEvent;
use contracts::streams::BucketSpec;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::db::{Db, DbConnection, DbError};
use crate::nats::{Nats, PUBLISH_DEADLINE};
use crate::trace;

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_id -> Text,
        subject -> Text,
        payload -> Binary,
        headers -> Text,
        created_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
    }
}

/// A message to publish once the surrounding transaction commits.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub message_id: String,
    /// The production subject, as `contracts` builds it; the relay publishes it in its
    /// connection's namespace ([`contracts::streams::Namespace::resolve`]).
    pub subject: String,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
}

impl OutboxMessage {
    /// A CloudEvent on a stream subject; the event id becomes the `Nats-Msg-Id`. An event
    /// written while a trace is current carries it on (attribute and NATS header).
    pub fn event<T: Serialize>(
        subject: String,
        event: CloudEvent<T>,
    ) -> Result<Self, serde_json::Error> {
        let event = match event.traceparent {
            Some(_) => event,
            None => event.in_trace(trace::to_hand_on()),
        };
        let headers = event
            .traceparent
            .iter()
            .map(|traceparent| (trace::TRACEPARENT.to_owned(), traceparent.clone()))
            .collect();
        Ok(Self {
            message_id: event.id.to_string(),
            subject,
            payload: serde_json::to_vec(&event)?,
            headers,
        })
    }

    /// A KV put, published as JetStream publishes it: to `$KV.<bucket>.<key>`.
    pub fn kv_put<T: Serialize>(
        bucket: &BucketSpec,
        key: &str,
        value: &T,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            message_id: uuid::Uuid::now_v7().to_string(),
            subject: bucket.kv_subject(key),
            payload: serde_json::to_vec(value)?,
            headers: BTreeMap::new(),
        })
    }

    /// A KV delete marker, as `kv::Store::delete` writes it.
    pub fn kv_delete(bucket: &BucketSpec, key: &str) -> Self {
        Self {
            message_id: uuid::Uuid::now_v7().to_string(),
            subject: bucket.kv_subject(key),
            payload: Vec::new(),
            headers: BTreeMap::from([("KV-Operation".to_owned(), "DEL".to_owned())]),
        }
    }
}

/// A new outbox row, as written.
#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
struct NewRow<'a> {
    message_id: &'a str,
    subject: &'a str,
    payload: &'a [u8],
    headers: String,
    created_at: NaiveDateTime,
}

/// Adds `messages` to the outbox. Call inside the transaction that makes the change.
pub fn enqueue(conn: &mut DbConnection, messages: &[OutboxMessage]) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    let row = |m: &'_ OutboxMessage| {
        (
            outbox::message_id.eq(m.message_id.clone()),
            outbox::subject.eq(m.subject.clone()),
            outbox::payload.eq(m.payload.clone()),
            outbox::headers
                .eq(serde_json::to_string(&m.headers).unwrap_or_else(|_| "{}".to_owned())),
            outbox::created_at.eq(now),
        )
    };
    match conn {
        // Large batches (a worker tick) are streamed with COPY: no statement to parse, no
        // parameters to bind.
        DbConnection::Postgres(pg) if messages.len() > 1 => {
            let rows: Vec<NewRow<'_>> = messages
                .iter()
                .map(|m| NewRow {
                    message_id: &m.message_id,
                    subject: &m.subject,
                    payload: &m.payload,
                    headers: serde_json::to_string(&m.headers).unwrap_or_else(|_| "{}".to_owned()),
                    created_at: now,
                })
                .collect();
            diesel::copy_from(outbox::table)
                .from_insertable(rows)
                .execute(pg)?;
        }
        // One statement per row: the portable backend has no multi-row insert for SQLite, and
        // the tuple form makes diesel cache it as a prepared statement.
        _ => {
            for m in messages {
                diesel::insert_into(outbox::table)
                    .values(row(m))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// A service's database as its handlers reach it: read-only queries, and write transactions
/// that wake the outbox relay once they commit the messages they enqueued.
#[derive(Clone)]
pub struct OutboxDb {
    pub db: Db,
    pub outbox: OutboxSignal,
}

impl OutboxDb {
    /// Runs `f` in one write transaction, then wakes the relay for the messages it enqueued.
    pub async fn write<T, F>(&self, f: F) -> Result<T, crate::ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, crate::ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let result = self.db.write(f).await;
        if result.is_ok() {
            self.outbox.notify();
        }
        result
    }

    /// Runs the read-only query `f`.
    pub async fn read<T, F>(&self, f: F) -> Result<T, crate::ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, crate::ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(f).await
    }
}

/// Marks a row that holds several messages (see [`enqueue_many`]); never sent as a header.
const BATCH_HEADER: &str = "Cx-Outbox-Batch";
/// Messages per batch row: a tick's 10,000 events make ten rows of a few hundred kilobytes.
const BATCH_ROW_MESSAGES: usize = 1_000;

/// One message inside a batch row.
#[derive(Serialize, Deserialize)]
struct BatchEntry {
    message_id: String,
    subject: String,
    /// Base64, as payloads are bytes.
    payload: String,
    headers: BTreeMap<String, String>,
}

/// Adds many messages as few rows, for a producer that writes thousands in one transaction (a
/// worker tick): a row per message costs the database more than the change itself. The relay
/// publishes every message on its own, with its own id, in order; a row is done when all of
/// its messages are acknowledged.
pub fn enqueue_many(conn: &mut DbConnection, messages: &[OutboxMessage]) -> QueryResult<()> {
    if messages.len() <= 1 {
        return enqueue(conn, messages);
    }
    let rows = messages
        .chunks(BATCH_ROW_MESSAGES)
        .filter_map(|chunk| Some((chunk.first()?, chunk)))
        .map(|(first, chunk)| {
            let entries: Vec<BatchEntry> = chunk
                .iter()
                .map(|m| BatchEntry {
                    message_id: m.message_id.clone(),
                    subject: m.subject.clone(),
                    payload: STANDARD.encode(&m.payload),
                    headers: m.headers.clone(),
                })
                .collect();
            Ok(OutboxMessage {
                message_id: uuid::Uuid::now_v7().to_string(),
                subject: first.subject.clone(),
                payload: serde_json::to_vec(&entries)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?,
                headers: BTreeMap::from([(BATCH_HEADER.to_owned(), chunk.len().to_string())]),
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    enqueue(conn, &rows)
}

/// Rows not yet published, for readiness reports and tests.
pub fn pending_count(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::published_at.is_null())
        .count()
        .get_result(conn)
}

/// Queues every published row written from `since` on to be published again, in its order;
/// returns how many rows (a batch row holds many messages). For after NATS lost messages it
/// had acknowledged: consumers dedupe by event id, and JetStream drops the ones it still has
/// inside its duplicate window.
pub fn republish_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::published_at.is_not_null())
            .filter(outbox::created_at.ge(since)),
    )
    .set((
        outbox::published_at.eq(None::<NaiveDateTime>),
        outbox::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// The `<service> republish --since TIME` command: connects to the service's database, queues
/// its kept events from `since` on and says how many; the service's running relays publish them.
pub async fn republish_command(
    service: &str,
    database: &crate::settings::DatabaseSettings,
    since: chrono::DateTime<Utc>,
) -> anyhow::Result<std::process::ExitCode> {
    let db = Db::connect(&database.parsed_url()?, 1)?;
    let from = since.naive_utc();
    let rows = db
        .write(move |conn| republish_since(conn, from).map_err(DbError::from))
        .await?;
    println!(
        "{service}: {rows} outbox rows written since {} queued to be published again; \
         the running {service} replicas publish them (consumers ignore what they already handled)",
        since.to_rfc3339()
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// Wakes the relay after a commit so events leave at once rather than at the next poll.
pub type OutboxSignal = crate::wakeup::Wakeup;

#[derive(Debug, Clone)]
pub struct RelaySettings {
    pub batch_size: i64,
    /// How often the relay looks for rows written by other replicas.
    pub poll_interval: Duration,
    /// How long the relay waits after a wake-up before taking a batch, so that under load one
    /// batch (a handful of statements) carries the rows of many transactions.
    pub linger: Duration,
    /// How long a taken row is reserved for the relay that took it.
    pub lease: Duration,
    /// Published rows are deleted after this long.
    pub retention: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self::from(&crate::settings::OutboxSettings::default())
    }
}

impl From<&crate::settings::OutboxSettings> for RelaySettings {
    fn from(settings: &crate::settings::OutboxSettings) -> Self {
        Self {
            batch_size: 500,
            poll_interval: Duration::from_millis(500),
            linger: Duration::from_millis(5),
            lease: Duration::from_secs(30),
            retention: Duration::from_secs(settings.retention_hours * 3600),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct PendingRow {
    id: i64,
    message_id: String,
    subject: String,
    payload: Vec<u8>,
    headers: String,
}

impl PendingRow {
    /// The messages the row holds: itself, or the entries of a batch row.
    fn into_messages(self) -> Result<Vec<OutboxMessage>, String> {
        let headers: BTreeMap<String, String> =
            serde_json::from_str(&self.headers).unwrap_or_default();
        if !headers.contains_key(BATCH_HEADER) {
            return Ok(vec![OutboxMessage {
                message_id: self.message_id,
                subject: self.subject,
                payload: self.payload,
                headers,
            }]);
        }
        let entries: Vec<BatchEntry> = serde_json::from_slice(&self.payload)
            .map_err(|e| format!("outbox batch row {} is unreadable: {e}", self.id))?;
        entries
            .into_iter()
            .map(|entry| {
                Ok(OutboxMessage {
                    payload: STANDARD.decode(&entry.payload).map_err(|e| {
                        format!("outbox batch row {} holds bad base64: {e}", self.id)
                    })?,
                    message_id: entry.message_id,
                    subject: entry.subject,
                    headers: entry.headers,
                })
            })
            .collect()
    }
}

/// Publishes outbox rows to JetStream in id order, marking each one published once acknowledged.
pub struct OutboxRelay {
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    settings: RelaySettings,
}

impl OutboxRelay {
    pub fn new(db: Db, nats: Nats, signal: OutboxSignal, settings: RelaySettings) -> Self {
        Self {
            db,
            nats,
            signal,
            settings,
        }
    }

    pub async fn run(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut failures = 0u32;
        let mut last_cleanup = tokio::time::Instant::now();
        loop {
            if !self.nats.connected(&cancel).await {
                return Ok(());
            }
            let wait = match self.relay_batch().await {
                Ok(n) if n as i64 >= self.settings.batch_size => {
                    failures = 0;
                    continue;
                }
                Ok(_) => {
                    failures = 0;
                    self.settings.poll_interval
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let backoff = Duration::from_millis(200 * 2u64.pow(failures.min(4)));
                    tracing::warn!(error = %format!("{error:#}"), retry_in_ms = backoff.as_millis() as u64, "outbox relay could not publish");
                    backoff
                }
            };
            if last_cleanup.elapsed() > Duration::from_secs(600) {
                last_cleanup = tokio::time::Instant::now();
                self.delete_published().await;
            }
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = self.signal.notified() => tokio::time::sleep(self.settings.linger).await,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Takes one batch of pending rows, publishes them and marks the acknowledged ones.
    /// Returns how many rows were taken.
    pub async fn relay_batch(&self) -> anyhow::Result<usize> {
        let (batch, lease) = (self.settings.batch_size, self.settings.lease);
        let rows = self
            .db
            .write(move |conn| take_pending(conn, batch, lease))
            .await?;
        let Some(first) = rows.first().map(|row| row.id) else {
            return Ok(0);
        };
        let taken: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let Published {
            rows: published,
            failure,
            homeless,
        } = match tokio::time::timeout(PUBLISH_DEADLINE, self.publish(rows)).await {
            Ok(outcome) => outcome,
            // Nothing counts as published: the rows go out again (same ids, so JetStream
            // drops what did arrive).
            Err(_) => Published {
                rows: Vec::new(),
                failure: Some((first, "JetStream did not acknowledge in time".to_owned())),
                homeless: None,
            },
        };
        if let Some(subject) = homeless {
            // NATS lost the stream (or bucket) of this subject: make it again, so the retry
            // lands.
            if let Err(error) = self.nats.ensure_home_of(&subject).await {
                tracing::warn!(%subject, error = %format!("{error:#}"), "could not recreate the stream of an outbox subject");
            }
        }
        if !published.is_empty() {
            let published = published.clone();
            self.db
                .write(move |conn| mark_published(conn, &published))
                .await?;
        }
        match failure {
            Some((id, error)) => {
                let unsent: Vec<i64> = taken
                    .into_iter()
                    .filter(|t| *t != id && !published.contains(t))
                    .collect();
                let message = error.clone();
                self.db
                    .write(move |conn| record_failure(conn, id, &message, &unsent))
                    .await?;
                anyhow::bail!("publishing outbox row {id}: {error}")
            }
            None => Ok(taken.len()),
        }
    }

    /// Publishes in order, pipelining the acknowledgements. Stops at the first failure so that
    /// later messages do not overtake an earlier one that will be retried. A row counts as
    /// published once every message it holds is acknowledged.
    async fn publish(&self, rows: Vec<PendingRow>) -> Published {
        let jetstream = self.nats.jetstream();
        let mut acks = Vec::with_capacity(rows.len());
        let mut failure = None;
        'rows: for row in rows {
            let id = row.id;
            let messages = match row.into_messages() {
                Ok(messages) => messages,
                Err(error) => {
                    failure = Some((id, error));
                    break;
                }
            };
            for m in messages {
                let mut message = PublishMessage::build()
                    .payload(m.payload.into())
                    .message_id(&m.message_id);
                for (name, value) in &m.headers {
                    message = message.header(name.as_str(), value.as_str());
                }
                let subject = self.nats.namespace().resolve(&m.subject);
                match jetstream.send_publish(subject, message).await {
                    Ok(ack) => acks.push((id, m.subject, ack)),
                    Err(error) => {
                        failure = Some((id, error.to_string()));
                        break 'rows;
                    }
                }
            }
        }
        let mut published: Vec<i64> = Vec::with_capacity(acks.len());
        let mut homeless = None;
        for (id, subject, ack) in acks {
            match ack.await {
                Ok(_) if published.last() != Some(&id) => published.push(id),
                Ok(_) => {}
                Err(error) => {
                    if error.kind() == PublishErrorKind::StreamNotFound {
                        homeless.get_or_insert(subject);
                    }
                    failure.get_or_insert((id, error.to_string()));
                }
            }
        }
        // A row with a failed message waits for its retry as a whole; JetStream drops the
        // messages of it that did go out (same ids) when it is published again.
        if let Some((failed, _)) = &failure {
            published.retain(|id| id != failed);
        }
        Published {
            rows: published,
            failure,
            homeless,
        }
    }

    async fn delete_published(&self) {
        let cutoff = Utc::now().naive_utc() - self.settings.retention;
        let result = self
            .db
            .write(move |conn| {
                diesel::delete(outbox::table.filter(outbox::published_at.lt(cutoff)))
                    .execute(conn)
                    .map_err(DbError::from)
            })
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "could not delete published outbox rows");
        }
    }
}

/// What a batch's publish did.
struct Published {
    /// The rows whose every message JetStream acknowledged.
    rows: Vec<i64>,
    /// The first row that failed, and why.
    failure: Option<(i64, String)>,
    /// A production subject no stream took (NATS lost its stream).
    homeless: Option<String>,
}

fn take_pending(
    conn: &mut DbConnection,
    batch: i64,
    lease: Duration,
) -> Result<Vec<PendingRow>, DbError> {
    let now = Utc::now().naive_utc();
    let free = outbox::published_at.is_null().and(
        outbox::locked_until
            .is_null()
            .or(outbox::locked_until.lt(now)),
    );
    let pending = outbox::table
        .filter(free)
        .order(outbox::id)
        .select(outbox::id)
        .limit(batch);
    let ids: Vec<i64> = match conn {
        // Another relay's rows stay locked until its lease is written; skip, don't wait.
        DbConnection::Postgres(pg) => pending.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(_) => pending.load(conn)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
        .set((
            outbox::locked_until.eq(now + lease),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
    Ok(outbox::table
        .filter(outbox::id.eq_any(&ids))
        .order(outbox::id)
        .select(PendingRow::as_select())
        .load(conn)?)
}

fn mark_published(conn: &mut DbConnection, ids: &[i64]) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::published_at.eq(Utc::now().naive_utc()),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Holds the failed row back for a moment before its retry, and frees the rows of the batch
/// that were never sent so the next batch takes them again in order.
fn record_failure(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    unsent: &[i64],
) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::last_error.eq(error),
            outbox::locked_until.eq(Utc::now().naive_utc() + Duration::from_secs(2)),
        ))
        .execute(conn)?;
    diesel::update(outbox::table.filter(outbox::id.eq_any(unsent)))
        .set(outbox::locked_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}
