//! Login, self-registration of marketplace users, the caller's own profile and password, and
//! the JWKS. Log-ins, and the current password a password change asks for, pass the log-in
//! throttle first (see [`crate::login_throttle`]).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use platform::auth::{AccessToken, Authenticated, Role, TokenSubject};
use platform::db::{OnMissing, OrDuplicate};
use platform::json::Json;
use platform::{ApiError, FieldResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::{UserResponse, parse_identity};
use crate::db::ChangedBy;
use crate::db::users::{self, NewUser, User};
use crate::domain::{Address, BoundedText, Email, NewPassword};
use crate::login_throttle::Attempt;
use crate::state::AppState;
use crate::user_lifecycle::{self, Change};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(register)
        .service(me)
        .service(change_password)
        .service(jwks);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "buyer@cargoexpress.test", "password": "buyer-demo-2026"}))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    #[serde(flatten)]
    pub token: AccessToken,
    pub user: UserResponse,
}

/// Log in: exchange an email and password for an access token
///
/// The answer's `access_token` goes in `Authorization: Bearer <token>` on every other call; it
/// lasts `expires_in` seconds. After repeated failures for the same email or from the same address,
/// log-ins are refused for a while (429 with `Retry-After`, the right password included). A
/// disabled account is refused with a 403 once its password is right. The example logs in as the
/// demo buyer; the demo logins are in the README.
///
/// Who may call: anyone; no token needed.
#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem, description = "The account is disabled"),
        (status = 422, body = platform::error::Problem),
        (status = 429, body = platform::error::Problem, description = "Too many failed log-ins for this email or from this address",
            headers(("Retry-After" = u64, description = "Seconds until log-ins are checked again")))))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let email = email.trim().to_lowercase();
    let wrong = || ApiError::Unauthorized("email or password is wrong".to_owned());
    // No account has a longer email; refusing it here keeps such keys out of the throttle.
    if email.chars().count() > Email::MAX_CHARS {
        return Err(wrong());
    }
    let throttle = &state.login_throttle;
    let attempt = Attempt::new(&email, throttle.trusted_proxies().client_of(&request));
    let admitted = throttle.admit(&state.store.db, &attempt).await?;
    let user = state
        .store
        .read(move |conn| Ok(users::find_by_email(conn, &email)?))
        .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let valid = state.passwords.verify(password, hash).await;
    let Some(user) = user.filter(|_| valid) else {
        throttle.failed(&state.store.db, &attempt, admitted).await;
        return Err(wrong());
    };
    throttle.succeeded(&state.store.db, &attempt).await;
    if user.disabled_at.is_some() {
        return Err(ApiError::forbidden(
            "this account is disabled; an administrator can enable it",
        ));
    }
    Ok(web::Json(session(&state, user)?))
}

/// A token for `user`, of their current generation, with their profile.
fn session(state: &AppState, user: User) -> Result<LoginResponse, ApiError> {
    let generation = user.token_generation;
    let profile = UserResponse::from_user(user)?;
    let token = state.issuer.issue(TokenSubject {
        user_id: profile.id.clone(),
        email: profile.email.clone(),
        role: profile.role,
        seller_id: profile.seller_id.clone(),
        courier_id: profile.courier_id,
        generation,
    })?;
    Ok(LoginResponse {
        token,
        user: profile,
    })
}

/// Your new password, with the current one that shows it is you.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "my-current-password", "new_password": "harbor-violet-47"}))]
pub struct PasswordChangeRequest {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Change your own password
///
/// Give your current password and the new one (8 to 128 characters, hard to guess and not the
/// current one; 422 naming `new_password` otherwise). A wrong current password is a 422 naming
/// `current_password` and counts as a failed log-in, so the log-in throttle applies (429 with
/// `Retry-After`). Every token you held, this one included, is refused by every service within a
/// second; the answer carries a new one.
///
/// Who may call: any signed-in user.
#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = PasswordChangeRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem, description = "The account is disabled"),
        (status = 422, body = platform::error::Problem),
        (status = 429, body = platform::error::Problem, description = "Too many failed log-ins for this account or from this address",
            headers(("Retry-After" = u64, description = "Seconds until passwords are checked again")))))]
