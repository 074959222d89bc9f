//! Deliveries (seed 004 item 1): create (idempotent per order), view, edit, delete and list.
//! A service client sees and changes only the deliveries it created (`domain::owner`).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use contracts::deliveries::DeliveryStatus;
use platform::auth::{Authenticated, Claims, Role};
use platform::db::{OnMissing, now};
use platform::json::Json;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::text::{Address, BoundedText, ExternalId, Name, optional};
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{require_manager, seed_spelling, utc};
use crate::db::couriers;
use crate::db::deliveries::{self, Delivery, DeliveryChanges, DeliveryFilter, HistoryRow, Key};
use crate::delivery_flow::{self, Created, NewDelivery, NewProduct};
use crate::domain::{DeliveryId, owner};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_delivery)
        .service(list_deliveries)
        .service(get_delivery)
        .service(update_delivery)
        .service(delete_delivery);
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductDto {
    #[schema(value_type = platform::text::ExternalId)]
    pub sku: String,
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    /// At least 1. Requests may send it as a string of digits (`"3"`, as seed 004's example
    /// does); answers give a number.
    #[serde(deserialize_with = "seed_spelling::whole_number")]
    #[schema(schema_with = qty_schema)]
    pub qty: i64,
}

/// `qty`: 1 to 1,000,000, as a number or (seed 004) as a string of digits.
fn qty_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .minimum(Some(1))
                    .maximum(Some(1_000_000)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^0*([1-9][0-9]{0,5}|1000000)$")),
            )
            .description(Some(
                "1 to 1000000; a string of digits is taken too (seed 004)",
            ))
            .build(),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderDto {
    /// The ecommerce order number. Seed 004's spelling `foreing_order_id` is accepted too.
    #[serde(alias = "foreing_order_id")]
    #[schema(value_type = platform::text::ExternalId)]
    pub foreign_order_id: String,
    #[schema(min_items = 1)]
    pub products: Vec<ProductDto>,
}

