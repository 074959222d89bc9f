//! The catalog in the `catalog` KV bucket (key = SKU), which ecommerce alone writes.
//!
//! Every product change enqueues its KV write in the outbox, in the transaction of the change,
//! so the bucket follows the database in commit order and never misses a change while NATS is
//! down. At start-up the whole catalog is enqueued once more, and keys of products that no
//! longer exist are deleted, which repairs a bucket that was lost or created empty.

use contracts::catalog::CatalogProduct;
use contracts::streams::CATALOG;
use std::collections::HashSet;

use futures_util::TryStreamExt;
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::{self, OutboxMessage};

use crate::db::products::{self, Product};

/// The KV write announcing `product` as it now is.
pub fn product_put(product: &Product) -> Result<OutboxMessage, serde_json::Error> {
    let entry = CatalogProduct {
        sku: product.sku.clone(),
        name: product.name.clone(),
        price_cents: product.price_cents,
        seller_id: product.seller_id.to_string(),
    };
    OutboxMessage::kv_put(&CATALOG, &product.sku, &entry)
}

/// The KV delete withdrawing `sku` from the catalog.
pub fn product_delete(sku: &str) -> OutboxMessage {
    OutboxMessage::kv_delete(&CATALOG, sku)
}

/// Enqueues the whole catalog, and deletes of keys whose product is gone; returns how many
/// products were queued.
pub(super) async fn republish(db: &Db, nats: &Nats) -> anyhow::Result<usize> {
    let bucket = nats.ensure_bucket(&CATALOG).await?;
    let published_keys: HashSet<String> = bucket.keys().await?.try_collect().await?;
    let count = db
        .write(move |conn| -> anyhow::Result<usize> {
            let all = products::all(conn)?;
            let current: HashSet<&str> = all.iter().map(|p| p.sku.as_str()).collect();
            let mut messages = all.iter().map(product_put).collect::<Result<Vec<_>, _>>()?;
            messages.extend(
                published_keys
                    .iter()
                    .filter(|key| !current.contains(key.as_str()))
                    .map(|key| product_delete(key)),
            );
            outbox::enqueue(conn, &messages)?;
            Ok(all.len())
        })
        .await?;
    Ok(count)
}