#[put("/auth/password")]
async fn change_password(
    state: web::Data<AppState>,
    request: HttpRequest,
    auth: Authenticated,
    body: Json<PasswordChangeRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let PasswordChangeRequest {
        current_password,
        new_password,
    } = body.into_inner();
    let id = auth.sub.clone();
    let user = state
        .store
        .read(move |conn| {
            users::find(conn, &id)
                .on_missing(|| ApiError::Unauthorized("the user no longer exists".to_owned()))
        })
        .await?;
    let new_password =
        NewPassword::parse(&new_password, &[&user.email, &user.name]).field("new_password")?;
    if new_password.expose() == current_password {
        return Err(ApiError::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let throttle = &state.login_throttle;
    let attempt = Attempt::new(&user.email, throttle.trusted_proxies().client_of(&request));
    let admitted = throttle.admit(&state.store.db, &attempt).await?;
    let current_hash = Some(user.password_hash.clone());
    if !state.passwords.verify(current_password, current_hash).await {
        throttle.failed(&state.store.db, &attempt, admitted).await;
        return Err(ApiError::invalid(
            "current_password",
            "is not your current password",
        ));
    }
    throttle.succeeded(&state.store.db, &attempt).await;
    let hash = state
        .passwords
        .hash(new_password.expose().to_owned())
        .await?
        .0;
    let (id, by) = (user.id.clone(), ChangedBy::caller(&auth));
    let change = Change::ChangePassword {
        hash,
        token_generation: auth.generation,
    };
    let gone = || ApiError::Unauthorized("the user no longer exists".to_owned());
    let user = state
        .store
        .write(
            move |conn| match user_lifecycle::apply(conn, &id, &change, &by) {
                Ok(Some(user)) => Ok(user),
                Ok(None) | Err(ApiError::NotFound(_)) => Err(gone()),
                Err(other) => Err(other),
            },
        )
        .await?;
    Ok(web::Json(session(&state, user)?))
}

/// A person registering by themselves as a marketplace user (seed 004 story 4).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ana.gomez@example.com", "password": "lantern-orchid-58", "name": "Ana Gómez", "shipping_address": "Carrera 7 # 32-16, Bogotá"}))]
pub struct RegisterRequest {
    #[schema(
        max_length = 254,
        pattern = r"^[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^@\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^@.\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$"
    )]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(value_type = platform::text::Name)]
    pub name: String,
    /// Seed 004's spelling `shipping_addres` is accepted too.
    #[serde(alias = "shipping_addres")]
    #[schema(value_type = platform::text::Address)]
    pub shipping_address: String,
}

/// Register yourself as a marketplace user (a buyer)
///
/// Creates a `marketplace_user` with a shipping address (seed 004 story 4); log in afterwards with
/// `POST /auth/login`. The password must be 8 to 128 characters and hard to guess (422 naming
/// `password` otherwise); an email already registered is a 409. Seed 004's spelling
/// `shipping_addres` is accepted too.
///
/// Who may call: anyone; no token needed.
#[utoipa::path(tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserResponse), (status = 409, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem)))]
#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let shipping_address = Address::parse(&body.shipping_address).field("shipping_address")?;
    let (email, password_hash, name) =
        parse_identity(&state.passwords, &body.email, &body.password, &body.name).await?;
    let new = NewUser {
        email: email.to_string(),
        password_hash,
        role: Role::MarketplaceUser,
        name: name.into_inner(),
        seller_id: None,
        courier_id: None,
        shipping_address: Some(shipping_address.into_inner()),
    };
    let user = state
        .store
        .write(move |conn| users::insert(conn, &new).or_duplicate("email", &new.email))
        .await?;
    Ok(HttpResponse::Created().json(UserResponse::from_user(user)?))
}

/// Your own profile: the user your token belongs to
///
/// Who may call: any signed-in user.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserResponse), (status = 401, body = platform::error::Problem)))]
#[get("/auth/me")]
async fn me(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<web::Json<UserResponse>, ApiError> {
    let id = auth.sub.clone();
    let user = state
        .store
        .read(move |conn| {
            users::find(conn, &id)
                .on_missing(|| ApiError::Unauthorized("the user no longer exists".to_owned()))
        })
        .await?;
    Ok(web::Json(UserResponse::from_user(user)?))
}

/// The public keys that verify platform tokens (JWKS, RFC 7517)
///
/// Every service verifies tokens with these keys; only ecommerce holds the private key that signs
/// them.
///
/// Who may call: anyone; no token needed.
#[utoipa::path(tag = "auth", responses((status = 200, description = "JSON Web Key Set", content_type = "application/json")))]
#[get("/.well-known/jwks.json")]
async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.issuer.jwks())
}