/// The order as answered: our name and seed 004's spelling, holding the same value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderResponse {
    pub foreign_order_id: String,
    /// Seed 004's spelling of `foreign_order_id` (the same value), for clients written from it.
    #[schema(deprecated)]
    pub foreing_order_id: String,
    pub products: Vec<ProductDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OriginDto {
    #[schema(value_type = platform::text::Address)]
    pub address: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationDto {
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    #[schema(value_type = platform::text::Address)]
    pub address: String,
}

/// Seed 004's delivery creation contract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"order": {"foreign_order_id": "0193a1b2-0000-7000-8000-00000000d0c5", "products": [{"sku": "pk0001", "name": "Moneda", "qty": 2}, {"sku": "pk0004", "name": "Pendrive", "qty": 1}]}, "origin": {"address": "Calle 80 # 10-20, Bogotá"}, "destination": {"name": "Bea Buyer", "address": "Carrera 7 # 32-16, Bogotá"}}))]
pub struct CreateDeliveryRequest {
    pub order: OrderDto,
    pub origin: OriginDto,
    pub destination: DestinationDto,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourierDto {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusChangeDto {
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub date: DateTime<Utc>,
}

/// Seed 004's response: the request plus tracking number and status; with the delivery id,
/// its courier, and (in the detail view) its history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: String,
    pub order: OrderResponse,
    pub origin: OriginDto,
    pub destination: DestinationDto,
    pub tracking_number: String,
    /// Seed 004's spelling of `tracking_number` (the same value), for clients written from it.
    #[schema(deprecated)]
    pub trackig_number: String,
    /// READY_FOR_PICK_UP, IN_ORIGIN, IN_ROUTE_OF_DELIVERY, NOT_DELIVERED or DELIVERED.
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub courier: CourierDto,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking: Vec<StatusChangeDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<HistoryRow> for StatusChangeDto {
    fn from(change: HistoryRow) -> Self {
        Self {
            status: change.status,
            date: utc(change.changed_at),
        }
    }
}

impl From<Delivery> for DeliveryResponse {
    fn from(delivery: Delivery) -> Self {
        let row = delivery.row;
        Self {
            id: row.id.into(),
            order: OrderResponse {
                foreing_order_id: row.foreign_order_id.clone(),
                foreign_order_id: row.foreign_order_id,
                products: delivery
                    .products
                    .into_iter()
                    .map(|p| ProductDto {
                        sku: p.sku,
                        name: p.name,
                        qty: p.quantity,
                    })
                    .collect(),
            },
            origin: OriginDto {
                address: row.origin_address,
            },
            destination: DestinationDto {
                name: row.destination_name,
                address: row.destination_address,
            },
            trackig_number: row.tracking_number.clone(),
            tracking_number: row.tracking_number,
            status: row.status,
            courier: CourierDto {
                id: row.courier_id,
                name: delivery.courier_name,
            },
            tracking: delivery
                .history
                .into_iter()
                .map(StatusChangeDto::from)
                .collect(),
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

fn parse_new_delivery(body: CreateDeliveryRequest) -> Result<NewDelivery, ApiError> {
    let order = body.order;
    if order.products.is_empty() {
        return Err(ApiError::invalid(
            "order.products",
            "must hold at least one product",
        ));
    }
    if order.products.len() > 200 {
        return Err(ApiError::invalid(
            "order.products",
            "must hold at most 200 products",
        ));
    }
    let products = order
        .products
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            if !(1..=1_000_000).contains(&p.qty) {
                return Err(ApiError::invalid(
                    format!("order.products[{i}].qty"),
                    "must be between 1 and 1000000",
                ));
            }
            Ok(NewProduct {
                sku: ExternalId::parse(&p.sku)
                    .field(&format!("order.products[{i}].sku"))?
                    .into_inner(),
                name: Name::parse(&p.name)
                    .field(&format!("order.products[{i}].name"))?
                    .into_inner(),
                quantity: p.qty,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(NewDelivery {
        foreign_order_id: ExternalId::parse(&order.foreign_order_id)
            .field("order.foreign_order_id")?
            .into_inner(),
        products,
        origin_address: Address::parse(&body.origin.address)
            .field("origin.address")?
            .into_inner(),
        destination_name: Name::parse(&body.destination.name)
            .field("destination.name")?
            .into_inner(),
        destination_address: Address::parse(&body.destination.address)
            .field("destination.address")?
            .into_inner(),
    })
}

/// Create the delivery of an order (seed 004); creating twice is safe
///
/// 201 with its tracking number and the least-loaded courier, or 200 with the delivery the order
/// already has. Seed 004's spellings (`foreing_order_id`, `qty`) are accepted. Marketplace orders
/// get their delivery by themselves when the seller dispatches them.
///
/// Who may call: `service_client`, `marketplace_admin`.
#[utoipa::path(tag = "deliveries", security(("bearer" = [])), request_body = CreateDeliveryRequest,
    responses((status = 201, body = DeliveryResponse), (status = 200, body = DeliveryResponse, description = "The order already had this delivery"),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/deliveries")]
async fn create_delivery(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateDeliveryRequest>,
) -> Result<HttpResponse, ApiError> {
    require_manager(&auth)?;
    let new = parse_new_delivery(body.into_inner())?;
    let (tick, created_by) = (state.clock.current(), owner::of_caller(&auth).to_owned());
    let created = state
        .store
        .write(move |conn| Ok(delivery_flow::create(conn, &new, &created_by, tick)?))
        .await?;
    Ok(match created {
        Created::New(delivery) => HttpResponse::Created().json(DeliveryResponse::from(delivery)),
        Created::Existing(delivery) => HttpResponse::Ok().json(DeliveryResponse::from(delivery)),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this status.
    #[param(value_type = Option<DeliveryStatus>)]
    pub status: Option<String>,
    /// Only deliveries of this courier.
    pub courier_id: Option<i64>,
}

/// List deliveries, newest first, optionally by status, courier or order
///
/// Who may call: `service_client` (the deliveries it created), `marketplace_admin`,
/// `operations_viewer`.
#[utoipa::path(tag = "deliveries", security(("bearer" = [])), params(DeliveryQuery, PageQuery),
    responses((status = 200, body = Page<DeliveryResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/deliveries")]
async fn list_deliveries(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<DeliveryQuery>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<DeliveryResponse>>, ApiError> {
    require_viewer(&auth)?;
    let (limit, offset) = page.into_inner().bounds()?;
    let query = query.into_inner();
    let filter = DeliveryFilter {
        status: query
            .status
            .as_deref()
            .map(|s| DeliveryStatus::parse(s).ok_or("is not a delivery status"))
            .transpose()
            .field("status")?,
        courier_id: query.courier_id,
        // A service client lists its own deliveries only.
        created_by: (auth.role == Role::ServiceClient).then(|| owner::of_caller(&auth).to_owned()),
    };
    let (items, total) = state
        .store
        .read(move |conn| Ok(deliveries::list(conn, &filter, limit, offset)?))
        .await?;
    Ok(web::Json(Page::from_rows(items, total, (limit, offset))))
}

/// Operations staff may look at deliveries; only managers change them.
const VIEWERS: &[Role] = &[
    Role::ServiceClient,
    Role::MarketplaceAdmin,
    Role::OperationsViewer,
];

fn require_viewer(auth: &platform::auth::Claims) -> Result<(), ApiError> {
    auth.require_any(VIEWERS)
}

async fn load(state: &AppState, auth: &Claims, id: DeliveryId) -> Result<Delivery, ApiError> {
    let delivery = state
        .store
        .read(move |conn| {
            deliveries::find(conn, Key::Id(&id))
                .on_missing(|| ApiError::not_found(format!("delivery {id}")))
        })
        .await?;
    require_owner(auth, &delivery)?;
    Ok(delivery)
}

/// A service client touches only the deliveries it created.
fn require_owner(auth: &Claims, delivery: &Delivery) -> Result<(), ApiError> {
    if owner::may_touch(auth, &delivery.row.created_by) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "delivery {} belongs to another system",
            delivery.row.id
        )))
    }
}

/// One delivery with its status history
///
/// Who may call: `service_client` (the deliveries it created), `marketplace_admin`,
/// `operations_viewer`.
#[utoipa::path(tag = "deliveries", security(("bearer" = [])), params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/deliveries/{id}")]
async fn get_delivery(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<DeliveryId>,
) -> Result<web::Json<DeliveryResponse>, ApiError> {
    require_viewer(&auth)?;
    Ok(web::Json(
        load(&state, &auth, id.into_inner()).await?.into(),
    ))
}

/// Absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"destination": {"address": "Carrera 15 # 93-47, Bogotá"}}))]
pub struct UpdateDeliveryRequest {
    /// Reassigns the delivery to another active courier (until it is delivered).
    #[schema(minimum = 1)]
    pub courier_id: Option<i64>,
    /// Only while READY_FOR_PICK_UP.
    pub origin: Option<OriginDto>,
    /// Only while READY_FOR_PICK_UP.
    pub destination: Option<UpdateDestination>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDestination {
    #[schema(value_type = Option<platform::text::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<platform::text::Address>)]
    pub address: Option<String>,
}

/// Change a delivery's addresses or courier
///
/// Addresses change only before pick-up, the courier until delivered; a refused change is a 409
/// naming the current status.
///
/// Who may call: `service_client` (the deliveries it created), `marketplace_admin`.
#[utoipa::path(tag = "deliveries", security(("bearer" = [])), request_body = UpdateDeliveryRequest,
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[patch("/deliveries/{id}")]
async fn update_delivery(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<DeliveryId>,
    body: Json<UpdateDeliveryRequest>,
) -> Result<web::Json<DeliveryResponse>, ApiError> {
    require_manager(&auth)?;
    let (id, body) = (id.into_inner(), body.into_inner());
    let destination = body.destination.as_ref();
    let changes = DeliveryChanges {
        courier_id: body.courier_id,
        origin_address: optional::<Address>(
            body.origin.as_ref().map(|o| o.address.as_str()),
            "origin.address",
        )?,
        destination_name: optional::<Name>(
            destination.and_then(|d| d.name.as_deref()),
            "destination.name",
        )?,
        destination_address: optional::<Address>(
            destination.and_then(|d| d.address.as_deref()),
            "destination.address",
        )?,
        updated_at: Some(now()),
    };
    let caller = auth.0;
    let delivery = state
        .store
        .write(move |conn| {
            let current = deliveries::find(conn, Key::Id(&id))
                .on_missing(|| ApiError::not_found(format!("delivery {id}")))?;
            require_owner(&caller, &current)?;
            let status = current.row.status;
            let moves_address = changes.origin_address.is_some()
                || changes.destination_name.is_some()
                || changes.destination_address.is_some();
            if moves_address && status != DeliveryStatus::ReadyForPickUp {
                return Err(ApiError::conflict(format!(
                    "addresses can change only before pick-up; the delivery is {}",
                    status.as_str()
                )));
            }
            if let Some(courier_id) = changes.courier_id {
                if status == DeliveryStatus::Delivered {
                    return Err(ApiError::conflict(
                        "the delivery is DELIVERED; its courier stays",
                    ));
                }
                let courier = couriers::find(conn, courier_id).on_missing(|| {
                    ApiError::invalid("courier_id", format!("no courier has the id {courier_id}"))
                })?;
                if !courier.active {
                    return Err(ApiError::invalid("courier_id", "the courier is not active"));
                }
            }
            if !deliveries::update_in_status(conn, &id, status, &changes)? {
                return Err(ApiError::conflict(format!(
                    "delivery {id} moved on meanwhile; read it again"
                )));
            }
            Ok(deliveries::find(conn, Key::Id(&id))?)
        })
        .await?;
    Ok(web::Json(delivery.into()))
}

/// Delete a delivery that has not been picked up yet (a mistaken one)
///
/// Later its history is a record that stays, and the answer is 409.
///
/// Who may call: `service_client` (the deliveries it created), `marketplace_admin`.
#[utoipa::path(tag = "deliveries", security(("bearer" = [])), params(("id" = String, Path, description = "Delivery id")),
    responses((status = 204), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem)))]
#[delete("/deliveries/{id}")]
async fn delete_delivery(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<DeliveryId>,
) -> Result<HttpResponse, ApiError> {
    require_manager(&auth)?;
    let (id, caller) = (id.into_inner(), auth.0);
    state
        .store
        .write(move |conn| {
            let current = deliveries::find(conn, Key::Id(&id))
                .on_missing(|| ApiError::not_found(format!("delivery {id}")))?;
            require_owner(&caller, &current)?;
            if !deliveries::delete_in_status(conn, &id, DeliveryStatus::ReadyForPickUp)? {
                return Err(ApiError::conflict(format!(
                    "only a delivery not yet picked up can be deleted; this one is {}",
                    current.row.status.as_str()
                )));
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
