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

    };
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
