//! A courier's report as a device sends it ([`Submission`]), the rules it must meet, and the
//! priced [`CourierReport`] it becomes. The catalog and the fleet come in through [`Reference`]
//! so the rules are tested without NATS.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, Utc};
use contracts::catalog::CatalogProduct;
use contracts::courier_reports::{CourierReport, ReportLine};
use contracts::couriers::Courier;
use platform::error::InvalidParam;
use uuid::Uuid;

/// What a report may hold (from settings).
#[derive(Debug, Clone)]
pub struct Limits {
    /// The offset naive timestamps (seed 000's) are read in.
    pub local_offset: FixedOffset,
    pub max_clock_skew: TimeDelta,
    pub max_age: TimeDelta,
    pub max_products: usize,
    pub max_quantity: i64,
    pub max_batch: usize,
}

/// The reference data a report is checked against.
pub trait Reference {
    fn product(&self, sku: &str) -> Option<CatalogProduct>;
    fn courier(&self, id: i64) -> Option<Courier>;
}

/// The request shape a submission came in, so that errors name the fields the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Seed 000's generator: `pedido_id`, `repartidor.IdRepartidor`, `productos[].IdProducto`.
    Seed,
    /// `/v1/reports`: `report_id`, `courier_id`, `lines[].sku` with `quantity`.
    V1,
}

impl Dialect {
    pub fn report_id(self) -> &'static str {
        match self {
            Dialect::Seed => "pedido_id",
            Dialect::V1 => "report_id",
        }
    }

    pub fn courier(self) -> &'static str {
        match self {
            Dialect::Seed => "repartidor.IdRepartidor",
            Dialect::V1 => "courier_id",
        }
    }

    fn products(self) -> &'static str {
        match self {
            Dialect::Seed => "productos",
            Dialect::V1 => "lines",
        }
    }

    fn sku(self, index: usize) -> String {
        match self {
            Dialect::Seed => format!("productos[{index}].IdProducto"),
            Dialect::V1 => format!("lines[{index}].sku"),
        }
    }

    fn quantity(self, index: usize) -> String {
        format!("{}[{index}].quantity", self.products())
    }

    fn delivered_at(self) -> &'static str {
        match self {
            Dialect::Seed => "timestamp",
            Dialect::V1 => "delivered_at",
        }
    }
}

/// One product entry as sent; seed 000 repeats an entry instead of sending a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub sku: String,
    pub quantity: i64,
}

/// A report as a device sent it, before any rule is checked.
#[derive(Debug, Clone)]
pub struct Submission {
    pub dialect: Dialect,
    pub report_id: String,
    pub courier_id: i64,
    pub items: Vec<Item>,
    /// RFC 3339 with an offset, or a naive local time (`2026-11-23 08:10:11.123456`).
    pub delivered_at: String,
    pub tracking_number: Option<String>,
    /// Fields already found missing or of the wrong type while the body was read; they are
    /// answered first, and the rules do not blame them a second time.
    pub unreadable: Vec<InvalidParam>,
}

/// Why a report was refused: every field at fault and, when the fix is not in a field alone,
/// how to put it right.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub faults: Vec<InvalidParam>,
    pub advice: Option<String>,
}

/// A report that met every rule, ready to publish under `id`.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: Uuid,
    pub report: CourierReport,
}

