//! Sends due webhook messages and records what happened.
//!
//! Up to `max_in_flight` requests run at once, at most `max_in_flight_per_subscription` to one
//! subscription, each with a timeout and without following redirects; so a slow or dead
//! subscriber holds only its own share and others keep receiving. Messages are reserved
//! (leased) before sending, so several replicas can dispatch side by side, and results are
//! written in batches. A message that got a 2xx is marked succeeded and never sent again; a
//! crash between the 2xx and that write can resend it once, with the same `webhook-id`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use platform::db::{Db, DbError, now};
use platform::webhook_signature::{
    ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSecret, signature_header,
};
use tokio_util::sync::CancellationToken;

use super::Wakeup;
use super::retry::{Answer, RetryPolicy, parse_retry_after};
use super::url_guard::UrlGuard;
use crate::config::WebhookSettings;
use crate::db::webhooks::{self, Attempt, Claimed, Next, SubscriptionChanges};

/// How often the dispatcher looks for due messages when nothing woke it (retries come due,
/// other replicas' events).
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Results are written once this many are waiting, once the oldest waited this long, or when
/// nothing else is in flight.
const FLUSH_AT: usize = 128;
const FLUSH_AFTER: Duration = Duration::from_millis(20);

pub struct Dispatcher {
    db: Db,
    client: reqwest::Client,
    guard: UrlGuard,
    policy: RetryPolicy,
    max_in_flight: usize,
    per_subscription: usize,
    lease: Duration,
    wakeup: Wakeup,
}

/// One finished attempt, before its outcome is decided.
struct Sent {
    claimed: Claimed,
    answer: Answer,
    error: Option<String>,
    attempted_at: chrono::NaiveDateTime,
    duration: Duration,
}

impl Dispatcher {
    pub fn new(
        db: Db,
        guard: UrlGuard,
        settings: &WebhookSettings,
        wakeup: Wakeup,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(settings.timeout_ms);
        let client = platform::http_client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // A redirect could lead anywhere, internal addresses included.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(guard.resolver())
            .user_agent("cargo-express-webhooks/1")
            .pool_max_idle_per_host(settings.max_in_flight_per_subscription)
            .build()?;
        Ok(Self {
            db,
            client,
            guard,
            policy: RetryPolicy::from(settings),
            max_in_flight: settings.max_in_flight.max(1),
            per_subscription: settings.max_in_flight_per_subscription.max(1),
            lease: timeout + Duration::from_secs(30),
            wakeup,
        })
    }

