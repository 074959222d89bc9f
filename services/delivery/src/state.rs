//! What handlers share: the database, NATS, the outbox signal, the worker's clock and the
//! webhook rules.

use platform::ApiError;
use platform::db::{Db, DbConnection};
use platform::nats::Nats;
use platform::outbox::{self, OutboxSignal};

use crate::webhooks::Wakeup;
use crate::webhooks::gate::SubscriptionGate;
use crate::webhooks::url_guard::UrlGuard;
use crate::worker::TickClock;

pub struct AppState {
    pub db: Db,
    pub nats: Nats,
    pub outbox: OutboxSignal,
    pub clock: TickClock,
    pub url_guard: UrlGuard,
    /// After a rotation the previous webhook secret keeps signing this long.
    pub rotation_grace: chrono::TimeDelta,
    /// Wakes the webhook dispatcher after a re-send or a re-enabled subscription.
    pub sender_wakeup: Wakeup,
    /// Stops sends to a subscription the moment it is deleted, disabled or changed.
    pub webhook_gate: SubscriptionGate,
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
