//! Ally credentials encrypted at rest (seed 003 §3: "the credentials used to communicate with
//! our partner are sensitive information, so they must be encrypted").
//!
//! - **XChaCha20-Poly1305** (RustCrypto's `chacha20poly1305`): authenticated encryption, so a
//!   changed ciphertext is refused rather than decrypted into garbage; 24-byte nonces, random
//!   for every write (from the OS), with no practical chance of ever repeating one.
//! - **Bound to its row**: the ally id and the version are the associated data, so a ciphertext
//!   copied to another ally (or to another version of the same ally) does not decrypt.
//! - **Key ids**: each ciphertext is stored with the id of the key that encrypted it. A key's
//!   id is derived from the key itself (`k-` and 16 hex digits of a SHA-256 of it), so nobody
//!   names keys and an id can never point at the wrong one. The vault holds one current key,
//!   which encrypts every write, and older keys that only decrypt; rotating (`cx-support
//!   rotate-credentials-key`) re-encrypts every row under the current key, after which the
//!   older keys can be removed from the settings.
//! - **Secrets stay secret**: keys live only inside the ciphers (zeroized when dropped);
//!   plaintexts only in zeroizing buffers; nothing here logs, prints or returns a value.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::domain::AllyCredentials;

/// Bytes of a key, and of a nonce.
pub const KEY_BYTES: usize = 32;
pub const NONCE_BYTES: usize = 24;
/// The Poly1305 tag appended to every ciphertext.
const TAG_BYTES: usize = 16;

/// The public demo key: demo mode encrypts with it unless given a key; production refuses it
/// as its current key. base64 of 32 bytes, as `openssl rand -base64 32` prints a key.
pub const DEMO_KEY_BASE64: &str = "Y2FyZ28tZXhwcmVzcy1kZW1vLWFsbHkta2V5LTIwMjY=";

/// What is stored for one credentials version: which key, which nonce, which ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Why stored credentials could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("they are encrypted with the key {0}, which no setting holds")]
    UnknownKey(String),
    /// Changed, or copied from another ally or version, or made with another key of that id.
    #[error("they do not authenticate with key {0} (changed, or copied from another row)")]
    NotAuthentic(String),
    #[error("their nonce is not {NONCE_BYTES} bytes long")]
    BadNonce,
    #[error("they decrypt to no credentials (a bug of the writer)")]
    BadPlaintext,
}

/// A key as the settings give it: 32 bytes, decoded from base64 into a zeroizing buffer.
pub struct Key(Zeroizing<Vec<u8>>);

impl Key {
    /// Reads a base64 key (`openssl rand -base64 32`); the error never quotes it.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        use base64::Engine;
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| {
                    "is not base64 (make one with `openssl rand -base64 32`)".to_owned()
                })?,
        );
        if bytes.len() != KEY_BYTES {
            return Err(format!(
                "must be {KEY_BYTES} bytes, base64-encoded (`openssl rand -base64 32`); it has {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// The public demo key.
    pub fn demo() -> Self {
        Self::from_base64(DEMO_KEY_BASE64).unwrap_or_else(|_| Self(Zeroizing::new(vec![0; 32])))
    }

    /// The key's id: `k-` and the first 16 hex digits of SHA-256("cargo-express ally
    /// credentials key id" ‖ key). Stored beside each ciphertext; reveals nothing of the key.
    pub fn id(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"cargo-express ally credentials key id\0")
            .chain_update(self.0.as_slice())
            .finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("k-{hex}")
    }

    pub fn is_demo(&self) -> bool {
        self.id() == Self::demo().id()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.id())
    }
}

/// The keys of the ally credentials: the current one and the older ones still readable.
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Keys>,
}

struct Keys {
    current: String,
    ciphers: BTreeMap<String, XChaCha20Poly1305>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("current_key", &self.inner.current)
            .field("readable_keys", &self.inner.ciphers.keys())
            .finish()
    }
}

