//! Orders (seed 004 stories 5-9, seed 002): a marketplace user buys from several sellers in one
//! purchase; sellers confirm and dispatch; buyers and the admin cancel; everyone allowed to see
//! an order sees its status and history.

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use contracts::deliveries::DeliveryStatus;
use contracts::orders::OrderStatus;
use platform::auth::{Authenticated, Claims, Role};
use platform::db::OnMissing;
use platform::json::Json;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::db::orders::{self, Order, OrderFilter};
use crate::db::{PageRequest, users};
use crate::domain::order_status::Actor;
use crate::domain::{Address, BoundedText, Name, OrderId, Price, Quantity, Sku};
use crate::order_flow;
use crate::purchases::{Checkout, Placed, Purchase};
use crate::state::AppState;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The statistics route comes before `/orders/{id}`, which would otherwise take it.
    cfg.service(order_statistics)
        .service(purchase)
        .service(list_orders)
        .service(get_order)
        .service(change_order_status)
        .service(put_order_status);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseLineRequest {
    #[schema(
        max_length = 64,
        pattern = r"^[A-Za-z0-9_-]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$"
    )]
    pub sku: String,
    /// At least 1.
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRequest {
    #[schema(value_type = Option<platform::text::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<platform::text::Address>)]
    pub address: Option<String>,
}

