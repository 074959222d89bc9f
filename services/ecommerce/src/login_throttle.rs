//! Slowing down password guessing, per account and per client address.
//!
//! Each key, the normalized email tried and the client's address (see [`crate::client_address`]),
//! has a count of failed log-ins in the database, so every replica shares it and a restart
//! forgets nothing. A key's first few failures are free (5 per account, 20 per address); each
//! further one blocks the key twice as long as the one before (1 s, 2 s, 4 s...) up to a cap:
//! 60 s for an account, so nobody can lock its owner out for long, and 15 min for an address.
//! While a key is blocked, log-ins answer 429 with `Retry-After` before any password check, so
//! a blocked guess costs no Argon2 work. Unknown emails are counted like known ones, so the
//! throttle tells nothing about which accounts exist.
//!
//! An attempt counts as a failure from the moment it is admitted, so guesses sent all at once
//! cannot outrun their own count; a success takes its count back and clears the account's
//! failures (not the address's: a success on one account says nothing of the others tried from
//! there). A failure refreshes the block from the moment it is answered. Failures are forgotten
//! after an hour without one.

use std::net::IpAddr;

use anyhow::ensure;
use chrono::{NaiveDateTime, TimeDelta};
use platform::db::{Db, DbConnection, DbError};

use crate::client_address::TrustedProxies;
use crate::config::LoginThrottleSettings;
use crate::db::login_throttle::{self as counts, ThrottleRow};
use crate::db::now;

/// What a count is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }
}

/// The keys of one log-in attempt, account first: every transaction locks them in that order.
#[derive(Debug, Clone)]
pub struct Attempt {
    keys: [(Scope, String); 2],
}

impl Attempt {
    /// `email` already normalized (trimmed, lower-cased), as log-in looks it up.
    pub fn new(email: &str, address: Option<IpAddr>) -> Self {
        let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        Self {
            keys: [
                (Scope::Account, email.to_owned()),
                (Scope::Address, address),
            ],
        }
    }
}

