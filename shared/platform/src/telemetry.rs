//! Structured logs through `tracing`: JSON lines in production, readable lines in a terminal.
//!
//! Every HTTP request runs inside a root span carrying its `request_id` and its W3C `trace_id`
//! (see [`crate::http::RequestTracing`]), and event handling inside a span carrying the
//! `trace_id` of its events; the JSON format writes the current span's fields on every line,
//! so each log line of a request, in any service it reaches, can be found by its trace id.
//!
//! A request that failed (answered 400 or above) ends with a line at INFO, always: the support
//! tool reads those (ecommerce's `cx-support failed-requests`). A request that succeeded ends with one only when
//! DEBUG is enabled for [`SUCCESSES_TARGET`] ([`QuietSuccesses`]); `/metrics` counts them all
//! (`http_requests_total` by route and status).

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{FmtSpan, JsonFields, Writer};
use tracing_subscriber::fmt::{FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::settings::{LogFormat, LogSettings};

/// The target whose DEBUG level brings back the lines of successful requests
/// (`RUST_LOG=info,platform::http::successes=debug`, or the level `debug`).
pub const SUCCESSES_TARGET: &str = "platform::http::successes";

/// Installs the global subscriber. Call once, from `main`.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.level))?;
    let result = match settings.format {
        LogFormat::Json => {
            tracing::subscriber::set_global_default(service_json_lines(filter, std::io::stdout))
                .map_err(|e| e.to_string())
        }
        LogFormat::Pretty => Registry::default()
            .with(filter)
            .with(QuietSuccesses(
                tracing_subscriber::fmt::layer()
                    .with_target(true)
                    .with_span_events(FmtSpan::CLOSE),
            ))
            .try_init()
            .map_err(|e| e.to_string()),
    };
    result.map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}

/// The JSON line format, written to `writer`: the event's fields flattened, and the current
/// span's fields (request id, trace id) on every line. A line when each span closes gives one
/// line per request, carrying its request id, route, status and latency; here every request's,
/// successes included (what [`init`] installs is [`service_json_lines`]).
pub fn json_lines<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    Registry::default().with(filter).with(json_layer(writer))
}

/// What [`init`] installs for the JSON format: [`json_lines`], where a successful request ends
/// without a line unless DEBUG is enabled for [`SUCCESSES_TARGET`] ([`QuietSuccesses`]).
pub fn service_json_lines<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    Registry::default()
        .with(filter)
        .with(QuietSuccesses(json_layer(writer)))
}

fn json_layer<S, W>(writer: W) -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_span_events(FmtSpan::CLOSE)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .fmt_fields(AppendedJsonFields)
        .with_writer(writer)
}

/// A span's fields as one JSON object, as tracing-subscriber's `JsonFields` writes them, except
/// that a value recorded later is appended instead of the object being parsed and written again
/// (which, with the eight values a request records as it goes, cost a quarter of a courier
/// report's CPU). A name recorded twice then appears twice; the lines read the object as a JSON
/// map, where the later value wins, as it did before.
pub struct AppendedJsonFields;

impl<'writer> FormatFields<'writer> for AppendedJsonFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        JsonFields::new().format_fields(writer, fields)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &Record<'_>,
    ) -> fmt::Result {
        if current.fields.is_empty() {
            return JsonFields::new().format_fields(current.as_writer(), fields);
        }
        let mut added = String::new();
        JsonFields::new().format_fields(Writer::new(&mut added), fields)?;
        let Some(members) = added
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
        else {
            return Err(fmt::Error);
        };
        if members.is_empty() {
            return Ok(());
        }
        let object = &mut current.fields;
        if object.pop() != Some('}') {
            return Err(fmt::Error);
        }
        if !object.ends_with('{') {
            object.push(',');
        }
        object.push_str(members);
        object.push('}');
        Ok(())
    }
}

/// Wraps the layer that writes lines so that a request answered with success (a status below
/// 400, no error) ends without a line unless DEBUG is enabled for [`SUCCESSES_TARGET`]: at
/// thousands of requests a second that line cost more than the request's own work. Failures
/// keep their line exactly as before, at INFO; every other span and event passes through.
pub struct QuietSuccesses<L>(pub L);

/// The request span's fields that say how the request ended (tracing-actix-web's names).
const STATUS_CODE: &str = "http.status_code";
const EXCEPTION: &str = "exception.message";

/// What a request's span has recorded about its answer.
#[derive(Debug, Default, Clone, Copy)]
struct Answer {
    succeeded: bool,
    failed: bool,
}

impl Visit for Answer {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == STATUS_CODE {
            self.succeeded = value < 400;
            self.failed |= value >= 400;
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_i64(field, i64::try_from(value).unwrap_or(i64::MAX));
    }

    fn record_debug(&mut self, field: &Field, _: &dyn fmt::Debug) {
        if field.name() == EXCEPTION {
            self.failed = true;
        }
    }
}

impl<S, L> Layer<S> for QuietSuccesses<L>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.0.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.0.on_layer(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.0.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.0.enabled(metadata, ctx)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.0.on_new_span(attrs, id, ctx);
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.0.max_level_hint()
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut recorded = Answer::default();
        values.record(&mut recorded);
        if (recorded.succeeded || recorded.failed)
            && let Some(span) = ctx.span(id)
        {
            let mut extensions = span.extensions_mut();
            match extensions.get_mut::<Answer>() {
                Some(answer) => {
                    answer.succeeded = recorded.succeeded;
                    answer.failed |= recorded.failed;
                }
                None => extensions.insert(recorded),
            }
        }
        self.0.on_record(id, values, ctx);
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.0.on_follows_from(span, follows, ctx);
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.0.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        self.0.on_event(event, ctx);
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.0.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.0.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let succeeded = ctx.span(&id).is_some_and(|span| {
            span.extensions()
                .get::<Answer>()
                .is_some_and(|answer| answer.succeeded && !answer.failed)
        });
        if succeeded && !tracing::enabled!(target: SUCCESSES_TARGET, Level::DEBUG) {
            return;
        }
        self.0.on_close(id, ctx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.0.on_id_change(old, new, ctx);
    }
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
