//! Builds the service from its settings and runs its tasks: the HTTP server, the outbox relay
//! and the catalog publisher, side by side under one supervisor.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::auth::JwtIssuer;
use platform::db::{Db, Migrations};
use platform::http::{RequestTracing, observe_request};
use platform::lifecycle::Supervisor;
use platform::nats::Nats;
use platform::outbox::{OutboxRelay, OutboxSignal, RelaySettings};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::accounts;
use crate::config::Settings;
use crate::events;

use crate::routes::{self, ApiDoc};
use crate::state::AppState;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub struct Application {
    port: u16,
    supervisor: Supervisor,
}

impl Application {
    /// Checks the settings, migrates the database, prepares accounts and binds the listener.
    /// Nothing runs until [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.check_production_rules()?;
        platform::http::metrics_handle()?;
        let issuer = JwtIssuer::from_pem(
            settings.signing_key_pem()?.expose_secret(),
            &settings.auth.issuer,
            settings.auth.token_ttl_seconds,
        )?;
        let verifier = web::Data::new(issuer.verifier()?);

        let db = Db::connect(
            &settings.database.parsed_url()?,
            settings.database.pool_size,
        )?;
        db.migrate(Migrations {
            sqlite: SQLITE_MIGRATIONS,
            postgres: POSTGRES_MIGRATIONS,
        })
        .await?;
        accounts::prepare(&db, &settings).await?;
        let nats = Nats::connect(&settings.nats, "ecommerce").await?;
        let outbox = OutboxSignal::default();

        let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            db: db.clone(),
            nats: nats.clone(),
            issuer,
            outbox: outbox.clone(),
        });
        let (db_data, nats_data) = (web::Data::new(db.clone()), web::Data::new(nats.clone()));
        let openapi = ApiDoc::openapi();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(observe_request))
                .wrap(RequestTracing::default())
                .app_data(state.clone())
                .app_data(verifier.clone())
                .app_data(db_data.clone())
                .app_data(nats_data.clone())
                .configure(platform::http::configure)
                .configure(routes::configure)
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
                .default_service(web::to(platform::http::not_found))
        })
        .disable_signals()
        .listen(listener)?;
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        let server = server.run();

        let mut supervisor = Supervisor::new(CancellationToken::new());
        let cancel = supervisor.token();
        let handle = server.handle();
        supervisor.spawn("http", async move {
            tokio::spawn(async move {
                cancel.cancelled().await;
                handle.stop(true).await;
            });
            server.await.map_err(Into::into)
        });
        if settings.tasks.outbox_relay {
            let relay = OutboxRelay::new(
                db.clone(),
                nats.clone(),
                outbox.clone(),
                RelaySettings::default(),
            );
            supervisor.spawn("outbox-relay", relay.run(supervisor.token()));
        }
        if settings.tasks.order_consumers {
            events::order_followup::spawn_all(&mut supervisor, &db, &nats);
        }
        supervisor.spawn_once(
            "prepare-nats",
            events::prepare_nats(db, nats, outbox, supervisor.token()),
        );
        tracing::info!(port, mode = ?settings.mode, "ecommerce ready");
        Ok(Self { port, supervisor })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cancelling this token stops the service gracefully.
    pub fn stop_token(&self) -> CancellationToken {
        self.supervisor.token()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.supervisor.run_until_stopped().await
    }
}
