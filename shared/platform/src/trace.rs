//! W3C Trace Context: one trace id follows a request across services and replicas.
//!
//! An HTTP request continues the caller's `traceparent` or starts a trace; the id is a field
//! of the request's root span, so every log line of the request carries it. Events written
//! while a trace is current take it along (the CloudEvents `traceparent` extension attribute,
//! and the NATS header of the same name); a consumer handling them, and the webhooks they
//! cause, continue it. Background work (a worker tick) starts a trace of its own.
//!
//! The current trace lives in a task-local for async code and in a thread-local for the
//! blocking database closures (`Db::run` carries it over), so deep code such as the outbox
//! can read it without every signature passing it down.

use std::cell::RefCell;
use std::fmt;

/// The W3C `traceparent` header name, also the CloudEvents extension attribute and the NATS
/// header that carry it.
pub const TRACEPARENT: &str = "traceparent";

/// A position in a trace: the trace id and the id of the span that is the parent of what
/// comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: String,
    parent_id: String,
    sampled: bool,
}

impl TraceContext {
    /// A new trace.
    pub fn new_root() -> Self {
        Self {
            trace_id: random_hex(32),
            parent_id: random_hex(16),
            sampled: true,
        }
    }

    /// Reads a `traceparent` value (`00-<32 hex>-<16 hex>-<2 hex>`); `None` for anything else,
    /// all-zero ids included, as the specification says.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.trim().split('-');
        let (version, trace_id, parent_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |s: &str, len: usize| {
            s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        let valid = hex(version, 2)
            && version != "ff"
            && (version != "00" || parts.next().is_none())
            && hex(trace_id, 32)
            && hex(parent_id, 16)
            && hex(flags, 2)
            && trace_id.bytes().any(|b| b != b'0')
            && parent_id.bytes().any(|b| b != b'0');
        valid.then(|| Self {
            trace_id: trace_id.to_owned(),
            parent_id: parent_id.to_owned(),
            sampled: u8::from_str_radix(flags, 16).is_ok_and(|f| f & 1 == 1),
        })
    }

    /// The caller's trace if `value` holds a valid one, else a new trace.
    pub fn continue_or_start(value: Option<&str>) -> Self {
        value.and_then(Self::parse).unwrap_or_else(Self::new_root)
    }

    /// The same trace, one step further: what this service hands on.
    pub fn child(&self) -> Self {
        Self {
            parent_id: random_hex(16),
            ..self.clone()
        }
    }

    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }
}

/// The `traceparent` value.
impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = if self.sampled { "01" } else { "00" };
        write!(f, "00-{}-{}-{flags}", self.trace_id, self.parent_id)
    }
}

tokio::task_local! {
    static TASK_TRACE: TraceContext;
}

thread_local! {
    static THREAD_TRACE: RefCell<Option<TraceContext>> = const { RefCell::new(None) };
}

/// The trace current here: the task's, else the thread's (inside a database closure).
pub fn current() -> Option<TraceContext> {
    TASK_TRACE
        .try_with(Clone::clone)
        .ok()
        .or_else(|| THREAD_TRACE.with(|trace| trace.borrow().clone()))
}

/// The current trace's id, or an empty text outside any trace. The DEBUG spans that time a
/// workflow or a database call carry it as `trace_id`, so that their lines, and the lines
/// written inside them, join the request's.
pub fn current_id() -> String {
    current()
        .map(|trace| trace.trace_id().to_owned())
        .unwrap_or_default()
}

/// Runs `future` with `trace` current.
pub async fn scope<F: Future>(trace: TraceContext, future: F) -> F::Output {
    TASK_TRACE.scope(trace, future).await
}

/// Runs the synchronous `f` with `trace` current on this thread (nothing changes for `None`).
pub fn with<T>(trace: Option<TraceContext>, f: impl FnOnce() -> T) -> T {
    let Some(trace) = trace else {
        return f();
    };
    let previous = THREAD_TRACE.with(|current| current.replace(Some(trace)));
    let result = f();
    THREAD_TRACE.with(|current| *current.borrow_mut() = previous);
    result
}

/// What the events written now should carry: a step further along the current trace.
pub fn to_hand_on() -> Option<String> {
    current().map(|trace| trace.child().to_string())
}

/// `digits` (at most 32) random lower-case hex digits, never all zero.
fn random_hex(digits: usize) -> String {
    let mut hex = uuid::Uuid::new_v4().simple().to_string();
    hex.truncate(digits);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_continued_and_anything_else_starts_a_trace() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let trace = TraceContext::parse(header).unwrap();
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(trace.to_string(), header);
        let child = trace.child();
        assert_eq!(child.trace_id(), trace.trace_id());
        assert_ne!(child.to_string(), header, "a new parent id");

        for invalid in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        ] {
            assert!(TraceContext::parse(invalid).is_none(), "{invalid:?}");
        }
        let fresh = TraceContext::continue_or_start(Some("garbage"));
        assert_eq!(fresh.trace_id().len(), 32);
    }

    #[tokio::test]
    async fn the_current_trace_follows_the_task_and_a_thread_scope() {
        assert!(current().is_none());
        let trace = TraceContext::new_root();
        let seen = scope(trace.clone(), async { current() }).await;
        assert_eq!(seen, Some(trace.clone()));
        let in_thread = with(Some(trace.clone()), current);
        assert_eq!(in_thread, Some(trace));
        assert!(current().is_none(), "restored afterwards");
    }
}
