//! Ally credentials (seed 003 §3-4): an ally is a store (seller) as a partner whose
//! communication credentials the marketplace keeps, so `allyId` is the seller's id.
//!
//! The two endpoints of the seed's API answer exactly as its documentation says (status codes,
//! `message`, `allyId`, `allyName`), so a client written to the seed works unchanged. Errors
//! stay the platform's problem documents (`type`, `title`, `status`, `detail`,
//! `invalid-params`) with the seed's `message` added as a member, so a client written to the
//! platform's errors works too. Every error of these routes carries a `message`.
//!
//! Support engineers and the administrator manage the credentials; service clients (the
//! systems that talk to allies) may also ask whether an ally has them. Nobody ever reads them
//! back: no answer, log line or error holds the user name or the password. Every change is a
//! new version; the history says who made each one, when, and under which key.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use platform::ApiError;
use platform::auth::{Authenticated, Role};
use platform::db::OnMissing;
use platform::error::InvalidParam;
use platform::json::RawBody;
use platform::pagination::{Page, PageQuery};
use platform::query::Query;
use secrecy::SecretString;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroize;

use super::sellers::ChangedByResponse;
use super::utc;
use crate::db::ChangedBy;
use crate::db::sellers;
use crate::db::{PageRequest, ally_credentials, now};
use crate::domain::ally_credentials::{Precondition, VersionMoved, entity_tag};
use crate::domain::{AllyCredentials, SellerId};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(add_credentials)
        .service(check_credentials)
        .service(revoke_credentials)
        .service(credentials_history);
}

/// The seed's messages, word for word.
pub const ADDED: &str = "Credentials added";
pub const ADD_REFUSED: &str = "The ally was not found or the request is not correct";
pub const SET: &str = "Ally has credentials set!";
pub const NOT_SET: &str = "Ally does not have credentials set!";
pub const NOT_FOUND: &str = "Ally was not found";
pub const SERVER_ERROR: &str = "Server error";
/// Ours, for what the seed's API did not have.
pub const REVOKED: &str = "Credentials revoked";

/// Who manages ally credentials.
const MANAGERS: &[Role] = &[Role::Support, Role::MarketplaceAdmin];
/// Who may ask whether an ally has credentials.
const CHECKERS: &[Role] = &[Role::Support, Role::MarketplaceAdmin, Role::ServiceClient];

/// The seed's body of `POST /allies/{allyId}/credentials`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsAdded {
    /// `Credentials added` (or `Credentials revoked` for a revocation).
    pub message: String,
    pub ally_id: String,
    /// The store's name.
    pub ally_name: String,
}

/// The seed's body of `GET /allies/{allyId}/credentials`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialsStatus {
    /// `Ally has credentials set!`
    pub message: String,
}

/// The credentials of an ally, as the seed's API takes them. Both values are secret.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"user": "cargo-express", "password": "ally-secret-2026"}))]
pub struct CredentialsRequest {
    /// The user name the marketplace uses with the ally.
    user: String,
    /// Its password; never answered, logged or shown again.
    password: String,
}

/// Add or replace an ally's communication credentials, encrypted at rest
///
/// Seed 003 §3. Each write is a new version, whose entity tag is in `ETag`; send it back in
/// `If-Match` to replace exactly that version (412 if another write came first), or `If-None-Match:
/// *` to add credentials only if the ally never had any. The password is never answered, logged or
/// shown again.
///
/// Who may call: `support`, `marketplace_admin`.
#[utoipa::path(tag = "allies", security(("bearer" = [])), request_body = CredentialsRequest,
    params(("allyId" = String, Path, description = "The ally's id: the store's (seller's) id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The version this write replaces, e.g. \"2\", or *", pattern = r#"^ *(\*|"0*[1-9][0-9]{0,17}"( *, *"0*[1-9][0-9]{0,17}")*) *$"#),
        ("If-None-Match" = Option<String>, Header, nullable = false, description = "* to write only if the ally never had credentials", pattern = r"^ *\* *$")),
    responses(
        (status = 200, body = CredentialsAdded, headers(("ETag" = String, description = "The new version, e.g. \"3\""))),
        (status = 400, body = platform::error::Problem, description = "The ally was not found or the request is not correct (`message`)"),
        (status = 401, body = platform::error::Problem), (status = 403, body = platform::error::Problem),
        (status = 412, body = platform::error::Problem, description = "Another write came first (`currentVersion`)"),
        (status = 500, body = platform::error::Problem, description = "Server error (`message`)")))]
