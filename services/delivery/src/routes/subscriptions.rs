//! Webhook subscriptions (seed 004 item 4): register an endpoint for the statuses it wants,
//! see its messages and attempts, re-send a message, rotate the signing secret. A service
//! client sees only its own subscriptions; the marketplace admin sees all of them. A
//! subscription hears about its owner's deliveries only, unless an administrator created it
//! for every client's (`all_deliveries`).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use contracts::deliveries::{DeliveryStatus, WebhookMessageState};
use platform::auth::{Authenticated, Claims, Role};
use platform::db::{OnMissing, new_id, now};
use platform::json::Json;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::text::{Description, optional};
use platform::webhook_signature::WebhookSecret;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{require_manager, utc};
use crate::db::webhooks::{self, AttemptRow, MessageRow, SubscriptionChanges, SubscriptionRow};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_subscription)
        .service(list_subscriptions)
        .service(get_subscription)
        .service(update_subscription)
        .service(delete_subscription)
        .service(rotate_secret)
        .service(list_messages)
        .service(resend_message)
        .service(list_attempts);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "http://127.0.0.1:9000/cargo-express/hook", "statuses": ["IN_ROUTE_OF_DELIVERY", "DELIVERED"], "description": "My shop's order updates"}))]
pub struct CreateSubscriptionRequest {
    /// Where messages are POSTed: http or https, on a public address.
    pub url: String,
    /// The delivery statuses to be told about; all five when absent.
    pub statuses: Option<Vec<String>>,
    pub description: Option<String>,
    /// Hear about every client's deliveries, the marketplace's included, not only the caller's
    /// own: for `marketplace_admin` only, set when the subscription is created. False when
    /// absent.
    pub all_deliveries: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionResponse {
    pub id: String,
    pub url: String,
    pub statuses: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why the subscription was disabled, e.g. the endpoint answered 410 Gone.
    pub disabled_reason: Option<String>,
    /// The signing secret: only in the answers to creation and rotation. Keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until then the previous secret signs too (after a rotation).
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    /// Whether it hears about every client's deliveries; otherwise only those its owner
    /// created (the marketplace's for ecommerce's receiver).
    pub all_deliveries: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SubscriptionResponse {
    fn from_row(row: SubscriptionRow, show_secret: bool) -> Self {
        Self {
            statuses: row.status_list().into_iter().map(str::to_owned).collect(),
            secret: show_secret.then(|| row.secret.clone()),
            previous_secret_valid_until: row
                .previous_secret_until
                .filter(|until| *until > now())
                .map(utc),
            id: row.id,
            url: row.url,
            description: row.description,
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            all_deliveries: row.all_deliveries,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

fn parse_statuses(raw: Option<Vec<String>>) -> Result<String, ApiError> {
    let Some(raw) = raw else {
        return Ok(all_statuses());
    };
    if raw.is_empty() {
        return Err(ApiError::invalid(
            "statuses",
            "must name at least one status (or be left out for all)",
        ));
    }
    let mut wanted = Vec::new();
    for (i, status) in raw.iter().enumerate() {
        let status = DeliveryStatus::parse(status.trim())
            .ok_or("is not a delivery status (READY_FOR_PICK_UP, IN_ORIGIN, IN_ROUTE_OF_DELIVERY, NOT_DELIVERED, DELIVERED)")
            .field(&format!("statuses[{i}]"))?;
        if !wanted.contains(&status) {
            wanted.push(status);
        }
    }
    Ok(wanted
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

fn all_statuses() -> String {
    DeliveryStatus::ALL.map(DeliveryStatus::as_str).join(",")
}

fn new_secret() -> Result<String, ApiError> {
    Ok(WebhookSecret::generate()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("no randomness for a secret: {e}")))?
        .expose())
}

/// Subscribe an endpoint to delivery status changes (signed webhooks)
///
/// The answer shows the signing secret, once: store it. The URL must reach a public address (demo
/// mode also allows loopback, which the example uses: replace it with your endpoint). Leave
/// `statuses` out to hear all five. It hears about the caller's own deliveries (those it
/// created); `all_deliveries: true` asks for every client's, and only an administrator may.
///
/// Who may call: `service_client` (for itself), `marketplace_admin` (any; every client's
/// deliveries only when it asks for all of them).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), request_body = CreateSubscriptionRequest,
    responses((status = 201, body = SubscriptionResponse), (status = 403, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[post("/webhooks/subscriptions")]
async fn create_subscription(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateSubscriptionRequest>,
) -> Result<HttpResponse, ApiError> {
    require_manager(&auth)?;
    let body = body.into_inner();
    let all_deliveries = body.all_deliveries.unwrap_or(false);
    if all_deliveries && auth.role != Role::MarketplaceAdmin {
        return Err(ApiError::forbidden(
            "all_deliveries: only a marketplace_admin may subscribe to every client's deliveries",
        ));
    }
    let url = state.url_guard.check(&body.url).await.field("url")?;
    let at = now();
    let row = SubscriptionRow {
        id: new_id(),
        owner_id: auth.sub.clone(),
        url: url.to_string(),
        statuses: parse_statuses(body.statuses)?,
        description: optional::<Description>(body.description.as_deref(), "description")?,
        secret: new_secret()?,
        previous_secret: None,
        previous_secret_until: None,
        enabled: true,
        disabled_reason: None,
        created_at: at,
        updated_at: at,
        all_deliveries,
    };
    let saved = row.clone();
    state
        .store
        .write(move |conn| Ok(webhooks::insert_subscription(conn, &saved)?))
        .await?;
    Ok(HttpResponse::Created().json(SubscriptionResponse::from_row(row, true)))
}

/// The subscription, if the caller may see it: its owner or the admin.
async fn owned(state: &AppState, auth: &Claims, id: String) -> Result<SubscriptionRow, ApiError> {
    require_manager(auth)?;
    let row = state
        .store
        .read(move |conn| {
            webhooks::find_subscription(conn, &id)
                .on_missing(|| ApiError::not_found(format!("webhook subscription {id}")))
        })
        .await?;
    if auth.role != Role::MarketplaceAdmin && row.owner_id != auth.sub {
        return Err(ApiError::forbidden(
            "this subscription belongs to someone else",
        ));
    }
    Ok(row)
}

/// List webhook subscriptions, newest first
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<SubscriptionResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/webhooks/subscriptions")]
async fn list_subscriptions(
    state: web::Data<AppState>,
    auth: Authenticated,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<SubscriptionResponse>>, ApiError> {
    require_manager(&auth)?;
    let (limit, offset) = page.into_inner().bounds()?;
    let owner = (auth.role != Role::MarketplaceAdmin).then(|| auth.sub.clone());
    let (items, total) = state
        .store
        .read(move |conn| {
            Ok(webhooks::list_subscriptions(
                conn,
                owner.as_deref(),
                limit,
                offset,
            )?)
        })
        .await?;
    Ok(web::Json(Page::new(
        items
            .into_iter()
            .map(|row| SubscriptionResponse::from_row(row, false))
            .collect(),
        total,
        (limit, offset),
    )))
}

/// One webhook subscription
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SubscriptionResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/webhooks/subscriptions/{id}")]
async fn get_subscription(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<SubscriptionResponse>, ApiError> {
    let row = owned(&state, &auth, id.into_inner()).await?;
    Ok(web::Json(SubscriptionResponse::from_row(row, false)))
}

/// Absent fields stay as they are. Enabling clears the reason it was disabled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"statuses": ["READY_FOR_PICK_UP", "IN_ORIGIN", "IN_ROUTE_OF_DELIVERY", "NOT_DELIVERED", "DELIVERED"], "enabled": true}))]
pub struct UpdateSubscriptionRequest {
    pub url: Option<String>,
    pub statuses: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Change a subscription's URL, statuses, description or whether it is enabled
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)), request_body = UpdateSubscriptionRequest,
    responses((status = 200, body = SubscriptionResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[patch("/webhooks/subscriptions/{id}")]
async fn update_subscription(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<UpdateSubscriptionRequest>,
) -> Result<web::Json<SubscriptionResponse>, ApiError> {
    let row = owned(&state, &auth, id.into_inner()).await?;
    let body = body.into_inner();
    let url = match &body.url {
        Some(url) => Some(state.url_guard.check(url).await.field("url")?.to_string()),
        None => None,
    };
    let changes = SubscriptionChanges {
        url,
        statuses: body.statuses.map(|s| parse_statuses(Some(s))).transpose()?,
        description: optional::<Description>(body.description.as_deref(), "description")?.map(Some),
        enabled: body.enabled,
        disabled_reason: match body.enabled {
            Some(true) => Some(None),
            Some(false) => Some(Some(format!("disabled by {}", auth.email))),
            None => None,
        },
        updated_at: Some(now()),
        ..SubscriptionChanges::default()
    };
    // What was claimed for it must not go out under the old settings.
    let stops_sends =
        changes.url.is_some() || changes.statuses.is_some() || changes.enabled == Some(false);
    let id = row.id;
    let updated = state
        .store
        .write(move |conn| {
            webhooks::update_subscription(conn, &id, &changes)?;
            Ok(webhooks::find_subscription(conn, &id)?)
        })
        .await?;
    if stops_sends {
        state.webhook_gate.announce(&state.nats, &updated.id).await;
    }
    state.sender_wakeup.notify();
    Ok(web::Json(SubscriptionResponse::from_row(updated, false)))
}

/// Delete a webhook subscription
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = platform::error::Problem), (status = 404, body = platform::error::Problem)))]
#[delete("/webhooks/subscriptions/{id}")]
async fn delete_subscription(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = owned(&state, &auth, id.into_inner()).await?.id;
    let deleted = id.clone();
    state
        .store
        .write(move |conn| Ok(webhooks::delete_subscription(conn, &deleted)?))
        .await?;
    state.webhook_gate.announce(&state.nats, &id).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a new signing secret for a subscription (shown once)
///
/// The previous one keeps signing alongside it for the grace period, so receivers can switch
/// without missing a message.
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = SubscriptionResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[post("/webhooks/subscriptions/{id}/rotate-secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<SubscriptionResponse>, ApiError> {
    let row = owned(&state, &auth, id.into_inner()).await?;
    let at = now();
    let changes = SubscriptionChanges {
        secret: Some(new_secret()?),
        previous_secret: Some(Some(row.secret)),
        previous_secret_until: Some(Some(at + state.rotation_grace)),
        updated_at: Some(at),
        ..SubscriptionChanges::default()
    };
    let id = row.id;
    let updated = state
        .store
        .write(move |conn| {
            webhooks::update_subscription(conn, &id, &changes)?;
            Ok(webhooks::find_subscription(conn, &id)?)
        })
        .await?;
    Ok(web::Json(SubscriptionResponse::from_row(updated, true)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageResponse {
    /// The `webhook-id` header of every attempt of this message.
    pub id: String,
    pub delivery_id: String,
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    /// pending, succeeded or failed.
    #[schema(value_type = String)]
    pub state: WebhookMessageState,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub payload: serde_json::Value,
}

impl From<MessageRow> for MessageResponse {
    fn from(m: MessageRow) -> Self {
        Self {
            next_attempt_at: (m.state == WebhookMessageState::Pending)
                .then(|| utc(m.next_attempt_at)),
            payload: serde_json::from_str(&m.body).unwrap_or(serde_json::Value::Null),
            id: m.id,
            delivery_id: m.delivery_id,
            status: m.status,
            state: m.state,
            attempts: m.attempts,
            created_at: utc(m.created_at),
            finished_at: m.finished_at.map(utc),
        }
    }
}

/// List a subscription's messages, newest first
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<MessageResponse>), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/webhooks/subscriptions/{id}/messages")]
async fn list_messages(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<MessageResponse>>, ApiError> {
    let (limit, offset) = page.into_inner().bounds()?;
    let id = owned(&state, &auth, id.into_inner()).await?.id;
    let (items, total) = state
        .store
        .read(move |conn| Ok(webhooks::messages_of(conn, &id, limit, offset)?))
        .await?;
    Ok(web::Json(Page::from_rows(items, total, (limit, offset))))
}

/// Send a message to a subscription again now
///
/// With the same `webhook-id` (so a receiver that already has it can tell); it then follows the
/// usual retry rules.
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path), ("message_id" = String, Path)),
    responses((status = 202), (status = 403, body = platform::error::Problem), (status = 404, body = platform::error::Problem)))]
#[post("/webhooks/subscriptions/{id}/messages/{message_id}/resend")]
async fn resend_message(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, message_id) = path.into_inner();
    let id = owned(&state, &auth, id).await?.id;
    let found = state
        .store
        .write(move |conn| Ok(webhooks::resend(conn, &id, &message_id, now())? == 1))
        .await?;
    if !found {
        return Err(ApiError::not_found("that message of this subscription"));
    }
    state.sender_wakeup.notify();
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    pub message_id: String,
    pub attempted_at: DateTime<Utc>,
    /// The subscriber's HTTP status; absent when no answer came.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl From<AttemptRow> for AttemptResponse {
    fn from(a: AttemptRow) -> Self {
        Self {
            message_id: a.message_id,
            attempted_at: utc(a.attempted_at),
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// List every attempt to reach a subscription, newest first
///
/// Who may call: `service_client` (the subscriptions it created), `marketplace_admin` (any).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<AttemptResponse>), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/webhooks/subscriptions/{id}/attempts")]
async fn list_attempts(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<AttemptResponse>>, ApiError> {
    let (limit, offset) = page.into_inner().bounds()?;
    let id = owned(&state, &auth, id.into_inner()).await?.id;
    let (items, total) = state
        .store
        .read(move |conn| Ok(webhooks::attempts_of(conn, &id, limit, offset)?))
        .await?;
    Ok(web::Json(Page::from_rows(items, total, (limit, offset))))
}
