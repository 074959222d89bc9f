//! The OpenAPI document, served at `/openapi.json` with interactive docs at `/docs/`.

use platform::openapi::{BearerAuth, ProblemResponses};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Cargo Express ecommerce", description = "Identity provider, sellers, products and portfolios of the Cargo Express marketplace. Errors are RFC 9457 problem details."),
    paths(
        super::auth::login, super::auth::register, super::auth::me, super::auth::change_password,
        super::auth::jwks,
        super::users::create_user, super::users::list_users, super::users::get_user,
        super::user_lifecycle::disable_user, super::user_lifecycle::enable_user,
        super::user_lifecycle::delete_user, super::user_lifecycle::change_role,
        super::user_lifecycle::reset_password, super::user_lifecycle::list_user_changes,
        super::sellers::create_seller, super::sellers::list_sellers, super::sellers::get_seller,
        super::sellers::update_seller, super::sellers::delete_seller, super::sellers::list_seller_users,
        super::sellers::list_seller_changes, super::support::tags_report,
        super::allies::add_credentials, super::allies::check_credentials,
        super::allies::revoke_credentials, super::allies::credentials_history,
        super::products::create_product, super::products::list_products, super::products::get_product,
        super::products::update_product, super::products::delete_product,
        super::portfolios::create_portfolio, super::portfolios::list_portfolios, super::portfolios::get_portfolio,
        super::portfolios::update_portfolio, super::portfolios::delete_portfolio,
        super::orders::purchase, super::orders::list_orders, super::orders::get_order,
        super::orders::change_order_status, super::orders::put_order_status,
        super::orders::order_statistics,
        super::delivery_webhooks::receive_delivery_status,
        platform::http::healthz, platform::http::readyz, platform::http::prometheus_metrics,
    ),
    // Schemas named only by a parameter's value_type are not collected from the paths.
    components(schemas(contracts::orders::OrderStatus)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "auth", description = "Login, registration and the keys that verify tokens"),
        (name = "users", description = "Users of every role (seed 001: creación de usuario) and their lifecycle: disable, enable, delete, role change, password reset, audit trail"),
        (name = "sellers", description = "Sellers (seed 001: establecimientos)"),
        (name = "products", description = "Products (seed 001: productos)"),
        (name = "portfolios", description = "Portfolios (seed 001: portafolios)"),
        (name = "orders", description = "Purchases, the order lifecycle and order statistics"),
        (name = "allies", description = "Allies' communication credentials, encrypted at rest (seed 003 §3); an ally is a seller"),
        (name = "support", description = "Seed 003's support reports, for support engineers and the administrator"),

        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;
