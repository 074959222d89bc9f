//! Bounded, trimmed free text shared by the services' domains: names, descriptions, addresses.
//! A value of one of these types is valid by construction; parse errors name the broken rule.

use crate::{ApiError, FieldResult};

/// Trims `raw` and checks it holds between `min` and `max` characters.
pub fn bounded(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let text = raw.trim();
    let length = text.chars().count();
    if length < min {
        return Err(if min == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if length > max {
        return Err(format!("must be at most {max} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(text.to_owned())
}

/// Free text with bounds, stored as a plain string.
pub trait BoundedText: Sized {
    fn parse(raw: &str) -> Result<Self, String>;
    fn into_inner(self) -> String;
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl BoundedText for $name {
            fn parse(raw: &str) -> Result<Self, String> {
                bounded(raw, $min, $max).map(Self)
            }

            fn into_inner(self) -> String {
                self.0
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// The document's schema of the field: `$min` to `$max` characters once trimmed, no
        /// control characters (request fields say `#[schema(value_type = ...)]`).
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                text_schema($min, $max)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// Characters `str::trim` removes (Unicode White_Space), as a regular expression class body.
const TRIMMED: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`char::is_control`), as a regular expression class body.
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

/// The schema of text that [`bounded`] takes: a pattern that says the trimmed length's bounds
/// and refuses control characters (padding that trimming removes may be of any length).
pub fn text_schema(
    min: usize,
    max: usize,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let edge = format!("[^{TRIMMED}{CONTROL}]");
    let inner = format!("[^{CONTROL}]");
    let inner_max = max.saturating_sub(2);
    let body = match min {
        0 | 1 => format!("({edge}({inner}{{0,{inner_max}}}{edge})?)"),
        n => format!("{edge}{inner}{{{},{inner_max}}}{edge}", n - 2),
    };
    let optional = if min == 0 { "?" } else { "" };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .pattern(Some(format!("^[{TRIMMED}]*{body}{optional}[{TRIMMED}]*$")))
        .description(Some(format!(
            "{min} to {max} characters once trimmed; no control characters"
        )))
        .into()
}

bounded_text!(
    /// A display name of a person, seller, product or portfolio.
    Name, 1, 120
);
bounded_text!(
    /// An identifier chosen by another system: a SKU, an order number.
    ExternalId, 1, 100
);
bounded_text!(
    /// A short description.
    Description, 1, 500
);
bounded_text!(
    /// A postal address.
    Address, 5, 300
);
bounded_text!(
    /// A seller's tag (stored lower-cased).
    Tag, 1, 40
);

/// A regular expression class body of the characters `char::is_whitespace` names (Unicode
/// White_Space), for patterns in the documents.
pub const WHITESPACE_CLASS: &str = TRIMMED;

/// Parses an optional text field of a request: absent stays absent, present must be valid.
pub fn optional<T: BoundedText>(
    value: Option<&str>,
    field: &str,
) -> Result<Option<String>, ApiError> {
    Ok(value
        .map(T::parse)
        .transpose()
        .field(field)?
        .map(T::into_inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_pattern_says_the_trimmed_minimum() {
        let schema = serde_json::to_value(text_schema(5, 300)).unwrap();
        let pattern = schema["pattern"].as_str().unwrap();
        assert!(pattern.starts_with("^["), "{pattern}");
        assert!(pattern.contains("{3,298}"), "{pattern}");
        assert_eq!(schema["minLength"], 5);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(Name::parse("  Ana  ").unwrap().as_str(), "Ana");
        assert_eq!(Name::parse("   ").unwrap_err(), "must not be empty");
        assert_eq!(
            Name::parse(&"n".repeat(121)).unwrap_err(),
            "must be at most 120 characters"
        );
        assert!(Address::parse("Cra").is_err());
        assert!(Description::parse("bell\u{7}").is_err());
    }
}
