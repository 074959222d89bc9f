//! Password hashing with Argon2id (the crate's recommended parameters), in working memory that
//! the caller owns.
//!
//! Argon2 needs 19 MiB of working memory per hash. Left to itself, the crate allocates it on
//! every hash from the calling thread's allocator arena, and glibc keeps it there: a burst of
//! log-ins on many threads left hundreds of megabytes behind. [`WorkMemory`] lets a hashing
//! thread reuse one buffer while work is queued and hand it back to the kernel when it goes idle
//! (see [`super::hashing`]). Hashes are ordinary PHC strings, so hashes made before (by
//! `argon2::PasswordHasher`) verify unchanged.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// A PHC-format Argon2id hash, as stored in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// glibc serves an allocation larger than its highest dynamic mmap threshold (32 MiB on 64-bit)
/// with a mapping of its own, which `free` unmaps at once; smaller ones may come from an arena
/// that keeps them. Reserving this much makes Argon2's memory such a mapping. Only the blocks a
/// hash touches (19 MiB) ever become resident.
const OWN_MAPPING_BYTES: usize = 33 * 1024 * 1024;

/// Argon2's working memory, kept between hashes until [`WorkMemory::release`].
pub(crate) struct WorkMemory {
    blocks: Vec<Block>,
    own_mapping: bool,
}

impl WorkMemory {
    /// Memory that [`WorkMemory::release`] gives back to the kernel.
    pub(crate) fn returnable() -> Self {
        Self {
            blocks: Vec::new(),
            own_mapping: true,
        }
    }

    /// Memory allocated as Argon2 allocates it by itself (the former way, kept for comparison).
    pub(crate) fn ordinary() -> Self {
        Self {
            blocks: Vec::new(),
            own_mapping: false,
        }
    }

    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.blocks.capacity() < count {
            self.release();
            let capacity = if self.own_mapping {
                count.max(OWN_MAPPING_BYTES / Block::SIZE)
            } else {
                count
            };
            self.blocks = Vec::with_capacity(capacity);
        }
        // Within the capacity: only the length changes, and only `count` blocks are touched.
        self.blocks.resize(count, Block::default());
        &mut self.blocks
    }

    pub(crate) fn release(&mut self) {
        self.blocks = Vec::new();
    }

    pub(crate) fn is_held(&self) -> bool {
        self.blocks.capacity() > 0
    }
}

/// Hashes `password` with a fresh salt.
pub(crate) fn hash_with(memory: &mut WorkMemory, password: &str) -> anyhow::Result<PasswordHash> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = Argon2::default();
    let failed = |e: argon2::password_hash::Error| anyhow::anyhow!("hashing a password: {e}");
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(failed)?;
    let params = argon2.params();
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        let blocks = memory.blocks(params.block_count());
        Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, blocks)?)
    })
    .map_err(failed)?;
    let hash = argon2::PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(PasswordHash(hash.to_string()))
}

/// Checks `password` against `hash`. With no hash (an unknown user) it still does the work of
/// a check against a fixed hash, so response times do not reveal which emails exist.
pub(crate) fn verify_with(memory: &mut WorkMemory, password: &str, hash: Option<&str>) -> bool {
    static UNKNOWN_USER_HASH: OnceLock<String> = OnceLock::new();
    let phc = match hash {
        Some(hash) => hash,
        None => UNKNOWN_USER_HASH.get_or_init(|| {
            hash_with(memory, "no user has this password")
                .map(|h| h.0)
                .unwrap_or_default()
        }),
    };
    let Ok(parsed) = argon2::PasswordHash::new(phc) else {
        return false;
    };
    matches(memory, password, &parsed) && hash.is_some()
}

/// Recomputes `hash` with its own algorithm, version, parameters and salt; compares the
/// outputs in constant time.
fn matches(memory: &mut WorkMemory, password: &str, hash: &argon2::PasswordHash) -> bool {
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(hash.algorithm),
        hash.version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(hash),
    ) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let computed = Output::init_with(expected.len(), |out| {
        let blocks = memory.blocks(argon2.params().block_count());
        Ok(argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, blocks)?)
    });
    computed.is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher;

    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let mut memory = WorkMemory::returnable();
        let hash = hash_with(&mut memory, "correct horse").unwrap();
        assert!(hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_with(&mut memory, "correct horse", Some(&hash.0)));
        assert!(!verify_with(&mut memory, "wrong horse", Some(&hash.0)));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::default()
            .hash_password(b"made before", &salt)
            .unwrap()
            .to_string();
        let mut memory = WorkMemory::ordinary();
        assert!(verify_with(&mut memory, "made before", Some(&stored)));
        assert!(!verify_with(&mut memory, "made after", Some(&stored)));
    }

    #[test]
    fn unknown_users_never_verify() {
        let mut memory = WorkMemory::returnable();
        assert!(!verify_with(&mut memory, "anything", None));
        assert!(!verify_with(&mut memory, "anything", Some("not a hash")));
    }

    #[test]
    fn returnable_memory_is_reused_until_released() {
        let mut memory = WorkMemory::returnable();
        assert!(!memory.is_held());
        let first = memory.blocks(8).as_ptr();
        assert_eq!(memory.blocks(8).as_ptr(), first, "reused");
        assert!(memory.blocks.capacity() * Block::SIZE >= OWN_MAPPING_BYTES);
        memory.release();
        assert!(!memory.is_held());
    }
}
