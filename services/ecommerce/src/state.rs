//! What handlers share: the database, NATS, the token issuer, the outbox signal, the password
//! hashing threads, the log-in throttle, the vault of ally credentials and the purchase batcher.

use platform::auth::{JwtIssuer, Passwords};
use platform::nats::Nats;
use platform::outbox::OutboxDb;

use crate::login_throttle::LoginThrottle;
use crate::purchases::PurchaseBatcher;
use crate::vault::Vault;

pub struct AppState {
    /// The database and the outbox signal: `state.store.write` runs a write transaction and
    /// wakes the outbox relay, `state.store.read` a query.
    pub store: OutboxDb,
    pub nats: Nats,
    pub issuer: JwtIssuer,
    pub passwords: Passwords,
    pub login_throttle: LoginThrottle,
    /// The keys of the ally credentials.
    pub vault: Vault,
    pub purchases: PurchaseBatcher,
}
