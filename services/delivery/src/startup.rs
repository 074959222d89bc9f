//! Builds the service from its settings and runs its tasks side by side under one supervisor:
//! the HTTP server, the outbox relay, the status worker, the `orders.dispatched` consumer,
//! the webhook fan-out and dispatcher, and the start-up NATS preparation.

use actix_web::web;
use chrono::TimeDelta;
use platform::auth::JwtVerifier;
use platform::db::Db;
use platform::lifecycle::{Service, Supervisor};
use platform::nats::Nats;
use platform::outbox::{OutboxDb, OutboxRelay, OutboxSignal, RelaySettings};
use platform::server;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::config::Settings;
use crate::events;
use crate::routes::{self, ApiDoc};
use crate::state::AppState;
use crate::webhooks::dispatcher::Dispatcher;
use crate::webhooks::gate::SubscriptionGate;
use crate::webhooks::url_guard::UrlGuard;
use crate::webhooks::{Wakeup, fanout};
use crate::worker::{StatusWorker, TickClock};

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
        Self::build_with_gate(settings, verifier, SubscriptionGate::default()).await
    }

    /// As [`Application::build_with_verifier`], with this replica's webhook gate handed in, so
    /// that a test can tell when the replica has heard another one's subscription change.
    pub async fn build_with_gate(
        settings: Settings,
        verifier: JwtVerifier,
        gate: SubscriptionGate,
    ) -> anyhow::Result<Service> {
        let db = Db::connect(
            &settings.database.parsed_url()?,
            settings.database.pool_size,
        )?;
        db.migrate(crate::db::migrations()).await?;
        let nats = Nats::connect(&settings.nats, "delivery").await?;
        let outbox = OutboxSignal::default();
        let clock = TickClock::new(settings.worker.interval());
        let url_guard = UrlGuard::new(settings.webhook_allowed_hosts());
        let wakeup = Wakeup::default();

        let state = web::Data::new(AppState {
            store: OutboxDb {
                db: db.clone(),
                outbox: outbox.clone(),
            },
            nats: nats.clone(),
            clock,
            url_guard: url_guard.clone(),
            rotation_grace: TimeDelta::seconds(settings.webhooks.rotation_grace_seconds),
            sender_wakeup: wakeup.clone(),
            webhook_gate: gate.clone(),
        });
        let shared = server::Shared {
            db: Some(db.clone()),
            nats: nats.clone(),
            verifier: web::Data::new(verifier),
        };
        let routes = move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone()).configure(routes::configure);
        };
        let mut supervisor = Supervisor::new(CancellationToken::new());
        let port = server::start(
            &settings.http,
            shared,
            ApiDoc::openapi(),
            routes,
            &mut supervisor,
        )?;
        let tasks = &settings.tasks;
        if tasks.outbox_relay {
            let relay = OutboxRelay::new(
                db.clone(),
                nats.clone(),
                outbox.clone(),
                RelaySettings::from(&settings.outbox),
            );
            supervisor.spawn("outbox-relay", relay.run(supervisor.token()));
        }
        if tasks.status_worker {
            let worker = StatusWorker::new(
                db.clone(),
                outbox.clone(),
                clock,
                settings.worker.batch_size,
                settings.worker.seed,
            );
            supervisor.spawn("status-worker", worker.run(supervisor.token()));
        }
        if tasks.order_consumer {
            supervisor.spawn(
                "orders-dispatched-consumer",
                events::dispatched_orders::run(
                    db.clone(),
                    nats.clone(),
                    outbox.clone(),
                    clock,
                    supervisor.token(),
                ),
            );
        }
        if tasks.report_consumer {
            supervisor.spawn(
                "courier-reports-consumer",
                events::courier_reports::run(
                    db.clone(),
                    nats.clone(),
                    outbox.clone(),
                    supervisor.token(),
                ),
            );
        }
        if tasks.webhook_fanout {
            supervisor.spawn(
                "webhook-fanout",
                fanout::run(db.clone(), nats.clone(), wakeup.clone(), supervisor.token()),
            );
        }
        if tasks.webhook_sender {
            supervisor.spawn(
                "webhook-gate",
                gate.clone().listen(&nats, supervisor.token()),
            );
            let dispatcher =
                Dispatcher::new(db.clone(), url_guard, &settings.webhooks, wakeup, gate)?;
            supervisor.spawn("webhook-dispatcher", dispatcher.run(supervisor.token()));
        }
        supervisor.spawn(
            "stream-watch",
            nats.watch_stream(contracts::streams::DELIVERIES, supervisor.token()),
        );
        supervisor.spawn_once(
            "prepare-nats",
            events::prepare_nats(db, nats, outbox, supervisor.token()),
        );
        tracing::info!(port, mode = ?settings.mode, "delivery ready");
        Ok(Service::new(port, supervisor))
    }
}
