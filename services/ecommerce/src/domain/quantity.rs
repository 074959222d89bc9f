/// Units of one product in a purchase: at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    pub const MAX: i64 = 10_000;

    pub fn parse(units: i64) -> Result<Self, String> {
        match units {
            ..=0 => Err("must be at least 1".to_owned()),
            n if n > Self::MAX => Err(format!("must be at most {}", Self::MAX)),
            n => Ok(Self(n)),
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
    fn quantities_are_positive_and_bounded() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(-2).is_err());
        assert!(Quantity::parse(10_001).is_err());
        assert_eq!(Quantity::parse(3).unwrap().units(), 3);
    }
}
