//! Tracking numbers: `CX` and 16 upper-case hex digits (64 random bits), short enough to read
//! out on the phone, unguessable enough that knowing one does not reveal others.

pub fn generate() -> String {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    format!("CX{random:016X}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn tracking_numbers_are_prefixed_and_distinct() {
        let (a, b) = (super::generate(), super::generate());
        assert_eq!(a.len(), 18);
        assert!(a.starts_with("CX"));
        assert!(
            a[2..]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        assert_ne!(a, b);
    }
}
