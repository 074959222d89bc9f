//! Password hashing with Argon2id (the crate's recommended parameters).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};

/// A PHC-format Argon2id hash, as stored in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// Hashes `password` on the blocking pool: Argon2 is slow on purpose and must not stall the
/// async runtime.
pub async fn hash_password(password: String) -> anyhow::Result<PasswordHash> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await?
}

/// Checks `password` against `hash` on the blocking pool; see [`verify_now`].
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_now(&password, hash.as_deref()))
        .await
        .unwrap_or(false)
}

fn hash_now(password: &str) -> anyhow::Result<PasswordHash> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(PasswordHash(hash.to_string()))
}

/// Checks `password` against `hash`. With no hash (an unknown user) it still does the work of
/// a check against a fixed hash, so response times do not reveal which emails exist.
fn verify_now(password: &str, hash: Option<&str>) -> bool {
    static UNKNOWN_USER_HASH: OnceLock<String> = OnceLock::new();
    let stand_in = || {
        UNKNOWN_USER_HASH
            .get_or_init(|| {
                hash_now("no user has this password")
                    .map(|h| h.0)
                    .unwrap_or_default()
            })
            .as_str()
    };
    let Ok(parsed) = argon2::PasswordHash::new(hash.unwrap_or_else(stand_in)) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && hash.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_now("correct horse").unwrap();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(verify_now("correct horse", Some(&hash.0)));
        assert!(!verify_now("wrong horse", Some(&hash.0)));
    }

    #[test]
    fn unknown_users_never_verify() {
        assert!(!verify_now("anything", None));
        assert!(!verify_now("anything", Some("not a hash")));
    }
}
