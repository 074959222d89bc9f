//! What every metrics handler shares.

use std::time::Duration;

use platform::db::Db;
use tokio_util::sync::CancellationToken;

use crate::events::Changes;

pub struct AppState {
    pub db: Db,
    pub changes: Changes,
    /// The least time between two pushes of the live stream to one viewer.
    pub push_interval: Duration,
    /// Where the dashboard's log-in is checked (the identity provider).
    pub login_url: String,
    pub http: reqwest::Client,
    /// Fires at shutdown, so open live streams end instead of holding the server.
    pub shutdown: CancellationToken,
}
