//! Sends due webhook messages and records what happened.
//!
//! Up to `max_in_flight` requests run at once, at most `max_in_flight_per_subscription` to one
//! subscription, each with a timeout and without following redirects; so a slow or dead
//! subscriber holds only its own share and others keep receiving. Messages are reserved
//! (leased) before sending, a round ahead per subscription so claiming is one transaction per
//! many messages; several replicas can dispatch side by side; results are written in batches. A message that got a 2xx is marked succeeded and never sent again; a
//! crash between the 2xx and that write can resend it once, with the same `webhook-id`.
//! Before each request the subscription's gate is asked: what was claimed before the
//! subscription was deleted, disabled or changed is given back unsent.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use platform::db::{Db, DbError, now};
use platform::trace::{self, TraceContext};
use platform::webhook_signature::{
    ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSecret, signature_header,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Wakeup;
use super::gate::SubscriptionGate;
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
/// How many rounds of `max_in_flight_per_subscription` messages a dispatcher holds per
/// subscription: one being sent, the others claimed ahead. The lease covers
/// the wait of the last round even when every request before it times out.
const ROUNDS_HELD: usize = 4;

pub struct Dispatcher {
    db: Db,
    client: reqwest::Client,
    guard: UrlGuard,
    policy: RetryPolicy,
    max_in_flight: usize,
    per_subscription: usize,
    lease: Duration,
    wakeup: Wakeup,
    gate: SubscriptionGate,
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
        gate: SubscriptionGate,
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
            lease: timeout * (ROUNDS_HELD as u32 + 1) + Duration::from_secs(30),
            wakeup,
            gate,
        })
    }

    pub async fn run(self, cancel: CancellationToken) -> anyhow::Result<()> {
        // Writing results never holds up sending: a task of its own records them in batches.
        let (results, to_record) = mpsc::unbounded_channel::<Vec<Sent>>();
        let recorder = tokio::spawn(record_all(self.db.clone(), self.policy, to_record));
        let mut in_flight = FuturesUnordered::new();
        // Claimed and not yet finished, per subscription; and of those, the ones being sent.
        let mut held: HashMap<String, usize> = HashMap::new();
        let mut sending: HashMap<String, usize> = HashMap::new();
        // Claimed ahead, waiting for a free slot of their subscription, with the gate's epoch
        // of their claim.
        let mut queue: VecDeque<(Claimed, u64)> = VecDeque::new();
        let mut claiming: Option<JoinHandle<Result<Vec<Claimed>, DbError>>> = None;
        let mut claim_epoch = 0;
        let mut finished: Vec<Sent> = Vec::new();
        let mut last_flush = Instant::now();
        // Claiming is a write: it happens when woken, at each poll, and once enough messages
        // have finished to make it worth a transaction. It runs beside the sending.
        let (mut claim_wanted, mut freed) = (true, 0);
        let worth_claiming = self.per_subscription.min(self.max_in_flight).max(1);
        loop {
            let waiting = in_flight.len() + queue.len();
            if claim_wanted && claiming.is_none() && waiting < 2 * self.max_in_flight {
                (claim_wanted, freed) = (false, 0);
                claim_epoch = self.gate.epoch();
                claiming = Some(tokio::spawn(
                    self.claim(2 * self.max_in_flight - waiting, &held),
                ));
            }
            for _ in 0..queue.len() {
                let Some((message, epoch)) = queue.pop_front() else {
                    break;
                };
                let subscription = &message.message.subscription_id;
                if !self.gate.is_open(subscription, epoch) {
                    release(&mut held, subscription);
                    finished.push(Sent::withdrawn(message));
                    continue;
                }
                let busy = sending.get(subscription).copied().unwrap_or(0);
                if in_flight.len() < self.max_in_flight && busy < self.per_subscription {
                    *sending.entry(subscription.clone()).or_default() += 1;
                    in_flight.push(self.send(message, epoch));
                } else {
                    queue.push_back((message, epoch));
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                Some(sent) = in_flight.next(), if !in_flight.is_empty() => {
                    let mut done = vec![sent];
                    while let Some(Some(sent)) = in_flight.next().now_or_never() {
                        done.push(sent);
                    }
                    for sent in &done {
                        let subscription = &sent.claimed.message.subscription_id;
                        release(&mut held, subscription);
                        release(&mut sending, subscription);
                    }
                    // A gone endpoint gets nothing more, not even what was claimed for it.
                    for sent in done.iter().filter(|s| s.answer.is_gone()) {
                        let gone = &sent.claimed.message.subscription_id;
                        queue.retain(|(m, _)| m.message.subscription_id != *gone);
                        held.remove(gone);
                    }
                    freed += done.len();
                    claim_wanted |= freed >= worth_claiming;
                    finished.extend(done);
                }
                claimed = wait_for(&mut claiming), if claiming.is_some() => {
                    claiming = None;
                    match claimed {
                        Ok(Ok(claimed)) => {
                            for message in claimed {
                                *held.entry(message.message.subscription_id.clone()).or_default() += 1;
                                queue.push_back((message, claim_epoch));
                            }
                        }
                        Ok(Err(error)) => tracing::warn!(%error, "could not claim webhook messages"),
                        Err(error) => tracing::error!(%error, "the claim task failed"),
                    }
                }
                _ = self.wakeup.notified() => claim_wanted = true,
                _ = tokio::time::sleep(POLL_INTERVAL), if in_flight.is_empty() => claim_wanted = true,
            }
            if !finished.is_empty()
                && (finished.len() >= FLUSH_AT
                    || in_flight.is_empty()
                    || last_flush.elapsed() >= FLUSH_AFTER)
            {
                // The recorder only stops when this sender is dropped, below.
                let _ = results.send(std::mem::take(&mut finished));
                last_flush = Instant::now();
            }
        }
        // Let what is in flight finish and record it, so nothing waits for its lease; what is
        // only queued is left to its lease and taken again by the next dispatcher.
        while let Some(sent) = in_flight.next().await {
            finished.push(sent);
        }
        let _ = results.send(finished);
        drop(results);
        recorder.await?;
        Ok(())
    }

    /// Reserves due messages in a task of its own.
    fn claim(
        &self,
        room: usize,
        held: &HashMap<String, usize>,
    ) -> impl Future<Output = Result<Vec<Claimed>, DbError>> + Send + 'static {
        // Rounds per subscription: one in flight, the rest claimed ahead, so that one claim
        // serves many messages.
        let (per_subscription, lease) = (ROUNDS_HELD * self.per_subscription, self.lease);
        let (db, held) = (self.db.clone(), held.clone());
        async move {
            db.write(move |conn| {
                let now = now();
                Ok(webhooks::claim_due(
                    conn,
                    now,
                    now + lease,
                    room,
                    per_subscription,
                    &held,
                )?)
            })
            .await
        }
    }

    /// One signed POST, unless the subscription changed since the claim at `epoch`. Never
    /// fails: every ending is an answer to record.
    async fn send(&self, claimed: Claimed, epoch: u64) -> Sent {
        if !self.gate.is_open(&claimed.message.subscription_id, epoch) {
            return Sent::withdrawn(claimed);
        }
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
        let mut request = self
            .client
            .post(&claimed.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, &message.id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature);
        // The subscriber can continue the trace of the request that changed the status.
        if let Some(trace) = message.traceparent.as_deref().and_then(TraceContext::parse) {
            request = request.header(trace::TRACEPARENT, trace.child().to_string());
        }
        let response = request
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
}

