//! Tokens as ecommerce, the identity provider, issues them: signed with the demo key, which the
//! other services trust in their tests, so they need no ecommerce to be called.

use platform::auth::{DEMO_SIGNING_KEY_PEM, JwtIssuer, JwtVerifier, Role, TokenSubject};

/// The issuer name the services expect by default.
const ISSUER: &str = "cargo-express";

/// The identity provider's demo key, issuing tokens that last 15 minutes.
pub fn demo_issuer() -> JwtIssuer {
    demo_issuer_lasting(900)
}

/// The identity provider's demo key, issuing tokens that last `seconds`.
#[allow(clippy::expect_used)]
pub fn demo_issuer_lasting(seconds: i64) -> JwtIssuer {
    JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, ISSUER, seconds).expect("the demo key")
}

/// Checks tokens of the demo key, as a service trusting ecommerce's published key would.
#[allow(clippy::expect_used)]
pub fn demo_verifier() -> JwtVerifier {
    demo_issuer().verifier().expect("the demo key verifies")
}

/// A token of the one test user of `role`, `test-<role>` (a courier is courier 101).
pub fn token(role: Role) -> String {
    token_by(&demo_issuer(), role)
}

/// As [`token`], issued by `issuer` (e.g. one whose tokens expire soon).
pub fn token_by(issuer: &JwtIssuer, role: Role) -> String {
    issue(
        issuer,
        role,
        &format!("test-{}", role.as_str()),
        first_courier(role),
    )
}

/// A token of the test user `user_id` with `role` (a courier is courier 101).
pub fn token_for(role: Role, user_id: &str) -> String {
    issue(&demo_issuer(), role, user_id, first_courier(role))
}

/// A token of courier `courier_id`.
pub fn courier_token(courier_id: i64) -> String {
    let user_id = format!("test-courier-{courier_id}");
    issue(&demo_issuer(), Role::Courier, &user_id, Some(courier_id))
}

/// Seed 000's first courier, for a courier's token that names no other.
fn first_courier(role: Role) -> Option<i64> {
    (role == Role::Courier).then_some(101)
}

#[allow(clippy::expect_used)]
fn issue(issuer: &JwtIssuer, role: Role, user_id: &str, courier_id: Option<i64>) -> String {
    issuer
        .issue(TokenSubject {
            user_id: user_id.to_owned(),
            email: format!("{user_id}@cargoexpress.test"),
            role,
            seller_id: None,
            courier_id,
            generation: 0,
        })
        .expect("a token")
        .access_token
}
