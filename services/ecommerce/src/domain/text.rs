//! Seller tags and stock counts (names, descriptions and addresses are `platform::text`).

use platform::text::bounded;

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
