//! The administrator's side of the user lifecycle ([`crate::user_lifecycle`]): disable, enable
//! and delete a user, change a role, reset a password, and read who did what and when. The
//! user's own password change is at `PUT /auth/password`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use platform::ApiError;
use platform::auth::{Authenticated, Role};
use platform::db::OnMissing;
use platform::json::Json;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sellers::ChangedByResponse;
use super::users::{UserResponse, assign_role};
use super::utc;
use crate::db::user_changes::{self, UserChange};
use crate::db::{ChangedBy, PageRequest, users};
use crate::domain::NewPassword;
use crate::state::AppState;
use crate::user_lifecycle::{self, Change};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(disable_user)
        .service(enable_user)
        .service(delete_user)
        .service(change_role)
        .service(reset_password)
        .service(list_user_changes);
}

/// Applies `change` to user `id` for the administrator `auth`.
async fn change_user(
    state: &AppState,
    auth: &Authenticated,
    id: String,
    change: Change,
) -> Result<Option<UserResponse>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let by = ChangedBy::caller(auth);
    let user = state
        .store
        .write(move |conn| user_lifecycle::apply(conn, &id, &change, &by))
        .await?;
    user.map(UserResponse::from_user).transpose()
}

/// The user as a change left them; only a deletion leaves none.
fn changed(user: Option<UserResponse>) -> Result<web::Json<UserResponse>, ApiError> {
    user.map(web::Json).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "a change other than a deletion left no user"
        ))
    })
}

/// Disable a user
///
/// They can no longer log in, and every token they hold is refused by every service within
/// a second. Disabling a disabled user changes nothing. Administrators cannot disable
/// themselves, nor the platform's last active administrator (409).
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem)))]
#[post("/users/{id}/disable")]
async fn disable_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<UserResponse>, ApiError> {
    changed(change_user(&state, &auth, id.into_inner(), Change::Disable).await?)
}

/// Enable a disabled user
///
/// They can log in again; tokens from before they were disabled stay refused.
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[post("/users/{id}/enable")]
async fn enable_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<UserResponse>, ApiError> {
    changed(change_user(&state, &auth, id.into_inner(), Change::Enable).await?)
}

/// Delete a user
///
/// Their email, name, address and password are erased (the email can register again) and
/// every token they hold is refused within a second. Orders they placed stay, as the
/// marketplace's records; the audit trail keeps their id. Administrators cannot delete
/// themselves, nor the platform's last active administrator (409).
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "User id")),
    responses((status = 204), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem)))]
#[delete("/users/{id}")]
async fn delete_user(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change_user(&state, &auth, id.into_inner(), Change::Delete).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's new role, with what it needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "support"}))]
pub struct RoleRequest {
    pub role: Role,
    /// Required for seller users: the seller they work for.
    pub seller_id: Option<String>,
    /// Required for couriers: their courier id.
    #[schema(minimum = 1)]
    pub courier_id: Option<i64>,
    /// Required for marketplace users.
    #[schema(value_type = Option<platform::text::Address>)]
    pub shipping_address: Option<String>,
}

/// Change a user's role
///
/// As at creation, seller users need `seller_id`, couriers `courier_id` and marketplace users
/// `shipping_address`; no role keeps another role's field. Their tokens, which name the old
/// role, are refused within a second: they log in again. Administrators cannot change their
/// own role, nor demote the platform's last active administrator (409).
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = RoleRequest,
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[put("/users/{id}/role")]
async fn change_role(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<RoleRequest>,
) -> Result<web::Json<UserResponse>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let body = body.into_inner();
    let to = assign_role(
        body.role,
        body.seller_id,
        body.courier_id,
        body.shipping_address.as_deref(),
    )?;
    changed(change_user(&state, &auth, id.into_inner(), Change::Role(to)).await?)
}

/// A password the server made for a user, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordResetResponse {
    /// Give it to the user over a trusted channel; they change it with `PUT /auth/password`.
    pub temporary_password: String,
}

/// Reset a user's password
///
/// The server makes a new random password and answers it once; nobody, the administrator
/// included, chooses it. Every token the user holds is refused within a second. Administrators
/// change their own password with `PUT /auth/password` (409 here).
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = PasswordResetResponse), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 409, body = platform::error::Problem)))]
#[post("/users/{id}/password-reset")]
async fn reset_password(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<web::Json<PasswordResetResponse>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let temporary_password = NewPassword::random()?;
    let hash = state.passwords.hash(temporary_password.clone()).await?.0;
    change_user(
        &state,
        &auth,
        id.into_inner(),
        Change::ResetPassword { hash },
    )
    .await?;
    Ok(web::Json(PasswordResetResponse { temporary_password }))
}

/// One change of a user: what, who and when.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserChangeResponse {
    pub id: i64,
    /// `disabled`, `enabled`, `deleted`, `role_changed`, `password_reset` or `password_changed`.
    pub action: String,
    /// What changed, for a role change: `{"role": {"old": "support", "new": "marketplace_admin"}}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub changed_at: DateTime<Utc>,
    pub changed_by: ChangedByResponse,
}

impl TryFrom<UserChange> for UserChangeResponse {
    type Error = ApiError;

    fn try_from(change: UserChange) -> Result<Self, ApiError> {
        let details = serde_json::from_str(&change.details).map_err(|error| {
            anyhow::anyhow!("user change {} holds no JSON object: {error}", change.id)
        })?;
        Ok(Self {
            id: change.id,
            action: change.action,
            details,
            changed_at: utc(change.changed_at),
            changed_by: ChangedByResponse {
                user_id: change.changed_by,
                email: change.changed_by_email,
                role: change.changed_by_role,
            },
        })
    }
}

/// A user's audit trail, newest first
///
/// Every disable, enable, deletion, role change, password reset and password change, with who
/// made it and when. A deleted user's trail stays readable.
///
/// Who may call: `marketplace_admin`.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, description = "User id"), PageQuery),
    responses((status = 200, body = Page<UserChangeResponse>), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem)))]
#[get("/users/{id}/changes")]
async fn list_user_changes(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<UserChangeResponse>>, ApiError> {
    auth.require_any(&[Role::MarketplaceAdmin])?;
    let (limit, offset) = page.into_inner().bounds()?;
    let id = id.into_inner();
    let (items, total) = state
        .store
        .read(move |conn| {
            let (items, total) = user_changes::of_user(conn, &id, PageRequest { limit, offset })?;
            if total == 0 {
                users::find(conn, &id).on_missing(|| ApiError::not_found(format!("user {id}")))?;
            }
            Ok((items, total))
        })
        .await?;
    let items = items
        .into_iter()
        .map(UserChangeResponse::try_from)
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, total, (limit, offset))))
}
