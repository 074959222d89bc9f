//! The dashboard's files. They hold no data: the page shows only its log-in form until the
//! viewer has a token, and every number comes from the token-protected API.
//!
//! They go out with a strict Content-Security-Policy: the page runs only its own script and
//! style files (nothing inline, so the files hold every line of code), talks only to its own
//! origin, and may not be framed. Text that ever slipped into the page as markup could then
//! neither run, nor send the viewer's token elsewhere, nor dress the page up inside another site.

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_FRAME_OPTIONS,
};
use actix_web::{HttpResponse, get, web};
use platform::landing::ServiceLinks;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // `/` is the platform's index; browsers asking for it land on the dashboard, as they always
    // did, and `/dashboard` (no slash) is redirected by the platform too.
    cfg.app_data(web::Data::new(ServiceLinks {
        links: vec![("dashboard", "/dashboard/")],
        browser_home: Some("/dashboard/"),
    }))
    .service(page)
    .service(script)
    .service(style);
}

const INDEX: &str = include_str!("../dashboard/index.html");
const SCRIPT: &str = include_str!("../dashboard/app.js");
const STYLE: &str = include_str!("../dashboard/app.css");

/// Everything not listed is refused (`default-src 'none'`). `connect-src 'self'` lets the page
/// log in and read the live stream with `fetch`; `img-src` allows the browser's favicon request
/// and `data:` images; `form-action 'self'` keeps the log-in form, should its script ever fail
/// to load, from posting the password anywhere but here.
const POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

fn file(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .insert_header((CONTENT_SECURITY_POLICY, POLICY))
        // The same for browsers older than `frame-ancestors`.
        .insert_header((X_FRAME_OPTIONS, "DENY"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .body(body)
}

#[get("/dashboard/")]
async fn page() -> HttpResponse {
    file("text/html; charset=utf-8", INDEX)
}

#[get("/dashboard/app.js")]
async fn script() -> HttpResponse {
    file("text/javascript; charset=utf-8", SCRIPT)
}

#[get("/dashboard/app.css")]
async fn style() -> HttpResponse {
    file("text/css; charset=utf-8", STYLE)
}
