//! Builds the service from its settings and runs, under one supervisor, the HTTP server, the
//! watches of the catalog and couriers buckets, and the start-up NATS preparation.

use actix_web::web;
use platform::auth::JwtVerifier;
use platform::lifecycle::{Service, Supervisor};
use platform::nats::Nats;
use platform::server;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Settings;
use crate::events::{self, reference::ReferenceData};
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

    /// Connects to NATS and binds the listener, verifying tokens with `verifier`. Nothing runs
    /// until [`Service::run_until_stopped`].
    pub async fn build_with_verifier(
        settings: Settings,
        verifier: JwtVerifier,
    ) -> anyhow::Result<Service> {
        let limits = settings.reports.limits()?;
        let nats = Nats::connect(&settings.nats, "ingest").await?;
        let mut supervisor = Supervisor::new(CancellationToken::new());
        let reference = ReferenceData::follow(&nats, &mut supervisor);
        let state = web::Data::new(AppState {
            nats: nats.clone(),
            reference,
            limits,
        });
        let shared = server::Shared {
            db: None,
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
            "stream-watch",
            nats.watch_stream(contracts::streams::COURIER_REPORTS, supervisor.token()),
        );
        supervisor.spawn_once(
            "prepare-nats",
            events::prepare_nats(nats, supervisor.token()),
        );
        tracing::info!(port, mode = ?settings.mode, "ingest ready");
        Ok(Service::new(port, supervisor))
    }
}
