//! Issuing and verifying platform JWTs (EdDSA over Ed25519), and the JWKS document.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use contracts::streams::USER_ACCESS;
use contracts::user_access::{AccessChange, UserAccess};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::{Claims, Role};
use crate::kv_cache::KvCache;
use crate::nats::Nats;

/// The key the quick start signs with. It is public, so production refuses it.
pub const DEMO_SIGNING_KEY_PEM: &str = include_str!("demo-signing-key.pem");

/// The audience of every platform token.
const AUDIENCE: &str = "cargo-express";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
    /// Its user's access changed after it was issued.
    #[error("{}", .0.refusal())]
    Revoked(AccessChange),
}

/// A signed token as handed to a client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessToken {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Who a token is issued to.
#[derive(Debug, Clone)]
pub struct TokenSubject {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub seller_id: Option<String>,
    pub courier_id: Option<i64>,
    /// The user's current token generation ([`contracts::user_access`]).
    pub generation: i64,
}

/// Signs tokens. Only the identity provider has one.
#[derive(Clone)]
pub struct JwtIssuer {
    key: EncodingKey,
    key_id: String,
    issuer: String,
    ttl_seconds: i64,
    jwks: JwkSet,
}

impl JwtIssuer {
    /// `pem` is a PKCS#8 Ed25519 private key, as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pem(pem: &str, issuer: &str, ttl_seconds: i64) -> anyhow::Result<Self> {
        let signing_key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| anyhow::anyhow!("the signing key is not a PKCS#8 Ed25519 PEM key: {e}"))?;
        let mut jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(signing_key.verifying_key().as_bytes()),
            }),
        };
        let key_id = jwk.thumbprint(ThumbprintHash::SHA256);
        jwk.common.key_id = Some(key_id.clone());
        Ok(Self {
            key: EncodingKey::from_ed_pem(pem.as_bytes())?,
            key_id,
            issuer: issuer.to_owned(),
            ttl_seconds,
            jwks: JwkSet { keys: vec![jwk] },
        })
    }

    /// Signs a token for `subject`, valid from now for the configured lifetime.
    pub fn issue(&self, subject: TokenSubject) -> anyhow::Result<AccessToken> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: subject.user_id,
            email: subject.email,
            role: subject.role,
            seller_id: subject.seller_id,
            courier_id: subject.courier_id,
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + self.ttl_seconds,
            jti: uuid::Uuid::new_v4().to_string(),
            generation: subject.generation,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key_id.clone());
        Ok(AccessToken {
            access_token: jsonwebtoken::encode(&header, &claims, &self.key)?,
            token_type: "Bearer",
            expires_in: self.ttl_seconds,
        })
    }

    /// The public keys, as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn verifier(&self) -> anyhow::Result<JwtVerifier> {
        JwtVerifier::from_jwks(&self.jwks, &self.issuer)
    }
}

/// Checks tokens against the issuer's published keys, and against the users whose access
/// changed since (the `user_access` bucket, followed with [`JwtVerifier::follow_user_access`]).
pub struct JwtVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
    verified: VerifiedTokens,
    user_access: KvCache<UserAccess>,
}

/// How many verified tokens are remembered; when full, the memory starts afresh.
const REMEMBERED_TOKENS: usize = 10_000;

/// Tokens whose signature already checked out, with their claims. A device sends the same token
/// with every request for 15 minutes; remembering it saves an Ed25519 verification per request
/// (the largest cost of a courier report). Expiry is still checked on every use.
#[derive(Default)]
struct VerifiedTokens(std::sync::Mutex<HashMap<String, Claims>>);

impl VerifiedTokens {
    fn get(&self, token: &str) -> Option<Claims> {
        self.0.lock().ok()?.get(token).cloned()
    }

    fn remember(&self, token: &str, claims: &Claims) {
        if let Ok(mut tokens) = self.0.lock() {
            if tokens.len() >= REMEMBERED_TOKENS {
                tokens.clear();
            }
            tokens.insert(token.to_owned(), claims.clone());
        }
    }
}

