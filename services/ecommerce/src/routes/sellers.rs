//! Sellers (seed 004 story 1-2; the "establishments" of seed 001). The administrator manages
//! them; a seller user sees and edits only its own, and sets the warehouse address there.
//! Support engineers read every seller and change a store's owner and tags (seed 003 §2), and
//! nothing else of it.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use platform::auth::{Authenticated, Claims, Role};
use platform::db::{OnMissing, OrDuplicate};
use platform::json::Json;
use platform::outbox;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::{UserResponse, parse_identity};
use super::{optional_text, utc};
use crate::db::ChangedBy;
use crate::db::sellers::{self, NewSeller, Seller, SellerChange, SellerChanges};
use crate::db::users::{self, NewUser};
use crate::db::{PageRequest, orders, products};
use crate::domain::{Address, BoundedText, Description, Name, SellerId, Tags};
use crate::events::catalog;
use crate::state::AppState;
use crate::user_lifecycle::{self, Change};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_seller)
        .service(list_sellers)
        .service(get_seller)
        .service(update_seller)
        .service(delete_seller)
        .service(list_seller_users)
        .service(list_seller_changes);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SellerResponse {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner_name: Option<String>,
    /// Products of a seller without a warehouse address cannot be bought.
    pub warehouse_address: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Seller> for SellerResponse {
    fn from(seller: Seller) -> Self {
        let row = seller.row;
        Self {
            id: row.id.into(),
            name: row.name,
            description: row.description,
            owner_name: row.owner_name,
            warehouse_address: row.warehouse_address,
            tags: seller.tags,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SellerCreatedResponse {
    #[serde(flatten)]
    pub seller: SellerResponse,
    pub administrators: Vec<UserResponse>,
}

/// A seller administrator user, created with the seller.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerAdministrator {
    #[schema(
        max_length = 254,
        pattern = r"^[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$"
    )]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(value_type = platform::text::Name)]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Tienda Andina", "description": "Artesanías de los Andes", "owner_name": "Lucía Rojas", "warehouse_address": "Calle 26 # 68-35, Bogotá", "tags": ["handicrafts"], "administrators": [{"email": "lucia@tienda-andina.test", "password": "granite-willow-47", "name": "Lucía Rojas"}]}))]
pub struct CreateSellerRequest {
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    #[schema(value_type = platform::text::Description)]
    pub description: String,
    #[schema(value_type = Option<platform::text::Name>)]
    pub owner_name: Option<String>,
    #[schema(value_type = Option<platform::text::Address>)]
    pub warehouse_address: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<platform::text::Tag>, max_items = 20)]
    pub tags: Vec<String>,
    /// At least one: the seller's first users.
    #[schema(min_items = 1)]
    pub administrators: Vec<SellerAdministrator>,
}

/// Create a seller with its first administrators (seller users)
///
/// Each administrator becomes a `seller_user` of the new seller and can log in at once. A seller
/// needs a warehouse address before its products can be bought. Passwords follow the password
/// policy (422 naming `administrators[i].password`).
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "sellers", security(("bearer" = [])), request_body = CreateSellerRequest,
    responses((status = 201, body = SellerCreatedResponse), (status = 403, body = platform::error::Problem),
        (status = 409, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/sellers")]
async fn create_seller(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateSellerRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let body = body.into_inner();
    let new = NewSeller {
        name: Name::parse(&body.name).field("name")?.into_inner(),
        description: Description::parse(&body.description)
            .field("description")?
            .into_inner(),
        owner_name: optional_text::<Name>(body.owner_name.as_deref(), "owner_name")?,
        warehouse_address: optional_text::<Address>(
            body.warehouse_address.as_deref(),
            "warehouse_address",
        )?,
        tags: Tags::parse(&body.tags).field("tags")?.as_slice().to_vec(),
    };
    if body.administrators.is_empty() {
        return Err(ApiError::invalid(
            "administrators",
            "must hold at least one seller administrator",
        ));
    }
    let mut administrators = Vec::with_capacity(body.administrators.len());
    for (i, admin) in body.administrators.iter().enumerate() {
        let (email, password_hash, name) =
            parse_identity(&state.passwords, &admin.email, &admin.password, &admin.name)
                .await
                .map_err(|error| prefix_fields(error, &format!("administrators[{i}].")))?;
        administrators.push((email.to_string(), password_hash, name.into_inner()));
    }
    let (seller, users) = state
        .store
        .write(move |conn| {
            let seller = sellers::insert(conn, &new)?;
            let mut created = Vec::with_capacity(administrators.len());
            for (email, password_hash, name) in administrators {
                let user = NewUser {
                    email,
                    password_hash,
                    role: Role::SellerUser,
                    name,
                    seller_id: Some(seller.row.id.clone()),
                    courier_id: None,
                    shipping_address: None,
                };
                created.push(users::insert(conn, &user).or_duplicate("email", &user.email)?);
            }
            Ok((seller, created))
        })
        .await?;
    let administrators = users
        .into_iter()
        .map(UserResponse::from_user)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Created().json(SellerCreatedResponse {
        seller: seller.into(),
        administrators,
    }))
}

/// List sellers, newest first
///
/// Who may call: `marketplace_admin`, `support`.
#[utoipa::path(tag = "sellers", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<SellerResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/sellers")]
async fn list_sellers(
    state: web::Data<AppState>,
    auth: Authenticated,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<SellerResponse>>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin, Role::Support])?;
    let (limit, offset) = page.into_inner().bounds()?;
    let (items, total) = state
        .store
        .read(move |conn| Ok(sellers::list(conn, PageRequest { limit, offset })?))
        .await?;
    Ok(web::Json(Page::from_rows(items, total, (limit, offset))))
}

