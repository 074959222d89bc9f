//! The OpenAPI document, served at `/openapi.json` with interactive docs at `/docs/`.

use platform::openapi::{BearerAuth, ProblemResponses};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Cargo Express delivery", description = "Deliveries, tracking, couriers and webhook subscriptions. Tokens come from the ecommerce identity provider. Errors are RFC 9457 problem details."),
    paths(
        super::deliveries::create_delivery, super::deliveries::list_deliveries,
        super::deliveries::get_delivery, super::deliveries::update_delivery,
        super::deliveries::delete_delivery,
        super::tracking::track, super::tracking::track_by_body,
        super::couriers::list_couriers, super::couriers::get_courier,
        super::subscriptions::create_subscription, super::subscriptions::list_subscriptions,
        super::subscriptions::get_subscription, super::subscriptions::update_subscription,
        super::subscriptions::delete_subscription, super::subscriptions::rotate_secret,
        super::subscriptions::list_messages, super::subscriptions::resend_message,
        super::subscriptions::list_attempts,
        platform::http::healthz, platform::http::readyz, platform::http::prometheus_metrics,
    ),
    // Schemas named only by a parameter's value_type are not collected from the paths.
    components(schemas(contracts::deliveries::DeliveryStatus)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "deliveries", description = "Deliveries of ecommerce orders (seed 004)"),
        (name = "tracking", description = "Status history by tracking number or order id"),
        (name = "couriers", description = "The courier fleet (seed 000)"),
        (name = "webhooks", description = "Subscriptions to delivery status changes, signed per Standard Webhooks"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;
