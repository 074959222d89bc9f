//! Courier reports on the COURIER_REPORTS stream: `couriers.reports`, written by ingest.
//!
//! A report says that a courier handed an order over. Ingest prices it from the catalog (the
//! device's prices are not trusted) and stamps when it was received, so every consumer (delivery
//! for the tracking number, metrics for the numbers) reads the same facts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// CloudEvents `type` of [`CourierReport`].
pub const COURIER_REPORT_RECEIVED: &str = "co.cargoexpress.courier.report_received.v1";

/// The subject suffix of reports: `couriers.reports`.
pub const REPORTS: &str = "reports";

/// The subject every report is published on: `couriers.reports`.
pub fn subject() -> String {
    crate::streams::COURIER_REPORTS.subject(REPORTS)
}

/// One product of a report, priced from the catalog when the report was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

/// Payload of every `couriers.reports` event. Its CloudEvent `id` is the report id the device
/// chose (seed 000's `pedido_id`), which is also the JetStream `Nats-Msg-Id`: a report sent twice
/// is stored once, and a consumer that sees it twice counts it once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourierReport {
    pub report_id: String,
    pub courier_id: i64,
    pub courier_name: String,
    /// One line per product, quantities summed.
    pub lines: Vec<ReportLine>,
    pub units: i64,
    pub total_cents: i64,
    /// When the courier handed the order over, as the device says.
    pub delivered_at: DateTime<Utc>,
    /// When ingest accepted the report; `received_at - delivered_at` is the ingest lag.
    pub received_at: DateTime<Utc>,
    /// The delivery the report closes, when the device knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
}
