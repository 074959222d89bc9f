//! Webhook subscriptions, their messages (one per subscription and delivery event) and the
//! attempts to send them; and the dispatcher's claim of due messages.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use contracts::deliveries::{DeliveryStatus, WebhookMessageState};
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::{webhook_attempts, webhook_messages, webhook_subscriptions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: String,
    pub owner_id: String,
    pub url: String,
    pub statuses: String,
    pub description: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Every client's deliveries, not only its owner's (an administrator's, asked for).
    pub all_deliveries: bool,
}

impl SubscriptionRow {
    /// The statuses the subscription wants.
    pub fn status_list(&self) -> Vec<&str> {
        status_list(&self.statuses)
    }

    /// The secrets that sign now: the current one, and the previous one during its grace.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && until > now
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// The statuses in a stored `statuses` column.
pub fn status_list(statuses: &str) -> Vec<&str> {
    statuses.split(',').filter(|s| !s.is_empty()).collect()
}

pub fn insert_subscription(conn: &mut DbConnection, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

pub fn find_subscription(conn: &mut DbConnection, id: &str) -> QueryResult<SubscriptionRow> {
    webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
}

/// A page of subscriptions, oldest first; all of them when `owner` is `None`.
pub fn list_subscriptions(
    conn: &mut DbConnection,
    owner: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<SubscriptionRow>, i64)> {
    let filtered = || {
        let mut query = webhook_subscriptions::table.into_boxed();
        if let Some(owner) = owner {
            query = query.filter(webhook_subscriptions::owner_id.eq(owner.to_owned()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let items = filtered()
        .order((webhook_subscriptions::created_at, webhook_subscriptions::id))
        .limit(limit)
        .offset(offset)
        .select(SubscriptionRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// What an edit may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionChanges {
    pub url: Option<String>,
    pub statuses: Option<String>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub disabled_reason: Option<Option<String>>,
    pub secret: Option<String>,
    pub previous_secret: Option<Option<String>>,
    pub previous_secret_until: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn update_subscription(
    conn: &mut DbConnection,
    id: &str,
    changes: &SubscriptionChanges,
) -> QueryResult<usize> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set(changes)
        .execute(conn)
}

pub fn delete_subscription(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)
}

/// Enabled subscriptions with the statuses each wants.
/// What the fan-out needs of an enabled subscription.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct Audience {
    pub id: String,
    pub owner_id: String,
    pub statuses: String,
    pub all_deliveries: bool,
}

pub fn enabled_subscriptions(conn: &mut DbConnection) -> QueryResult<Vec<Audience>> {
    webhook_subscriptions::table
        .filter(webhook_subscriptions::enabled.eq(true))
        .select(Audience::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_messages)]
pub struct MessageRow {
    pub id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub delivery_id: String,
    pub status: DeliveryStatus,
    pub body: String,
    pub state: WebhookMessageState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// The trace of the event the message announces.
    pub traceparent: Option<String>,
}

/// Adds messages, skipping any (subscription, event) pair that already has one: a redelivered
/// event creates nothing new. Returns how many were added.
pub fn insert_messages(conn: &mut DbConnection, rows: &[MessageRow]) -> QueryResult<usize> {
    let mut added = 0;
    match conn {
        DbConnection::Postgres(pg) => {
            // Thirteen binds per row stays under PostgreSQL's 65,535.
            for chunk in rows.chunks(4_000) {
                added += diesel::insert_into(webhook_messages::table)
                    .values(chunk)
                    .on_conflict((
                        webhook_messages::subscription_id,
                        webhook_messages::event_id,
                    ))
                    .do_nothing()
                    .execute(pg)?;
            }
        }
        DbConnection::Sqlite(sqlite) => {
            for row in rows {
                added += diesel::insert_into(webhook_messages::table)
                    .values(row)
                    .on_conflict((
                        webhook_messages::subscription_id,
                        webhook_messages::event_id,
                    ))
                    .do_nothing()
                    .execute(sqlite)?;
            }
        }
    }
    Ok(added)
}

/// A page of a subscription's messages, newest first.
pub fn messages_of(
    conn: &mut DbConnection,
    subscription_id: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<MessageRow>, i64)> {
    let of = webhook_messages::subscription_id.eq(subscription_id.to_owned());
    let total = webhook_messages::table
        .filter(of.clone())
        .count()
        .get_result(conn)?;
    let items = webhook_messages::table
        .filter(of)
        .order((
            webhook_messages::created_at.desc(),
            webhook_messages::id.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(MessageRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// Makes a message due again now, keeping its id; `0` when it is not the subscription's.
pub fn resend(
    conn: &mut DbConnection,
    subscription_id: &str,
    message_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        webhook_messages::table
            .filter(webhook_messages::id.eq(message_id))
            .filter(webhook_messages::subscription_id.eq(subscription_id)),
    )
    .set((
        webhook_messages::state.eq(WebhookMessageState::Pending),
        webhook_messages::next_attempt_at.eq(now),
        webhook_messages::locked_until.eq(None::<NaiveDateTime>),
        webhook_messages::finished_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub message_id: String,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A page of a subscription's attempts, newest first.
pub fn attempts_of(
    conn: &mut DbConnection,
    subscription_id: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<AttemptRow>, i64)> {
    let of = webhook_attempts::subscription_id.eq(subscription_id.to_owned());
    let total = webhook_attempts::table
        .filter(of.clone())
        .count()
        .get_result(conn)?;
    let items = webhook_attempts::table
        .filter(of)
        .order(webhook_attempts::id.desc())
        .limit(limit)
        .offset(offset)
        .select(AttemptRow::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// A due message reserved for one dispatcher, with what it takes to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: MessageRow,
    pub url: String,
    pub secrets: Vec<String>,
}

/// Reserves up to `room` due messages of enabled subscriptions until `lease_until`, at most
/// `per_subscription` per subscription counting `busy` (what this dispatcher already has in
/// flight). The reservation is a conditional update, so two dispatchers never both take one.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    room: usize,
    per_subscription: usize,
    busy: &HashMap<String, usize>,
) -> QueryResult<Vec<Claimed>> {
    let free = webhook_messages::locked_until
        .is_null()
        .or(webhook_messages::locked_until.lt(now));
    // Candidates beyond what the enabled subscriptions could take are read for nothing: with
    // few subscribers and a long queue, most of every claim's reading.
    let enabled: i64 = webhook_subscriptions::table
        .filter(webhook_subscriptions::enabled.eq(true))
        .count()
        .get_result(conn)?;
    let takeable = per_subscription.saturating_mul(usize::try_from(enabled).unwrap_or(usize::MAX));
    // A membership test, not a join: joined, the planners may start from the subscription and
    // read all its messages to sort them, rather than walk the due index.
    let enabled_ids = webhook_subscriptions::table
        .filter(webhook_subscriptions::enabled.eq(true))
        .select(webhook_subscriptions::id);
    let candidates: Vec<(String, String)> = webhook_messages::table
        .filter(webhook_messages::state.eq(WebhookMessageState::Pending))
        .filter(webhook_messages::next_attempt_at.le(now))
        .filter(free)
        .filter(webhook_messages::subscription_id.eq_any(enabled_ids))
        .order(webhook_messages::next_attempt_at)
        .limit(i64::try_from((room * 4).min(takeable)).unwrap_or(i64::MAX))
        .select((webhook_messages::id, webhook_messages::subscription_id))
        .load(conn)?;
    let mut taken: HashMap<&str, usize> = HashMap::new();
    let mut chosen = Vec::with_capacity(room);
    for (id, subscription) in &candidates {
        let count = taken
            .entry(subscription)
            .or_insert_with(|| busy.get(subscription).copied().unwrap_or(0));
        if *count < per_subscription && chosen.len() < room {
            *count += 1;
            chosen.push(id.clone());
        }
    }
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let reserve = diesel::update(
        webhook_messages::table
            .filter(webhook_messages::id.eq_any(&chosen))
            .filter(webhook_messages::state.eq(WebhookMessageState::Pending))
            .filter(free),
    )
    .set((
        webhook_messages::locked_until.eq(lease_until),
        webhook_messages::attempts.eq(webhook_messages::attempts + 1),
    ));
    let reserved: Vec<String> = match conn {
        DbConnection::Postgres(pg) => reserve.returning(webhook_messages::id).get_results(pg)?,
        DbConnection::Sqlite(sqlite) => reserve
            .returning(webhook_messages::id)
            .get_results(sqlite)?,
    };
    let rows: Vec<(MessageRow, SubscriptionRow)> = webhook_messages::table
        .inner_join(webhook_subscriptions::table)
        .filter(webhook_messages::id.eq_any(&reserved))
        .order(webhook_messages::next_attempt_at)
        .select((MessageRow::as_select(), SubscriptionRow::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(message, subscription)| Claimed {
            secrets: subscription
                .signing_secrets(now)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            url: subscription.url,
            message,
        })
        .collect())
}

/// Gives back messages claimed and then not sent (their subscription changed): the lease is
/// released and the claim's attempt uncounted, so they are claimed again under the
/// subscription's new settings, or never when it is gone or disabled.
pub fn give_back(conn: &mut DbConnection, message_ids: &[String]) -> QueryResult<usize> {
    let mut given = 0;
    for chunk in message_ids.chunks(1_000) {
        given += diesel::update(
            webhook_messages::table
                .filter(webhook_messages::id.eq_any(chunk))
                .filter(webhook_messages::state.eq(WebhookMessageState::Pending)),
        )
        .set((
            webhook_messages::locked_until.eq(None::<NaiveDateTime>),
            webhook_messages::attempts.eq(webhook_messages::attempts - 1),
        ))
        .execute(conn)?;
    }
    Ok(given)
}

/// The result of one attempt, as recorded.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub message_id: String,
    pub subscription_id: String,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What happens to a message after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Succeeded,
    Failed,
    RetryAt(NaiveDateTime),
}

/// Records attempts and moves their messages on, in one transaction. Only a pending message
/// moves: a message a manual re-send or another dispatcher already finished stays finished.
/// A message deleted meanwhile (its subscription was deleted while it was in flight) has
/// nothing left to record and is skipped, so it never fails the others' records. Returns how
/// many attempts were recorded.
pub fn record_attempts(
    conn: &mut DbConnection,
    attempts: &[(Attempt, Next)],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let ids: Vec<&str> = attempts
        .iter()
        .map(|(a, _)| a.message_id.as_str())
        .collect();
    let remaining = still_there(conn, &ids)?;
    let attempts: Vec<&(Attempt, Next)> = attempts
        .iter()
        .filter(|(a, _)| remaining.contains(&a.message_id))
        .collect();
    let rows: Vec<_> = attempts
        .iter()
        .map(|(a, _)| {
            (
                webhook_attempts::message_id.eq(a.message_id.clone()),
                webhook_attempts::subscription_id.eq(a.subscription_id.clone()),
                webhook_attempts::attempted_at.eq(a.attempted_at),
                webhook_attempts::status_code.eq(a.status_code),
                webhook_attempts::error.eq(a.error.clone()),
                webhook_attempts::duration_ms.eq(a.duration_ms),
            )
        })
        .collect();
    match conn {
        DbConnection::Postgres(pg) => {
            for chunk in rows.chunks(5_000) {
                diesel::insert_into(webhook_attempts::table)
                    .values(chunk.to_vec())
                    .execute(pg)?;
            }
        }
        DbConnection::Sqlite(_) => {
            for row in rows {
                diesel::insert_into(webhook_attempts::table)
                    .values(row)
                    .execute(conn)?;
            }
        }
    }
    for (state, wanted) in [
        (WebhookMessageState::Succeeded, Next::Succeeded),
        (WebhookMessageState::Failed, Next::Failed),
    ] {
        let ids: Vec<&str> = attempts
            .iter()
            .filter(|(_, next)| *next == wanted)
            .map(|(a, _)| a.message_id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        diesel::update(
            webhook_messages::table
                .filter(webhook_messages::id.eq_any(&ids))
                .filter(webhook_messages::state.eq(WebhookMessageState::Pending)),
        )
        .set((
            webhook_messages::state.eq(state),
            webhook_messages::finished_at.eq(now),
            webhook_messages::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    }
    for (attempt, next) in attempts.iter().copied() {
        if let Next::RetryAt(at) = next {
            diesel::update(
                webhook_messages::table
                    .filter(webhook_messages::id.eq(&attempt.message_id))
                    .filter(webhook_messages::state.eq(WebhookMessageState::Pending)),
            )
            .set((
                webhook_messages::next_attempt_at.eq(*at),
                webhook_messages::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        }
    }
    Ok(attempts.len())
}

/// Which of `ids` still exist. On PostgreSQL they are also locked against deletion until the
/// transaction ends (a subscription deleted now waits for it); on SQLite the write
/// transaction already keeps every other writer out.
fn still_there(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<HashSet<String>> {
    let mut found = HashSet::with_capacity(ids.len());
    // SQLite binds at most 32,766 parameters.
    for chunk in ids.chunks(1_000) {
        let query = webhook_messages::table
            .filter(webhook_messages::id.eq_any(chunk))
            .select(webhook_messages::id);
        let rows: Vec<String> = match conn {
            DbConnection::Postgres(pg) => query.for_key_share().load(pg)?,
            DbConnection::Sqlite(sqlite) => query.load(sqlite)?,
        };
        found.extend(rows);
    }
    Ok(found)
}
