//! One durable consumer per order status (seed 002's "one queue and one processor per status"):
//! each does its status's follow-up work, an audit log line and the order statistics, once per
//! event however often the event is delivered.

use std::time::Duration;

use contracts::CloudEvent;
use contracts::orders::{OrderStatus, OrderStatusChanged};
use contracts::streams::ORDERS;
use platform::consumer::{self, DurableConsumer};
use platform::db::{Db, DbError};
use platform::lifecycle::Supervisor;
use platform::nats::Nats;

use crate::db::orders;

/// Starts one consumer per status under `supervisor`.
pub fn spawn_all(supervisor: &mut Supervisor, db: &Db, nats: &Nats) {
    for status in OrderStatus::ALL {
        let spec = DurableConsumer {
            stream: ORDERS,
            name: consumer_name(status),
            subject_suffix: status.as_str().to_owned(),
            ack_wait: Duration::from_secs(30),
        };
        let db = db.clone();
        let handler = move |event: CloudEvent<OrderStatusChanged>| {
            let db = db.clone();
            async move { follow_up(&db, status, event).await }
        };
        supervisor.spawn(
            task_name(status),
            consumer::consume(nats.clone(), spec, supervisor.token(), handler),
        );
    }
}

fn consumer_name(status: OrderStatus) -> String {
    format!("ecommerce-orders-{}", status.as_str())
}

fn task_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => "orders-created-consumer",
        OrderStatus::Confirmed => "orders-confirmed-consumer",
        OrderStatus::Dispatched => "orders-dispatched-consumer",
        OrderStatus::Delivered => "orders-delivered-consumer",
        OrderStatus::Cancelled => "orders-cancelled-consumer",
    }
}

/// Counts the order in its new status and writes the audit line, once per event id.
async fn follow_up(
    db: &Db,
    status: OrderStatus,
    event: CloudEvent<OrderStatusChanged>,
) -> anyhow::Result<()> {
    let consumer = consumer_name(status);
    let event_id = event.id.to_string();
    let order = event.data;
    let amount = order.total_cents;
    let first = db
        .write(move |conn| -> Result<bool, DbError> {
            if !consumer::first_time(conn, &consumer, &event_id)? {
                return Ok(false);
            }
            orders::count_in_statistics(conn, status, amount)?;
            Ok(true)
        })
        .await?;
    if first {
        tracing::info!(
            target: "audit",
            order_id = %order.order_id,
            purchase_id = %order.purchase_id,
            seller_id = %order.seller_id,
            buyer_id = %order.buyer_id,
            status = status.as_str(),
            previous_status = order.previous_status.map(OrderStatus::as_str),
            total_cents = order.total_cents,
            "order status changed"
        );
    }
    Ok(())
}