#[post("/allies/{allyId}/credentials")]
async fn add_credentials(
    state: web::Data<AppState>,
    auth: Result<Authenticated, ApiError>,
    request: HttpRequest,
    ally_id: web::Path<String>,
    body: Result<RawBody, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let refused = |error: ApiError| seed_shaped(error, StatusCode::BAD_REQUEST, ADD_REFUSED);
    let auth = auth.map_err(refused)?;
    auth.require_any(MANAGERS).map_err(refused)?;
    let precondition = precondition(request.headers()).map_err(refused)?;
    require_json(&request).map_err(refused)?;
    let credentials = parse_credentials(&body.map_err(refused)?.0).map_err(refused)?;
    let ally_id = ally_id.into_inner();
    let changed_by = ChangedBy::caller(&auth);
    let vault = state.vault.clone();
    let id = SellerId::from(ally_id.clone());
    let (ally_name, version, key_id) = state
        .store
        .write(move |conn| {
            let ally = sellers::find(conn, &id)
                .on_missing(|| ApiError::not_found(format!("ally {id}")))?;
            ally_credentials::take_turn(conn, id.as_str())?;
            let current = ally_credentials::latest(conn, id.as_str())?.map(|v| v.version);
            precondition.check(current).map_err(moved)?;
            let version = current.unwrap_or(0) + 1;
            let sealed = vault.seal(id.as_str(), version, &credentials)?;
            ally_credentials::add(
                conn,
                id.as_str(),
                version,
                Some(&sealed),
                &changed_by,
                now(),
            )
            .map_err(lost_race)?;
            Ok((ally.row.name, version, sealed.key_id))
        })
        .await
        .map_err(refused)?;
    tracing::info!(ally_id, version, key_id, "ally credentials set");
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, entity_tag(version)))
        .json(CredentialsAdded {
            message: ADDED.to_owned(),
            ally_id,
            ally_name,
        }))
}

/// Check that an ally has active credentials and is an allowed origin
///
/// Seed 003 §3: the store exists (a deleted store's credentials go with it), its latest credentials
/// version sets them (it is not a revocation), and they decrypt with a key the service holds.
/// `ETag` names the latest version. The secret itself is never answered.
///
/// Who may call: `support`, `marketplace_admin`, `service_client`.
#[utoipa::path(tag = "allies", security(("bearer" = [])),
    params(("allyId" = String, Path, description = "The ally's id: the store's (seller's) id")),
    responses(
        (status = 200, body = CredentialsStatus, headers(("ETag" = String, description = "The latest version, e.g. \"3\""))),
        (status = 400, body = platform::error::Problem, description = "Ally does not have credentials set! (`message`)"),
        (status = 401, body = platform::error::Problem), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem, description = "Ally was not found (`message`)"),
        (status = 500, body = platform::error::Problem, description = "Server error (`message`)")))]
#[get("/allies/{allyId}/credentials")]
async fn check_credentials(
    state: web::Data<AppState>,
    auth: Result<Authenticated, ApiError>,
    ally_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let shaped = |error: ApiError| seed_shaped(error, StatusCode::NOT_FOUND, NOT_FOUND);
    let auth = auth.map_err(shaped)?;
    auth.require_any(CHECKERS).map_err(shaped)?;
    let ally_id = ally_id.into_inner();
    let id = SellerId::from(ally_id.clone());
    let latest = state
        .store
        .read(move |conn| {
            sellers::find(conn, &id).on_missing(|| ApiError::not_found(format!("ally {id}")))?;
            Ok(ally_credentials::latest(conn, id.as_str())?)
        })
        .await
        .map_err(shaped)?;
    let Some((version, sealed)) = latest.and_then(|v| v.sealed().map(|s| (v.version, s))) else {
        return Err(not_set(&ally_id));
    };
    if let Err(why) = state.vault.open(&ally_id, version, &sealed) {
        tracing::error!(
            ally_id,
            version,
            key_id = sealed.key_id,
            %why,
            "ally credentials cannot be read"
        );
        let error = ApiError::Internal(anyhow::anyhow!("ally credentials cannot be read: {why}"));
        return Err(error.with_member("message", SERVER_ERROR));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, entity_tag(version)))
        .json(CredentialsStatus {
            message: SET.to_owned(),
        }))
}

