//! `Query<T>`: the query-string extractor of every service. Unlike actix's own, a value that
//! does not fit answers 422 naming the parameter at fault, in the platform's words
//! (`limit`: `must be an integer`), never serde's message about "Query deserialize error".

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, InvalidParam};

#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(Query))
    }
}

/// Deserialises a query string, naming the parameter at fault in the error.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // No database stores a NUL character in text (PostgreSQL refuses it outright).
    if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        return Err(ApiError::invalid(
            name.replace('\0', ""),
            "must not contain a NUL character",
        ));
    }
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let name = match message.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or("query").to_owned(),
            None if path == "." => "query".to_owned(),
            None => path,
        };
        ApiError::Invalid(vec![InvalidParam {
            name,
            reason: in_our_words(&message),
        }])
    })
}

/// A query error from actix's own `web::Query` (a route that still uses it): the parameter
/// cannot be known there, so the problem names the query string.
pub fn query_error(_query: &str, message: &str) -> ApiError {
    ApiError::invalid("query", in_our_words(message))
}

/// serde's message for a bad value, said the way the platform's other problems say it.
pub fn in_our_words(message: &str) -> String {
    let message = message
        .strip_prefix("Query deserialize error: ")
        .unwrap_or(message);
    if message.starts_with("invalid digit")
        || message.starts_with("cannot parse integer")
        || message.starts_with("number too large")
        || message.starts_with("number too small")
    {
        return "must be an integer".to_owned();
    }
    if message.starts_with("invalid float literal") {
        return "must be a number".to_owned();
    }
    if message.contains("`true` or `false`") {
        return "must be true or false".to_owned();
    }
    // chrono's parse errors: the parameter is a time.
    if [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
        "input is not enough",
    ]
    .iter()
    .any(|chrono| message.starts_with(chrono))
    {
        return "must be a time like 2026-11-23T10:00:00Z (RFC 3339)".to_owned();
    }
    if message.starts_with("missing field") {
        return "is required".to_owned();
    }
    if message.starts_with("duplicate field") {
        return "must be given once".to_owned();
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let expected = rest
            .split_once("expected one of ")
            .or_else(|| rest.split_once("expected "))
            .map(|(_, names)| names.replace('`', ""));
        return match expected {
            Some(names) => format!("must be one of {names}"),
            None => "is not one of the accepted values".to_owned(),
        };
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Colour {
        Red,
        Blue,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Filter {
        limit: Option<i64>,
        colour: Option<Colour>,
        name: String,
    }

    fn param(query: &str) -> InvalidParam {
        match parse::<Filter>(query).unwrap_err() {
            ApiError::Invalid(mut params) => params.remove(0),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        let p = param("name=a&limit=ten");
        assert_eq!(
            (p.name.as_str(), p.reason.as_str()),
            ("limit", "must be an integer")
        );
        let p = param("name=a&colour=green");
        assert_eq!(p.name, "colour");
        assert_eq!(p.reason, "must be one of red or blue");
        let p = param("limit=1");
        assert_eq!(
            (p.name.as_str(), p.reason.as_str()),
            ("name", "is required")
        );
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Window {
        from: Option<chrono::DateTime<chrono::Utc>>,
    }

    #[test]
    fn a_bad_time_says_the_format() {
        let ApiError::Invalid(params) = parse::<Window>("from=yesterday").unwrap_err() else {
            panic!("expected invalid input");
        };
        assert_eq!(params[0].name, "from");
        assert!(
            params[0].reason.contains("RFC 3339"),
            "{}",
            params[0].reason
        );
    }

    #[test]
    fn a_nul_character_is_refused_naming_the_parameter() {
        let p = param("name=a%00b");
        assert_eq!(
            (p.name.as_str(), p.reason.as_str()),
            ("name", "must not contain a NUL character")
        );
    }

    #[test]
    fn good_values_pass() {
        let filter: Filter = parse("name=a%20b&limit=5&colour=blue").unwrap();
        assert_eq!(filter.limit, Some(5));
        assert_eq!(filter.name, "a b");
    }
}
