//! A wake-up call between tasks of one service: writers nudge a background task (the outbox
//! relay, the webhook dispatcher) so it works at once instead of at its next poll. Nudges made
//! while the task is busy are kept (one), so none is lost.

use std::sync::Arc;

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Wakeup(Arc<Notify>);

impl Wakeup {
    pub fn notify(&self) {
        self.0.notify_one();
    }

    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
