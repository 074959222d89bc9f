//! Identity as every service sees it: roles, the claims of a platform JWT, the extractor
//! that turns a bearer token into an [`Authenticated`] caller or a 401, and [`Passwords`], where
//! the identity provider hashes and checks passwords.
//!
//! ecommerce is the only issuer: it signs with a private Ed25519 key and publishes the public
//! half as a JWKS document; every other service verifies with that JWKS, so none of them can
//! mint a token.

mod extract;
mod hashing;
mod jwt;
mod password;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::{Authenticated, Principal};
pub use hashing::{HashingSettings, HashingStrategy, Passwords};
pub use jsonwebtoken::jwk::JwkSet;
pub use jwt::{
    AccessToken, DEMO_SIGNING_KEY_PEM, JwtIssuer, JwtVerifier, TokenError, TokenSubject,
};
pub use password::PasswordHash;

use crate::error::ApiError;

/// What a user may do on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the marketplace: sellers, users, every order.
    MarketplaceAdmin,
    /// Works for one seller: its products, portfolios and orders.
    SellerUser,
    /// Buys products; registers by themselves.
    MarketplaceUser,
    /// One of the couriers; reports deliveries.
    Courier,
    /// Watches the operations dashboard.
    OperationsViewer,
    /// Another system calling the platform's APIs.
    ServiceClient,
    /// A support engineer: reads sellers, changes a store's owner and tags, manages ally
    /// credentials and reads the support reports; never buys, never manages users, never sees
    /// a password or a credential.
    Support,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::MarketplaceAdmin,
        Role::SellerUser,
        Role::MarketplaceUser,
        Role::Courier,
        Role::OperationsViewer,
        Role::ServiceClient,
        Role::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::MarketplaceAdmin => "marketplace_admin",
            Role::SellerUser => "seller_user",
            Role::MarketplaceUser => "marketplace_user",
            Role::Courier => "courier",
            Role::OperationsViewer => "operations_viewer",
            Role::ServiceClient => "service_client",
            Role::Support => "support",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }
}

/// The claims of a platform access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub email: String,
    pub role: Role,
    /// The seller a seller user works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// The courier a courier user is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courier_id: Option<i64>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The user's token generation when the token was issued; a token of an older generation
    /// than the user's current one is refused ([`contracts::user_access`]). Tokens issued
    /// before generations existed have none, which counts as 0.
    #[serde(rename = "gen", default)]
    pub generation: i64,
}

impl Claims {
    pub fn has_role(&self, role: Role) -> bool {
        self.role == role
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "this needs the role {}",
                names.join(" or ")
            )))
        }
    }

    /// Whether the caller is a seller user of `seller_id`.
    pub fn works_for(&self, seller_id: &str) -> bool {
        self.role == Role::SellerUser && self.seller_id.as_deref() == Some(seller_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }
}
