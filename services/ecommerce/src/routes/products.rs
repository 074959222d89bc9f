//! Products (seed 004 story 3): seller users manage their own; every signed-in user browses.
//! Each change is published to the catalog KV bucket through the outbox.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use platform::auth::Authenticated;
use platform::db::{DbConnection, OnMissing, OrDuplicate};
use platform::json::Json;
use platform::outbox;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{optional_text, seller_of, utc};
use crate::db::PageRequest;
use crate::db::products::{self, NewProduct, Product, ProductChanges, ProductFilter};
use crate::domain::{BoundedText, Description, Name, Price, SellerId, Sku, Stock};
use crate::events::catalog;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_product)
        .service(list_products)
        .service(get_product)
        .service(update_product)
        .service(delete_product);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductResponse {
    pub id: String,
    pub seller_id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Price in currency units with two decimals, e.g. `2.5`.
    pub price: f64,
    /// Units in stock.
    pub quantity: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductResponse {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            seller_id: p.seller_id.into(),
            sku: p.sku,
            name: p.name,
            description: p.description,
            price: Price::from_cents(p.price_cents).amount(),
            quantity: p.stock,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "pk0011", "name": "Llavero", "description": "Llavero metálico", "price": 3.5, "quantity": 40}))]
pub struct CreateProductRequest {
    /// Unique across the marketplace: letters, digits, `-`, `_` and inner `.`.
    #[schema(
        max_length = 64,
        pattern = r"^[A-Za-z0-9_-]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$"
    )]
    pub sku: String,
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    #[schema(value_type = platform::text::Description)]
    pub description: String,
    /// At least 0, at most two decimals.
    #[schema(minimum = 0, maximum = 100000000.0)]
    pub price: f64,
    /// Units in stock, at least 0.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub quantity: i64,
}

/// Add a product to your seller's catalog
///
/// The SKU is unique across the marketplace (409 otherwise); the price has at most two decimals.
/// The product reaches the catalog every service reads at once.
///
/// Who may call: `seller_user` (for their own seller).
#[utoipa::path(tag = "products", security(("bearer" = [])), request_body = CreateProductRequest,
    responses((status = 201, body = ProductResponse), (status = 403, body = platform::error::Problem),
        (status = 409, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/products")]
async fn create_product(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateProductRequest>,
) -> Result<HttpResponse, ApiError> {
    let seller_id = seller_of(&auth)?;
    let body = body.into_inner();
    let new = NewProduct {
        sku: Sku::parse(&body.sku).field("sku")?.to_string(),
        name: Name::parse(&body.name).field("name")?.into_inner(),
        description: Description::parse(&body.description)
            .field("description")?
            .into_inner(),
        price_cents: Price::parse(body.price).field("price")?.cents(),
        stock: Stock::parse(body.quantity).field("quantity")?.units(),
    };
    let product = state
        .store
        .write(move |conn| {
            let product = products::insert(conn, &seller_id, &new).or_duplicate("sku", &new.sku)?;
            outbox::enqueue(
                conn,
                &[catalog::product_put(&product).map_err(anyhow::Error::from)?],
            )?;
            Ok(product)
        })
        .await?;
    Ok(HttpResponse::Created().json(ProductResponse::from(product)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Only the products of this seller.
    pub seller_id: Option<String>,
}

/// List the marketplace's products, newest first, optionally of one seller
///
/// Who may call: any signed-in user.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(ProductQuery, PageQuery),
    responses((status = 200, body = Page<ProductResponse>), (status = 401, body = platform::error::Problem)))]
#[get("/products")]
async fn list_products(
    state: web::Data<AppState>,
    _auth: Authenticated,
    query: Query<ProductQuery>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<ProductResponse>>, ApiError> {
    let (limit, offset) = page.into_inner().bounds()?;
    let filter = ProductFilter {
        seller_id: query.into_inner().seller_id.map(SellerId::from),
    };
    let (items, total) = state
        .store
        .read(move |conn| {
            Ok(products::list(
                conn,
                &filter,
                PageRequest { limit, offset },
            )?)
        })
        .await?;
    Ok(web::Json(Page::from_rows(items, total, (limit, offset))))
}

/// One product by id
///
/// Who may call: any signed-in user.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = ProductResponse), (status = 404, body = platform::error::Problem)))]
#[get("/products/{id}")]
async fn get_product(
    state: web::Data<AppState>,
    _auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<ProductResponse>, ApiError> {
    let id = id.into_inner();
    let product = state.store.read(move |conn| find(conn, &id)).await?;
    Ok(web::Json(product.into()))
}

/// Fields to change; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"price": 1.5, "quantity": 1200}))]
pub struct UpdateProductRequest {
    #[schema(
        max_length = 64,
        pattern = r"^[A-Za-z0-9_-]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$"
    )]
    pub sku: Option<String>,
    #[schema(value_type = Option<platform::text::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<platform::text::Description>)]
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 100000000.0)]
    pub price: Option<f64>,
    #[schema(minimum = 0, maximum = 1000000000)]
    pub quantity: Option<i64>,
}