impl JwtVerifier {
    pub fn from_jwks(jwks: &JwkSet, issuer: &str) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            if let Some(kid) = &jwk.common.key_id {
                keys.insert(kid.clone(), DecodingKey::from_jwk(jwk)?);
            }
        }
        anyhow::ensure!(!keys.is_empty(), "the JWKS holds no key with a key id");
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            keys,
            validation,
            verified: VerifiedTokens::default(),
            user_access: KvCache::ordered_by(|access: &UserAccess| access.generation),
        })
    }

    /// Keeps this verifier's copy of the `user_access` bucket current until `cancel` fires, so a
    /// token is refused within moments of its user's access changing, on every replica. The
    /// service is not ready until the copy is loaded; the step counts from the call on, so call
    /// it before spawning.
    pub fn follow_user_access(
        &self,
        nats: Nats,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + use<> {
        self.user_access.clone().follow(nats, USER_ACCESS, cancel)
    }

    /// Reads the identity provider's JWKS document (e.g.
    /// `http://ecommerce:8081/.well-known/jwks.json`): how services other than the issuer learn
    /// the keys. Callers retry while the provider is not up yet.
    pub async fn fetch(jwks_url: &str, issuer: &str) -> anyhow::Result<Self> {
        let client = crate::http_client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()?;
        let jwks: JwkSet = client
            .get(jwks_url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Self::from_jwks(&jwks, issuer)
    }

    /// [`JwtVerifier::fetch`], retrying with backoff while the identity provider is not up,
    /// for up to `settings.jwks_wait_seconds`: services start in any order.
    pub async fn fetch_waiting(settings: &crate::settings::JwksSettings) -> anyhow::Result<Self> {
        let deadline = tokio::time::Instant::now()
            + std::time::Duration::from_secs(settings.jwks_wait_seconds);
        let mut delay = std::time::Duration::from_millis(200);
        loop {
            match Self::fetch(&settings.jwks_url, &settings.issuer).await {
                Ok(verifier) => return Ok(verifier),
                Err(error) if tokio::time::Instant::now() < deadline => {
                    tracing::warn!(url = %settings.jwks_url, error = %format!("{error:#}"), "identity provider keys not available yet; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
                Err(error) => {
                    return Err(error.context(format!(
                        "fetching the identity provider's keys from {}",
                        settings.jwks_url
                    )));
                }
            }
        }
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = match self.verified.get(token) {
            Some(claims) => {
                let leeway = i64::try_from(self.validation.leeway).unwrap_or_default();
                if Utc::now().timestamp() > claims.exp + leeway {
                    return Err(TokenError::Expired);
                }
                claims
            }
            None => {
                let claims = self.verify_signature(token)?;
                self.verified.remember(token, &claims);
                claims
            }
        };
        match self.user_access.get(&claims.sub) {
            Some(access) if claims.generation < access.generation => {
                Err(TokenError::Revoked(access.change))
            }
            _ => Ok(claims),
        }
    }

    fn verify_signature(&self, token: &str) -> Result<Claims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Invalid("no key id".to_owned()))?;
        let key = self
            .keys
            .get(&kid)
            .ok_or_else(|| TokenError::Invalid("unknown key id".to_owned()))?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> TokenSubject {
        TokenSubject {
            user_id: "u1".into(),
            email: "a@b.co".into(),
            role: Role::Courier,
            seller_id: None,
            courier_id: Some(101),
            generation: 0,
        }
    }

    #[test]
    fn a_remembered_token_still_expires() {
        let issuer = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "test", 60).unwrap();
        let verifier = issuer.verifier().unwrap();
        let token = issuer.issue(claims()).unwrap().access_token;
        let first = verifier.verify(&token).unwrap();
        assert_eq!(verifier.verify(&token).unwrap(), first, "remembered");
        let mut expired = first;
        expired.exp = Utc::now().timestamp() - 31;
        verifier.verified.remember(&token, &expired);
        assert!(matches!(verifier.verify(&token), Err(TokenError::Expired)));
        let forged = format!("{token}x");
        assert!(matches!(
            verifier.verify(&forged),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn an_issued_token_verifies_with_the_published_keys() {
        let issuer = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "test", 60).unwrap();
        let json = serde_json::to_value(issuer.jwks()).unwrap();
        assert_eq!(json["keys"][0]["kty"], "OKP");
        assert_eq!(json["keys"][0]["crv"], "Ed25519");
        let jwks: JwkSet = serde_json::from_value(json).unwrap();
        let verifier = JwtVerifier::from_jwks(&jwks, "test").unwrap();
        let token = issuer.issue(claims()).unwrap();
        let verified = verifier.verify(&token.access_token).unwrap();
        assert_eq!(verified.courier_id, Some(101));
        assert_eq!(verified.role, Role::Courier);
    }

    #[test]
    fn tampered_expired_and_foreign_tokens_are_refused() {
        let issuer = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "test", 60).unwrap();
        let verifier = issuer.verifier().unwrap();
        let token = issuer.issue(claims()).unwrap().access_token;

        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        payload["role"] = "marketplace_admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        assert!(matches!(
            verifier.verify(&parts.join(".")),
            Err(TokenError::Invalid(_))
        ));

        let expired = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "test", -120).unwrap();
        let old = expired.issue(claims()).unwrap().access_token;
        assert!(matches!(verifier.verify(&old), Err(TokenError::Expired)));

        let other_issuer = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "someone-else", 60).unwrap();
        let foreign = other_issuer.issue(claims()).unwrap().access_token;
        assert!(verifier.verify(&foreign).is_err());
    }
}