impl Vault {
    /// `current` encrypts every write; `previous` keys only decrypt (a key given twice counts
    /// once).
    pub fn new(current: Key, previous: impl IntoIterator<Item = Key>) -> Self {
        let mut ciphers = BTreeMap::new();
        let current_id = current.id();
        for key in std::iter::once(current).chain(previous) {
            let id = key.id();
            // 32 bytes, checked when the key was read: this cannot fail.
            if let Ok(cipher) = XChaCha20Poly1305::new_from_slice(&key.0) {
                ciphers.entry(id).or_insert(cipher);
            }
        }
        Self {
            inner: Arc::new(Keys {
                current: current_id,
                ciphers,
            }),
        }
    }

    /// The id of the key every write uses.
    pub fn current_key_id(&self) -> &str {
        &self.inner.current
    }

    /// The ids of every key held, the current one included.
    pub fn readable_key_ids(&self) -> Vec<String> {
        self.inner.ciphers.keys().cloned().collect()
    }

    /// Whether a ciphertext under `key_id` can be read.
    pub fn can_read(&self, key_id: &str) -> bool {
        self.inner.ciphers.contains_key(key_id)
    }

    /// Encrypts `credentials` as version `version` of `ally_id`, with the current key and a
    /// fresh random nonce.
    pub fn seal(
        &self,
        ally_id: &str,
        version: i64,
        credentials: &AllyCredentials,
    ) -> anyhow::Result<Sealed> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce)
            .map_err(|e| anyhow::anyhow!("no randomness for a nonce: {e}"))?;
        let cipher = self
            .inner
            .ciphers
            .get(&self.inner.current)
            .ok_or_else(|| anyhow::anyhow!("the vault holds no current key"))?;
        let mut buffer = credentials.to_plaintext(TAG_BYTES);
        cipher
            .encrypt_in_place(
                &XNonce::from(nonce),
                &associated_data(ally_id, version),
                &mut *buffer,
            )
            .map_err(|_| anyhow::anyhow!("encrypting ally credentials failed"))?;
        Ok(Sealed {
            key_id: self.inner.current.clone(),
            nonce: nonce.to_vec(),
            ciphertext: buffer.to_vec(),
        })
    }

    /// Decrypts version `version` of `ally_id`'s credentials.
    pub fn open(
        &self,
        ally_id: &str,
        version: i64,
        sealed: &Sealed,
    ) -> Result<AllyCredentials, OpenError> {
        let cipher = self
            .inner
            .ciphers
            .get(&sealed.key_id)
            .ok_or_else(|| OpenError::UnknownKey(sealed.key_id.clone()))?;
        let nonce = <[u8; NONCE_BYTES]>::try_from(sealed.nonce.as_slice())
            .map_err(|_| OpenError::BadNonce)?;
        let mut buffer = Zeroizing::new(sealed.ciphertext.clone());
        cipher
            .decrypt_in_place(
                &XNonce::from(nonce),
                &associated_data(ally_id, version),
                &mut *buffer,
            )
            .map_err(|_| OpenError::NotAuthentic(sealed.key_id.clone()))?;
        AllyCredentials::from_plaintext(&buffer).ok_or(OpenError::BadPlaintext)
    }

    /// Re-encrypts a stored version under the current key (a rotation). `None` when it already
    /// is under the current key.
    pub fn reseal(
        &self,
        ally_id: &str,
        version: i64,
        sealed: &Sealed,
    ) -> Result<Option<Sealed>, OpenError> {
        if sealed.key_id == self.inner.current {
            return Ok(None);
        }
        let credentials = self.open(ally_id, version, sealed)?;
        self.seal(ally_id, version, &credentials)
            .map(Some)
            .map_err(|_| OpenError::BadPlaintext)
    }
}

