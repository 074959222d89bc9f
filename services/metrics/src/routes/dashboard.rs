//! The dashboard's files. They hold no data: the page shows only its log-in form until the
//! viewer has a token, and every number comes from the token-protected API.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use actix_web::{HttpResponse, get, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(root)
        .service(page)
        .service(script)
        .service(style);
}

const INDEX: &str = include_str!("../dashboard/index.html");
const SCRIPT: &str = include_str!("../dashboard/app.js");
const STYLE: &str = include_str!("../dashboard/app.css");

fn file(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(body)
}

#[get("/")]
async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, "/dashboard/"))
        .finish()
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