/// Revoke an ally's credentials (a leak, a partner that left)
///
/// A new version that holds none. `If-Match` works as for a write.
///
/// Who may call: `support`, `marketplace_admin`.
#[utoipa::path(tag = "allies", security(("bearer" = [])),
    params(("allyId" = String, Path, description = "The ally's id: the store's (seller's) id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The version this revocation replaces, e.g. \"2\", or *", pattern = r#"^ *(\*|"0*[1-9][0-9]{0,17}"( *, *"0*[1-9][0-9]{0,17}")*) *$"#)),
    responses(
        (status = 200, body = CredentialsAdded, description = "Credentials revoked", headers(("ETag" = String, description = "The new version"))),
        (status = 400, body = platform::error::Problem, description = "Ally does not have credentials set! (`message`)"),
        (status = 401, body = platform::error::Problem), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem, description = "Ally was not found (`message`)"),
        (status = 412, body = platform::error::Problem, description = "Another write came first (`currentVersion`)")))]
#[delete("/allies/{allyId}/credentials")]
async fn revoke_credentials(
    state: web::Data<AppState>,
    auth: Result<Authenticated, ApiError>,
    request: HttpRequest,
    ally_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let shaped = |error: ApiError| seed_shaped(error, StatusCode::NOT_FOUND, NOT_FOUND);
    let auth = auth.map_err(shaped)?;
    auth.require_any(MANAGERS).map_err(shaped)?;
    let precondition = precondition(request.headers()).map_err(shaped)?;
    let ally_id = ally_id.into_inner();
    let changed_by = ChangedBy::caller(&auth);
    let id = SellerId::from(ally_id.clone());
    let (ally_name, version) = state
        .store
        .write(move |conn| {
            let ally = sellers::find(conn, &id)
                .on_missing(|| ApiError::not_found(format!("ally {id}")))?;
            ally_credentials::take_turn(conn, id.as_str())?;
            let latest = ally_credentials::latest(conn, id.as_str())?;
            let current = latest.as_ref().map(|v| v.version);
            precondition.check(current).map_err(moved)?;
            if latest.and_then(|v| v.sealed()).is_none() {
                return Err(not_set(id.as_str()));
            }
            let version = current.unwrap_or(0) + 1;
            ally_credentials::add(conn, id.as_str(), version, None, &changed_by, now())
                .map_err(lost_race)?;
            Ok((ally.row.name, version))
        })
        .await
        .map_err(shaped)?;
    tracing::info!(ally_id, version, "ally credentials revoked");
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, entity_tag(version)))
        .json(CredentialsAdded {
            message: REVOKED.to_owned(),
            ally_id,
            ally_name,
        }))
}

/// One version of an ally's credentials: who, when, with which key; never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialsVersionResponse {
    pub version: i64,
    /// `set` or `revoked`.
    pub action: String,
    /// The key that encrypts this version now (none for a revocation).
    pub key_id: Option<String>,
    pub changed_by: ChangedByResponse,
    pub changed_at: DateTime<Utc>,
    /// When a key rotation last re-encrypted it.
    pub re_encrypted_at: Option<DateTime<Utc>>,
}

/// Every version of an ally's credentials, newest first
///
/// Seed 003 §4: when credentials stop working, who changed them last, and when. No secret is shown.
///
/// Who may call: `support`, `marketplace_admin`.
#[utoipa::path(tag = "allies", security(("bearer" = [])),
    params(("allyId" = String, Path, description = "The ally's id: the store's (seller's) id"), PageQuery),
    responses((status = 200, body = Page<CredentialsVersionResponse>),
        (status = 400, body = platform::error::Problem, description = "A `limit` or `offset` out of range, naming it (seed 003 answers 400, with `message`)"),
        (status = 401, body = platform::error::Problem), (status = 403, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem, description = "Ally was not found (`message`)")))]
#[get("/allies/{allyId}/credentials/history")]
async fn credentials_history(
    state: web::Data<AppState>,
    auth: Result<Authenticated, ApiError>,
    ally_id: web::Path<String>,
    page: Query<PageQuery>,
) -> Result<web::Json<Page<CredentialsVersionResponse>>, ApiError> {
    let shaped = |error: ApiError| seed_shaped(error, StatusCode::NOT_FOUND, NOT_FOUND);
    let auth = auth.map_err(shaped)?;
    auth.require_any(MANAGERS).map_err(shaped)?;
    let (limit, offset) = page.into_inner().bounds().map_err(shaped)?;
    let id = SellerId::from(ally_id.into_inner());
    let (items, total) = state
        .store
        .read(move |conn| {
            sellers::find(conn, &id).on_missing(|| ApiError::not_found(format!("ally {id}")))?;
            Ok(ally_credentials::history(
                conn,
                id.as_str(),
                PageRequest { limit, offset },
            )?)
        })
        .await
        .map_err(shaped)?;
    let items = items
        .into_iter()
        .map(|v| CredentialsVersionResponse {
            version: v.version,
            action: v.action,
            key_id: v.key_id,
            changed_by: ChangedByResponse {
                user_id: v.changed_by,
                email: Some(v.changed_by_email),
                role: Some(v.changed_by_role),
            },
            changed_at: utc(v.changed_at),
            re_encrypted_at: v.re_encrypted_at.map(utc),
        })
        .collect();
    Ok(web::Json(Page::new(items, total, (limit, offset))))
}

