//! One durable consumer per order status (seed 002's "one queue and one processor per status"):
//! each does its status's follow-up work, an audit log line and the order statistics, once per
//! event however often the event is delivered.

use std::collections::HashSet;
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
            filter_subject: contracts::orders::subject(status),
            ack_wait: Duration::from_secs(30),
            max_batch: 200,
        };
        let db = db.clone();
        let handler = move |events: Vec<CloudEvent<OrderStatusChanged>>| {
            let db = db.clone();
            async move { follow_up(&db, status, events).await }
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

/// Counts the orders of a batch in their new status and writes their audit lines, once per
/// event id however often an event is delivered.
async fn follow_up(
    db: &Db,
    status: OrderStatus,
    events: Vec<CloudEvent<OrderStatusChanged>>,
) -> anyhow::Result<()> {
    let consumer = consumer_name(status);
    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
    let amounts: Vec<(String, i64)> = events
        .iter()
        .map(|e| (e.id.to_string(), e.data.total_cents))
        .collect();
    let fresh = db
        .write(move |conn| -> Result<HashSet<String>, DbError> {
            let fresh = consumer::first_time(conn, &consumer, &ids)?;
            let amount: i64 = amounts
                .iter()
                .filter(|(id, _)| fresh.contains(id))
                .map(|(_, cents)| cents)
                .sum();
            if !fresh.is_empty() {
                orders::count_in_statistics(conn, status, fresh.len() as i64, amount)?;
            }
            Ok(fresh)
        })
        .await?;
    for event in events.iter().filter(|e| fresh.contains(&e.id.to_string())) {
        let order = &event.data;
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
