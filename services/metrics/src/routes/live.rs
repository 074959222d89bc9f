//! `GET /v1/metrics/stream`: server-sent events carrying every metric over a sliding window,
//! sent at once, then whenever the rollups change (at most once per push interval), until the
//! viewer's token expires (an `expired` event) or the viewer leaves.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, TimeDelta, Utc};
use platform::ApiError;
use platform::auth::Authenticated;
use platform::query::Query;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::time::Instant;
use utoipa::IntoParams;

use super::require_viewer;
use crate::domain::window::{MAX_DAYS, Window};
use crate::reading;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(stream);
}

/// A comment line now and then keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize, IntoParams)]
pub struct LiveQuery {
    /// The window ends now and spans this many hours (1 to 744, default 24).
    #[param(minimum = 1, maximum = 744)]
    pub hours: Option<i64>,
}

/// Live metrics as server-sent events (`text/event-stream`)
///
/// `summary` events (the body of `/v1/metrics/summary`), and one `expired` event when the token
/// expires. Browsers read it with `fetch`, which can send the Authorization header.
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(LiveQuery),
    responses((status = 200, content_type = "text/event-stream"), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/stream")]
async fn stream(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<LiveQuery>,
) -> Result<HttpResponse, ApiError> {
    require_viewer(&caller)?;
    let hours = query.hours.unwrap_or(24);
    if !(1..=MAX_DAYS * 24).contains(&hours) {
        return Err(ApiError::invalid(
            "hours",
            format!("must be between 1 and {}", MAX_DAYS * 24),
        ));
    }
    let lifetime = (DateTime::from_timestamp(caller.exp, 0).unwrap_or_default() - Utc::now())
        .to_std()
        .unwrap_or_default();
    let live = Live {
        changes: state.changes.subscribe(),
        state: state.into_inner(),
        span: TimeDelta::hours(hours),
        expires_at: Instant::now() + lifetime,
        last_push: None,
        ended: false,
    };
    let events = futures_util::stream::unfold(live, |mut live| async move {
        let event = live.next().await?;
        Some((Ok::<_, actix_web::Error>(event), live))
    });
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .streaming(events))
}

/// One viewer's stream.
struct Live {
    state: Arc<AppState>,
    changes: watch::Receiver<u64>,
    span: TimeDelta,
    expires_at: Instant,
    last_push: Option<Instant>,
    ended: bool,
}

impl Live {
    /// The next chunk to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        if let Some(last) = self.last_push {
            tokio::select! {
                _ = self.state.shutdown.cancelled() => return None,
                _ = tokio::time::sleep_until(self.expires_at) => {
                    self.ended = true;
                    return Some(Bytes::from_static(b"event: expired\ndata: {}\n\n"));
                }
                changed = self.changes.changed() => {
                    changed.ok()?;
                    // Changes that come quicker than the push interval share one push.
                    tokio::time::sleep_until(last + self.state.push_interval).await;
                }
                _ = tokio::time::sleep(KEEP_ALIVE) => return Some(Bytes::from_static(b": keep-alive\n\n")),
            }
        }
        self.changes.mark_unchanged();
        self.last_push = Some(Instant::now());
        let now = Utc::now();
        let window = Window {
            from: now - self.span,
            to: now,
        };
        Some(match reading::summary(&self.state.db, window).await {
            Ok(summary) => match serde_json::to_string(&summary) {
                Ok(json) => Bytes::from(format!("event: summary\ndata: {json}\n\n")),
                Err(error) => error_event(&error.to_string()),
            },
            Err(error) => error_event(&ApiError::from(error).to_problem().detail),
        })
    }
}

/// The viewer keeps the last numbers and waits for the next change.
fn error_event(detail: &str) -> Bytes {
    tracing::warn!(%detail, "live metrics could not be read");
    let body = serde_json::json!({ "detail": detail });
    Bytes::from(format!("event: problem\ndata: {body}\n\n"))
}