/// Change a product; omitted fields stay as they are
///
/// Who may call: `seller_user` (their own seller's products only).
#[utoipa::path(tag = "products", security(("bearer" = [])), request_body = UpdateProductRequest,
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = ProductResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[patch("/products/{id}")]
async fn update_product(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<UpdateProductRequest>,
) -> Result<web::Json<ProductResponse>, ApiError> {
    let seller_id = seller_of(&auth)?;
    let body = body.into_inner();
    let changes = ProductChanges {
        sku: body
            .sku
            .as_deref()
            .map(Sku::parse)
            .transpose()
            .field("sku")?
            .map(|s| s.to_string()),
        name: optional_text::<Name>(body.name.as_deref(), "name")?,
        description: optional_text::<Description>(body.description.as_deref(), "description")?,
        price_cents: body
            .price
            .map(Price::parse)
            .transpose()
            .field("price")?
            .map(Price::cents),
        stock: body
            .quantity
            .map(Stock::parse)
            .transpose()
            .field("quantity")?
            .map(Stock::units),
    };
    let id = id.into_inner();
    let product = state
        .store
        .write(move |conn| {
            let before = find_owned(conn, &id, &seller_id)?;
            let sku = changes.sku.clone().unwrap_or_default();
            let after = products::update(conn, &id, &changes).or_duplicate("sku", &sku)?;
            let mut messages = vec![catalog::product_put(&after).map_err(anyhow::Error::from)?];
            if before.sku != after.sku {
                messages.push(catalog::product_delete(&before.sku));
            }
            outbox::enqueue(conn, &messages)?;
            Ok(after)
        })
        .await?;
    Ok(web::Json(product.into()))
}

/// Delete a product; it leaves the catalog
///
/// Who may call: `seller_user` (their own seller's products only).
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("id" = String, Path, description = "Product id")),
    responses((status = 204), (status = 403, body = platform::error::Problem), (status = 404, body = platform::error::Problem)))]
#[delete("/products/{id}")]
async fn delete_product(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let seller_id = seller_of(&auth)?;
    let id = id.into_inner();
    state
        .store
        .write(move |conn| {
            let product = find_owned(conn, &id, &seller_id)?;
            products::delete(conn, &id)?;
            outbox::enqueue(conn, &[catalog::product_delete(&product.sku)])?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn find(conn: &mut DbConnection, id: &str) -> Result<Product, ApiError> {
    products::find(conn, id).on_missing(|| ApiError::not_found(format!("product {id}")))
}

/// The product, if it belongs to `seller_id`; another seller's product is refused.
fn find_owned(
    conn: &mut DbConnection,
    id: &str,
    seller_id: &SellerId,
) -> Result<Product, ApiError> {
    let product = find(conn, id)?;
    if product.seller_id != *seller_id {
        return Err(ApiError::forbidden("the product belongs to another seller"));
    }
    Ok(product)
}