impl Submission {
    /// Checks every rule, collecting every field at fault, and prices the report from the
    /// catalog. `now` is when the report was received.
    pub fn accept(
        &self,
        reference: &impl Reference,
        limits: &Limits,
        now: DateTime<Utc>,
    ) -> Result<Accepted, Refusal> {
        let dialect = self.dialect;
        let mut errors = self.unreadable.clone();
        let mut advice = None;
        let mut fault = |name: String, reason: String| {
            if !self.is_unreadable(&name) {
                errors.push(InvalidParam { name, reason });
            }
        };

        let id = Uuid::parse_str(self.report_id.trim()).ok();
        if id.is_none() {
            fault(
                dialect.report_id().to_owned(),
                "must be a UUID chosen by the device, the same on every retry".to_owned(),
            );
        }
        let courier = self.courier(reference, &mut fault);
        let lines = self.lines(reference, limits, &mut fault);
        let delivered_at = match parse_time(&self.delivered_at, limits.local_offset) {
            None => {
                fault(
                    dialect.delivered_at().to_owned(),
                    "must be a time like 2026-11-23 08:10:11.123456 (local) or RFC 3339".to_owned(),
                );
                None
            }
            Some(at) if at > now + limits.max_clock_skew => {
                fault(
                    dialect.delivered_at().to_owned(),
                    format!(
                        "is in the future (more than {} s ahead of the server's clock)",
                        limits.max_clock_skew.num_seconds()
                    ),
                );
                if !has_offset(&self.delivered_at) {
                    advice = Some(zone_advice(dialect, at - now, limits.local_offset));
                }
                None
            }
            Some(at) if at < now - limits.max_age => {
                fault(
                    dialect.delivered_at().to_owned(),
                    format!("is older than {} hours", limits.max_age.num_hours()),
                );
                None
            }
            Some(at) => Some(at),
        };
        let tracking_number = match self.tracking_number.as_deref().map(str::trim) {
            Some(number) if !is_tracking_number(number) => {
                fault(
                    "tracking_number".to_owned(),
                    "must be 1 to 64 letters, digits or '-'".to_owned(),
                );
                None
            }
            other => other.map(str::to_owned),
        };
        match (id, courier, lines, delivered_at) {
            (Some(id), Some(courier), Some(lines), Some(delivered_at)) if errors.is_empty() => {
                let units = lines.iter().map(|l| l.quantity).sum();
                let total_cents = lines.iter().map(|l| l.quantity * l.unit_price_cents).sum();
                Ok(Accepted {
                    id,
                    report: CourierReport {
                        report_id: id.to_string(),
                        courier_id: courier.id,
                        courier_name: courier.name,
                        lines,
                        units,
                        total_cents,
                        delivered_at,
                        received_at: now,
                        tracking_number,
                    },
                })
            }
            _ => Err(Refusal {
                faults: errors,
                advice,
            }),
        }
    }

