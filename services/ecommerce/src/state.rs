//! What handlers share: the database, NATS, the token issuer, the outbox signal, the password
//! hashing threads, the log-in throttle, the vault of ally credentials and the purchase batcher.

use std::ops::Deref;

use platform::auth::{JwtIssuer, Passwords};
use platform::nats::Nats;
use platform::outbox::OutboxDb;

use crate::login_throttle::LoginThrottle;
use crate::purchases::PurchaseBatcher;
use crate::vault::Vault;

pub struct AppState {
    /// The database and the outbox signal; `Deref` makes `state.write`, `state.read` and
    /// `state.db` reach it.
    pub store: OutboxDb,
    pub nats: Nats,
    pub issuer: JwtIssuer,
    /// How long a purchase's idempotency key is remembered.
    pub idempotency_ttl: chrono::TimeDelta,
    pub passwords: Passwords,
    pub login_throttle: LoginThrottle,
    /// The keys of the ally credentials.
    pub vault: Vault,
    pub purchases: PurchaseBatcher,
}

impl Deref for AppState {
    type Target = OutboxDb;

    fn deref(&self) -> &OutboxDb {
        &self.store
    }
}
