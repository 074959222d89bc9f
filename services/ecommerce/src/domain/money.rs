/// A price in cents. Clients send decimal amounts (`12.5`), at most two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Price(i64);

/// Big enough for any product of the marketplace, small enough that totals never overflow.
const MAX_CENTS: i64 = 10_000_000_000;

impl Price {
    pub fn parse(amount: f64) -> Result<Self, &'static str> {
        if !amount.is_finite() {
            return Err("must be a number");
        }
        if amount < 0.0 {
            return Err("must not be negative");
        }
        let cents = (amount * 100.0).round();
        if (cents - amount * 100.0).abs() > 1e-6 {
            return Err("must have at most two decimals");
        }
        if cents > MAX_CENTS as f64 {
            return Err("must be at most 100000000.00");
        }
        Ok(Self(cents as i64))
    }

    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// The amount as clients see it, e.g. `12.5`.
    pub fn amount(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_exact_cents() {
        assert_eq!(Price::parse(0.2).unwrap().cents(), 20);
        assert_eq!(Price::parse(12.0).unwrap().cents(), 1200);
        assert_eq!(Price::parse(2.5).unwrap().cents(), 250);
        assert_eq!(Price::parse(0.0).unwrap().cents(), 0);
        assert_eq!(Price::from_cents(250).amount(), 2.5);
    }

    #[test]
    fn negative_fractional_and_huge_amounts_are_refused() {
        assert_eq!(Price::parse(-0.01), Err("must not be negative"));
        assert_eq!(Price::parse(1.005), Err("must have at most two decimals"));
        assert!(Price::parse(1e12).is_err());
        assert!(Price::parse(f64::NAN).is_err());
    }
}
