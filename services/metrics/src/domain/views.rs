//! Each metric as the API answers it, computed from a window's rollup rows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use contracts::orders::OrderStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::window::Window;
use crate::db::queries::{CourierHourRow, Names, OutcomeHourRow, ProductHourRow};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowDto {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl From<&Window> for WindowDto {
    fn from(window: &Window) -> Self {
        Self {
            from: window.from,
            to: window.to,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourierHour {
    /// The start of the UTC hour.
    pub hour: DateTime<Utc>,
    pub courier_id: i64,
    pub courier_name: String,
    /// Delivered orders the courier reported in that hour.
    pub deliveries: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourierTotal {
    pub courier_id: i64,
    pub courier_name: String,
    pub deliveries: i64,
}

/// Reported deliveries per hour per courier, and each courier's total over the window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveriesPerHour {
    pub window: WindowDto,
    pub hours: Vec<CourierHour>,
    /// Most deliveries first.
    pub couriers: Vec<CourierTotal>,
}

pub fn deliveries_per_hour(
    window: &Window,
    rows: &[CourierHourRow],
    names: &Names,
) -> DeliveriesPerHour {
    let mut totals: BTreeMap<i64, i64> = BTreeMap::new();
    let hours = rows
        .iter()
        .map(|row| {
            *totals.entry(row.courier_id).or_default() += row.reports;
            CourierHour {
                hour: row.hour.and_utc(),
                courier_id: row.courier_id,
                courier_name: names.courier(row.courier_id),
                deliveries: row.reports,
            }
        })
        .collect();
    let mut couriers: Vec<CourierTotal> = totals
        .into_iter()
        .map(|(courier_id, deliveries)| CourierTotal {
            courier_id,
            courier_name: names.courier(courier_id),
            deliveries,
        })
        .collect();
    couriers.sort_by_key(|c| std::cmp::Reverse(c.deliveries));
    DeliveriesPerHour {
        window: window.into(),
        hours,
        couriers,
    }
}

/// What products are ranked by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    #[default]
    Units,
    Revenue,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductTotal {
    pub sku: String,
    pub name: String,
    pub units: i64,
    /// Priced from the catalog when reported.
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopProducts {
    pub window: WindowDto,
    pub by: Ranking,
    pub products: Vec<ProductTotal>,
}

pub fn top_products(
    window: &Window,
    rows: &[ProductHourRow],
    names: &Names,
    by: Ranking,
    limit: usize,
) -> TopProducts {
    let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let total = totals.entry(&row.sku).or_default();
        total.0 += row.units;
        total.1 += row.revenue_cents;
    }
    let mut products: Vec<ProductTotal> = totals
        .into_iter()
        .map(|(sku, (units, revenue_cents))| ProductTotal {
            sku: sku.to_owned(),
            name: names.product(sku),
            units,
            revenue_cents,
        })
        .collect();
    // Ties keep SKU order (the sort is stable), so the ranking is the same on every call.
    match by {
        Ranking::Units => products.sort_by_key(|p| std::cmp::Reverse(p.units)),
        Ranking::Revenue => products.sort_by_key(|p| std::cmp::Reverse(p.revenue_cents)),
    }
    products.truncate(limit);
    TopProducts {
        window: window.into(),
        by,
        products,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HourRevenue {
    pub hour: DateTime<Utc>,
    pub revenue_cents: i64,
    pub reports: i64,
    pub units: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RevenuePerHour {
    pub window: WindowDto,
    pub hours: Vec<HourRevenue>,
    pub total_revenue_cents: i64,
    pub total_reports: i64,
    pub total_units: i64,
}

pub fn revenue_per_hour(window: &Window, rows: &[CourierHourRow]) -> RevenuePerHour {
    let mut hours: BTreeMap<NaiveDateTime, HourRevenue> = BTreeMap::new();
    for row in rows {
        let hour = hours.entry(row.hour).or_insert_with(|| HourRevenue {
            hour: row.hour.and_utc(),
            revenue_cents: 0,
            reports: 0,
            units: 0,
        });
        hour.revenue_cents += row.revenue_cents;
        hour.reports += row.reports;
        hour.units += row.units;
    }
    let hours: Vec<HourRevenue> = hours.into_values().collect();
    RevenuePerHour {
        window: window.into(),
        total_revenue_cents: hours.iter().map(|h| h.revenue_cents).sum(),
        total_reports: hours.iter().map(|h| h.reports).sum(),
        total_units: hours.iter().map(|h| h.units).sum(),
        hours,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourierOutcome {
    pub courier_id: i64,
    pub courier_name: String,
    pub delivered: i64,
    pub not_delivered: i64,
    /// delivered / (delivered + not_delivered); absent without attempts.
    pub delivered_rate: Option<f64>,
}

/// The outcome of delivery attempts (DELIVERED vs NOT_DELIVERED) per courier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryOutcomes {
    pub window: WindowDto,
    pub couriers: Vec<CourierOutcome>,
    pub delivered: i64,
    pub not_delivered: i64,
    pub delivered_rate: Option<f64>,
}

fn rate(delivered: i64, not_delivered: i64) -> Option<f64> {
    let attempts = delivered + not_delivered;
    (attempts > 0).then(|| delivered as f64 / attempts as f64)
}

pub fn delivery_outcomes(
    window: &Window,
    rows: &[OutcomeHourRow],
    names: &Names,
) -> DeliveryOutcomes {
    let mut totals: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let total = totals.entry(row.courier_id).or_default();
        total.0 += row.delivered;
        total.1 += row.not_delivered;
    }
    let couriers: Vec<CourierOutcome> = totals
        .into_iter()
        .map(|(courier_id, (delivered, not_delivered))| CourierOutcome {
            courier_id,
            courier_name: names.courier(courier_id),
            delivered,
            not_delivered,
            delivered_rate: rate(delivered, not_delivered),
        })
        .collect();
    let delivered = couriers.iter().map(|c| c.delivered).sum();
    let not_delivered = couriers.iter().map(|c| c.not_delivered).sum();
    DeliveryOutcomes {
        window: window.into(),
        couriers,
        delivered,
        not_delivered,
        delivered_rate: rate(delivered, not_delivered),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub orders: i64,
}

/// Orders created in the window, by their current status (every status listed, zeros too).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrdersByStatus {
    pub window: WindowDto,
    pub statuses: Vec<StatusCount>,
    pub total: i64,
}

pub fn orders_by_status(window: &Window, counts: &[(String, i64)]) -> OrdersByStatus {
    let statuses: Vec<StatusCount> = OrderStatus::ALL
        .iter()
        .map(|status| StatusCount {
            status: status.as_str().to_owned(),
            orders: counts
                .iter()
                .filter(|(s, _)| s == status.as_str())
                .map(|(_, n)| n)
                .sum(),
        })
        .collect();
    OrdersByStatus {
        window: window.into(),
        total: statuses.iter().map(|s| s.orders).sum(),
        statuses,
    }
}

/// How long orders delivered in the window took from dispatch to delivered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DispatchToDelivered {
    pub window: WindowDto,
    pub orders: i64,
    pub average_seconds: Option<f64>,
    pub max_seconds: Option<f64>,
}

pub fn dispatch_to_delivered(
    window: &Window,
    times: &[(NaiveDateTime, NaiveDateTime)],
) -> DispatchToDelivered {
    let seconds: Vec<f64> = times
        .iter()
        .map(|(dispatched, delivered)| (*delivered - *dispatched).as_seconds_f64())
        .collect();
    DispatchToDelivered {
        window: window.into(),
        orders: seconds.len() as i64,
        average_seconds: (!seconds.is_empty())
            .then(|| seconds.iter().sum::<f64>() / seconds.len() as f64),
        max_seconds: seconds.iter().copied().reduce(f64::max),
    }
}

/// From a report's delivery time on the device to its acceptance by ingest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IngestLag {
    pub window: WindowDto,
    pub reports: i64,
    pub average_ms: Option<f64>,
    pub max_ms: Option<i64>,
}

pub fn ingest_lag(window: &Window, rows: &[CourierHourRow]) -> IngestLag {
    let reports: i64 = rows.iter().map(|r| r.reports).sum();
    let sum: i64 = rows.iter().map(|r| r.lag_ms_sum).sum();
    IngestLag {
        window: window.into(),
        reports,
        average_ms: (reports > 0).then(|| sum as f64 / reports as f64),
        max_ms: rows.iter().map(|r| r.lag_ms_max).max(),
    }
}

/// Every metric at once, as the dashboard shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub window: WindowDto,
    pub deliveries_per_hour: DeliveriesPerHour,
    pub top_products_by_units: TopProducts,
    pub top_products_by_revenue: TopProducts,
    pub revenue_per_hour: RevenuePerHour,
    pub delivery_outcomes: DeliveryOutcomes,
    pub orders_by_status: OrdersByStatus,
    pub dispatch_to_delivered: DispatchToDelivered,
    pub ingest_lag: IngestLag,
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn window() -> Window {
        let to = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        Window::parse(None, Some(to), to).unwrap()
    }

    fn hour(h: u32) -> NaiveDateTime {
        Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0)
            .unwrap()
            .naive_utc()
    }

    fn courier_row(h: u32, courier_id: i64, reports: i64, revenue_cents: i64) -> CourierHourRow {
        CourierHourRow {
            hour: hour(h),
            courier_id,
            reports,
            units: reports * 2,
            revenue_cents,
            lag_ms_sum: reports * 50,
            lag_ms_max: 80 + courier_id,
        }
    }

    #[test]
    fn hourly_rows_sum_per_courier_and_per_hour() {
        let rows = [
            courier_row(8, 101, 3, 900),
            courier_row(8, 102, 5, 100),
            courier_row(9, 101, 4, 50),
        ];
        let names = Names::default();
        let deliveries = deliveries_per_hour(&window(), &rows, &names);
        assert_eq!(deliveries.hours.len(), 3);
        let totals: Vec<(i64, i64)> = deliveries
            .couriers
            .iter()
            .map(|c| (c.courier_id, c.deliveries))
            .collect();
        assert_eq!(totals, [(101, 7), (102, 5)]);

        let revenue = revenue_per_hour(&window(), &rows);
        let per_hour: Vec<i64> = revenue.hours.iter().map(|h| h.revenue_cents).collect();
        assert_eq!(per_hour, [1000, 50]);
        assert_eq!(revenue.total_reports, 12);

        let lag = ingest_lag(&window(), &rows);
        assert_eq!(lag.average_ms, Some(50.0));
        assert_eq!(lag.max_ms, Some(182));
    }

    #[test]
    fn products_rank_by_units_or_revenue() {
        let row = |sku: &str, units, revenue_cents| ProductHourRow {
            hour: hour(8),
            sku: sku.to_owned(),
            units,
            revenue_cents,
        };
        let rows = [
            row("pk0001", 10, 1000),
            row("pk0004", 2, 2400),
            row("pk0001", 5, 500),
        ];
        let names = Names::default();
        let by_units = top_products(&window(), &rows, &names, Ranking::Units, 10);
        assert_eq!(by_units.products[0].sku, "pk0001");
        assert_eq!(by_units.products[0].units, 15);
        let by_revenue = top_products(&window(), &rows, &names, Ranking::Revenue, 1);
        assert_eq!(by_revenue.products.len(), 1);
        assert_eq!(by_revenue.products[0].sku, "pk0004");
    }

    #[test]
    fn rates_averages_and_status_counts() {
        let outcome = |courier_id, delivered, not_delivered| OutcomeHourRow {
            hour: hour(8),
            courier_id,
            delivered,
            not_delivered,
        };
        let outcomes = delivery_outcomes(
            &window(),
            &[outcome(101, 3, 1), outcome(102, 0, 0)],
            &Names::default(),
        );
        assert_eq!(outcomes.couriers[0].delivered_rate, Some(0.75));
        assert_eq!(outcomes.couriers[1].delivered_rate, None);
        assert_eq!(outcomes.delivered_rate, Some(0.75));

        let start = hour(8);
        let times = [
            (start, start + TimeDelta::seconds(60)),
            (start, start + TimeDelta::seconds(120)),
        ];
        let took = dispatch_to_delivered(&window(), &times);
        assert_eq!(took.average_seconds, Some(90.0));
        assert_eq!(took.max_seconds, Some(120.0));

        let statuses = orders_by_status(&window(), &[("dispatched".to_owned(), 2)]);
        assert_eq!(statuses.statuses.len(), 5);
        assert_eq!(statuses.total, 2);
    }
}
