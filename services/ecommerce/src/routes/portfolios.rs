//! Portfolios (seed 001): a seller's named collections of its own products. Seen by the
//! seller's users and the administrator, changed by the seller's users.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use platform::auth::{Authenticated, Role};
use platform::db::{DbConnection, OnMissing, OrDuplicate};
use platform::json::Json;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{optional_text, seller_of, utc};
use crate::db::portfolios::{self, NewPortfolio, Portfolio, PortfolioChanges};
use crate::db::{PageRequest, products};
use crate::domain::{BoundedText, Description, Name, SellerId};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_portfolio)
        .service(list_portfolios)
        .service(get_portfolio)
        .service(update_portfolio)
        .service(delete_portfolio);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioProduct {
    pub id: String,
    pub sku: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioResponse {
    pub id: String,
    pub seller_id: String,
    pub name: String,
    pub description: String,
    /// In the seller's chosen order.
    pub products: Vec<PortfolioProduct>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Portfolio> for PortfolioResponse {
    fn from(p: Portfolio) -> Self {
        Self {
            id: p.row.id,
            seller_id: p.row.seller_id.into(),
            name: p.row.name,
            description: p.row.description,
            products: p
                .products
                .into_iter()
                .map(|(id, sku)| PortfolioProduct { id, sku })
                .collect(),
            created_at: utc(p.row.created_at),
            updated_at: utc(p.row.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Para el bolsillo", "description": "Cosas pequeñas para llevar", "product_ids": ["00000000-0000-7000-8000-000000001001", "00000000-0000-7000-8000-000000001003"]}))]
pub struct CreatePortfolioRequest {
    /// Unique among the seller's portfolios.
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    #[schema(value_type = platform::text::Description)]
    pub description: String,
    /// Ids of the seller's own products.
    #[serde(default)]
    pub product_ids: Vec<String>,
}

/// Create a portfolio: a named set of your seller's products
///
/// The name is unique among the seller's portfolios (409 otherwise); every product must be the
/// seller's own.
///
/// Who may call: `seller_user` (for their own seller).
#[utoipa::path(tag = "portfolios", security(("bearer" = [])), request_body = CreatePortfolioRequest,
    responses((status = 201, body = PortfolioResponse), (status = 403, body = platform::error::Problem),
        (status = 409, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/portfolios")]
async fn create_portfolio(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreatePortfolioRequest>,
) -> Result<HttpResponse, ApiError> {
    let seller_id = seller_of(&auth)?;
    let body = body.into_inner();
    let new = NewPortfolio {
        name: Name::parse(&body.name).field("name")?.into_inner(),
        description: Description::parse(&body.description)
            .field("description")?
            .into_inner(),
        product_ids: body.product_ids,
    };
    let portfolio = state
        .store
        .write(move |conn| {
            check_products(conn, &seller_id, &new.product_ids)?;
            portfolios::insert(conn, &seller_id, &new).or_duplicate("name", &new.name)
        })
        .await?;
    Ok(HttpResponse::Created().json(PortfolioResponse::from(portfolio)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PortfolioQuery {
    /// Administrators only: the portfolios of this seller.
    pub seller_id: Option<String>,
}

/// List portfolios, newest first
///
/// A seller user lists its seller's portfolios; the administrator lists all, or one seller's.
///
/// Who may call: `seller_user`, `marketplace_admin`.
#[utoipa::path(tag = "portfolios", security(("bearer" = [])), params(PortfolioQuery, PageQuery),
    responses((status = 200, body = Page<PortfolioResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/portfolios")]
async fn list_portfolios(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<PortfolioQuery>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<PortfolioResponse>>, ApiError> {
    let (limit, offset) = page.into_inner().bounds()?;
    let seller_id = match auth.role {
        Role::MarketplaceAdmin => query.into_inner().seller_id.map(SellerId::from),
        _ => Some(seller_of(&auth)?),
    };
    let (items, total) = state
        .store
        .read(move |conn| {
            Ok(portfolios::list(
                conn,
                seller_id.as_ref(),
                PageRequest { limit, offset },
            )?)
        })
        .await?;
    Ok(web::Json(Page::from_rows(items, total, (limit, offset))))
}

/// One portfolio by id
///
/// Who may call: `seller_user` (their own seller's only), `marketplace_admin`.
#[utoipa::path(tag = "portfolios", security(("bearer" = [])), params(("id" = String, Path, description = "Portfolio id")),
    responses((status = 200, body = PortfolioResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/portfolios/{id}")]
async fn get_portfolio(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<PortfolioResponse>, ApiError> {
    let id = id.into_inner();
    let portfolio = state.store.read(move |conn| find(conn, &id)).await?;
    if !auth.has_role(Role::MarketplaceAdmin) && !auth.works_for(portfolio.row.seller_id.as_str()) {
        return Err(ApiError::forbidden(
            "the portfolio belongs to another seller",
        ));
    }
    Ok(web::Json(portfolio.into()))
}

/// Fields to change; omitted fields stay as they are. `product_ids` replaces the whole list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Cosas pequeñas para llevar a todas partes"}))]
pub struct UpdatePortfolioRequest {
    #[schema(value_type = Option<platform::text::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<platform::text::Description>)]
    pub description: Option<String>,
    pub product_ids: Option<Vec<String>>,
}

/// Change a portfolio; omitted fields stay as they are
///
/// A name another portfolio of the seller has is a 409, as at creation.
///
/// Who may call: `seller_user` (their own seller's portfolios only).
#[utoipa::path(tag = "portfolios", security(("bearer" = [])), request_body = UpdatePortfolioRequest,
    params(("id" = String, Path, description = "Portfolio id")),
    responses((status = 200, body = PortfolioResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[patch("/portfolios/{id}")]
async fn update_portfolio(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<UpdatePortfolioRequest>,
) -> Result<web::Json<PortfolioResponse>, ApiError> {
    let seller_id = seller_of(&auth)?;
    let body = body.into_inner();
    let changes = PortfolioChanges {
        name: optional_text::<Name>(body.name.as_deref(), "name")?,
        description: optional_text::<Description>(body.description.as_deref(), "description")?,
    };
    let (id, product_ids) = (id.into_inner(), body.product_ids);
    let portfolio = state
        .store
        .write(move |conn| {
            find_owned(conn, &id, &seller_id)?;
            if let Some(ids) = &product_ids {
                check_products(conn, &seller_id, ids)?;
            }
            let name = changes.name.clone().unwrap_or_default();
            portfolios::update(conn, &id, &changes, product_ids.as_deref())
                .or_duplicate("name", &name)
        })
        .await?;
    Ok(web::Json(portfolio.into()))
}

/// Delete a portfolio (its products stay)
///
/// Who may call: `seller_user` (their own seller's portfolios only).
#[utoipa::path(tag = "portfolios", security(("bearer" = [])), params(("id" = String, Path, description = "Portfolio id")),
    responses((status = 204), (status = 403, body = platform::error::Problem), (status = 404, body = platform::error::Problem)))]
#[delete("/portfolios/{id}")]
async fn delete_portfolio(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let seller_id = seller_of(&auth)?;
    let id = id.into_inner();
    state
        .store
        .write(move |conn| {
            find_owned(conn, &id, &seller_id)?;
            Ok(portfolios::delete(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn find(conn: &mut DbConnection, id: &str) -> Result<Portfolio, ApiError> {
    portfolios::find(conn, id).on_missing(|| ApiError::not_found(format!("portfolio {id}")))
}

fn find_owned(
    conn: &mut DbConnection,
    id: &str,
    seller_id: &SellerId,
) -> Result<Portfolio, ApiError> {
    let portfolio = find(conn, id)?;
    if portfolio.row.seller_id != *seller_id {
        return Err(ApiError::forbidden(
            "the portfolio belongs to another seller",
        ));
    }
    Ok(portfolio)
}

/// Every id must name a distinct product of the seller; the first that does not is named.
fn check_products(
    conn: &mut DbConnection,
    seller_id: &SellerId,
    ids: &[String],
) -> Result<(), ApiError> {
    let owned = products::owned_by(conn, seller_id, ids)?;
    for (i, id) in ids.iter().enumerate() {
        if ids.iter().take(i).any(|earlier| earlier == id) {
            return Err(ApiError::invalid(
                format!("product_ids[{i}]"),
                "is listed twice",
            ));
        }
        if !owned.iter().any(|p| &p.id == id) {
            return Err(ApiError::invalid(
                format!("product_ids[{i}]"),
                "is not a product of this seller",
            ));
        }
    }
    Ok(())
}
