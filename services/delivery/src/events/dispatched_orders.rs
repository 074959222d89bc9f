//! Dispatching an order in ecommerce creates its delivery: this durable consumer of
//! `orders.dispatched` (shared by every replica) creates one delivery per order. A redelivered
//! event finds the order's delivery and creates nothing.

use std::time::Duration;

use contracts::CloudEvent;
use contracts::orders::{self, OrderStatus, OrderStatusChanged};
use contracts::streams::ORDERS;
use platform::consumer::{self, DurableConsumer};
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use platform::trace::{self, TraceContext};
use tokio_util::sync::CancellationToken;

use crate::delivery_flow::{self, Created, DeliveryFlowError, NewDelivery, NewProduct};
use crate::domain::owner;
use crate::worker::TickClock;

pub fn run(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    clock: TickClock,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let spec = DurableConsumer {
        stream: ORDERS,
        name: "delivery-orders-dispatched".to_owned(),
        filter_subject: orders::subject(OrderStatus::Dispatched),
        ack_wait: Duration::from_secs(30),
        max_batch: 200,
    };
    let handler = move |events: Vec<CloudEvent<OrderStatusChanged>>| {
        let (db, signal) = (db.clone(), signal.clone());
        async move {
            let orders: Vec<(Option<TraceContext>, NewDelivery)> = events
                .iter()
                .map(|e| {
                    let trace = e.traceparent.as_deref().and_then(TraceContext::parse);
                    (trace, delivery_for(&e.data))
                })
                .collect();
            let created = db
                .write(move |conn| -> Result<usize, DeliveryFlowError> {
                    let tick = clock.current();
                    let mut created = 0;
                    for (trace, order) in orders {
                        // The delivery's first event continues the dispatch's trace.
                        let new = trace::with(trace, || {
                            delivery_flow::create(conn, &order, owner::MARKETPLACE, tick)
                        })?;
                        if let Created::New(_) = new {
                            created += 1;
                        }
                    }
                    Ok(created)
                })
                .await
                .map_err(anyhow::Error::from)?;
            if created > 0 {
                signal.notify();
                tracing::info!(created, "deliveries created for dispatched orders");
            }
            Ok(())
        }
    };
    consumer::consume(nats, spec, cancel, handler)
}

fn delivery_for(order: &OrderStatusChanged) -> NewDelivery {
    NewDelivery {
        foreign_order_id: order.order_id.clone(),
        products: order
            .lines
            .iter()
            .map(|line| NewProduct {
                sku: line.sku.clone(),
                name: line.name.clone(),
                quantity: line.quantity,
            })
            .collect(),
        origin_address: order.origin.address.clone(),
        destination_name: order.destination.name.clone(),
        destination_address: order.destination.address.clone(),
    }
}
