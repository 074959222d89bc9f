//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): the sender signs
//! `"{webhook-id}.{webhook-timestamp}.{body}"` with HMAC-SHA256 and sends
//! `webhook-signature: v1,<base64>`, several space-separated while a rotated secret is still
//! honoured. The receiver recomputes and rejects old timestamps, so a captured message can not
//! be replayed later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// The three headers of a signed message.
pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// How far a message's timestamp may be from the receiver's clock.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 5 * 60;

/// A signing secret, written `whsec_<base64 of the key>`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the secret must be `whsec_` followed by base64")]
    MalformedSecret,
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the webhook-timestamp header is not a Unix time in seconds")]
    MalformedTimestamp,
    #[error("the message is too old or from the future (timestamp {0})")]
    OutsideTolerance(i64),
    #[error("no signature matches")]
    NoMatch,
}

impl WebhookSecret {
    /// 24 random bytes, as Standard Webhooks libraries generate.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut key = vec![0u8; 24];
        getrandom::fill(&mut key)?;
        Ok(Self(key))
    }

    pub fn parse(value: &str) -> Result<Self, SignatureError> {
        let encoded = value.strip_prefix(PREFIX).unwrap_or(value);
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| SignatureError::MalformedSecret)?;
        if key.is_empty() {
            return Err(SignatureError::MalformedSecret);
        }
        Ok(Self(key))
    }

    /// The `whsec_...` form shown to the subscriber once and stored by the sender.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this never fails.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let signature = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(signature))
    }
}

/// The `webhook-signature` value for `secrets` (the current one first, then any still honoured).
pub fn signature_header(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The headers of a received message, as strings.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Checks that `body` was signed with `secret` within `tolerance_seconds` of `now` (Unix
/// seconds). Any one matching `v1` signature in the header is enough.
pub fn verify(
    secret: &WebhookSecret,
    headers: SignedHeaders<'_>,
    body: &[u8],
    now: i64,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let id = headers.id.ok_or(SignatureError::MissingHeader(ID_HEADER))?;
    let timestamp: i64 = headers
        .timestamp
        .ok_or(SignatureError::MissingHeader(TIMESTAMP_HEADER))?
        .trim()
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    let signatures = headers
        .signature
        .ok_or(SignatureError::MissingHeader(SIGNATURE_HEADER))?;
    if (now - timestamp).abs() > tolerance_seconds {
        return Err(SignatureError::OutsideTolerance(timestamp));
    }
    let matches = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        // `verify_slice` compares in constant time.
        .any(|candidate| {
            secret
                .mac(id, timestamp, body)
                .verify_slice(&candidate)
                .is_ok()
        });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers(signature: &str) -> SignedHeaders<'_> {
        SignedHeaders {
            id: Some(ID),
            timestamp: Some("1614265330"),
            signature: Some(signature),
        }
    }

    #[test]
    fn signs_like_the_reference_implementation() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(secret.sign(ID, TIMESTAMP, BODY), EXPECTED);
        assert_eq!(secret.expose(), SECRET);
    }

    #[test]
    fn verifies_a_good_signature_among_several() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let other = WebhookSecret::generate().unwrap();
        let header = signature_header(&[other, secret.clone()], ID, TIMESTAMP, BODY);
        assert_eq!(
            verify(&secret, headers(&header), BODY, TIMESTAMP + 10, 300),
            Ok(())
        );
    }

    #[test]
    fn refuses_a_changed_body_a_wrong_secret_and_an_old_timestamp() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let changed = br#"{"test": 2432232315}"#;
        assert_eq!(
            verify(&secret, headers(EXPECTED), changed, TIMESTAMP, 300),
            Err(SignatureError::NoMatch)
        );
        let stranger = WebhookSecret::generate().unwrap();
        assert_eq!(
            verify(&stranger, headers(EXPECTED), BODY, TIMESTAMP, 300),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(&secret, headers(EXPECTED), BODY, TIMESTAMP + 301, 300),
            Err(SignatureError::OutsideTolerance(TIMESTAMP))
        );
        let missing = SignedHeaders {
            signature: None,
            ..headers(EXPECTED)
        };
        assert_eq!(
            verify(&secret, missing, BODY, TIMESTAMP, 300),
            Err(SignatureError::MissingHeader(SIGNATURE_HEADER))
        );
    }

    #[test]
    fn generated_secrets_round_trip_and_differ() {
        let (a, b) = (
            WebhookSecret::generate().unwrap(),
            WebhookSecret::generate().unwrap(),
        );
        assert_ne!(a, b);
        assert_eq!(WebhookSecret::parse(&a.expose()).unwrap(), a);
        assert_eq!(
            WebhookSecret::parse("whsec_"),
            Err(SignatureError::MalformedSecret)
        );
    }
}
