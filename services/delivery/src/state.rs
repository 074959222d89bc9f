//! What handlers share: the database, NATS, the outbox signal, the worker's clock and the
//! webhook rules.

use platform::nats::Nats;
use platform::outbox::OutboxDb;

use crate::webhooks::Wakeup;
use crate::webhooks::gate::SubscriptionGate;
use crate::webhooks::url_guard::UrlGuard;
use crate::worker::TickClock;

pub struct AppState {
    /// The database and the outbox signal: `state.store.write` runs a write transaction and
    /// wakes the outbox relay, `state.store.read` a query.
    pub store: OutboxDb,
    pub nats: Nats,
    pub clock: TickClock,
    pub url_guard: UrlGuard,
    /// After a rotation the previous webhook secret keeps signing this long.
    pub rotation_grace: chrono::TimeDelta,
    /// Wakes the webhook dispatcher after a re-send or a re-enabled subscription.
    pub sender_wakeup: Wakeup,
    /// Stops sends to a subscription the moment it is deleted, disabled or changed.
    pub webhook_gate: SubscriptionGate,
}
