//! When a failed message is tried again: exponential backoff with jitter, an answer's
//! `Retry-After` honoured on 429 and 503, and a deadline after which the message is failed.
//!
//! A `Retry-After` is the subscriber's own word, so it is honoured as given, even beyond the
//! backoff's cap (`max_retry_interval_seconds`); only the deadline bounds it: a message told to
//! wait past its deadline gets its last try at the deadline.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};

use crate::config::WebhookSettings;
use crate::db::webhooks::Next;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first: Duration,
    pub max: Duration,
    pub give_up_after: Duration,
}

impl From<&WebhookSettings> for RetryPolicy {
    fn from(settings: &WebhookSettings) -> Self {
        Self {
            first: Duration::from_secs(settings.first_retry_seconds),
            max: Duration::from_secs(settings.max_retry_interval_seconds),
            give_up_after: Duration::from_secs(settings.give_up_after_seconds),
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP status, with the `Retry-After` delay if the answer carried one.
    Status(u16, Option<Duration>),
    /// No answer: refused connection, timeout, broken connection.
    NoAnswer,
    /// Not sent: the subscription was deleted, disabled or changed after the message was
    /// claimed. The message goes back unsent; this is no attempt.
    Withdrawn,
}

impl Answer {
    /// `410 Gone`: the endpoint is gone for good.
    pub fn is_gone(self) -> bool {
        matches!(self, Answer::Status(410, _))
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th failure: `first * 2^(failures-1)`, capped at `max`,
    /// drawn uniformly from its upper half so that many messages failing together do not
    /// come back together. `jitter` is in [0, 1).
    pub fn backoff(&self, failures: i32, jitter: f64) -> Duration {
        let exponent = failures.clamp(1, 30) as u32 - 1;
        let full = self
            .first
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max);
        full.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }

    /// What follows `answer` for a message created at `created_at` that has now failed
    /// `failures` times.
    pub fn next(
        &self,
        answer: Answer,
        failures: i32,
        created_at: NaiveDateTime,
        now: NaiveDateTime,
        jitter: f64,
    ) -> Next {
        let wait = match answer {
            Answer::Status(200..=299, _) => return Next::Succeeded,
            // The endpoint says it is gone for good: stop (the subscription is disabled too).
            answer if answer.is_gone() => return Next::Failed,
            Answer::Status(429 | 503, Some(retry_after)) => retry_after,
            _ => self.backoff(failures, jitter),
        };
        let deadline = created_at + self.give_up_after;
        if now >= deadline {
            return Next::Failed;
        }
        let at = now + wait;
        // The last try happens at the deadline rather than never.
        Next::RetryAt(at.min(deadline))
    }
}

/// Reads a `Retry-After` value: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    (at - now).max(TimeDelta::zero()).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            first: Duration::from_secs(5),
            max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(26 * 3600),
        }
    }

    fn at(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let p = policy();
        assert_eq!(p.backoff(1, 0.999_999).as_secs(), 4);
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(2500));
        assert_eq!(p.backoff(3, 0.0), Duration::from_secs(10));
        assert_eq!(p.backoff(4, 0.5), Duration::from_secs(30));
        assert_eq!(p.backoff(20, 0.999_999).as_secs(), 3599);
    }

    #[test]
    fn answers_decide_the_next_step() {
        let p = policy();
        let (created, now) = (at(0), at(60));
        assert_eq!(
            p.next(Answer::Status(204, None), 1, created, now, 0.0),
            Next::Succeeded
        );
        assert_eq!(
            p.next(Answer::Status(410, None), 1, created, now, 0.0),
            Next::Failed
        );
        assert_eq!(
            p.next(
                Answer::Status(503, Some(Duration::from_secs(120))),
                1,
                created,
                now,
                0.0
            ),
            Next::RetryAt(at(180))
        );
        assert_eq!(
            p.next(Answer::Status(500, None), 3, created, now, 0.0),
            Next::RetryAt(at(70))
        );
        assert_eq!(
            p.next(Answer::NoAnswer, 1, created, now, 0.0),
            Next::RetryAt(now + Duration::from_millis(2500))
        );
    }

    #[test]
    fn a_retry_after_beyond_the_backoff_cap_is_honoured_up_to_the_deadline() {
        let p = policy();
        let (created, now) = (at(0), at(60));
        let two_hours = Some(Duration::from_secs(2 * 3600));
        assert_eq!(
            p.next(Answer::Status(429, two_hours), 1, created, now, 0.0),
            Next::RetryAt(at(60 + 2 * 3600)),
            "longer than the one-hour cap"
        );
        let two_days = Some(Duration::from_secs(48 * 3600));
        assert_eq!(
            p.next(Answer::Status(503, two_days), 1, created, now, 0.0),
            Next::RetryAt(at(26 * 3600)),
            "the last try at the deadline"
        );
    }

    #[test]
    fn messages_are_retried_for_more_than_a_day_then_failed() {
        let p = policy();
        let created = at(0);
        let day = at(24 * 3600);
        assert!(matches!(
            p.next(Answer::NoAnswer, 40, created, day, 0.5),
            Next::RetryAt(_)
        ));
        let near_deadline = at(26 * 3600 - 10);
        assert_eq!(
            p.next(Answer::NoAnswer, 41, created, near_deadline, 0.5),
            Next::RetryAt(at(26 * 3600))
        );
        assert_eq!(
            p.next(Answer::NoAnswer, 42, created, at(26 * 3600), 0.5),
            Next::Failed
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2026 07:28:00 GMT")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