/// What a ciphertext is bound to: the format, the ally and the version.
fn associated_data(ally_id: &str, version: i64) -> Vec<u8> {
    format!("cargo-express/ally-credentials/v1\0{ally_id}\0{version}").into_bytes()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn key(byte: u8) -> Key {
        use base64::Engine;
        Key::from_base64(&base64::engine::general_purpose::STANDARD.encode([byte; 32])).unwrap()
    }

    fn addi() -> AllyCredentials {
        AllyCredentials::parse("aliado_addi".into(), "}sxh7_5}BdJ4K:Qf".into()).unwrap()
    }

    #[test]
    fn sealed_credentials_open_again_and_hold_no_plaintext() {
        let vault = Vault::new(key(1), []);
        let sealed = vault.seal("ally-1", 1, &addi()).unwrap();
        assert_eq!(sealed.key_id, key(1).id());
        assert_eq!(sealed.nonce.len(), NONCE_BYTES);
        let haystack = String::from_utf8_lossy(&sealed.ciphertext);
        assert!(!haystack.contains("sxh7") && !haystack.contains("addi"));
        let opened = vault.open("ally-1", 1, &sealed).unwrap();
        assert_eq!(opened.user().expose_secret(), "aliado_addi");
        assert_eq!(opened.password().expose_secret(), "}sxh7_5}BdJ4K:Qf");
    }

    #[test]
    fn every_write_has_a_fresh_nonce() {
        let vault = Vault::new(key(1), []);
        let first = vault.seal("ally-1", 1, &addi()).unwrap();
        let second = vault.seal("ally-1", 1, &addi()).unwrap();
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
    }

    #[test]
    fn a_ciphertext_moved_to_another_ally_or_version_or_changed_does_not_open() {
        let vault = Vault::new(key(1), []);
        let sealed = vault.seal("ally-1", 1, &addi()).unwrap();
        let key_id = sealed.key_id.clone();
        assert_eq!(
            vault.open("ally-2", 1, &sealed).unwrap_err(),
            OpenError::NotAuthentic(key_id.clone())
        );
        assert!(vault.open("ally-1", 2, &sealed).is_err());
        let mut changed = sealed.clone();
        changed.ciphertext[0] ^= 1;
        assert!(vault.open("ally-1", 1, &changed).is_err());
        let other_vault = Vault::new(key(2), []);
        assert_eq!(
            other_vault.open("ally-1", 1, &sealed).unwrap_err(),
            OpenError::UnknownKey(key_id)
        );
    }

    #[test]
    fn a_rotation_reseals_under_the_new_key_and_older_keys_still_read() {
        let old = Vault::new(key(1), []);
        let sealed = old.seal("ally-1", 3, &addi()).unwrap();
        let rotated = Vault::new(key(2), [key(1)]);
        assert!(
            rotated.open("ally-1", 3, &sealed).is_ok(),
            "old key still reads"
        );
        let resealed = rotated.reseal("ally-1", 3, &sealed).unwrap().unwrap();
        assert_eq!(resealed.key_id, key(2).id());
        assert!(rotated.reseal("ally-1", 3, &resealed).unwrap().is_none());
        let new_only = Vault::new(key(2), []);
        let opened = new_only.open("ally-1", 3, &resealed).unwrap();
        assert_eq!(opened.password().expose_secret(), "}sxh7_5}BdJ4K:Qf");
    }

    #[test]
    fn keys_are_32_bytes_of_base64_and_errors_never_quote_them() {
        assert!(
            Key::from_base64("c2hvcnQ=")
                .unwrap_err()
                .contains("32 bytes")
        );
        let error = Key::from_base64("not base64 at all!").unwrap_err();
        assert!(!error.contains("at all"));
        assert!(Key::demo().is_demo());
        assert!(!key(1).is_demo());
        assert_eq!(key(1).id().len(), 18);
        assert_eq!(key(1).id(), key(1).id());
        assert_ne!(key(1).id(), key(2).id());
        let printed = format!("{:?}", Vault::new(key(1), [key(2)]));
        assert!(printed.contains(&key(2).id()), "{printed}");
    }
}
