//! One durable consumer per stream, each applying its batches to the rollups.

use std::future::Future;
use std::time::Duration;

use contracts::CloudEvent;
use contracts::courier_reports::{self, CourierReport};
use contracts::deliveries::{self, DeliveryStatusChanged};
use contracts::orders::{self, OrderStatusChanged};
use contracts::streams::{COURIER_REPORTS, DELIVERIES, ORDERS, StreamSpec};
use platform::consumer::{self, DurableConsumer, first_time};
use platform::db::{Db, DbConnection, DbError};
use platform::lifecycle::Supervisor;
use platform::nats::Nats;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::Changes;
use crate::db::rollups;
use crate::domain::rollups::{OrderChange, OutcomeTotals, ReportTotals};

/// Starts the three consumers under `supervisor`.
pub fn spawn(db: &Db, nats: &Nats, changes: &Changes, supervisor: &mut Supervisor) {
    let orders = Rollup {
        stream: ORDERS,
        consumer: "metrics-orders",
        subjects: orders::every_change(),
        apply: apply_orders,
    };
    let deliveries = Rollup {
        stream: DELIVERIES,
        consumer: "metrics-deliveries",
        subjects: deliveries::every_change(),
        apply: apply_deliveries,
    };
    let reports = Rollup {
        stream: COURIER_REPORTS,
        consumer: "metrics-courier-reports",
        subjects: courier_reports::subject(),
        apply: apply_reports,
    };
    let token = supervisor.token();
    supervisor.spawn(
        "orders-consumer",
        orders.run(db, nats, changes, token.clone()),
    );
    supervisor.spawn(
        "deliveries-consumer",
        deliveries.run(db, nats, changes, token.clone()),
    );
    supervisor.spawn(
        "courier-reports-consumer",
        reports.run(db, nats, changes, token),
    );
}

/// One stream's consumer: which events it takes and how a batch of them changes the rollups.
struct Rollup<T> {
    stream: StreamSpec,
    /// The durable consumer's name, also the key of its ids in `processed_events`.
    consumer: &'static str,
    /// The subjects taken, as `contracts` builds them.
    subjects: String,
    apply: fn(&mut DbConnection, &[T]) -> Result<(), DbError>,
}

fn apply_orders(conn: &mut DbConnection, events: &[OrderStatusChanged]) -> Result<(), DbError> {
    for event in events {
        rollups::apply_order_change(conn, &OrderChange::from(event))?;
    }
    Ok(())
}

fn apply_deliveries(
    conn: &mut DbConnection,
    events: &[DeliveryStatusChanged],
) -> Result<(), DbError> {
    let mut totals = OutcomeTotals::default();
    events.iter().for_each(|e| totals.add(e));
    Ok(rollups::add_outcomes(conn, &totals)?)
}

fn apply_reports(conn: &mut DbConnection, events: &[CourierReport]) -> Result<(), DbError> {
    let mut totals = ReportTotals::default();
    events.iter().for_each(|e| totals.add(e));
    Ok(rollups::add_reports(conn, &totals)?)
}

impl<T: DeserializeOwned + Send + 'static> Rollup<T> {
    /// Applies each batch's first-seen events in one transaction that also records their ids,
    /// then tells the live streams.
    fn run(
        self,
        db: &Db,
        nats: &Nats,
        changes: &Changes,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + use<T> {
        let spec = DurableConsumer {
            stream: self.stream,
            name: self.consumer.to_owned(),
            filter_subject: self.subjects,
            ack_wait: Duration::from_secs(30),
            max_batch: 500,
        };
        let (db, changes, name, apply) = (db.clone(), changes.clone(), self.consumer, self.apply);
        let announcer = nats.clone();
        let handler = move |events: Vec<CloudEvent<T>>| {
            let (db, changes, nats) = (db.clone(), changes.clone(), announcer.clone());
            async move {
                db.write(move |conn| -> Result<(), DbError> {
                    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
                    let mut fresh = first_time(conn, name, &ids)?;
                    // Taking each id out as it is used counts an event twice in one batch once.
                    let data: Vec<T> = events
                        .into_iter()
                        .filter(|e| fresh.remove(&e.id.to_string()))
                        .map(|e| e.data)
                        .collect();
                    apply(conn, &data)
                })
                .await
                .map_err(anyhow::Error::from)?;
                changes.applied(&nats).await;
                Ok(())
            }
        };
        consumer::consume(nats.clone(), spec, cancel, handler)
    }
}