/// The platform's problem for `error`, with the seed's status and `message` where the seed
/// defines them: `refused` for a missing ally (and, on a write, a bad request), "Server error"
/// for a server fault; the problem's own detail as `message` elsewhere.
fn seed_shaped(error: ApiError, refused_status: StatusCode, refused: &str) -> ApiError {
    match error {
        ApiError::Shaped { .. } => error,
        ApiError::NotFound(_) => error
            .with_status(refused_status)
            .with_member("message", refused),
        ApiError::Invalid(_)
        | ApiError::Malformed { .. }
        | ApiError::UnsupportedMediaType(_)
        | ApiError::PayloadTooLarge { .. } => {
            let message = if refused_status == StatusCode::BAD_REQUEST {
                refused.to_owned()
            } else {
                error.to_problem().detail
            };
            error
                .with_status(StatusCode::BAD_REQUEST)
                .with_member("message", message)
        }
        ApiError::Internal(_) | ApiError::Unavailable(_) => {
            error.with_member("message", SERVER_ERROR)
        }
        other => {
            let detail = other.to_problem().detail;
            other.with_member("message", detail)
        }
    }
}

/// "Ally does not have credentials set!": 400, as the seed says.
fn not_set(ally_id: &str) -> ApiError {
    ApiError::not_found(format!("active credentials of ally {ally_id}"))
        .with_status(StatusCode::BAD_REQUEST)
        .with_member("message", NOT_SET)
}

/// 412: the version the write meant to replace is no longer the current one.
fn moved(moved: VersionMoved) -> ApiError {
    let (detail, current) = match moved.current {
        Some(current) => (
            format!(
                "the ally's credentials are at version {current}, not the one this request \
                 expects: another write came first; read them again (GET) and decide"
            ),
            serde_json::json!(current),
        ),
        None => (
            "the ally has no credentials version yet, and this request expects one".to_owned(),
            serde_json::Value::Null,
        ),
    };
    ApiError::PreconditionFailed(detail.clone())
        .with_member("message", detail)
        .with_member("currentVersion", current)
}

/// A version number taken by a concurrent write (which the turn-taking should prevent).
fn lost_race(error: diesel::result::Error) -> ApiError {
    match error {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => ApiError::PreconditionFailed(
            "another write of the ally's credentials came first; read them again".to_owned(),
        ),
        other => other.into(),
    }
}

fn precondition(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    let value = |name: header::HeaderName| -> Result<Option<String>, ApiError> {
        let mut values = headers.get_all(&name).peekable();
        if values.peek().is_none() {
            return Ok(None);
        }
        let joined: Result<Vec<&str>, _> = values.map(|v| v.to_str()).collect();
        joined
            .map(|parts| Some(parts.join(",")))
            .map_err(|_| ApiError::invalid(name.as_str(), "must be ASCII"))
    };
    let if_match = value(header::IF_MATCH)?;
    let if_none_match = value(header::IF_NONE_MATCH)?;
    Precondition::parse(if_match.as_deref(), if_none_match.as_deref())
        .map_err(|why| ApiError::invalid("If-Match", why))
}

fn require_json(request: &HttpRequest) -> Result<(), ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
        });
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the body as application/json".to_owned(),
        ))
    }
}

