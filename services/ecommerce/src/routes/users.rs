//! Users (seed 001 "creación de usuario"): the administrator creates users of any role;
//! anyone registers as a marketplace user at `/auth/register`.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use platform::auth::{Authenticated, Passwords, Role};
use platform::db::{OnMissing, OrDuplicate};
use platform::json::Json;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{optional_text, utc};
use crate::db::users::{self, NewUser, RoleAssignment, User};
use crate::db::{PageRequest, sellers};
use crate::domain::{Address, BoundedText, Email, Name, NewPassword, SellerId};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user);
}

/// Whether a user may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    /// Disabled by an administrator: cannot log in, and earlier tokens are refused.
    Disabled,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<String>,
    pub status: UserStatus,
    pub created_at: DateTime<Utc>,
}

impl UserResponse {
    pub fn from_user(user: User) -> Result<Self, ApiError> {
        let role = user.role().ok_or_else(|| {
            anyhow::anyhow!("user {} has an unknown role {:?}", user.id, user.role)
        })?;
        Ok(Self {
            id: user.id,
            email: user.email,
            role,
            name: user.name,
            seller_id: user.seller_id.map(String::from),
            courier_id: user.courier_id,
            shipping_address: user.shipping_address,
            status: match user.disabled_at {
                Some(_) => UserStatus::Disabled,
                None => UserStatus::Active,
            },
            created_at: utc(user.created_at),
        })
    }
}

/// A new user of any role, created by the marketplace administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "viewer2@cargoexpress.test", "password": "copper-meadow-93", "name": "Second Viewer", "role": "operations_viewer"}))]
pub struct CreateUserRequest {
    #[schema(
        max_length = 254,
        pattern = r"^[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$"
    )]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    pub role: Role,
    /// Required for seller users: the seller they work for.
    pub seller_id: Option<String>,
    /// Required for couriers: their courier id (101-110 in the seed fleet).
    #[schema(minimum = 1)]
    pub courier_id: Option<i64>,
    /// Required for marketplace users.
    #[schema(value_type = Option<platform::text::Address>)]
    pub shipping_address: Option<String>,
}

/// A role with what it needs, checked: seller users need `seller_id`, couriers a positive
/// `courier_id`, marketplace users `shipping_address`, and no role takes another's field.
/// Whether the seller exists is the caller's to check, in its transaction.
pub fn assign_role(
    role: Role,
    seller_id: Option<String>,
    courier_id: Option<i64>,
    shipping_address: Option<&str>,
) -> Result<RoleAssignment, ApiError> {
    let rule = |field: &str, needed: bool, present: bool| match (needed, present) {
        (true, false) => Err(ApiError::invalid(
            field,
            format!("is required for the role {}", role.as_str()),
        )),
        (false, true) => Err(ApiError::invalid(
            field,
            format!("is not allowed for the role {}", role.as_str()),
        )),
        _ => Ok(()),
    };
    rule("seller_id", role == Role::SellerUser, seller_id.is_some())?;
    rule("courier_id", role == Role::Courier, courier_id.is_some())?;
    rule(
        "shipping_address",
        role == Role::MarketplaceUser,
        shipping_address.is_some(),
    )?;
    if courier_id.is_some_and(|id| id <= 0) {
        return Err(ApiError::invalid(
            "courier_id",
            "must be a positive courier id",
        ));
    }
    Ok(RoleAssignment {
        role,
        seller_id: seller_id.map(SellerId::from),
        courier_id,
        shipping_address: optional_text::<Address>(shipping_address, "shipping_address")?,
    })
}

/// Fields every new user has, parsed: email, password (checked against the email and name,
/// then hashed here) and name. Every way of setting a password goes through here.
pub async fn parse_identity(
    passwords: &Passwords,
    email: &str,
    password: &str,
    name: &str,
) -> Result<(Email, String, Name), ApiError> {
    let email = Email::parse(email).field("email")?;
    let name = Name::parse(name).field("name")?;
    let password =
        NewPassword::parse(password, &[email.as_str(), name.as_str()]).field("password")?;
    let hash = passwords.hash(password.expose().to_owned()).await?;
    Ok((email, hash.0, name))
}

/// Create a user of any role
///
/// Seller users need `seller_id`, couriers `courier_id` (101-110 in the seed fleet), marketplace
/// users `shipping_address`. The password must be 8 to 128 characters and hard to guess (422 naming
/// `password` otherwise); an email already registered is a 409.
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, body = UserResponse), (status = 403, body = platform::error::Problem),
        (status = 409, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<CreateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let body = body.into_inner();
    let assignment = assign_role(
        body.role,
        body.seller_id,
        body.courier_id,
        body.shipping_address.as_deref(),
    )?;
    let (email, password_hash, name) =
        parse_identity(&state.passwords, &body.email, &body.password, &body.name).await?;
    let new = NewUser {
        email: email.to_string(),
        password_hash,
        role: assignment.role,
        name: name.into_inner(),
        seller_id: assignment.seller_id,
        courier_id: assignment.courier_id,
        shipping_address: assignment.shipping_address,
    };
    let user = state
        .store
        .write(move |conn| {
            if let Some(seller_id) = &new.seller_id {
                sellers::find(conn, seller_id).on_missing(|| {
                    ApiError::invalid("seller_id", format!("no seller has the id {seller_id}"))
                })?;
            }
            users::insert(conn, &new).or_duplicate("email", &new.email)
        })
        .await?;
    Ok(HttpResponse::Created().json(UserResponse::from_user(user)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only users of this role.
    pub role: Option<Role>,
}

/// List users, newest first, optionally of one role or seller
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(UserFilter, PageQuery),
    responses((status = 200, body = Page<UserResponse>), (status = 403, body = platform::error::Problem)))]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    auth: Authenticated,
    filter: Query<UserFilter>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<UserResponse>>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let (limit, offset) = page.into_inner().bounds()?;
    let role = filter.role;
    let (items, total) = state
        .store
        .read(move |conn| Ok(users::list(conn, role, PageRequest { limit, offset })?))
        .await?;
    let items = items
        .into_iter()
        .map(UserResponse::from_user)
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, total, (limit, offset))))
}

/// One user by id
///
/// Who may call: `marketplace_admin` for any user; any other signed-in user for their own id only.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<UserResponse>, ApiError> {
    let id = id.into_inner();
    if !auth.has_role(Role::MarketplaceAdmin) && auth.sub != id {
        return Err(ApiError::forbidden("only administrators see other users"));
    }
    let user = state
        .store
        .read(move |conn| {
            users::find(conn, &id).on_missing(|| ApiError::not_found(format!("user {id}")))
        })
        .await?;
    Ok(web::Json(UserResponse::from_user(user)?))
}
