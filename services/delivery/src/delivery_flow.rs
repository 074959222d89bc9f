//! Creating a delivery: shared by the API and the `orders.dispatched` consumer, so both give
//! the same result, including for an order that already has its delivery.

use chrono::Utc;
use contracts::deliveries::DeliveryStatus;
use platform::db::{DbConnection, DbError, DieselError};
use platform::outbox;

use crate::db::couriers;
use crate::db::deliveries::{self, DeliveryRow, Key, ProductRow, StatusChange};
use crate::domain::{DeliveryId, tracking_number};
use crate::events::deliveries::{Changed, status_changed};

/// Why a delivery was not created or moved; `routes::problems` answers each over HTTP.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryFlowError {
    #[error("no active courier can take the delivery")]
    NoCourier,
    /// A worker tick moved the delivery between reading and writing it.
    #[error("delivery {0} moved while the courier report was applied")]
    MovedMeanwhile(DeliveryId),
    #[error(transparent)]
    Database(DbError),
    #[error("the delivery's event could not be written")]
    Event(#[from] serde_json::Error),
}

platform::database_errors!(DeliveryFlowError);

/// A delivery as asked for, already validated.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub foreign_order_id: String,
    pub products: Vec<NewProduct>,
    pub origin_address: String,
    pub destination_name: String,
    pub destination_address: String,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
}

/// Whether the call created the delivery or found the order's existing one.
pub enum Created {
    New(deliveries::Delivery),
    Existing(deliveries::Delivery),
}

/// Creates the delivery READY_FOR_PICK_UP with the least loaded courier, its first history row
/// and its event; or returns the delivery the order already has. `created_by` owns it, and
/// its foreign order id is looked up among that owner's only (`domain::owner`). `tick` is the worker's
/// current tick: a new delivery waits for the next one before it moves.
#[tracing::instrument(level = "debug", skip_all,
    fields(foreign_order_id = %new.foreign_order_id, trace_id = %platform::trace::current_id()))]
pub fn create(
    conn: &mut DbConnection,
    new: &NewDelivery,
    created_by: &str,
    tick: i64,
) -> Result<Created, DeliveryFlowError> {
    let order = Key::Order {
        owner: created_by,
        foreign_order_id: &new.foreign_order_id,
    };
    let existing = |conn: &mut DbConnection| deliveries::find(conn, order).map(Created::Existing);
    match existing(conn) {
        Err(DieselError::NotFound) => {}
        found => return Ok(found?),
    }
    let courier = couriers::least_loaded(conn)?.ok_or(DeliveryFlowError::NoCourier)?;
    let at = Utc::now();
    let now = at.naive_utc();
    let status = DeliveryStatus::ReadyForPickUp;
    let row = DeliveryRow {
        id: DeliveryId::generate(),
        tracking_number: tracking_number::generate(),
        foreign_order_id: new.foreign_order_id.clone(),
        courier_id: courier.id,
        status,
        origin_address: new.origin_address.clone(),
        destination_name: new.destination_name.clone(),
        destination_address: new.destination_address.clone(),
        last_tick: tick,
        created_by: created_by.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let products: Vec<ProductRow> = new
        .products
        .iter()
        .zip(0..)
        .map(|(p, position)| ProductRow {
            delivery_id: row.id.clone(),
            position,
            sku: p.sku.clone(),
            name: p.name.clone(),
            quantity: p.quantity,
        })
        .collect();
    if !deliveries::insert(conn, &row, &products)? {
        // Another transaction created it since the lookup (PostgreSQL only).
        return Ok(existing(conn)?);
    }
    deliveries::record_history(
        conn,
        &[StatusChange {
            delivery_id: &row.id,
            status,
            tick: None,
            changed_by: created_by,
            changed_at: now,
        }],
    )?;
    let event = status_changed(
        Changed {
            delivery_id: &row.id,
            tracking_number: &row.tracking_number,
            foreign_order_id: &row.foreign_order_id,
            courier_id: row.courier_id,
            created_by: &row.created_by,
        },
        status,
        None,
        at,
    )?;
    outbox::enqueue(conn, &[event])?;
    Ok(Created::New(deliveries::find(conn, Key::Id(&row.id))?))
}

/// What a courier's report did to the delivery it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// The delivery moved to DELIVERED from the status it was in.
    Delivered {
        from: DeliveryStatus,
    },
    AlreadyDelivered,
    NoSuchDelivery,
    /// The delivery belongs to another courier; the report does not touch it.
    OtherCourier {
        courier_id: i64,
    },
}

/// A courier reported the delivery `tracking_number` handed over: it becomes DELIVERED from
/// whatever status it was in, with its history row and event. A report seen again finds it
/// delivered and changes nothing.
#[tracing::instrument(level = "debug", skip(conn), fields(trace_id = %platform::trace::current_id()))]
pub fn deliver_reported(
    conn: &mut DbConnection,
    tracking_number: &str,
    courier_id: i64,
) -> Result<Reported, DeliveryFlowError> {
    let delivered = DeliveryStatus::Delivered;
    let delivery = match deliveries::find(conn, Key::TrackingNumber(tracking_number)) {
        Err(DieselError::NotFound) => return Ok(Reported::NoSuchDelivery),
        found => found?.row,
    };
    if delivery.courier_id != courier_id {
        return Ok(Reported::OtherCourier {
            courier_id: delivery.courier_id,
        });
    }
    let from = delivery.status;
    if from == delivered {
        return Ok(Reported::AlreadyDelivered);
    }
    let at = Utc::now();
    let now = at.naive_utc();
    // Conditional on the status read: if a worker tick moved it meanwhile, the caller's
    // transaction fails and the report is handled again.
    if !deliveries::move_one(conn, &delivery.id, from, delivered, now)? {
        return Err(DeliveryFlowError::MovedMeanwhile(delivery.id));
    }
    deliveries::record_history(
        conn,
        &[StatusChange {
            delivery_id: &delivery.id,
            status: delivered,
            tick: None,
            changed_by: REPORTED_BY,
            changed_at: now,
        }],
    )?;
    let event = status_changed(
        Changed {
            delivery_id: &delivery.id,
            tracking_number: &delivery.tracking_number,
            foreign_order_id: &delivery.foreign_order_id,
            courier_id: delivery.courier_id,
            created_by: &delivery.created_by,
        },
        delivered,
        Some(from),
        at,
    )?;
    outbox::enqueue(conn, &[event])?;
    Ok(Reported::Delivered { from })
}

/// Who the history says delivered a reported delivery.
pub const REPORTED_BY: &str = "courier report";
