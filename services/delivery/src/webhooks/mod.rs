//! Webhooks (seed 004 item 4): subscribers register a URL and the statuses they want; every
//! delivery status change reaches each matching subscriber once, signed (Standard Webhooks).
//!
//! Two tasks do the work. The fan-out consumer turns each `deliveries.status.*` event into one
//! message row per matching subscription (unique per subscription and event, so a redelivered
//! event adds nothing). The dispatcher sends due messages, records every attempt, and retries
//! with backoff until a 2xx, after which the message is never sent again.

pub mod dispatcher;
pub mod fanout;
pub mod gate;
pub mod retry;
pub mod url_guard;

/// Wakes the dispatcher when messages become due (new events, a re-send).
pub use platform::wakeup::Wakeup;
