//! An ally's communication credentials (seed 003 §3: the user name and password the
//! marketplace uses with a partner store), and the versions they go through.
//!
//! The values are secrets from the moment they are parsed: held in `SecretString` (zeroized when
//! dropped, `[REDACTED]` when printed) and turned into bytes only in a zeroizing buffer, for the
//! vault to encrypt. No rule here ever quotes a value back: a reason names the field and the
//! rule only, so an error can be answered and logged.
//!
//! Every change is a new version (1, 2, ...), never an update in place (seed 003 §4: several
//! support engineers used the API at once and credentials were lost without anyone noticing).
//! A write may say which version it replaces (`If-Match: "2"`), or that it expects none
//! (`If-None-Match: *`); if another write came first it is refused (412) instead of silently
//! replacing what that one wrote.

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// Longest user name and password accepted, in characters.
pub const MAX_USER_CHARS: usize = 256;
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// An ally's user name and password, both secret.
#[derive(Debug)]
pub struct AllyCredentials {
    user: SecretString,
    password: SecretString,
}

/// A field of the credentials that broke a rule: the field's name and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: &'static str,
    pub reason: &'static str,
}

impl AllyCredentials {
    /// Checks both values, naming every field at fault (never quoting a value).
    pub fn parse(user: SecretString, password: SecretString) -> Result<Self, Vec<Refused>> {
        let mut refused = Vec::new();
        let text = user.expose_secret();
        if let Some(reason) = text_rule(text, MAX_USER_CHARS) {
            refused.push(Refused {
                field: "user",
                reason,
            });
        } else if text.trim() != text {
            refused.push(Refused {
                field: "user",
                reason: "must not start or end with spaces",
            });
        }
        if let Some(reason) = text_rule(password.expose_secret(), MAX_PASSWORD_CHARS) {
            refused.push(Refused {
                field: "password",
                reason,
            });
        }
        if refused.is_empty() {
            Ok(Self { user, password })
        } else {
            Err(refused)
        }
    }

    pub fn user(&self) -> &SecretString {
        &self.user
    }

    pub fn password(&self) -> &SecretString {
        &self.password
    }

    /// The bytes the vault encrypts: the user name's length (4 bytes, big-endian), the user
    /// name, the password; in a buffer zeroized when dropped, sized once so that no copy is
    /// left behind by growing it. `spare` more bytes of capacity are reserved (the cipher's tag).
    pub fn to_plaintext(&self, spare: usize) -> Zeroizing<Vec<u8>> {
        let user = self.user.expose_secret().as_bytes();
        let password = self.password.expose_secret().as_bytes();
        let mut bytes = Zeroizing::new(Vec::with_capacity(4 + user.len() + password.len() + spare));
        // At most MAX_USER_CHARS characters of at most 4 bytes each: always fits.
        let length = u32::try_from(user.len()).unwrap_or(u32::MAX);
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(user);
        bytes.extend_from_slice(password);
        bytes
    }

    /// Reads back what [`Self::to_plaintext`] wrote.
    pub fn from_plaintext(bytes: &[u8]) -> Option<Self> {
        let (length, rest) = bytes.split_first_chunk::<4>()?;
        let length = usize::try_from(u32::from_be_bytes(*length)).ok()?;
        let user = rest.get(..length)?;
        let password = rest.get(length..)?;
        Some(Self {
            user: SecretString::from(std::str::from_utf8(user).ok()?),
            password: SecretString::from(std::str::from_utf8(password).ok()?),
        })
    }
}

/// The rule a credentials value breaks, if any.
fn text_rule(value: &str, max_chars: usize) -> Option<&'static str> {
    if value.trim().is_empty() {
        return Some("must not be empty");
    }
    if value.chars().count() > max_chars {
        return Some(if max_chars == MAX_USER_CHARS {
            "must be at most 256 characters"
        } else {
            "must be at most 1024 characters"
        });
    }
    if value.chars().any(char::is_control) {
        // A pasted line end is the usual one.
        return Some("must not hold control characters such as a line end or a tab");
    }
    None
}

/// What a write expects of the ally's current version (`If-Match`, `If-None-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No expectation: the write becomes the next version whatever came before.
    Unconditional,
    /// `If-Match: *`: some version must exist.
    AnyVersion,
    /// `If-Match: "2"` (or several): the current version must be one of these.
    Versions(Vec<i64>),
    /// `If-None-Match: *`: no version may exist yet.
    NoVersion,
}

/// A write refused because another came first: the version that is current now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMoved {
    pub current: Option<i64>,
}