/// One seller by id
///
/// Who may call: `marketplace_admin`, `support`, `seller_user` (their own seller only).
#[utoipa::path(tag = "sellers", security(("bearer" = [])), params(("id" = String, Path, description = "Seller id")),
    responses((status = 200, body = SellerResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/sellers/{id}")]
async fn get_seller(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<SellerId>,
) -> Result<web::Json<SellerResponse>, ApiError> {
    let id = id.into_inner();
    require_reader(&auth, &id)?;
    let seller = state
        .store
        .read(move |conn| {
            sellers::find(conn, &id).on_missing(|| ApiError::not_found(format!("seller {id}")))
        })
        .await?;
    Ok(web::Json(seller.into()))
}

/// Fields to change; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"owner_name": "Cargo Express S.A.S.", "tags": ["accessories", "electronics"]}))]
pub struct UpdateSellerRequest {
    #[schema(value_type = Option<platform::text::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<platform::text::Description>)]
    pub description: Option<String>,
    #[schema(value_type = Option<platform::text::Name>)]
    pub owner_name: Option<String>,
    #[schema(value_type = Option<platform::text::Address>)]
    pub warehouse_address: Option<String>,
    #[schema(value_type = Option<Vec<platform::text::Tag>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
}

/// Change a seller's fields; omitted fields stay as they are
///
/// Every change is recorded with who made it and the old and new values (`GET
/// /sellers/{id}/changes`). Support engineers change a store's owner and tags only (seed 003 §2);
/// any other field is a 403 for them.
///
/// Who may call: `marketplace_admin`, `seller_user` (their own seller only), `support` (the
/// owner name and tags only).
#[utoipa::path(tag = "sellers", security(("bearer" = [])), request_body = UpdateSellerRequest,
    params(("id" = String, Path, description = "Seller id")),
    responses((status = 200, body = SellerResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[patch("/sellers/{id}")]
async fn update_seller(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<SellerId>,
    body: Json<UpdateSellerRequest>,
) -> Result<web::Json<SellerResponse>, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    if auth.has_role(Role::Support) {
        support_may_change(&body)?;
    } else {
        require_admin_or_member(&auth, &id)?;
    }
    let changes = SellerChanges {
        name: optional_text::<Name>(body.name.as_deref(), "name")?,
        description: optional_text::<Description>(body.description.as_deref(), "description")?,
        owner_name: optional_text::<Name>(body.owner_name.as_deref(), "owner_name")?,
        warehouse_address: optional_text::<Address>(
            body.warehouse_address.as_deref(),
            "warehouse_address",
        )?,
    };
    let tags = body
        .tags
        .as_deref()
        .map(Tags::parse)
        .transpose()
        .field("tags")?;
    let changed_by = ChangedBy::caller(&auth);
    let seller = state
        .store
        .write(move |conn| {
            let tags = tags.as_ref().map(Tags::as_slice);
            sellers::update(conn, &id, &changes, tags, &changed_by)
                .on_missing(|| ApiError::not_found(format!("seller {id}")))
        })
        .await?;
    Ok(web::Json(seller.into()))
}

/// Who made a change to a seller.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedByResponse {
    /// A user id, or `sql:<who>` for a change made with a support SQL file.
    pub user_id: String,
    pub email: Option<String>,
    pub role: Option<String>,
}

/// One change of a seller: who, when, and each changed field's old and new value.
#[derive(Debug, Serialize, ToSchema)]
pub struct SellerChangeResponse {
    pub id: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: ChangedByResponse,
    /// Each changed field: `{"owner_name": {"old": "Ana", "new": "Old-Wolf"}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

impl TryFrom<SellerChange> for SellerChangeResponse {
    type Error = ApiError;

    fn try_from(change: SellerChange) -> Result<Self, ApiError> {
        let changes = serde_json::from_str(&change.changes).map_err(|error| {
            anyhow::anyhow!("seller change {} holds no JSON object: {error}", change.id)
        })?;
        Ok(Self {
            id: change.id,
            changed_at: utc(change.changed_at),
            changed_by: ChangedByResponse {
                user_id: change.changed_by,
                email: change.changed_by_email,
                role: change.changed_by_role,
            },
            changes,
        })
    }
}

/// A seller's audit trail, newest first
///
/// Every change made through `PATCH /sellers/{id}` or the support SQL files, with who made it and
/// the old and new values.
///
/// Who may call: `marketplace_admin`, `support`.
#[utoipa::path(tag = "sellers", security(("bearer" = [])), params(("id" = String, Path, description = "Seller id"), PageQuery),
    responses((status = 200, body = Page<SellerChangeResponse>), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/sellers/{id}/changes")]
async fn list_seller_changes(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<SellerId>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<SellerChangeResponse>>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin, Role::Support])?;
    let (limit, offset) = page.into_inner().bounds()?;
    let id = id.into_inner();
    let (items, total) = state
        .store
        .read(move |conn| {
            sellers::find(conn, &id).on_missing(|| ApiError::not_found(format!("seller {id}")))?;
            Ok(sellers::changes_of(
                conn,
                &id,
                PageRequest { limit, offset },
            )?)
        })
        .await?;
    let items = items
        .into_iter()
        .map(SellerChangeResponse::try_from)
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, total, (limit, offset))))
}

