//! Structured logs through `tracing`: JSON lines in production, readable lines in a terminal.
//!
//! Every HTTP request runs inside a root span carrying its `request_id` and its W3C `trace_id`
//! (see [`crate::http::RequestTracing`]), and event handling inside a span carrying the
//! `trace_id` of its events; the JSON format writes the current span's fields on every line,
//! so each log line of a request, in any service it reaches, can be found by its trace id.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber. Call once, from `main`.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.level))?;
    let result = match settings.format {
        LogFormat::Json => {
            tracing::subscriber::set_global_default(json_lines(filter, std::io::stdout))
                .map_err(|e| e.to_string())
        }
        LogFormat::Pretty => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(true)
            .with_span_events(FmtSpan::CLOSE)
            .try_init()
            .map_err(|e| e.to_string()),
    };
    result.map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}

/// The JSON line format, written to `writer`: the event's fields flattened, and the current
/// span's fields (request id, trace id) on every line. A line when each span closes gives one
/// line per request, carrying its request id, route, status and latency.
pub fn json_lines<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_span_events(FmtSpan::CLOSE)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
        .finish()
}

/// For tests: readable output captured by the test harness, `RUST_LOG` or warnings only.
/// Safe to call from every test.
pub fn init_for_test() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