/// The failures each key of an admitted attempt had, this one included.
#[derive(Debug, Clone, Copy)]
pub struct Admitted([i64; 2]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limits {
    free_failures: i64,
    first_block: TimeDelta,
    max_block: TimeDelta,
}

impl Limits {
    /// How long a key with `failures` failures stays blocked: not at all while they are free,
    /// then the first block, doubling with each further failure, up to the cap.
    fn block_after(&self, failures: i64) -> Option<TimeDelta> {
        let beyond = failures - self.free_failures;
        if beyond <= 0 {
            return None;
        }
        let doublings = u32::try_from(beyond - 1).unwrap_or(u32::MAX).min(30);
        let block = self
            .first_block
            .checked_mul(1 << doublings)
            .unwrap_or(self.max_block);
        Some(block.min(self.max_block))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Policy {
    account: Limits,
    address: Limits,
    forget_after: TimeDelta,
}

/// The log-in throttle of this service, built from its settings.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    policy: Policy,
    trusted_proxies: TrustedProxies,
}

impl LoginThrottle {
    pub fn new(settings: &LoginThrottleSettings) -> anyhow::Result<Self> {
        let seconds = |s: u64| TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        let first_block = seconds(settings.first_block_seconds);
        let limits = |free: u32, max: u64| Limits {
            free_failures: i64::from(free),
            first_block,
            max_block: seconds(max),
        };
        let policy = Policy {
            account: limits(
                settings.account_free_failures,
                settings.account_max_block_seconds,
            ),
            address: limits(
                settings.address_free_failures,
                settings.address_max_block_seconds,
            ),
            forget_after: seconds(settings.forget_after_seconds),
        };
        ensure!(
            settings.first_block_seconds >= 1,
            "login_throttle.first_block_seconds must be at least 1"
        );
        for (name, limits) in [("account", policy.account), ("address", policy.address)] {
            ensure!(
                limits.max_block >= first_block,
                "login_throttle.{name}_max_block_seconds must be at least first_block_seconds"
            );
            ensure!(
                policy.forget_after > limits.max_block,
                "login_throttle.forget_after_seconds must be longer than {name}_max_block_seconds, \
                 or a key would be forgotten as its block ends"
            );
        }
        let trusted_proxies = TrustedProxies::parse(&settings.trusted_proxies)
            .map_err(|why| anyhow::anyhow!("login_throttle.trusted_proxies: {why}"))?;
        Ok(Self {
            policy,
            trusted_proxies,
        })
    }

    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// How long failures are remembered without a new one.
    pub fn forget_after(&self) -> TimeDelta {
        self.policy.forget_after
    }

    /// Refuses `attempt` while one of its keys is blocked; otherwise counts it as a failure
    /// until [`LoginThrottle::succeeded`] takes it back.
    #[tracing::instrument(level = "debug", skip_all, fields(trace_id = %platform::trace::current_id()))]
    pub async fn admit(&self, db: &Db, attempt: &Attempt) -> Result<Admitted, ThrottleError> {
        let policy = self.policy;
        let keys = attempt.keys.clone();
        // Blocked floods are refused on a read, without queueing for the write lock.
        let rows = db
            .run(move |conn| {
                keys.iter()
                    .map(|(scope, subject)| counts::find(conn, scope.as_str(), subject))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(DbError::from)
            })
            .await?;
        let scopes = attempt.keys.iter().map(|(scope, _)| *scope);
        if let Some(block) = policy.longest_block(scopes.zip(&rows), now()) {
            return Err(refused(block));
        }
        let keys = attempt.keys.clone();
        let counted = db
            .write(move |conn| policy.count(conn, &keys, now()))
            .await?;
        counted.map_err(refused)
    }

    /// The admitted attempt failed: blocks of keys past their free failures run from now.
    pub async fn failed(&self, db: &Db, attempt: &Attempt, admitted: Admitted) {
        metrics::counter!("login_attempts_total", "outcome" => "failed").increment(1);
        let policy = self.policy;
        let over = attempt
            .keys
            .iter()
            .zip(admitted.0)
            .filter(|((scope, _), failures)| policy.limits(*scope).block_after(*failures).is_some())
            .map(|(key, _)| key.clone())
            .collect::<Vec<_>>();
        if over.is_empty() {
            return;
        }
        let refreshed = db
            .write(move |conn| {
                let now = now();
                for (scope, subject) in &over {
                    let Some(row) = counts::find_for_update(conn, scope.as_str(), subject)? else {
                        continue;
                    };
                    let block = policy.limits(*scope).block_after(row.failures);
                    let blocked_until = later(row.blocked_until, block.map(|b| now + b));
                    counts::set(
                        conn,
                        scope.as_str(),
                        subject,
                        row.failures,
                        blocked_until,
                        now,
                    )?;
                }
                Ok::<_, DbError>(())
            })
            .await;
        if let Err(error) = refreshed {
            tracing::warn!(%error, "could not refresh the log-in throttle after a failure");
        }
    }

    /// The admitted attempt succeeded: the account's failures are cleared and the address's
    /// count of this attempt is taken back.
    pub async fn succeeded(&self, db: &Db, attempt: &Attempt) {
        metrics::counter!("login_attempts_total", "outcome" => "succeeded").increment(1);
        let policy = self.policy;
        let keys = attempt.keys.clone();
        let cleared = db
            .write(move |conn| {
                let now = now();
                for (scope, subject) in &keys {
                    let row = counts::find_for_update(conn, scope.as_str(), subject)?;
                    match (scope, row) {
                        (_, None) => {}
                        (Scope::Account, Some(_)) => counts::delete(conn, scope.as_str(), subject)?,
                        (Scope::Address, Some(row)) => {
                            let failures = (row.failures - 1).max(0);
                            let blocked_until = row
                                .blocked_until
                                .filter(|_| policy.address.block_after(failures).is_some());
                            if failures == 0 && blocked_until.is_none() {
                                counts::delete(conn, scope.as_str(), subject)?;
                            } else {
                                counts::set(
                                    conn,
                                    scope.as_str(),
                                    subject,
                                    failures,
                                    blocked_until,
                                    now,
                                )?;
                            }
                        }
                    }
                }
                Ok::<_, DbError>(())
            })
            .await;
        if let Err(error) = cleared {
            tracing::warn!(%error, "could not clear the log-in throttle after a success");
        }
    }
}

impl Policy {
    fn limits(&self, scope: Scope) -> Limits {
        match scope {
            Scope::Account => self.account,
            Scope::Address => self.address,
        }
    }

    /// Failures untouched for the forget period, with no block running, no longer count.
    fn is_stale(&self, row: &ThrottleRow, now: NaiveDateTime) -> bool {
        row.updated_at + self.forget_after <= now && row.blocked_until.is_none_or(|b| b <= now)
    }

    /// The scope and remaining time of the longest block running among `rows`.
    fn longest_block<'a>(
        &self,
        rows: impl Iterator<Item = (Scope, &'a Option<ThrottleRow>)>,
        now: NaiveDateTime,
    ) -> Option<(Scope, TimeDelta)> {
        rows.filter_map(|(scope, row)| {
            let until = row.as_ref()?.blocked_until?;
            (until > now).then(|| (scope, until - now))
        })
        .max_by_key(|(_, left)| *left)
    }

    /// In one write transaction: refuses the attempt if a key is blocked, else counts it on
    /// each key and blocks the keys it takes past their free failures.
    fn count(
        &self,
        conn: &mut DbConnection,
        keys: &[(Scope, String); 2],
        now: NaiveDateTime,
    ) -> Result<Result<Admitted, (Scope, TimeDelta)>, DbError> {
        let mut rows = Vec::with_capacity(keys.len());
        for (scope, subject) in keys {
            rows.push(counts::find_for_update(conn, scope.as_str(), subject)?);
        }
        let scopes = keys.iter().map(|(scope, _)| *scope);
        if let Some(block) = self.longest_block(scopes.zip(&rows), now) {
            return Ok(Err(block));
        }
        let mut admitted = [0; 2];
        for (((scope, subject), row), failures_now) in keys.iter().zip(rows).zip(&mut admitted) {
            let row = row.filter(|row| !self.is_stale(row, now));
            let failures = match &row {
                Some(row) => row.failures + 1,
                None => {
                    let failures = counts::insert_or_count(conn, scope.as_str(), subject, now)?;
                    // Attempts that found no row at once (PostgreSQL locks no row that does not
                    // exist yet) count in turn here; one that finds the key already past its
                    // free failures was blocked before it, and is refused as if it had seen the
                    // block (a burst of 50 guesses let a seventh be checked otherwise).
                    if let Some(block) = self.limits(*scope).block_after(failures - 1) {
                        return Ok(Err((*scope, block)));
                    }
                    failures
                }
            };
            let block = self.limits(*scope).block_after(failures);
            if row.is_some() || block.is_some() {
                let earlier = row.and_then(|row| row.blocked_until);
                let blocked_until = later(earlier, block.map(|b| now + b));
                counts::set(conn, scope.as_str(), subject, failures, blocked_until, now)?;
            }
            if let Some(block) = block {
                metrics::counter!("login_throttle_blocks_total", "scope" => scope.as_str())
                    .increment(1);
                tracing::info!(
                    scope = scope.as_str(),
                    subject,
                    failures,
                    block_seconds = block.num_seconds(),
                    "log-in throttle: key blocked"
                );
            }
            *failures_now = failures;
        }
        Ok(Ok(Admitted(admitted)))
    }
}

fn later(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    a.max(b)
}

/// Why a log-in attempt was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    /// A key of the attempt is blocked for `retry_after_seconds` more (answered 429).
    #[error("too many failed log-ins; try again in {retry_after_seconds} s")]
    Blocked { retry_after_seconds: u64 },
    #[error(transparent)]
    Database(DbError),
}

platform::database_errors!(ThrottleError);

/// The refusal for a key blocked for `left` more, in whole seconds rounded up.
fn refused((scope, left): (Scope, TimeDelta)) -> ThrottleError {
    metrics::counter!("login_attempts_total", "outcome" => "throttled").increment(1);
    metrics::counter!("login_throttled_total", "scope" => scope.as_str()).increment(1);
    let seconds = u64::try_from((left.num_milliseconds() + 999) / 1000)
        .unwrap_or(1)
        .max(1);
    ThrottleError::Blocked {
        retry_after_seconds: seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LoginThrottleSettings {
        LoginThrottleSettings::default()
    }

    #[test]
    fn blocks_start_after_the_free_failures_and_double_up_to_the_cap() {
        let throttle = LoginThrottle::new(&settings()).unwrap();
        let blocks = |limits: Limits| -> Vec<i64> {
            (1..=14)
                .map(|failures| limits.block_after(failures).map_or(0, |b| b.num_seconds()))
                .collect()
        };
        assert_eq!(
            blocks(throttle.policy.account),
            [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
        );
        let address = throttle.policy.address;
        assert_eq!(address.block_after(20), None);
        assert_eq!(address.block_after(21), Some(TimeDelta::seconds(1)));
        assert_eq!(address.block_after(30), Some(TimeDelta::seconds(512)));
        assert_eq!(address.block_after(31), Some(TimeDelta::seconds(900)));
        assert_eq!(address.block_after(i64::MAX), Some(TimeDelta::seconds(900)));
    }

    #[test]
    fn settings_that_would_forget_a_key_while_blocked_are_refused() {
        let mut bad = settings();
        bad.forget_after_seconds = 900;
        assert!(LoginThrottle::new(&bad).is_err());
        let mut bad = settings();
        bad.first_block_seconds = 0;
        assert!(LoginThrottle::new(&bad).is_err());
        let mut bad = settings();
        bad.trusted_proxies = vec!["localhost".into()];
        assert!(LoginThrottle::new(&bad).is_err());
    }

    #[test]
    fn stale_rows_no_longer_count_unless_still_blocked() {
        let throttle = LoginThrottle::new(&settings()).unwrap();
        let now = now();
        let row = |updated_ago: i64, blocked_for: Option<i64>| ThrottleRow {
            scope: "account".into(),
            subject: "ana@olla.co".into(),
            failures: 9,
            blocked_until: blocked_for.map(|s| now + TimeDelta::seconds(s)),
            updated_at: now - TimeDelta::seconds(updated_ago),
        };
        let policy = throttle.policy;
        assert!(!policy.is_stale(&row(60, None), now));
        assert!(policy.is_stale(&row(3600, None), now));
        assert!(policy.is_stale(&row(3600, Some(-1)), now));
        assert!(!policy.is_stale(&row(3600, Some(30)), now));
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        let seconds = |ms: i64| match refused((Scope::Account, TimeDelta::milliseconds(ms))) {
            ThrottleError::Blocked {
                retry_after_seconds,
            } => retry_after_seconds,
            other => panic!("{other:?}"),
        };
        assert_eq!(seconds(1), 1);
        assert_eq!(seconds(1000), 1);
        assert_eq!(seconds(1001), 2);
        assert_eq!(seconds(59_500), 60);
    }
}