    pub async fn run(self, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut in_flight = FuturesUnordered::new();
        let mut busy: HashMap<String, usize> = HashMap::new();
        let mut finished: Vec<Sent> = Vec::new();
        let mut last_flush = Instant::now();
        loop {
            let room = self.max_in_flight - in_flight.len();
            // Claiming is a write; wait for a quarter of the slots to free up before the next.
            if in_flight.is_empty() || room >= (self.max_in_flight / 4).max(1) {
                match self.claim(room, &busy).await {
                    Ok(claimed) => {
                        for message in claimed {
                            *busy
                                .entry(message.message.subscription_id.clone())
                                .or_default() += 1;
                            in_flight.push(self.send(message));
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not claim webhook messages"),
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                Some(sent) = in_flight.next(), if !in_flight.is_empty() => {
                    finished.push(sent);
                    while let Some(Some(sent)) = in_flight.next().now_or_never() {
                        finished.push(sent);
                    }
                }
                _ = self.wakeup.notified() => {}
                _ = tokio::time::sleep(POLL_INTERVAL), if in_flight.is_empty() => {}
            }
            if finished.len() >= FLUSH_AT
                || (!finished.is_empty()
                    && (in_flight.is_empty() || last_flush.elapsed() >= FLUSH_AFTER))
            {
                for sent in &finished {
                    if let Some(count) = busy.get_mut(&sent.claimed.message.subscription_id) {
                        *count = count.saturating_sub(1);
                    }
                }
                busy.retain(|_, count| *count > 0);
                self.record(std::mem::take(&mut finished)).await;
                last_flush = Instant::now();
            }
        }
        // Let what is in flight finish and record it, so nothing waits for its lease.
        while let Some(sent) = in_flight.next().await {
            finished.push(sent);
        }
        self.record(finished).await;
        Ok(())
    }

    async fn claim(
        &self,
        room: usize,
        busy: &HashMap<String, usize>,
    ) -> Result<Vec<Claimed>, DbError> {
        let (per_subscription, lease) = (self.per_subscription, self.lease);
        let busy = busy.clone();
        self.db
            .write(move |conn| {
                let now = now();
                Ok(webhooks::claim_due(
                    conn,
                    now,
                    now + lease,
                    room,
                    per_subscription,
                    &busy,
                )?)
            })
            .await
    }

    /// One signed POST. Never fails: every ending is an answer to record.
    async fn send(&self, claimed: Claimed) -> Sent {
        let started = Instant::now();
        let attempted_at = now();
        let outcome = self.post(&claimed).await;
        let (answer, error) = match outcome {
            Ok(answer) => (answer, None),
            Err(error) => (Answer::NoAnswer, Some(error)),
        };
        Sent {
            claimed,
            answer,
            error,
            attempted_at,
            duration: started.elapsed(),
        }
    }

    async fn post(&self, claimed: &Claimed) -> Result<Answer, String> {
        // Literal addresses never pass through the resolver, so they are checked here.
        self.guard.check_form(&claimed.url)?;
        let secrets = claimed
            .secrets
            .iter()
            .map(|s| WebhookSecret::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let message = &claimed.message;
        let timestamp = Utc::now().timestamp();
        let signature = signature_header(&secrets, &message.id, timestamp, message.body.as_bytes());
        let response = self
            .client
            .post(&claimed.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, &message.id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(message.body.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        Ok(Answer::Status(status, retry_after))
    }

    /// Decides what follows each attempt and writes it all in one transaction; subscriptions
    /// whose endpoint answered 410 Gone are disabled.
    async fn record(&self, finished: Vec<Sent>) {
        if finished.is_empty() {
            return;
        }
        let now = now();
        let mut gone = Vec::new();
        let decided: Vec<(Attempt, Next)> = finished
            .into_iter()
            .map(|sent| {
                let message = &sent.claimed.message;
                let next = self.policy.next(
                    sent.answer,
                    message.attempts,
                    message.created_at,
                    now,
                    rand::random::<f64>(),
                );
                let status_code = match sent.answer {
                    Answer::Status(code, _) => Some(i32::from(code)),
                    Answer::NoAnswer => None,
                };
                if status_code == Some(410) {
                    gone.push(message.subscription_id.clone());
                }
                let attempt = Attempt {
                    message_id: message.id.clone(),
                    subscription_id: message.subscription_id.clone(),
                    attempted_at: sent.attempted_at,
                    status_code,
                    error: sent.error,
                    duration_ms: sent.duration.as_millis() as i64,
                };
                (attempt, next)
            })
            .collect();
        let result = self
            .db
            .write(move |conn| -> Result<(), DbError> {
                webhooks::record_attempts(conn, &decided, now)?;
                gone.dedup();
                for subscription in &gone {
                    let disable = SubscriptionChanges {
                        enabled: Some(false),
                        disabled_reason: Some(Some("the endpoint answered 410 Gone".to_owned())),
                        updated_at: Some(now),
                        ..SubscriptionChanges::default()
                    };
                    webhooks::update_subscription(conn, subscription, &disable)?;
                }
                Ok(())
            })
            .await;
        if let Err(error) = result {
            // The leases run out and the messages are sent again: at least once, same id.
            tracing::warn!(%error, "could not record webhook attempts");
        }
    }
}

/// A short reason for a request that got no answer.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = format!("{detail}: {cause}");
        source = cause.source();
    }
    format!("{kind}: {detail}")
}
