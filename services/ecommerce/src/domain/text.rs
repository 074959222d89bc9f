//! Bounded, trimmed free text: names, descriptions, addresses, tags; and stock counts.

/// Trims `raw` and checks it holds between `min` and `max` characters.
fn bounded(raw: &str, min: usize, max: usize) -> Result<String, String> {
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
    /// A short description.
    Description, 1, 500
);
bounded_text!(
    /// A postal address.
    Address, 5, 300
);

/// A seller's tags: each 1-40 characters, lower-cased, at most 20, duplicates dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse(raw: &[String]) -> Result<Self, String> {
        if raw.len() > 20 {
            return Err("must hold at most 20 tags".to_owned());
        }
        let mut tags: Vec<String> = Vec::with_capacity(raw.len());
        for tag in raw {
            let tag = bounded(tag, 1, 40)
                .map_err(|rule| format!("each tag {rule}"))?
                .to_lowercase();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(Self(tags))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// Units in stock: never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock(i64);

impl Stock {
    pub fn parse(units: i64) -> Result<Self, &'static str> {
        match units {
            ..0 => Err("must not be negative"),
            1_000_000_001.. => Err("must be at most 1000000000"),
            _ => Ok(Self(units)),
        }
    }

    pub fn units(self) -> i64 {
        self.0
    }
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

    #[test]
    fn tags_are_normalised() {
        let tags = Tags::parse(&["Finance".into(), "finance".into(), " food ".into()]).unwrap();
        assert_eq!(tags.as_slice(), ["finance", "food"]);
        assert!(Tags::parse(&[String::new()]).is_err());
        assert!(Tags::parse(&vec!["t".to_owned(); 21]).is_err());
    }

    #[test]
    fn stock_is_never_negative() {
        assert_eq!(Stock::parse(-1), Err("must not be negative"));
        assert_eq!(Stock::parse(0).unwrap().units(), 0);
        assert!(Stock::parse(2_000_000_000).is_err());
    }
}