    /// Whether `name` (or the object or list holding it) was found unreadable already.
    fn is_unreadable(&self, name: &str) -> bool {
        self.unreadable.iter().any(|f| {
            name.strip_prefix(f.name.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    fn courier(
        &self,
        reference: &impl Reference,
        fault: &mut impl FnMut(String, String),
    ) -> Option<Courier> {
        let field = self.dialect.courier().to_owned();
        match reference.courier(self.courier_id) {
            Some(courier) if courier.active => Some(courier),
            Some(_) => {
                fault(field, format!("courier {} is not active", self.courier_id));
                None
            }
            None => {
                fault(
                    field,
                    format!("courier {} is not in the fleet", self.courier_id),
                );
                None
            }
        }
    }

    /// One line per product (repeated entries add up), priced from the catalog.
    fn lines(
        &self,
        reference: &impl Reference,
        limits: &Limits,
        fault: &mut impl FnMut(String, String),
    ) -> Option<Vec<ReportLine>> {
        let dialect = self.dialect;
        if self.items.is_empty() {
            fault(
                dialect.products().to_owned(),
                "must list at least one product".to_owned(),
            );
            return None;
        }
        if self.items.len() > limits.max_products {
            fault(
                dialect.products().to_owned(),
                format!("must list at most {} products", limits.max_products),
            );
            return None;
        }
        let mut lines: BTreeMap<&str, ReportLine> = BTreeMap::new();
        let mut valid = true;
        for (index, item) in self.items.iter().enumerate() {
            if !(1..=limits.max_quantity).contains(&item.quantity) {
                fault(
                    dialect.quantity(index),
                    format!("must be between 1 and {}", limits.max_quantity),
                );
                valid = false;
            }
            let Some(product) = reference.product(item.sku.trim()) else {
                fault(
                    dialect.sku(index),
                    format!("product {:?} is not in the catalog", item.sku),
                );
                valid = false;
                continue;
            };
            lines
                .entry(item.sku.trim())
                .or_insert_with(|| ReportLine {
                    sku: product.sku,
                    name: product.name,
                    quantity: 0,
                    unit_price_cents: product.price_cents,
                })
                .quantity += item.quantity;
        }
        if let Some(line) = lines.values().find(|l| l.quantity > limits.max_quantity) {
            fault(
                dialect.products().to_owned(),
                format!(
                    "holds {} units of {}; at most {} per product",
                    line.quantity, line.sku, limits.max_quantity
                ),
            );
            valid = false;
        }
        valid.then(|| lines.into_values().collect())
    }
}

/// RFC 3339 (`2026-11-23T08:10:11-05:00`), or a naive time read at `local_offset`.
pub fn parse_time(raw: &str, local_offset: FixedOffset) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.to_utc());
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .and_then(|naive| naive.and_local_timezone(local_offset).single())
        .map(|at| at.to_utc())
}

/// Whether `raw` says its own offset (RFC 3339); otherwise it is read at the local offset.
fn has_offset(raw: &str) -> bool {
    DateTime::parse_from_rfc3339(raw.trim()).is_ok()
}

/// Seed 000's generator writes `str(datetime.now())`, the machine's local time without a zone.
/// Run on a machine whose clock is not Bogotá's (a UTC server), every report lands hours in the
/// future; the answer says the two ways out, since neither is visible from the field alone.
fn zone_advice(dialect: Dialect, ahead: TimeDelta, local_offset: FixedOffset) -> String {
    let field = dialect.delivered_at();
    let hours = (ahead.num_minutes() as f64 / 60.0 * 10.0).round() / 10.0;
    format!(
        "{field} has no time zone, so it was read as local time at UTC{local_offset} (setting \
         INGEST__REPORTS__LOCAL_UTC_OFFSET), which puts it {hours} h ahead of the server's \
         clock. Send the time with its UTC offset (2026-11-23T08:10:11-05:00; in Python \
         datetime.datetime.now().astimezone().isoformat()), or have the operator set \
         INGEST__REPORTS__LOCAL_UTC_OFFSET to the devices' offset (+00:00 for devices on UTC)."
    )
}

fn is_tracking_number(number: &str) -> bool {
    (1..=64).contains(&number.len())
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::TimeZone;

    use super::*;

    struct Seed {
        products: HashMap<String, CatalogProduct>,
        couriers: HashMap<i64, Courier>,
    }

    impl Reference for Seed {
        fn product(&self, sku: &str) -> Option<CatalogProduct> {
            self.products.get(sku).cloned()
        }

        fn courier(&self, id: i64) -> Option<Courier> {
            self.couriers.get(&id).cloned()
        }
    }

    fn reference() -> Seed {
        let product = |sku: &str, name: &str, price_cents| {
            (
                sku.to_owned(),
                CatalogProduct {
                    sku: sku.to_owned(),
                    name: name.to_owned(),
                    price_cents,
                    seller_id: "s".to_owned(),
                },
            )
        };
        let courier = |id, name: &str, active| {
            (
                id,
                Courier {
                    id,
                    name: name.to_owned(),
                    active,
                },
            )
        };
        Seed {
            products: [
                product("pk0001", "Moneda", 100),
                product("pk0004", "Pendrive", 1200),
            ]
            .into(),
            couriers: [
                courier(101, "María López", true),
                courier(102, "Carlos García", false),
            ]
            .into(),
        }
    }

    fn limits() -> Limits {
        Limits {
            local_offset: FixedOffset::west_opt(5 * 3600).unwrap(),
            max_clock_skew: TimeDelta::seconds(300),
            max_age: TimeDelta::hours(168),
            max_products: 100,
            max_quantity: 1000,
            max_batch: 500,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 13, 10, 30).unwrap()
    }

    fn seed_submission(skus: &[&str]) -> Submission {
        Submission {
            dialect: Dialect::Seed,
            report_id: "6f1c7a3e-2b1d-4e8e-9a57-1d2c3b4a5f60".to_owned(),
            courier_id: 101,
            items: skus
                .iter()
                .map(|sku| Item {
                    sku: (*sku).to_owned(),
                    quantity: 1,
                })
                .collect(),
            delivered_at: "2026-11-23 08:10:11.123456".to_owned(),
            tracking_number: None,
            unreadable: vec![],
        }
    }

    fn fields(refusal: Refusal) -> Vec<String> {
        refusal.faults.into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn repeated_products_add_up_and_the_catalog_sets_the_price() {
        let accepted = seed_submission(&["pk0001", "pk0004", "pk0001"])
            .accept(&reference(), &limits(), now())
            .unwrap();
        let report = accepted.report;
        assert_eq!(report.lines.len(), 2);
        assert_eq!(report.lines[0].sku, "pk0001");
        assert_eq!(report.lines[0].quantity, 2);
        assert_eq!(report.units, 3);
        assert_eq!(report.total_cents, 2 * 100 + 1200);
        assert_eq!(report.courier_name, "María López");
        assert_eq!(report.received_at, now());
    }

    #[test]
    fn naive_timestamps_are_read_in_the_local_offset() {
        let report = seed_submission(&["pk0001"])
            .accept(&reference(), &limits(), now())
            .unwrap()
            .report;
        // 08:10:11 in Bogotá (UTC-5) is 13:10:11 UTC.
        assert_eq!(
            report.delivered_at,
            Utc.with_ymd_and_hms(2026, 11, 23, 13, 10, 11).unwrap()
                + TimeDelta::microseconds(123_456)
        );
        let offset = FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(
            parse_time("2026-11-23T13:10:11Z", offset),
            parse_time("2026-11-23 08:10:11", offset)
        );
    }

    #[test]
    fn every_field_at_fault_is_named() {
        let mut submission = seed_submission(&["pk0001", "pk9999"]);
        submission.report_id = "not-a-uuid".to_owned();
        submission.courier_id = 999;
        submission.delivered_at = "yesterday".to_owned();
        let errors = submission
            .accept(&reference(), &limits(), now())
            .unwrap_err();
        assert_eq!(
            fields(errors),
            [
                "pedido_id",
                "repartidor.IdRepartidor",
                "productos[1].IdProducto",
                "timestamp"
            ]
        );
    }

    #[test]
    fn empty_lists_zero_quantities_and_inactive_couriers_are_refused() {
        let empty = seed_submission(&[]);
        assert_eq!(
            fields(empty.accept(&reference(), &limits(), now()).unwrap_err()),
            ["productos"]
        );
        let mut zero = seed_submission(&["pk0001"]);
        zero.dialect = Dialect::V1;
        zero.items[0].quantity = 0;
        assert_eq!(
            fields(zero.accept(&reference(), &limits(), now()).unwrap_err()),
            ["lines[0].quantity"]
        );
        let mut inactive = seed_submission(&["pk0001"]);
        inactive.courier_id = 102;
        assert_eq!(
            fields(inactive.accept(&reference(), &limits(), now()).unwrap_err()),
            ["repartidor.IdRepartidor"]
        );
    }

    #[test]
    fn times_far_in_the_future_or_past_are_refused() {
        let mut future = seed_submission(&["pk0001"]);
        future.dialect = Dialect::V1;
        future.delivered_at = "2026-11-23T13:20:00Z".to_owned();
        assert_eq!(
            fields(future.accept(&reference(), &limits(), now()).unwrap_err()),
            ["delivered_at"]
        );
        let mut skewed = seed_submission(&["pk0001"]);
        skewed.delivered_at = "2026-11-23T13:14:00Z".to_owned();
        assert!(skewed.accept(&reference(), &limits(), now()).is_ok());
        let mut old = seed_submission(&["pk0001"]);
        old.delivered_at = "2026-11-01 08:00:00".to_owned();
        assert_eq!(
            fields(old.accept(&reference(), &limits(), now()).unwrap_err()),
            ["timestamp"]
        );
    }

    #[test]
    fn a_zoneless_time_hours_ahead_is_answered_with_how_to_fix_it() {
        // What the generator writes on a UTC machine at 13:10:11 UTC.
        let mut utc_machine = seed_submission(&["pk0001"]);
        utc_machine.delivered_at = "2026-11-23 13:10:11.000001".to_owned();
        let refusal = utc_machine
            .accept(&reference(), &limits(), now())
            .unwrap_err();
        assert_eq!(fields(refusal.clone()), ["timestamp"]);
        let advice = refusal.advice.unwrap();
        assert!(
            advice.contains("INGEST__REPORTS__LOCAL_UTC_OFFSET"),
            "{advice}"
        );
        assert!(
            advice.contains("UTC-05:00") && advice.contains("5 h ahead"),
            "{advice}"
        );
        // A time that says its zone is simply in the future: no zone advice.
        let mut zoned = seed_submission(&["pk0001"]);
        zoned.delivered_at = "2026-11-23T18:10:11Z".to_owned();
        assert!(
            zoned
                .accept(&reference(), &limits(), now())
                .unwrap_err()
                .advice
                .is_none()
        );
    }

    #[test]
    fn unreadable_fields_are_blamed_once_and_the_rest_still_checked() {
        let mut submission = seed_submission(&["", "pk9999"]);
        submission.unreadable = vec![InvalidParam {
            name: "productos[0]".to_owned(),
            reason: "must be an object".to_owned(),
        }];
        submission.delivered_at = "ayer".to_owned();
        let refusal = submission
            .accept(&reference(), &limits(), now())
            .unwrap_err();
        assert_eq!(
            fields(refusal),
            ["productos[0]", "productos[1].IdProducto", "timestamp"]
        );
    }

    #[test]
    fn tracking_numbers_are_checked() {
        let mut bad = seed_submission(&["pk0001"]);
        bad.tracking_number = Some("CX 12/34".to_owned());
        assert_eq!(
            fields(bad.accept(&reference(), &limits(), now()).unwrap_err()),
            ["tracking_number"]
        );
        let mut good = seed_submission(&["pk0001"]);
        good.tracking_number = Some("CX0123456789ABCDEF".to_owned());
        let report = good.accept(&reference(), &limits(), now()).unwrap().report;
        assert_eq!(
            report.tracking_number.as_deref(),
            Some("CX0123456789ABCDEF")
        );
    }
}
