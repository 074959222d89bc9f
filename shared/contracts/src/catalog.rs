//! The product catalog as published by ecommerce to the `catalog` KV bucket (key = SKU).
//!
//! Ingest and metrics read it to validate courier reports and to price them: the catalog price
//! is authoritative, never the price a device sends.

use serde::{Deserialize, Serialize};

/// One product in the `catalog` bucket. Prices are in cents to keep arithmetic exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogProduct {
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub seller_id: String,
}
