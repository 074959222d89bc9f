//! What seed 004's clients send and read that our own names do not cover. The seed's contract
//! spells `foreing_order_id` and `trackig_number`, and its example sends `qty` as a string
//! (`"3"`): requests take either spelling (serde aliases where the structs are) and a quantity
//! as a number or a string of digits; answers carry the seed's spellings beside ours, holding
//! the same values, so a client written from the seed and one written from our docs both work.

use serde::de::{self, Deserializer, Visitor};

/// A whole number sent as `3` or as `"3"` (seed 004's example). Anything else is refused with
/// the field named, as every other type error is.
pub fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct WholeNumber;

    impl Visitor<'_> for WholeNumber {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number, as a number or a string of digits (3 or \"3\")")
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
            Ok(value)
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
            i64::try_from(value)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<i64, E> {
            let digits = value.trim();
            let well_formed = !digits.is_empty()
                && digits
                    .strip_prefix('-')
                    .unwrap_or(digits)
                    .chars()
                    .all(|c| c.is_ascii_digit());
            match well_formed.then(|| digits.parse::<i64>().ok()).flatten() {
                Some(number) => Ok(number),
                None => Err(E::invalid_value(de::Unexpected::Str(value), &self)),
            }
        }
    }

    deserializer.deserialize_any(WholeNumber)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Line {
        #[serde(deserialize_with = "whole_number")]
        qty: i64,
    }

    fn qty(json: &str) -> Result<i64, String> {
        serde_json::from_str::<Line>(json)
            .map(|l| l.qty)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_strings_of_digits_are_quantities() {
        assert_eq!(qty(r#"{"qty": 3}"#), Ok(3));
        assert_eq!(qty(r#"{"qty": "3"}"#), Ok(3));
        assert_eq!(qty(r#"{"qty": " 12 "}"#), Ok(12));
        assert_eq!(
            qty(r#"{"qty": "-1"}"#),
            Ok(-1),
            "the range is the caller's rule"
        );
    }

    #[test]
    fn anything_else_is_refused_saying_what_is_expected() {
        for bad in [
            r#"{"qty": "product quantity"}"#,
            r#"{"qty": "3.5"}"#,
            r#"{"qty": "+3"}"#,
            r#"{"qty": ""}"#,
            r#"{"qty": 3.5}"#,
            r#"{"qty": null}"#,
            r#"{"qty": "99999999999999999999"}"#,
        ] {
            let error = qty(bad).unwrap_err();
            assert!(error.contains("a whole number"), "{bad}: {error}");
        }
    }
}
