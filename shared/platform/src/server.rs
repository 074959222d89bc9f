//! The HTTP server every service runs: request tracing and metrics middleware, the platform's
//! routes (`/healthz`, `/readyz`, `/metrics`), the service's routes, the OpenAPI document at
//! `/openapi.json` with Swagger UI at `/docs/`, the service's index at `/` and redirects from
//! slash-less folder addresses (`/docs` -> `/docs/`, [`crate::landing`]), and problem answers
//! for unknown routes. It runs as the `http` task of the service's supervisor and stops
//! gracefully with it. Beside it runs `user-access`, which keeps the token verifier's copy of
//! the users whose access changed current ([`JwtVerifier::follow_user_access`]).
//!
//! Every answer, errors and unknown routes included, says `X-Content-Type-Options: nosniff`:
//! a browser then takes each body for the media type it is sent as, and never runs a JSON or
//! text answer as a script or a page. Headers that depend on what a page does (a dashboard's
//! Content-Security-Policy) are the service's to add.

use std::net::TcpListener;

use actix_web::http::header::X_CONTENT_TYPE_OPTIONS;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa::openapi::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::JwtVerifier;
use crate::db::Db;
use crate::http::{RequestTracing, observe_request};
use crate::lifecycle::Supervisor;
use crate::nats::Nats;
use crate::settings::HttpSettings;

/// What the platform's own extractors and routes need from every service.
#[derive(Clone)]
pub struct Shared {
    /// `None` for a service without a database (ingest); `/readyz` then checks NATS only.
    pub db: Option<Db>,
    pub nats: Nats,
    pub verifier: web::Data<JwtVerifier>,
}

/// Binds the listener and starts serving under `supervisor`; returns the bound port (useful
/// with port 0). `routes` mounts the service's own routes and app data.
pub fn start<F>(
    settings: &HttpSettings,
    shared: Shared,
    openapi: OpenApi,
    routes: F,
    supervisor: &mut Supervisor,
) -> anyhow::Result<u16>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    crate::http::metrics_handle()?;
    let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
    let port = listener.local_addr()?.port();
    let verifier = shared.verifier;
    supervisor.spawn(
        "user-access",
        verifier.follow_user_access(shared.nats.clone(), supervisor.token()),
    );
    let (db, nats) = (shared.db.map(web::Data::new), web::Data::new(shared.nats));
    let methods = web::Data::new(crate::openapi::RouteMethods::from_document(&openapi));
    let mut server = HttpServer::new(move || {
        let app = App::new()
            .wrap(from_fn(crate::landing::redirect_to_folder))
            .wrap(from_fn(observe_request))
            .wrap(RequestTracing::new())
            // Outermost, so that it marks whatever the layers inside answer.
            .wrap(DefaultHeaders::new().add((X_CONTENT_TYPE_OPTIONS, "nosniff")));
        let app = match &db {
            Some(db) => app.app_data(db.clone()),
            None => app,
        };
        app.app_data(nats.clone())
            .app_data(verifier.clone())
            .app_data(methods.clone())
            .configure(crate::http::configure)
            .configure(routes.clone())
            .configure(crate::landing::configure(&openapi))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
            .default_service(web::to(crate::http::not_found))
    })
    .disable_signals()
    .listen(listener)?;
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    let server = server.run();
    let (cancel, handle) = (supervisor.token(), server.handle());
    supervisor.spawn("http", async move {
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.stop(true).await;
        });
        server.await.map_err(Into::into)
    });
    Ok(port)
}