/// Reads `{"user": "...", "password": "..."}` straight into secrets. Unlike the platform's
/// `Json`, no error quotes the body: serde's messages can quote a value ("invalid type: integer
/// `123456`"), and here a value is a password.
fn parse_credentials(body: &[u8]) -> Result<AllyCredentials, ApiError> {
    let not_an_object = || {
        ApiError::invalid(
            "body",
            "must be a JSON object with exactly the fields user and password, both strings",
        )
    };
    let parsed: CredentialsBody = serde_json::from_slice(body).map_err(|error| {
        if error.is_data() {
            not_an_object()
        } else {
            ApiError::Malformed {
                detail: format!(
                    "the body is not valid JSON (line {}, column {})",
                    error.line(),
                    error.column()
                ),
                params: vec![],
            }
        }
    })?;
    // serde also takes a struct from an array (`["user", "password"]`): only an object will do.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(not_an_object());
    }
    let mut params = Vec::new();
    let mut take = |field: &str, value: Option<SecretValue>| match value {
        Some(SecretValue::Text(text)) => Some(text),
        Some(SecretValue::NotText) => {
            params.push(InvalidParam {
                name: field.to_owned(),
                reason: "must be a string".to_owned(),
            });
            None
        }
        None => {
            params.push(InvalidParam {
                name: field.to_owned(),
                reason: "is required".to_owned(),
            });
            None
        }
    };
    let user = take("user", parsed.user);
    let password = take("password", parsed.password);
    let (Some(user), Some(password)) = (user, password) else {
        return Err(ApiError::Invalid(params));
    };
    AllyCredentials::parse(user, password).map_err(|refused| {
        ApiError::Invalid(
            refused
                .into_iter()
                .map(|r| InvalidParam {
                    name: r.field.to_owned(),
                    reason: r.reason.to_owned(),
                })
                .collect(),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsBody {
    #[serde(default)]
    user: Option<SecretValue>,
    #[serde(default)]
    password: Option<SecretValue>,
}

/// A body value that is a secret if it is a string; anything else is only noted.
enum SecretValue {
    Text(SecretString),
    NotText,
}

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = SecretValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<SecretValue, E> {
        Ok(SecretValue::Text(SecretString::from(value)))
    }

    fn visit_string<E: de::Error>(self, mut value: String) -> Result<SecretValue, E> {
        let secret = SecretString::from(value.as_str());
        value.zeroize();
        Ok(SecretValue::Text(secret))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<SecretValue, E> {
        Ok(SecretValue::NotText)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretValue, E> {
        Ok(SecretValue::NotText)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretValue, E> {
        Ok(SecretValue::NotText)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<SecretValue, E> {
        Ok(SecretValue::NotText)
    }

    fn visit_unit<E: de::Error>(self) -> Result<SecretValue, E> {
        Ok(SecretValue::NotText)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SecretValue, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(SecretValue::NotText)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretValue, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(SecretValue::NotText)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn reasons(error: ApiError) -> String {
        format!(
            "{:?} {}",
            error,
            serde_json::to_string(&error.to_problem()).unwrap()
        )
    }

    #[test]
    fn the_seeds_body_is_read_into_secrets() {
        let credentials =
            parse_credentials(br#"{"user": "aliado_addi", "password": "}sxh7_5}BdJ4K:Qf"}"#)
                .unwrap();
        assert_eq!(credentials.user().expose_secret(), "aliado_addi");
        assert_eq!(credentials.password().expose_secret(), "}sxh7_5}BdJ4K:Qf");
        let escaped = parse_credentials(br#"{"user": "a\"b", "password": "p\u00e9"}"#).unwrap();
        assert_eq!(escaped.password().expose_secret(), "pé");
    }

    #[test]
    fn a_bad_body_is_refused_without_quoting_a_value() {
        let cases: [&[u8]; 6] = [
            br#"{"user": "addi", "password": 123456}"#,
            br#"{"user": "addi"}"#,
            br#"{"user": "addi", "password": "hunter2", "pasword": "hunter3"}"#,
            br#"["addi", "hunter2"]"#,
            br#"{"user": "addi", "password": "hunter2"#,
            br#"{"user": ["addi"], "password": {"hunter2": 1}}"#,
        ];
        for body in cases {
            let error = parse_credentials(body)
                .err()
                .unwrap_or_else(|| panic!("refused: {}", String::from_utf8_lossy(body)));
            let said = reasons(error);
            for secret in ["123456", "hunter", "addi"] {
                assert!(!said.contains(secret), "{said}");
            }
        }
    }

    #[test]
    fn refusals_take_the_seeds_status_and_message() {
        let shaped = seed_shaped(
            ApiError::invalid("password", "is required"),
            StatusCode::BAD_REQUEST,
            ADD_REFUSED,
        );
        let problem = serde_json::to_value(shaped.to_problem()).unwrap();
        assert_eq!(problem["status"], 400);
        assert_eq!(problem["message"], ADD_REFUSED);
        assert_eq!(problem["invalid-params"][0]["name"], "password");
        let missing = seed_shaped(
            ApiError::not_found("ally x"),
            StatusCode::NOT_FOUND,
            NOT_FOUND,
        );
        let problem = serde_json::to_value(missing.to_problem()).unwrap();
        assert_eq!(
            (problem["status"].as_u64(), &problem["message"]),
            (Some(404), &serde_json::json!(NOT_FOUND))
        );
    }
}
