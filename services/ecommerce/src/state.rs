//! What handlers share: the database, NATS, the token issuer, the outbox signal, the password
//! hashing threads, the log-in throttle, the vault of ally credentials and the purchase batcher.

use platform::ApiError;
use platform::auth::{JwtIssuer, Passwords};
use platform::db::{Db, DbConnection};
use platform::nats::Nats;
use platform::outbox::{self, OutboxSignal};

use crate::login_throttle::LoginThrottle;
use crate::purchases::PurchaseBatcher;
use crate::vault::Vault;

pub struct AppState {
    pub db: Db,
    pub nats: Nats,
    pub issuer: JwtIssuer,
    pub outbox: OutboxSignal,
    /// How long a purchase's idempotency key is remembered.
    pub idempotency_ttl: chrono::TimeDelta,
    pub passwords: Passwords,
    pub login_throttle: LoginThrottle,
    /// The keys of the ally credentials.
    pub vault: Vault,
    pub purchases: PurchaseBatcher,
}

impl AppState {
    /// Runs `f` in one write transaction, then wakes the outbox relay for what it enqueued.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        outbox::write_then_signal(&self.db, &self.outbox, f).await
    }

    /// Runs the read-only query `f`.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(f).await
    }
}
