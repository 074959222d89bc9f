//! Purchases, committed in groups (issue 14): the requests that arrive while a batch is being
//! written wait, and are written together in the next transaction, so many purchases share one
//! commit. Each purchase is still decided on its own: a purchase short of stock is refused with
//! its own answer and its neighbours in the batch go through (see [`batch`]).
//!
//! - [`batch`]: the workflow for one batch, inside one write transaction.
//! - [`group_commit`]: the task that gathers requests into batches, and the handle routes use.

pub mod batch;
pub mod group_commit;

use std::collections::BTreeMap;

use serde_json::json;

use crate::domain::Quantity;

pub use group_commit::{GroupCommitSettings, PurchaseBatcher};

/// A validated purchase: quantities per SKU (repeated SKUs already added up), and where to deliver.
#[derive(Debug, Clone)]
pub struct Purchase {
    pub lines: BTreeMap<String, Quantity>,
    /// Position of each SKU in the request, for naming the field at fault.
    pub positions: BTreeMap<String, usize>,
    pub delivery_name: String,
    pub delivery_address: String,
}

impl Purchase {
    /// What identifies the purchase for an idempotency key: the same key with another
    /// fingerprint is a different purchase.
    pub fn fingerprint(&self) -> String {
        let lines: BTreeMap<&str, i64> = self
            .lines
            .iter()
            .map(|(sku, q)| (sku.as_str(), q.units()))
            .collect();
        json!({"lines": lines, "delivery": [self.delivery_name, self.delivery_address]}).to_string()
    }
}

/// A buyer's purchase on its way to be placed, with the `Idempotency-Key` it came with, if any.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub buyer_id: String,
    pub purchase: Purchase,
    pub key: Option<String>,
}

/// How a purchase request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Placed now: the answer's body.
    Fresh(String),
    /// Its key was used before: the first request's fingerprint and answer.
    Stored { fingerprint: String, body: String },
}
