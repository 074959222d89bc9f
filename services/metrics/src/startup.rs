//! Builds the service from its settings and runs, under one supervisor, the HTTP server (API,
//! live stream, dashboard) and the three stream consumers.

use std::time::Duration;

use actix_web::web;
use platform::auth::JwtVerifier;
use platform::db::Db;
use platform::lifecycle::{Service, Supervisor};
use platform::nats::Nats;
use platform::server;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Settings;
use crate::events::{Changes, consumers};
use crate::routes::{self, ApiDoc};
use crate::state::AppState;

/// Builds the service; what it builds runs with `run_until_stopped`.
pub struct Application;

impl Application {
    /// Fetches the identity provider's keys (waiting for it to start), then builds.
    pub async fn build(settings: Settings) -> anyhow::Result<Service> {
        let verifier = JwtVerifier::fetch_waiting(&settings.auth).await?;
        Self::build_with_verifier(settings, verifier).await
    }

    /// Migrates the database, connects to NATS and binds the listener, verifying tokens with
    /// `verifier`. Nothing runs until [`Service::run_until_stopped`].
    pub async fn build_with_verifier(
        settings: Settings,
        verifier: JwtVerifier,
    ) -> anyhow::Result<Service> {
        let db = Db::connect(
            &settings.database.parsed_url()?,
            settings.database.pool_size,
        )?;
        db.migrate(crate::db::migrations()).await?;
        let nats = Nats::connect(&settings.nats, "metrics").await?;
        let changes = Changes::default();
        let mut supervisor = Supervisor::new(CancellationToken::new());
        let state = web::Data::new(AppState {
            db: db.clone(),
            changes: changes.clone(),
            push_interval: Duration::from_millis(settings.dashboard.push_interval_ms),
            login_url: settings.dashboard.login_url.clone(),
            http: platform::http_client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            shutdown: supervisor.token(),
        });
        let shared = server::Shared {
            db: Some(db.clone()),
            nats: nats.clone(),
            verifier: web::Data::new(verifier),
        };
        let routes = move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone()).configure(routes::configure);
        };
        let port = server::start(
            &settings.http,
            shared,
            ApiDoc::openapi(),
            routes,
            &mut supervisor,
        )?;
        supervisor.spawn(
            "rollup-notices",
            changes.follow_other_replicas(&nats, supervisor.token()),
        );
        if settings.tasks.consumers {
            consumers::spawn(&db, &nats, &changes, &mut supervisor);
        }
        tracing::info!(port, mode = ?settings.mode, "metrics ready");
        Ok(Service::new(port, supervisor))
    }
}
