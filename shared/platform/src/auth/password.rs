//! Password hashing with Argon2id (the crate's recommended parameters).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};

/// A PHC-format Argon2id hash, as stored in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

pub fn hash_password(password: &str) -> anyhow::Result<PasswordHash> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(PasswordHash(hash.to_string()))
}

/// Checks `password` against `hash`. With no hash (an unknown user) it still does the work of
/// a check against a fixed hash, so response times do not reveal which emails exist.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static UNKNOWN_USER_HASH: OnceLock<String> = OnceLock::new();
    let stand_in = || {
        UNKNOWN_USER_HASH.get_or_init(|| hash_password("no user has this password").map(|h| h.0).unwrap_or_default())
            .as_str()
    };
    let Ok(parsed) = argon2::PasswordHash::new(hash.unwrap_or_else(stand_in)) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && hash.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&hash.0)));
        assert!(!verify_password("wrong horse", Some(&hash.0)));
    }

    #[test]
    fn unknown_users_never_verify() {
        assert!(!verify_password("anything", None));
        assert!(!verify_password("anything", Some("not a hash")));
    }
}
