//! A courier's report that carries a tracking number closes that delivery: this durable consumer
//! of `couriers.reports` (shared by every replica) marks it DELIVERED. Reports without a tracking
//! number are seed 000's plain reports and concern metrics only.

use std::time::Duration;

use contracts::CloudEvent;
use contracts::courier_reports::{self, CourierReport};
use contracts::streams::COURIER_REPORTS;
use platform::consumer::{self, DurableConsumer};
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use platform::trace::{self, TraceContext};
use tokio_util::sync::CancellationToken;

use crate::delivery_flow::{self, DeliveryFlowError, Reported};

pub fn run(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let spec = DurableConsumer {
        stream: COURIER_REPORTS,
        name: "delivery-courier-reports".to_owned(),
        filter_subject: courier_reports::subject(),
        ack_wait: Duration::from_secs(30),
        max_batch: 200,
    };
    let handler = move |events: Vec<CloudEvent<CourierReport>>| {
        let (db, signal) = (db.clone(), signal.clone());
        async move {
            let closing: Vec<(Option<TraceContext>, String, String, i64)> = events
                .into_iter()
                .filter_map(|e| {
                    let trace = e.traceparent.as_deref().and_then(TraceContext::parse);
                    let report = e.data;
                    let number = report.tracking_number?;
                    Some((trace, report.report_id, number, report.courier_id))
                })
                .collect();
            if closing.is_empty() {
                return Ok(());
            }
            let outcomes = db
                .write(move |conn| -> Result<_, DeliveryFlowError> {
                    let mut outcomes = Vec::with_capacity(closing.len());
                    for (trace, report_id, number, courier_id) in closing {
                        // The delivery's event continues the report's trace.
                        let outcome = trace::with(trace, || {
                            delivery_flow::deliver_reported(conn, &number, courier_id)
                        })?;
                        outcomes.push((report_id, number, outcome));
                    }
                    Ok(outcomes)
                })
                .await
                .map_err(anyhow::Error::from)?;
            for (report_id, tracking_number, outcome) in outcomes {
                match outcome {
                    Reported::Delivered { from } => {
                        signal.notify();
                        tracing::info!(%report_id, %tracking_number, from = from.as_str(), "delivered by courier report");
                    }
                    Reported::AlreadyDelivered => {}
                    Reported::NoSuchDelivery => {
                        tracing::warn!(%report_id, %tracking_number, "courier report names an unknown delivery");
                    }
                    Reported::OtherCourier { courier_id } => {
                        tracing::warn!(%report_id, %tracking_number, courier_id, "courier report names another courier's delivery; ignored");
                    }
                }
            }
            Ok(())
        }
    };
    consumer::consume(nats, spec, cancel, handler)
}
