//! `Json<T>`: the request body extractor of every service, and [`RawBody`] for the rare route
//! that must see the exact bytes (a signed webhook).
//!
//! Unlike actix's own, it answers bad bodies with problem details that name the field:
//! syntax errors get 400 with the line and column, type errors and missing or unknown fields
//! get 422 with the JSON path of the field (`lines[1].quantity`). A body that is not declared
//! as JSON gets 415. A body over [`MAX_BODY_BYTES`] gets 413 naming the limit, whether its
//! length was declared (refused before it is read) or not (refused once that much has arrived).
//! Both read the body themselves, so actix's `PayloadConfig` does not apply to them.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{self, BodyStream};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, InvalidParam};

mod strict;

/// Largest accepted body, on every route of every service. The largest requests of the platform
/// are courier report batches: 500 reports of three lines each come to about 125 KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

type BodyFuture<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = BodyFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::from_request(req, payload);
        Box::pin(async move { parse(&body.await?.0).map(Json) })
    }
}

/// The body of a request declared as JSON, not parsed yet: for a handler that reads it in more
/// than one way (a fast typed reading first, [`parse`] when that fails). The same answers as
/// [`Json`] for a body that is not declared as JSON (415) or is too large (413).
pub struct JsonBody(pub Bytes);

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = BodyFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let body = RawBody::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".to_owned(),
                ));
            }
            Ok(JsonBody(body.await?.0))
        })
    }
}

/// The body as it came, up to [`MAX_BODY_BYTES`], whatever its media type.
pub struct RawBody(pub Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = BodyFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = payload.take();
        Box::pin(async move {
            let too_large = ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            };
            if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
                return Err(too_large);
            }
            match body::to_bytes_limited(BodyStream::new(payload), MAX_BODY_BYTES).await {
                Ok(Ok(bytes)) => Ok(RawBody(bytes)),
                Ok(Err(error)) => Err(ApiError::Malformed {
                    detail: format!("the body could not be read: {error}"),
                    params: vec![],
                }),
                Err(body::BodyLimitExceeded { .. }) => Err(too_large),
            }
        })
    }
}

/// Deserialises `bytes`, turning serde's error into a problem that names the field.
///
/// A whole number written with a fraction (`2.0`) is the same JSON number as `2` (RFC 8259 and
/// JSON Schema's `integer` make no difference), so an integer field takes it: when serde refuses
/// a float, the body is read again with every whole float below 2^53 as an integer. The
/// second reading costs nothing to bodies that never send one.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // No database stores a NUL character in text (PostgreSQL refuses it outright); JSON can
    // only carry one escaped, so bodies without the escape are never read twice.
    if has_escaped_nul(bytes)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(path) = nul_path(&value, String::new())
    {
        return Err(ApiError::invalid(
            if path.is_empty() {
                "body".to_owned()
            } else {
                path
            },
            "must not contain a NUL character",
        ));
    }
    match parse_exact(bytes) {
        Err(ApiError::Invalid(params))
            if params
                .iter()
                .any(|p| p.reason.starts_with("invalid type: floating point")) =>
        {
            let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                return Err(ApiError::Invalid(params));
            };
            whole_floats_as_integers(&mut value);
            let bytes = serde_json::to_vec(&value).map_err(anyhow::Error::from)?;
            parse_exact(&bytes)
        }
        other => other,
    }
}

/// `bytes` read as `T` when [`parse`] would read them as `T` without complaint; `None`
/// otherwise, without saying why (no field path is tracked): the fast reading of a well-formed
/// body, for a handler that falls back to a slower one that explains. Structs are read from
/// objects only, as [`parse`] reads them, and a body with an escaped NUL character is left to
/// [`parse`] (which refuses it).
pub fn parse_well_formed<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    if has_escaped_nul(bytes) {
        return None;
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(strict::Strict(&mut deserializer)).ok()?;
    deserializer.end().ok()?;
    Some(value)
}

/// Whether `bytes` hold the escape of a NUL character, the only way JSON carries one.
fn has_escaped_nul(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == br"\u0000")
}

/// The JSON path of the first string (or member name) holding a NUL character.
fn nul_path(value: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) if text.contains('\0') => Some(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{at}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(name, member)| {
            let path = if at.is_empty() {
                name.replace('\0', "")
            } else {
                format!("{at}.{}", name.replace('\0', ""))
            };
            if name.contains('\0') {
                Some(path)
            } else {
                nul_path(member, path)
            }
        }),
        _ => None,
    }
}

