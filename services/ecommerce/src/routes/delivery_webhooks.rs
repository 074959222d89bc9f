//! The receiver of the delivery service's webhooks (seed 004 story 9): the delivery service
//! notifies every delivery status of every order here, and DELIVERED moves the order to
//! delivered. The Standard Webhooks signature, made with the secret ecommerce got when it
//! registered, authenticates the caller; messages older than five minutes are refused, so a
//! captured message can not be replayed; a message seen before changes nothing.

use actix_web::{HttpRequest, HttpResponse, post, web};
use contracts::deliveries::WebhookMessage;
use platform::ApiError;
use platform::consumer::first_time;
use platform::json::RawBody;
use platform::webhook_signature::{
    DEFAULT_TOLERANCE_SECONDS, ID_HEADER, SIGNATURE_HEADER, SignedHeaders, TIMESTAMP_HEADER,
    WebhookSecret, verify,
};

use crate::db::delivery_subscription;
use crate::order_flow::{self, DeliveryUpdate};
use crate::state::AppState;

/// The dedupe key space of webhook ids in `processed_events`.
const RECEIVER: &str = "delivery-webhooks";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(receive_delivery_status);
}

/// Receive a delivery status change from the delivery service (a signed webhook)
///
/// 204 when applied or already seen; 401 when the Standard Webhooks signature (`webhook-id`,
/// `webhook-timestamp`, `webhook-signature`) or its timestamp does not check out, so the example
/// alone is refused: the delivery service signs each message with the subscription's secret.
///
/// Who may call: anyone holding the subscription's signing secret (the delivery service); no token
/// needed.
#[utoipa::path(tag = "orders", request_body(content = String, description = "A `delivery.status_changed` message, signed per Standard Webhooks",
        example = json!({"type": "delivery.status_changed", "timestamp": "2026-11-23T10:00:30Z",
            "data": {"delivery_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "tracking_number": "CX9F0A3B5C7D1E2F40",
                "foreign_order_id": "0193a1b2-0000-7000-8000-000000000001", "courier_id": 103,
                "status": "IN_ORIGIN", "previous_status": "READY_FOR_PICK_UP", "changed_at": "2026-11-23T10:00:30Z"}})),
    responses((status = 204), (status = 401, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/webhooks/deliveries")]
async fn receive_delivery_status(
    state: web::Data<AppState>,
    request: HttpRequest,
    RawBody(body): RawBody,
) -> Result<HttpResponse, ApiError> {
    let stored = state
        .store
        .read(|conn| Ok(delivery_subscription::stored(conn)?))
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("no delivery webhook subscription is registered".into())
        })?;
    let secret = WebhookSecret::parse(&stored.secret)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the stored webhook secret: {e}")))?;
    let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
    let headers = SignedHeaders {
        id: header(ID_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
    };
    let now = chrono::Utc::now().timestamp();
    verify(&secret, headers, &body, now, DEFAULT_TOLERANCE_SECONDS)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let message_id = headers.id.unwrap_or_default().to_owned();
    let message: WebhookMessage = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("body", format!("is not a delivery status message: {e}")))?;

    if !message.data.marketplace_order {
        // Another system's delivery under the same order id: it speaks for that system's
        // order, not for the marketplace's.
        tracing::info!(
            order_id = %message.data.foreign_order_id, status = message.data.status.as_str(),
            "status of a delivery another system created; ignored"
        );
        return Ok(HttpResponse::NoContent().finish());
    }
    let change = message.data;
    let outcome = state
        .store
        .write(move |conn| {
            if first_time(conn, RECEIVER, std::slice::from_ref(&message_id))?.is_empty() {
                return Ok(None);
            }
            let update = order_flow::apply_delivery_status(conn, &change)?;
            Ok(Some((update, change)))
        })
        .await?;
    match outcome {
        Some((DeliveryUpdate::UnknownOrder, change)) => tracing::info!(
            order_id = %change.foreign_order_id, status = change.status.as_str(),
            "delivery status for an order ecommerce does not have; ignored"
        ),
        Some((update, change)) => tracing::info!(
            order_id = %change.foreign_order_id, status = change.status.as_str(), ?update,
            "delivery status received"
        ),
        None => {}
    }
    Ok(HttpResponse::NoContent().finish())
}
