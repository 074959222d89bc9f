//! Publishing accepted reports to `couriers.reports`, each under its report id as `Nats-Msg-Id`.
//! A report counts as stored only once JetStream has acknowledged it.

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use contracts::CloudEvent;
use contracts::courier_reports::{self, COURIER_REPORT_RECEIVED};
use futures_util::future::try_join_all;
use platform::nats::{Nats, PUBLISH_DEADLINE};
use platform::trace;

use crate::domain::report::Accepted;

/// Where ingest's events say they come from.
pub const SOURCE: &str = "/cargo-express/ingest";

/// Why reports were not stored.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// NATS did not take or acknowledge them: the device retries (503), and the reports that
    /// did get stored are dropped as duplicates then.
    #[error("the report could not be stored ({0}); retry")]
    Unavailable(String),
    #[error("the report's event could not be written")]
    Serialize(#[from] serde_json::Error),
}

/// Publishes `reports` and waits for every acknowledgement; returns for each whether JetStream
/// already held it (a resend inside the stream's two-minute dedupe window).
#[tracing::instrument(level = "debug", skip_all, fields(reports = reports.len(), trace_id = %platform::trace::current_id()))]
pub async fn publish(nats: &Nats, reports: Vec<Accepted>) -> Result<Vec<bool>, PublishError> {
    let unavailable = PublishError::Unavailable;
    if !nats.is_connected() {
        return Err(unavailable("no connection to NATS".to_owned()));
    }
    let subject = nats.namespace().resolve(&courier_reports::subject());
    let mut acks = Vec::with_capacity(reports.len());
    for Accepted { id, report } in reports {
        let subject_id = report.report_id.clone();
        let event = CloudEvent::new(SOURCE, COURIER_REPORT_RECEIVED, subject_id, report)
            .with_id(id)
            .in_trace(trace::to_hand_on());
        let payload = serde_json::to_vec(&event)?;
        let mut message = PublishMessage::build()
            .payload(payload.into())
            .message_id(id.to_string());
        if let Some(traceparent) = &event.traceparent {
            message = message.header(trace::TRACEPARENT, traceparent.as_str());
        }
        let ack = nats
            .jetstream()
            .send_publish(subject.clone(), message)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        acks.push(ack.into_future());
    }
    let acks = tokio::time::timeout(PUBLISH_DEADLINE, try_join_all(acks))
        .await
        .map_err(|_| unavailable("JetStream did not acknowledge in time".to_owned()))?;
    match acks {
        Ok(acks) => Ok(acks.into_iter().map(|ack| ack.duplicate).collect()),
        Err(error) => {
            if error.kind() == PublishErrorKind::StreamNotFound {
                // NATS lost the stream: make it again, so the device's retry is stored.
                if let Err(error) = nats.ensure_home_of(&courier_reports::subject()).await {
                    tracing::warn!(error = %format!("{error:#}"), "could not recreate the reports' stream");
                }
            }
            Err(unavailable(error.to_string()))
        }
    }
}
