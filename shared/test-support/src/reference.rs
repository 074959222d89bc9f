//! The seed reference data (seed 000's products and couriers) written straight into the KV
//! buckets, for services that read them (ingest, metrics) tested without their owners.

use contracts::catalog::CatalogProduct;
use contracts::couriers::Courier;
use contracts::streams::{CATALOG, COURIERS};
use platform::nats::Nats;
use platform::settings::NatsSettings;

/// Seed 000's products: SKU, name, price in cents.
pub const PRODUCTS: [(&str, &str, i64); 10] = [
    ("pk0001", "Moneda", 100),
    ("pk0002", "Estuche para gafas", 800),
    ("pk0003", "Pequeño espejo de bolsillo", 500),
    ("pk0004", "Pendrive", 1200),
    ("pk0005", "Tarjeta SIM", 300),
    ("pk0006", "Adaptador de corriente", 1000),
    ("pk0007", "Tijeras pequeñas", 400),
    ("pk0008", "Pila de botón", 250),
    ("pk0009", "Goma de borrar", 50),
    ("pk0010", "Clip sujetapapeles", 20),
];

/// The price of `sku` in cents.
pub fn price_cents(sku: &str) -> i64 {
    PRODUCTS
        .iter()
        .find(|(s, _, _)| *s == sku)
        .map_or(0, |(_, _, price)| *price)
}

/// Puts the ten products and couriers 101..=110 (all active) into the test's buckets.
pub async fn publish(nats_url: &str, namespace: &str) -> anyhow::Result<()> {
    let nats = Nats::connect(
        &NatsSettings {
            url: nats_url.to_owned(),
            namespace: namespace.to_owned(),
            ..Default::default()
        },
        "test-reference",
    )
    .await?;
    let catalog = nats.ensure_bucket(&CATALOG).await?;
    for (sku, name, price_cents) in PRODUCTS {
        let product = CatalogProduct {
            sku: sku.to_owned(),
            name: name.to_owned(),
            price_cents,
            seller_id: "00000000-0000-7000-8000-000000000001".to_owned(),
        };
        catalog
            .put(sku, serde_json::to_vec(&product)?.into())
            .await?;
    }
    for id in 101..=110 {
        set_courier(&nats, id, true).await?;
    }
    Ok(())
}

/// Puts courier `id` into the test's couriers bucket, active or not.
pub async fn set_courier(nats: &Nats, id: i64, active: bool) -> anyhow::Result<()> {
    let couriers = nats.ensure_bucket(&COURIERS).await?;
    let courier = Courier {
        id,
        name: format!("Courier {id}"),
        active,
    };
    couriers
        .put(id.to_string(), serde_json::to_vec(&courier)?.into())
        .await?;
    Ok(())
}
