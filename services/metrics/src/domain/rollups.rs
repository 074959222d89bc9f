//! How a batch of events adds up: per (hour, courier) and (hour, product) increments for courier
//! reports, per (hour, courier) attempt outcomes for deliveries, and the milestones of orders.
//! A batch is summed here first so that the database sees one upsert per key, not per event.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, NaiveDateTime, TimeDelta, Utc};
use contracts::courier_reports::CourierReport;
use contracts::deliveries::{DeliveryStatus, DeliveryStatusChanged};
use contracts::orders::{OrderStatus, OrderStatusChanged};

/// The start of the UTC hour `at` falls in: the bucket every rollup is kept by.
pub fn hour_of(at: DateTime<Utc>) -> NaiveDateTime {
    at.duration_trunc(TimeDelta::hours(1))
        .unwrap_or(at)
        .naive_utc()
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourierHour {
    pub reports: i64,
    pub units: i64,
    pub revenue_cents: i64,
    pub lag_ms_sum: i64,
    pub lag_ms_max: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductHour {
    pub units: i64,
    pub revenue_cents: i64,
}

/// What a batch of courier reports adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTotals {
    pub couriers: BTreeMap<(NaiveDateTime, i64), CourierHour>,
    pub products: BTreeMap<(NaiveDateTime, String), ProductHour>,
    pub courier_names: BTreeMap<i64, String>,
    pub product_names: BTreeMap<String, String>,
}

impl ReportTotals {
    pub fn add(&mut self, report: &CourierReport) {
        let hour = hour_of(report.delivered_at);
        // A device clock ahead of ingest's gives a negative lag; it counts as none.
        let lag_ms = (report.received_at - report.delivered_at)
            .num_milliseconds()
            .max(0);
        let courier = self.couriers.entry((hour, report.courier_id)).or_default();
        courier.reports += 1;
        courier.units += report.units;
        courier.revenue_cents += report.total_cents;
        courier.lag_ms_sum += lag_ms;
        courier.lag_ms_max = courier.lag_ms_max.max(lag_ms);
        self.courier_names
            .insert(report.courier_id, report.courier_name.clone());
        for line in &report.lines {
            let product = self.products.entry((hour, line.sku.clone())).or_default();
            product.units += line.quantity;
            product.revenue_cents += line.quantity * line.unit_price_cents;
            self.product_names
                .insert(line.sku.clone(), line.name.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.couriers.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub delivered: i64,
    pub not_delivered: i64,
}

/// What a batch of delivery status changes adds: the attempts' outcomes per courier and hour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeTotals(pub BTreeMap<(NaiveDateTime, i64), Outcomes>);

impl OutcomeTotals {
    pub fn add(&mut self, change: &DeliveryStatusChanged) {
        let outcome = match change.status {
            DeliveryStatus::Delivered => Outcomes {
                delivered: 1,
                not_delivered: 0,
            },
            DeliveryStatus::NotDelivered => Outcomes {
                delivered: 0,
                not_delivered: 1,
            },
            _ => return,
        };
        let entry = self
            .0
            .entry((hour_of(change.changed_at), change.courier_id))
            .or_default();
        entry.delivered += outcome.delivered;
        entry.not_delivered += outcome.not_delivered;
    }
}

/// One order event as the `orders` rollup takes it: the status (kept if it is the latest) and
/// the milestone it marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChange {
    pub order_id: String,
    pub status: OrderStatus,
    pub changed_at: NaiveDateTime,
    pub created_at: Option<NaiveDateTime>,
    pub dispatched_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

impl From<&OrderStatusChanged> for OrderChange {
    fn from(event: &OrderStatusChanged) -> Self {
        let at = event.changed_at.naive_utc();
        let when = |status| (event.status == status).then_some(at);
        Self {
            order_id: event.order_id.clone(),
            status: event.status,
            changed_at: at,
            created_at: when(OrderStatus::Created),
            dispatched_at: when(OrderStatus::Dispatched),
            delivered_at: when(OrderStatus::Delivered),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use contracts::courier_reports::ReportLine;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap()
    }

    fn report(courier_id: i64, delivered_at: DateTime<Utc>, lag_ms: i64) -> CourierReport {
        let line = |sku: &str, quantity, price| ReportLine {
            sku: sku.to_owned(),
            name: sku.to_uppercase(),
            quantity,
            unit_price_cents: price,
        };
        CourierReport {
            report_id: "r".to_owned(),
            courier_id,
            courier_name: format!("Courier {courier_id}"),
            lines: vec![line("pk0001", 2, 100), line("pk0004", 1, 1200)],
            units: 3,
            total_cents: 1400,
            delivered_at,
            received_at: delivered_at + TimeDelta::milliseconds(lag_ms),
            tracking_number: None,
        }
    }

    #[test]
    fn reports_add_up_per_courier_and_product_hour() {
        let mut totals = ReportTotals::default();
        totals.add(&report(101, at(8, 10, 0), 40));
        totals.add(&report(101, at(8, 59, 59), 100));
        totals.add(&report(102, at(9, 0, 0), 10));

        let eight = hour_of(at(8, 0, 0));
        assert_eq!(
            totals.couriers[&(eight, 101)],
            CourierHour {
                reports: 2,
                units: 6,
                revenue_cents: 2800,
                lag_ms_sum: 140,
                lag_ms_max: 100,
            }
        );
        assert_eq!(totals.couriers[&(hour_of(at(9, 0, 0)), 102)].reports, 1);
        assert_eq!(
            totals.products[&(eight, "pk0001".to_owned())],
            ProductHour {
                units: 4,
                revenue_cents: 400
            }
        );
        assert_eq!(totals.product_names["pk0004"], "PK0004");
    }

    #[test]
    fn only_final_attempts_count_as_outcomes() {
        let change = |status, courier_id| DeliveryStatusChanged {
            delivery_id: "d".to_owned(),
            tracking_number: "t".to_owned(),
            foreign_order_id: "o".to_owned(),
            courier_id,
            marketplace_order: true,
            status,
            previous_status: None,
            changed_at: at(10, 5, 0),
        };
        let mut totals = OutcomeTotals::default();
        totals.add(&change(DeliveryStatus::InOrigin, 101));
        totals.add(&change(DeliveryStatus::NotDelivered, 101));
        totals.add(&change(DeliveryStatus::Delivered, 101));
        totals.add(&change(DeliveryStatus::Delivered, 101));
        assert_eq!(
            totals.0[&(hour_of(at(10, 0, 0)), 101)],
            Outcomes {
                delivered: 2,
                not_delivered: 1
            }
        );
        assert_eq!(totals.0.len(), 1);
    }
}