fn whole_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact in an f64
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() < EXACT
            {
                // In range and whole, so the cast is exact.
                #[allow(clippy::cast_possible_truncation)]
                let integer = float as i64;
                *value = Value::from(integer);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        Value::Object(members) => members.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

fn parse_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(strict::Strict(deserializer)).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                let field = field_named_in(&message)
                    .map(|name| {
                        if path == "." {
                            name.to_owned()
                        } else {
                            format!("{path}.{name}")
                        }
                    })
                    .unwrap_or(path);
                let field = if field == "." {
                    "body".to_owned()
                } else {
                    field
                };
                ApiError::Invalid(vec![InvalidParam {
                    name: field,
                    reason: message,
                }])
            }
            // serde_json reports a well-formed value of the wrong kind for an enum (`{"role": 5}`,
            // `{"status": {}}`) as a syntax error; the body is JSON, so the field is at fault.
            serde_json::error::Category::Syntax
                if path != "."
                    && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() =>
            {
                ApiError::Invalid(vec![InvalidParam {
                    name: path,
                    reason: "has the wrong type: expected one of the values the API names"
                        .to_owned(),
                }])
            }
            _ => ApiError::Malformed {
                detail: format!("body is not valid JSON: {inner}"),
                params: vec![],
            },
        }
    })
}

/// serde names a missing field in its message rather than in the path.
fn field_named_in(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        quantity: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        lines: Vec<Line>,
    }

    fn params(error: ApiError) -> Vec<InvalidParam> {
        match error {
            ApiError::Invalid(params) => params,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed() {
        let error = parse::<Body>(b"{\"name\": ").unwrap_err();
        assert!(matches!(error, ApiError::Malformed { .. }));
    }

    #[test]
    fn wrong_types_name_the_nested_field() {
        let error = parse::<Body>(
            br#"{"name":"a","lines":[{"sku":"x","quantity":1},{"sku":"y","quantity":"2"}]}"#,
        )
        .unwrap_err();
        assert_eq!(params(error)[0].name, "lines[1].quantity");
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            params(parse::<Body>(br#"{"lines":[]}"#).unwrap_err())[0].name,
            "name"
        );
        let nested = parse::<Body>(br#"{"name":"a","lines":[{"sku":"x"}]}"#).unwrap_err();
        assert_eq!(params(nested)[0].name, "lines[0].quantity");
    }

    #[test]
    fn negative_numbers_for_unsigned_fields_are_invalid() {
        let error =
            parse::<Body>(br#"{"name":"a","lines":[{"sku":"x","quantity":-1}]}"#).unwrap_err();
        assert_eq!(params(error)[0].name, "lines[0].quantity");
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Role {
        Admin,
        Buyer,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct WithRole {
        role: Role,
    }

    #[test]
    fn a_wrong_type_for_an_enum_field_names_the_field() {
        for body in [
            &br#"{"role": 5}"#[..],
            br#"{"role": {}}"#,
            br#"{"role": [1]}"#,
        ] {
            let params = params(parse::<WithRole>(body).unwrap_err());
            assert_eq!(params[0].name, "role", "{}", String::from_utf8_lossy(body));
        }
        let error = parse::<WithRole>(br#"{"role": 5"#).unwrap_err();
        assert!(
            matches!(error, ApiError::Malformed { .. }),
            "broken JSON stays a 400"
        );
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer() {
        let body: Body = parse(br#"{"name":"a","lines":[{"sku":"x","quantity":2.0}]}"#).unwrap();
        assert_eq!(body.lines[0].quantity, 2);
        let error =
            parse::<Body>(br#"{"name":"a","lines":[{"sku":"x","quantity":2.5}]}"#).unwrap_err();
        assert_eq!(params(error)[0].name, "lines[0].quantity");
    }

    #[test]
    fn a_struct_is_taken_from_an_object_only() {
        let error = parse::<Body>(br#"{"name":"a","lines":[["x", 2]]}"#).unwrap_err();
        let params = params(error);
        assert_eq!(params[0].name, "lines[0]");
        assert!(
            params[0].reason.contains("sequence"),
            "{}",
            params[0].reason
        );
        assert!(parse::<Body>(br#"["a", []]"#).is_err(), "nor at the top");
        let body: Body = parse(br#"{"name":"a","lines":[{"sku":"x","quantity":2}]}"#).unwrap();
        assert_eq!(body.lines.len(), 1, "arrays of objects still read");
    }

    #[test]
    fn a_nul_character_is_refused_naming_the_field() {
        let error = parse::<Body>(br#"{"name":"a","lines":[{"sku":"x\u0000y","quantity":1}]}"#)
            .unwrap_err();
        let params = params(error);
        assert_eq!(params[0].name, "lines[0].sku");
        assert_eq!(params[0].reason, "must not contain a NUL character");
        let body: Body = parse(br#"{"name":"a\\u0000","lines":[]}"#).unwrap();
        assert_eq!(body.name, "a\\u0000", "an escaped backslash is no NUL");
    }

    #[test]
    fn unknown_fields_are_named() {
        let error = parse::<Body>(br#"{"name":"a","lines":[],"colour":"red"}"#).unwrap_err();
        let params = params(error);
        assert_eq!(params[0].name, "colour");
        assert!(params[0].reason.contains("unknown field"));
    }
}
