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
use std::sync::Arc;

use platform::db::DbError;
use platform::trace::TraceContext;

use serde_json::json;

use crate::domain::{Quantity, SellerId};

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
    /// The trace of the request that placed it: its `orders.created` events continue it,
    /// although its batch is written outside the request.
    pub trace: Option<TraceContext>,
}

/// How a purchase request was answered: the answer's body, stored with its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Placed now.
    Fresh(String),
    /// Its key was used before for the same purchase: the first request's answer.
    Replayed(String),
}

/// Why a purchase was not placed; `routes::problems` answers each over HTTP.
#[derive(Debug, thiserror::Error)]
pub enum PurchaseError {
    /// No product has these SKUs.
    #[error("unknown SKUs")]
    UnknownSkus(Vec<UnknownSku>),
    /// These products' sellers have no warehouse address yet, so they cannot be shipped.
    #[error("products without a warehouse")]
    WithoutWarehouse(Vec<Unshippable>),
    /// These products have less stock left than the purchase asks for.
    #[error("not enough stock")]
    ShortOfStock(Vec<Shortage>),
    /// The `Idempotency-Key` answered a different purchase before.
    #[error("the idempotency key was already used for a different purchase")]
    KeyReused,
    #[error("the service is stopping")]
    Stopping,
    /// The batch writing the purchase panicked or gave it no answer.
    #[error("the batch writing this purchase gave no answer")]
    Unanswered,
    #[error("the purchase's event or answer could not be written")]
    Serialize(#[from] serde_json::Error),
    /// The database refused the purchase, written in a transaction of its own (a constraint
    /// it broke, e.g. a buyer deleted since logging in).
    #[error(transparent)]
    Refused(DbError),
    /// The transaction of the purchase's batch failed as a whole (no connection, or the commit
    /// itself): every purchase of the batch shares the cause.
    #[error(transparent)]
    BatchFailed(Arc<DbError>),
}

/// An SKU of the purchase that no product has, and the line that asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSku {
    pub sku: String,
    pub line: usize,
}

/// A product whose seller has set no warehouse address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unshippable {
    pub sku: String,
    pub seller_id: SellerId,
}

/// A product with less stock left than asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub sku: String,
    pub product_id: String,
    pub requested: i64,
    pub available: i64,
}