impl Precondition {
    /// Reads the `If-Match` and `If-None-Match` headers' values; a version's entity tag is its
    /// number in quotes (`"2"`). Weak tags never match (RFC 9110 compares `If-Match` strongly).
    pub fn parse(if_match: Option<&str>, if_none_match: Option<&str>) -> Result<Self, String> {
        match (if_match.map(str::trim), if_none_match.map(str::trim)) {
            (Some(_), Some(_)) => Err("send If-Match or If-None-Match, not both".to_owned()),
            (None, None) => Ok(Self::Unconditional),
            (None, Some("*")) => Ok(Self::NoVersion),
            (None, Some(_)) => Err("If-None-Match takes only * here".to_owned()),
            (Some("*"), None) => Ok(Self::AnyVersion),
            (Some(tags), None) => {
                let mut versions = Vec::new();
                for tag in tags.split(',').map(str::trim) {
                    if tag.starts_with("W/") {
                        continue;
                    }
                    let version = tag
                        .strip_prefix('"')
                        .and_then(|t| t.strip_suffix('"'))
                        .and_then(|t| t.parse::<i64>().ok())
                        .filter(|v| *v > 0)
                        .ok_or_else(|| {
                            "If-Match takes the ETag of a credentials version, such as \"2\", or *"
                                .to_owned()
                        })?;
                    versions.push(version);
                }
                Ok(Self::Versions(versions))
            }
        }
    }

    /// Whether a write may follow `current`, the ally's latest version (none yet: `None`).
    pub fn check(&self, current: Option<i64>) -> Result<(), VersionMoved> {
        let holds = match self {
            Self::Unconditional => true,
            Self::AnyVersion => current.is_some(),
            Self::Versions(versions) => current.is_some_and(|c| versions.contains(&c)),
            Self::NoVersion => current.is_none(),
        };
        if holds {
            Ok(())
        } else {
            Err(VersionMoved { current })
        }
    }
}

/// The entity tag of a version, as `ETag` and `If-Match` carry it.
pub fn entity_tag(version: i64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(user: &str, password: &str) -> Result<AllyCredentials, Vec<Refused>> {
        AllyCredentials::parse(user.into(), password.into())
    }

    #[test]
    fn the_seeds_credentials_round_trip_through_the_plaintext() {
        let credentials = parse("aliado_addi", "}sxh7_5}BdJ4K:Qf").unwrap();
        let bytes = credentials.to_plaintext(16);
        assert!(bytes.capacity() >= bytes.len() + 16);
        let back = AllyCredentials::from_plaintext(&bytes).unwrap();
        assert_eq!(back.user().expose_secret(), "aliado_addi");
        assert_eq!(back.password().expose_secret(), "}sxh7_5}BdJ4K:Qf");
        assert!(AllyCredentials::from_plaintext(&bytes[..3]).is_none());
        assert!(AllyCredentials::from_plaintext(&[0, 0, 0, 99, b'a']).is_none());
    }

    #[test]
    fn refusals_name_the_field_and_never_the_value() {
        let refused = parse(" addi", "hunter2\n").unwrap_err();
        assert_eq!(
            refused.iter().map(|r| r.field).collect::<Vec<_>>(),
            ["user", "password"]
        );
        for refusal in &refused {
            assert!(!refusal.reason.contains("addi") && !refusal.reason.contains("hunter"));
        }
        assert!(parse("", "x").is_err());
        assert!(parse("addi", "   ").is_err());
        assert!(parse(&"u".repeat(257), "x").is_err());
        assert!(parse("addi", &"p".repeat(1025)).is_err());
        assert!(parse("addi", " spaces are fine ").is_ok());
    }

    #[test]
    fn credentials_never_print_their_values() {
        let credentials = parse("aliado_addi", "}sxh7_5}BdJ4K:Qf").unwrap();
        let printed = format!("{credentials:?}");
        assert!(!printed.contains("aliado_addi") && !printed.contains("sxh7"));
    }

    #[test]
    fn preconditions_follow_if_match_and_if_none_match() {
        let p = |m: Option<&str>, n: Option<&str>| Precondition::parse(m, n).unwrap();
        assert_eq!(p(None, None), Precondition::Unconditional);
        assert_eq!(p(Some("\"2\""), None), Precondition::Versions(vec![2]));
        assert_eq!(
            p(Some("\"2\", \"3\""), None),
            Precondition::Versions(vec![2, 3])
        );
        assert_eq!(p(Some("*"), None), Precondition::AnyVersion);
        assert_eq!(p(None, Some("*")), Precondition::NoVersion);
        assert!(Precondition::parse(Some("2"), None).is_err());
        assert!(Precondition::parse(Some("\"0\""), None).is_err());
        assert!(Precondition::parse(Some("*"), Some("*")).is_err());

        assert!(p(Some("\"2\""), None).check(Some(2)).is_ok());
        assert_eq!(
            p(Some("\"2\""), None).check(Some(3)),
            Err(VersionMoved { current: Some(3) })
        );
        assert!(p(Some("W/\"2\""), None).check(Some(2)).is_err());
        assert!(p(Some("*"), None).check(None).is_err());
        assert!(p(None, Some("*")).check(None).is_ok());
        assert!(p(None, Some("*")).check(Some(1)).is_err());
        assert!(p(None, None).check(Some(9)).is_ok());
        assert_eq!(entity_tag(2), "\"2\"");
    }
}