impl Sent {
    /// A message given back unsent.
    fn withdrawn(claimed: Claimed) -> Self {
        Self {
            claimed,
            answer: Answer::Withdrawn,
            error: None,
            attempted_at: now(),
            duration: Duration::ZERO,
        }
    }
}

/// Records batches of finished attempts until the dispatcher stops, merging what waits.
async fn record_all(db: Db, policy: RetryPolicy, mut batches: mpsc::UnboundedReceiver<Vec<Sent>>) {
    while let Some(mut finished) = batches.recv().await {
        while let Ok(more) = batches.try_recv() {
            finished.extend(more);
        }
        record(&db, policy, finished).await;
    }
}

/// Decides what follows each attempt and writes it all in one transaction; subscriptions
/// whose endpoint answered 410 Gone are disabled. Should that transaction fail, each
/// subscription's attempts are written in a transaction of their own, so one subscription's
/// trouble never undoes another's record (which would send its messages again).
async fn record(db: &Db, policy: RetryPolicy, finished: Vec<Sent>) {
    let (withdrawn, finished): (Vec<Sent>, Vec<Sent>) = finished
        .into_iter()
        .partition(|sent| sent.answer == Answer::Withdrawn);
    if !withdrawn.is_empty() {
        let ids: Vec<String> = withdrawn
            .into_iter()
            .map(|s| s.claimed.message.id)
            .collect();
        let given_back = db
            .write(move |conn| -> Result<usize, DbError> { Ok(webhooks::give_back(conn, &ids)?) })
            .await;
        if let Err(error) = given_back {
            // Their leases run out instead; nothing is sent to the changed subscription.
            tracing::warn!(%error, "could not give back withdrawn webhook messages");
        }
    }
    if finished.is_empty() {
        return;
    }
    let now = now();
    let decided: Vec<(Attempt, Next)> = finished
        .into_iter()
        .map(|sent| {
            let message = &sent.claimed.message;
            let next = policy.next(
                sent.answer,
                message.attempts,
                message.created_at,
                now,
                rand::random::<f64>(),
            );
            let status_code = match sent.answer {
                Answer::Status(code, _) => Some(i32::from(code)),
                Answer::NoAnswer | Answer::Withdrawn => None,
            };
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
    let Err(error) = write_records(db, decided.clone(), now).await else {
        return;
    };
    tracing::warn!(%error, "could not record a batch of webhook attempts; recording each subscription's apart");
    let mut by_subscription: HashMap<String, Vec<(Attempt, Next)>> = HashMap::new();
    for (attempt, next) in decided {
        by_subscription
            .entry(attempt.subscription_id.clone())
            .or_default()
            .push((attempt, next));
    }
    for (subscription, records) in by_subscription {
        if let Err(error) = write_records(db, records, now).await {
            // The leases run out and these messages are sent again: at least once, same id.
            tracing::warn!(%error, %subscription, "could not record webhook attempts");
        }
    }
}

/// Writes `records` in one transaction, disabling first the subscriptions whose endpoint
/// answered 410 Gone. Subscriptions before messages is the order a deletion locks them in,
/// so a subscription deleted meanwhile makes one wait for the other, never a deadlock.
async fn write_records(
    db: &Db,
    records: Vec<(Attempt, Next)>,
    now: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    let mut gone: Vec<String> = records
        .iter()
        .filter(|(attempt, _)| attempt.status_code == Some(410))
        .map(|(attempt, _)| attempt.subscription_id.clone())
        .collect();
    gone.sort();
    gone.dedup();
    db.write(move |conn| -> Result<(), DbError> {
        for subscription in &gone {
            let disable = SubscriptionChanges {
                enabled: Some(false),
                disabled_reason: Some(Some("the endpoint answered 410 Gone".to_owned())),
                updated_at: Some(now),
                ..SubscriptionChanges::default()
            };
            webhooks::update_subscription(conn, subscription, &disable)?;
        }
        webhooks::record_attempts(conn, &records, now)?;
        Ok(())
    })
    .await
}

/// One fewer for `subscription`.
fn release(counts: &mut HashMap<String, usize>, subscription: &str) {
    if let Some(count) = counts.get_mut(subscription) {
        *count -= 1;
        if *count == 0 {
            counts.remove(subscription);
        }
    }
}

/// The running claim's outcome (only polled while there is one).
async fn wait_for(
    claiming: &mut Option<JoinHandle<Result<Vec<Claimed>, DbError>>>,
) -> Result<Result<Vec<Claimed>, DbError>, tokio::task::JoinError> {
    match claiming {
        Some(task) => task.await,
        None => std::future::pending().await,
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