/// Delete a seller with its users, products and portfolios
///
/// Its products leave the catalog; its users are deleted as `DELETE /users/{id}` deletes one.
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "sellers", security(("bearer" = [])), params(("id" = String, Path, description = "Seller id")),
    responses((status = 204), (status = 403, body = platform::error::Problem), (status = 404, body = platform::error::Problem)))]
#[delete("/sellers/{id}")]
async fn delete_seller(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<SellerId>,
) -> Result<HttpResponse, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let id = id.into_inner();
    let by = ChangedBy::caller(&auth);
    state
        .store.write(move |conn| {
            let withdrawn: Vec<_> = products::of_seller(conn, &id)?
                .iter()
                .map(|p| catalog::product_delete(&p.sku))
                .collect();
            sellers::find(conn, &id).on_missing(|| ApiError::not_found(format!("seller {id}")))?;
            // Orders are the marketplace's records of what was sold; they outlive no seller.
            let orders = orders::count_of_seller(conn, &id)?;
            if orders > 0 {
                return Err(ApiError::conflict(format!(
                    "seller {id} has {orders} order(s) and cannot be deleted; remove its products instead"
                )));
            }
            // Its users are deleted as DELETE /users/{id} deletes one: recorded, their tokens
            // refused everywhere.
            for user in users::list_for_seller(conn, &id)? {
                user_lifecycle::apply(conn, &user.id, &Change::Delete, &by)?;
            }
            sellers::delete(conn, &id)?;

            outbox::enqueue(conn, &withdrawn)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The users of a seller
///
/// Who may call: `marketplace_admin`, `support`, `seller_user` (their own seller only).
#[utoipa::path(tag = "sellers", security(("bearer" = [])), params(("id" = String, Path, description = "Seller id")),
    responses((status = 200, body = Vec<UserResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/sellers/{id}/users")]
async fn list_seller_users(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<SellerId>,
) -> Result<web::Json<Vec<UserResponse>>, ApiError> {
    let id = id.into_inner();
    require_reader(&auth, &id)?;
    let members = state
        .store
        .read(move |conn| Ok(users::list_for_seller(conn, &id)?))
        .await?;
    Ok(web::Json(
        members
            .into_iter()
            .map(UserResponse::from_user)
            .collect::<Result<_, _>>()?,
    ))
}

/// The administrator, or a user of this very seller.
fn require_admin_or_member(auth: &Claims, seller_id: &SellerId) -> Result<(), ApiError> {
    if auth.has_role(Role::MarketplaceAdmin) || auth.works_for(seller_id.as_str()) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the administrator and the seller's own users may do this",
        ))
    }
}

/// The administrator, support, or a user of this very seller.
fn require_reader(auth: &Claims, seller_id: &SellerId) -> Result<(), ApiError> {
    if auth.has_role(Role::Support) {
        Ok(())
    } else {
        require_admin_or_member(auth, seller_id)
    }
}

/// Support changes a store's owner and tags (seed 003 §2), nothing else of it.
fn support_may_change(body: &UpdateSellerRequest) -> Result<(), ApiError> {
    let UpdateSellerRequest {
        name,
        description,
        owner_name: _,
        warehouse_address,
        tags: _,
    } = body;
    let others = [
        ("name", name.is_some()),
        ("description", description.is_some()),
        ("warehouse_address", warehouse_address.is_some()),
    ];
    let refused: Vec<&str> = others
        .iter()
        .filter(|(_, given)| *given)
        .map(|(field, _)| *field)
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "support changes a store's owner_name and tags only, not {}",
            refused.join(", ")
        )))
    }
}

/// Moves the fields of a nested validation error under `prefix`, e.g. `administrators[0].`.
fn prefix_fields(error: ApiError, prefix: &str) -> ApiError {
    match error {
        ApiError::Invalid(params) => ApiError::Invalid(
            params
                .into_iter()
                .map(|mut p| {
                    p.name = format!("{prefix}{}", p.name);
                    p
                })
                .collect(),
        ),
        other => other,
    }
}
