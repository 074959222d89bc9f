//! Builds the service from its settings and runs its tasks side by side under one supervisor:
//! the HTTP server, the outbox relay, the order consumers, the sweepers and the start-up NATS
//! preparation.

use actix_web::web;
use chrono::TimeDelta;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::auth::{JwtIssuer, Passwords};
use platform::db::{Db, Migrations};
use platform::lifecycle::{Service, Supervisor};
use platform::nats::Nats;
use platform::outbox::{OutboxDb, OutboxRelay, OutboxSignal, RelaySettings};
use platform::server;
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::accounts;
use crate::config::Settings;
use crate::delivery_link;
use crate::events;
use crate::login_throttle::LoginThrottle;
use crate::purchases::PurchaseBatcher;
use crate::routes::{self, ApiDoc};
use crate::state::AppState;
use crate::workers;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Builds the service; what it builds runs with `run_until_stopped`.
pub struct Application;

impl Application {
    /// Checks the settings, migrates the database, prepares accounts and binds the listener.
    /// Nothing runs until [`Service::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Service> {
        settings.check_production_rules()?;
        let login_throttle = LoginThrottle::new(&settings.login_throttle)?;
        let passwords = Passwords::new(&settings.auth.hashing)?;
        let issuer = JwtIssuer::from_pem(
            settings.signing_key_pem()?.expose_secret(),
            &settings.auth.issuer,
            settings.auth.token_ttl_seconds,
        )?;
        let verifier = web::Data::new(issuer.verifier()?);
        let vault = settings.credentials_vault()?;

        let db = Db::connect(
            &settings.database.parsed_url()?,
            settings.database.pool_size,
        )?;
        db.migrate(Migrations {
            sqlite: SQLITE_MIGRATIONS,
            postgres: POSTGRES_MIGRATIONS,
        })
        .await?;
        accounts::prepare(&db, &settings, &passwords).await?;
        let nats = Nats::connect(&settings.nats, "ecommerce").await?;
        let outbox = OutboxSignal::default();

        let idempotency_ttl = TimeDelta::seconds(settings.orders.idempotency_ttl_seconds);
        let state_issuer = issuer.clone();
        let (purchases, purchase_writer) = PurchaseBatcher::new(
            db.clone(),
            outbox.clone(),
            idempotency_ttl,
            routes::render_purchase,
            &settings.orders.group_commit,
        );
        let state = web::Data::new(AppState {
            store: OutboxDb {
                db: db.clone(),
                outbox: outbox.clone(),
            },
            nats: nats.clone(),
            issuer,
            passwords,
            login_throttle: login_throttle.clone(),
            vault,
            purchases,
        });
        let shared = server::Shared {
            db: Some(db.clone()),
            nats: nats.clone(),
            verifier,
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
        if settings.tasks.outbox_relay {
            let relay = OutboxRelay::new(
                db.clone(),
                nats.clone(),
                outbox.clone(),
                RelaySettings::from(&settings.outbox),
            );
            supervisor.spawn("outbox-relay", relay.run(supervisor.token()));
        }
        supervisor.spawn("purchase-writer", purchase_writer.run());
        supervisor.spawn(
            "idempotency-sweeper",
            workers::idempotency_sweeper::sweep_expired_keys(
                db.clone(),
                idempotency_ttl,
                supervisor.token(),
            ),
        );
        supervisor.spawn(
            "login-throttle-sweeper",
            workers::login_throttle_sweeper::sweep_forgotten_counts(
                db.clone(),
                login_throttle.forget_after(),
                supervisor.token(),
            ),
        );
        if settings.tasks.order_consumers {
            events::order_followup::spawn_all(&mut supervisor, &db, &nats);
        }
        if !settings.delivery.url.is_empty() {
            supervisor.spawn_once(
                "delivery-webhook-registration",
                delivery_link::register_receiver(
                    db.clone(),
                    state_issuer,
                    settings.delivery.clone(),
                    supervisor.token(),
                ),
            );
        }
        supervisor.spawn(
            "stream-watch",
            nats.watch_stream(contracts::streams::ORDERS, supervisor.token()),
        );
        supervisor.spawn_once(
            "prepare-nats",
            events::prepare_nats(db, nats, outbox, supervisor.token()),
        );
        tracing::info!(port, mode = ?settings.mode, "ecommerce ready");
        Ok(Service::new(port, supervisor))
    }
}