/// Products of any sellers; repeated SKUs add up. Delivery defaults to the buyer's name and
/// shipping address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lines": [{"sku": "pk0001", "quantity": 3}, {"sku": "pk0004", "quantity": 1}]}))]
pub struct PurchaseRequest {
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<PurchaseLineRequest>,
    pub delivery: Option<DeliveryRequest>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderLineResponse {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AddressResponse {
    pub address: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryResponse {
    pub name: String,
    pub address: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusChangeResponse {
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderResponse {
    pub id: String,
    pub purchase_id: String,
    pub seller_id: String,
    pub buyer_id: String,
    /// created, confirmed, dispatched, delivered or cancelled.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub lines: Vec<OrderLineResponse>,
    pub total: f64,
    pub origin: AddressResponse,
    pub delivery: DeliveryResponse,
    /// Set once the delivery service created the delivery.
    pub tracking_number: Option<String>,
    #[schema(value_type = Option<String>)]
    pub delivery_status: Option<DeliveryStatus>,
    /// Every status the order went through, oldest first.
    pub history: Vec<StatusChangeResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Order> for OrderResponse {
    fn from(order: Order) -> Self {
        let row = order.row;
        Self {
            status: row.status,
            id: row.id.into(),
            purchase_id: row.purchase_id,
            seller_id: row.seller_id.into(),
            buyer_id: row.buyer_id,
            lines: order
                .lines
                .into_iter()
                .map(|l| OrderLineResponse {
                    product_id: l.product_id,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price: Price::from_cents(l.unit_price_cents).amount(),
                })
                .collect(),
            total: Price::from_cents(row.total_cents).amount(),
            origin: AddressResponse {
                address: row.origin_address,
            },
            delivery: DeliveryResponse {
                name: row.delivery_name,
                address: row.delivery_address,
            },
            tracking_number: row.tracking_number,
            delivery_status: row.delivery_status,
            history: order
                .history
                .into_iter()
                .map(|h| StatusChangeResponse {
                    status: h.status,
                    at: utc(h.changed_at),
                })
                .collect(),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

/// One order per seller of the purchase.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PurchaseResponse {
    pub purchase_id: String,
    pub orders: Vec<OrderResponse>,
}

/// Buy: every line or nothing, one order per seller
///
/// 409 names each product short of stock (asked and available) or whose seller has no warehouse
/// address. Send an `Idempotency-Key` header to retry safely: a retry with the same key answers the
/// first result. The delivery name and address default to the buyer's.
///
/// Who may call: `marketplace_user`.
#[utoipa::path(tag = "orders", security(("bearer" = [])), request_body = PurchaseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first result")),
    responses((status = 201, body = PurchaseResponse), (status = 403, body = platform::error::Problem),
        (status = 409, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/orders")]
async fn purchase(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    body: Json<PurchaseRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_any(&[Role::MarketplaceUser])?;
    let key = idempotency_key(&request)?;
    let buyer_id = auth.sub.clone();
    let purchase = parse_purchase(&state, &buyer_id, body.into_inner()).await?;
    let checkout = Checkout {
        buyer_id,
        purchase,
        key,
        trace: platform::trace::current(),
    };
    let placed = state.purchases.place(checkout).await?;
    let mut response = HttpResponse::Created();
    response.content_type("application/json");
    let body = match placed {
        Placed::Fresh(body) => body,
        Placed::Replayed(body) => {
            response.insert_header((HeaderName::from_static("idempotent-replayed"), "true"));
            body
        }
    };
    Ok(response.body(body))
}

/// The answer to a placed purchase, as stored with its idempotency key.
pub fn render_purchase(purchase_id: &str, orders: &[Order]) -> serde_json::Result<String> {
    let orders = orders.iter().cloned().map(OrderResponse::from).collect();
    serde_json::to_string(&PurchaseResponse {
        purchase_id: purchase_id.to_owned(),
        orders,
    })
}

fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?
        .trim();
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

async fn parse_purchase(
    state: &AppState,
    buyer_id: &str,
    body: PurchaseRequest,
) -> Result<Purchase, ApiError> {
    if body.lines.is_empty() {
        return Err(ApiError::invalid("lines", "must hold at least one product"));
    }
    if body.lines.len() > 100 {
        return Err(ApiError::invalid("lines", "must hold at most 100 products"));
    }
    let mut parsed = Purchase {
        lines: Default::default(),
        positions: Default::default(),
        delivery_name: String::new(),
        delivery_address: String::new(),
    };
    for (i, line) in body.lines.iter().enumerate() {
        let sku = Sku::parse(&line.sku)
            .field(&format!("lines[{i}].sku"))?
            .to_string();
        let quantity = Quantity::parse(line.quantity).field(&format!("lines[{i}].quantity"))?;
        let total = parsed.lines.get(&sku).map_or(0, |q| q.units()) + quantity.units();
        let total = Quantity::parse(total).field(&format!("lines[{i}].quantity"))?;
        parsed.lines.insert(sku.clone(), total);
        parsed.positions.entry(sku).or_insert(i);
    }
    let delivery = body.delivery.unwrap_or(DeliveryRequest {
        name: None,
        address: None,
    });
    let (name, address) = match (delivery.name, delivery.address) {
        (Some(name), Some(address)) => (name, address),
        (name, address) => {
            let id = buyer_id.to_owned();
            let buyer = state
                .store
                .read(move |conn| Ok(users::find(conn, &id)?))
                .await?;
            (
                name.unwrap_or(buyer.name),
                address.or(buyer.shipping_address).unwrap_or_default(),
            )
        }
    };
    parsed.delivery_name = Name::parse(&name).field("delivery.name")?.into_inner();
    parsed.delivery_address = Address::parse(&address)
        .field("delivery.address")?
        .into_inner();
    Ok(parsed)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
}

/// List orders, newest first, optionally by status
///
/// Buyers list their orders, seller users their seller's, the admin every order.
///
/// Who may call: `marketplace_user` (their own), `seller_user` (their seller's),
/// `marketplace_admin` (all).
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(OrderQuery, PageQuery),
    responses((status = 200, body = Page<OrderResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/orders")]
async fn list_orders(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<OrderQuery>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<OrderResponse>>, ApiError> {
    let (limit, offset) = page.into_inner().bounds()?;
    let mut filter = OrderFilter {
        status: query.status,
        ..OrderFilter::default()
    };
    match auth.role {
        Role::MarketplaceAdmin => {}
        Role::MarketplaceUser => filter.buyer_id = Some(auth.sub.clone()),
        Role::SellerUser => filter.seller_id = Some(super::seller_of(&auth)?),
        _ => {
            return Err(ApiError::forbidden(
                "only buyers, sellers and the admin see orders",
            ));
        }
    }
    let (items, total) = state
        .store
        .read(move |conn| Ok(orders::list(conn, &filter, PageRequest { limit, offset })?))
        .await?;
    let items = items.into_iter().map(OrderResponse::from).collect();
    Ok(web::Json(Page::new(items, total, (limit, offset))))
}

/// One order with its lines, status history and delivery
///
/// Who may call: `marketplace_user` (their own), `seller_user` (their seller's),
/// `marketplace_admin` (any).
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/orders/{id}")]
async fn get_order(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<OrderResponse>, ApiError> {
    let id = OrderId::from(id.into_inner());
    let order = state
        .store
        .read(move |conn| {
            orders::find(conn, &id).on_missing(|| ApiError::not_found(format!("order {id}")))
        })
        .await?;
    actor_for(&auth, &order)?;
    Ok(web::Json(OrderResponse::from(order)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "confirmed"}))]
pub struct StatusChangeRequest {
    /// `confirmed` or `dispatched` (the order's seller), `cancelled` (its buyer while created,
    /// the admin until dispatched). `delivered` comes only from the delivery service. Seed
    /// 002's names are accepted too: `received` (= created), `inprocess` (= confirmed),
    /// `completed` (= delivered), `canceled` (= cancelled).
    #[schema(value_type = StatusChangeName)]
    pub status: String,
}

/// The statuses a status change names: ours and seed 002's (the document's list of what
/// `OrderStatus::parse_with_seed_names` takes; who may set which is a 403 or 409).
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum StatusChangeName {
    Created,
    Confirmed,
    Dispatched,
    Delivered,
    Cancelled,
    Received,
    Inprocess,
    Completed,
    Canceled,
}

/// Move an order to a new status
///
/// The seller confirms and then dispatches (dispatching creates the delivery); the buyer cancels
/// while the order is created, the admin until it is dispatched; `delivered` comes only from the
/// delivery service. 409 names the current status when the move is not allowed.
///
/// Who may call: `seller_user` (confirm, dispatch; their seller's orders), `marketplace_user`
/// (cancel their own), `marketplace_admin` (cancel).
#[utoipa::path(tag = "orders", security(("bearer" = [])), request_body = StatusChangeRequest,
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[post("/orders/{id}/status")]
async fn change_order_status(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<StatusChangeRequest>,
) -> Result<web::Json<OrderResponse>, ApiError> {
    apply_status_change(&state, &auth, id.into_inner().into(), body.into_inner()).await
}

/// Change an order's status, as seed 002's `PUT /orders/{orderId}` does
///
/// The same status change as `POST /orders/{id}/status`, with the same rules, for clients written
/// from seed 002; its names `received`, `inprocess`, `completed` and `canceled` are accepted.
///
/// Who may call: `seller_user` (confirm, dispatch; their seller's orders), `marketplace_user`
/// (cancel their own), `marketplace_admin` (cancel).
#[utoipa::path(tag = "orders", security(("bearer" = [])), request_body = StatusChangeRequest,
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = OrderResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[put("/orders/{id}")]
async fn put_order_status(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<StatusChangeRequest>,
) -> Result<web::Json<OrderResponse>, ApiError> {
    apply_status_change(&state, &auth, id.into_inner().into(), body.into_inner()).await
}

async fn apply_status_change(
    state: &AppState,
    auth: &Authenticated,
    id: OrderId,
    body: StatusChangeRequest,
) -> Result<web::Json<OrderResponse>, ApiError> {
    let to = OrderStatus::parse_with_seed_names(body.status.trim()).ok_or_else(|| {
        ApiError::invalid(
            "status",
            "must be confirmed, dispatched or cancelled (seed 002: inprocess, canceled); \
             created/received and delivered/completed are not set by hand",
        )
    })?;
    let claims = auth.0.clone();
    let order = state
        .store
        .write(move |conn| {
            let order = orders::find(conn, &id)
                .on_missing(|| ApiError::not_found(format!("order {id}")))?;
            let actor = actor_for(&claims, &order)?;
            Ok(order_flow::change_status(
                conn,
                &id,
                to,
                actor,
                &claims.sub,
            )?)
        })
        .await?;
    Ok(web::Json(OrderResponse::from(order)))
}

/// The caller's part in `order`; 403 for a caller with no part in it.
fn actor_for(auth: &Claims, order: &Order) -> Result<Actor, ApiError> {
    match auth.role {
        Role::MarketplaceAdmin => Ok(Actor::Admin),
        Role::MarketplaceUser if order.row.buyer_id == auth.sub => Ok(Actor::Buyer),
        Role::SellerUser if auth.works_for(order.row.seller_id.as_str()) => Ok(Actor::Seller),
        _ => Err(ApiError::forbidden("this order belongs to someone else")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusStatisticsResponse {
    #[schema(value_type = String)]
    pub status: OrderStatus,
    /// Orders that reached this status.
    pub orders: i64,
    /// Their total amount.
    pub amount: f64,
    pub updated_at: DateTime<Utc>,
}

/// Orders and amounts per status
///
/// Kept by the per-status consumers of the ORDERS stream.
///
/// Who may call: `marketplace_admin`, `operations_viewer`.
#[utoipa::path(tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = Vec<StatusStatisticsResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/orders/statistics")]
async fn order_statistics(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<web::Json<Vec<StatusStatisticsResponse>>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin, Role::OperationsViewer])?;
    let rows = state
        .store
        .read(|conn| Ok(orders::statistics(conn)?))
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| StatusStatisticsResponse {
                status: r.status,
                orders: r.orders,
                amount: Price::from_cents(r.amount_cents).amount(),
                updated_at: utc(r.updated_at),
            })
            .collect(),
    ))
}
