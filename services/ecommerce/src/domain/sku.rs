use std::fmt;

/// A stock-keeping unit, unique across the marketplace and usable as a NATS KV key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let sku = raw.trim();
        if sku.is_empty() {
            return Err("must not be empty");
        }
        if sku.len() > 64 {
            return Err("must be at most 64 characters");
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if !sku.chars().all(allowed) || sku.starts_with('.') || sku.ends_with('.') {
            return Err("may only hold letters, digits, '-', '_' and inner '.'");
        }
        Ok(Self(sku.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_skus_are_valid() {
        assert_eq!(Sku::parse("pk0001").unwrap().as_str(), "pk0001");
        assert!(Sku::parse("ACME-42_b.v2").is_ok());
    }

    #[test]
    fn skus_that_are_not_kv_keys_are_refused() {
        for bad in [
            "",
            " ",
            "a b",
            "a*",
            "a>b",
            ".a",
            "a.",
            "ñandú",
            &"x".repeat(65),
        ] {
            assert!(Sku::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
