//! One durable consumer per stream, each applying its batches to the rollups.

use std::future::Future;
use std::time::Duration;

use contracts::CloudEvent;
use contracts::courier_reports::{CourierReport, REPORTS};
use contracts::deliveries::DeliveryStatusChanged;
use contracts::orders::OrderStatusChanged;
use contracts::streams::{COURIER_REPORTS, DELIVERIES, ORDERS, StreamSpec};
use platform::consumer::{self, DurableConsumer, first_time};
use platform::db::{Db, DbConnection, DbError};
use platform::lifecycle::Supervisor;
use platform::nats::Nats;
use serde::de::DeserializeOwned;

use super::Changes;
use crate::db::rollups;
use crate::domain::rollups::{OrderChange, OutcomeTotals, ReportTotals};

/// Starts the three consumers under `supervisor`.
pub fn spawn(db: &Db, nats: &Nats, changes: &Changes, supervisor: &mut Supervisor) {
    let token = supervisor.token();
    supervisor.spawn(
        "orders-consumer",
        run(
            db,
            nats,
            changes,
            ORDERS,
            "metrics-orders",
            ">",
            token.clone(),
            apply_orders,
        ),
    );
    supervisor.spawn(
        "deliveries-consumer",
        run(
            db,
            nats,
            changes,
            DELIVERIES,
            "metrics-deliveries",
            "status.>",
            token.clone(),
            apply_deliveries,
        ),
    );
    supervisor.spawn(
        "courier-reports-consumer",
        run(
            db,
            nats,
            changes,
            COURIER_REPORTS,
            "metrics-courier-reports",
            REPORTS,
            token,
            apply_reports,
        ),
    );
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

/// Consumes `stream`'s `subject_suffix` as the durable consumer `name`, applying each batch's
/// first-seen events with `apply` in one transaction, then telling the live streams.
#[allow(clippy::too_many_arguments)]
fn run<T>(
    db: &Db,
    nats: &Nats,
    changes: &Changes,
    stream: StreamSpec,
    name: &'static str,
    subject_suffix: &str,
    cancel: tokio_util::sync::CancellationToken,
    apply: fn(&mut DbConnection, &[T]) -> Result<(), DbError>,
) -> impl Future<Output = anyhow::Result<()>> + use<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let spec = DurableConsumer {
        stream,
        name: name.to_owned(),
        subject_suffix: subject_suffix.to_owned(),
        ack_wait: Duration::from_secs(30),
        max_batch: 500,
    };
    let (db, changes) = (db.clone(), changes.clone());
    let handler = move |events: Vec<CloudEvent<T>>| {
        let (db, changes) = (db.clone(), changes.clone());
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
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            changes.notify();
            Ok(())
        }
    };
    consumer::consume(nats.clone(), spec, cancel, handler)
}
