//! How the workflows' errors are answered over HTTP: the one place where a refused purchase or
//! status change becomes a status code and a problem document. Workflows return their own
//! error enums (`purchases::PurchaseError`, `order_flow::OrderFlowError`,
//! `login_throttle::ThrottleError`) and know nothing of HTTP; handlers answer them with `?`.

use platform::ApiError;
use platform::error::InvalidParam;
use serde_json::{Map, Value, json};

use crate::domain::order_status::TransitionError;
use crate::login_throttle::ThrottleError;
use crate::order_flow::OrderFlowError;
use crate::purchases::PurchaseError;

impl From<PurchaseError> for ApiError {
    fn from(error: PurchaseError) -> Self {
        match error {
            PurchaseError::UnknownSkus(unknown) => ApiError::Invalid(
                unknown
                    .into_iter()
                    .map(|u| InvalidParam {
                        name: format!("lines[{}].sku", u.line),
                        reason: format!("no product has the SKU {:?}", u.sku),
                    })
                    .collect(),
            ),
            PurchaseError::WithoutWarehouse(products) => {
                let skus: Vec<&str> = products.iter().map(|p| p.sku.as_str()).collect();
                let detail = format!(
                    "not for sale until their seller sets a warehouse address: {}",
                    skus.join(", ")
                );
                let listed = products
                    .iter()
                    .map(|p| json!({"sku": p.sku, "seller_id": p.seller_id}))
                    .collect();
                conflict(detail, "products_without_warehouse", listed)
            }
            PurchaseError::ShortOfStock(shortages) => {
                let detail = shortages
                    .iter()
                    .map(|s| {
                        format!(
                            "{} (asked {}, available {})",
                            s.sku, s.requested, s.available
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let listed = shortages
                    .iter()
                    .map(|s| {
                        json!({"sku": s.sku, "product_id": s.product_id,
                            "requested": s.requested, "available": s.available})
                    })
                    .collect();
                conflict(format!("not enough stock: {detail}"), "shortages", listed)
            }
            PurchaseError::KeyReused => ApiError::invalid(
                "Idempotency-Key",
                "was already used for a different purchase",
            ),
            PurchaseError::Stopping => {
                ApiError::Unavailable("the service is stopping; try again".to_owned())
            }
            PurchaseError::Refused(error) => error.into(),
            // Every purchase of the batch gets the same answer: 503 when the database cannot
            // serve now, else an opaque 500 (the log keeps the cause).
            PurchaseError::BatchFailed(shared) => match shared.unavailable() {
                Some(why) => ApiError::Unavailable(why),
                None => ApiError::Internal(anyhow::Error::new(shared)),
            },
            error @ (PurchaseError::Unanswered | PurchaseError::Serialize(_)) => {
                ApiError::Internal(error.into())
            }
        }
    }
}

impl From<OrderFlowError> for ApiError {
    fn from(error: OrderFlowError) -> Self {
        match error {
            OrderFlowError::NotFound(id) => ApiError::not_found(format!("order {id}")),
            OrderFlowError::Transition(refusal @ TransitionError::NotPermitted { .. }) => {
                ApiError::forbidden(refusal.to_string())
            }
            OrderFlowError::Transition(refusal @ TransitionError::Refused { .. }) => {
                ApiError::conflict(refusal.to_string())
            }
            OrderFlowError::ChangedMeanwhile(_) => ApiError::conflict(error.to_string()),
            OrderFlowError::Database(error) => error.into(),
            OrderFlowError::Event(_) => ApiError::Internal(error.into()),
        }
    }
}

impl From<ThrottleError> for ApiError {
    fn from(error: ThrottleError) -> Self {
        match error {
            ThrottleError::Blocked {
                retry_after_seconds,
            } => ApiError::TooManyRequests {
                detail: error.to_string(),
                retry_after_seconds,
            },
            ThrottleError::Database(error) => error.into(),
        }
    }
}

/// A 409 listing what is at fault under `member`.
fn conflict(detail: String, member: &str, listed: Vec<Value>) -> ApiError {
    let mut extensions = Map::new();
    extensions.insert(member.to_owned(), listed.into());
    ApiError::Conflict {
        detail,
        params: Vec::new(),
        extensions,
    }
}
