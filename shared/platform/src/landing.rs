//! What a person finds at the addresses they type: `GET /` answers an index of the service
//! (its name, version and where its docs, health and metrics are), and a slash-less address of a
//! page that lives under a folder (`/docs`, `/dashboard`) is redirected to it (`/docs/`).
//!
//! The index is JSON by default, for scripts and `curl`, and a small HTML page for a browser
//! (a request whose `Accept` ranks `text/html` before JSON). A service adds its own links, and
//! may send browsers to its own home page instead ([`ServiceLinks`]; metrics sends them to its
//! dashboard, as its `/` always did).
//!
//! The redirect is a permanent one that keeps the method and the query (308). It is made for
//! `GET` and `HEAD` only, and only when nothing answers the address as typed and a route answers
//! it with a trailing slash, so that it never hides a route nor invents one.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, Accept, CACHE_CONTROL, Header, LOCATION};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

/// The links every service's index lists, in this order: `(name, path)`.
const PLATFORM_LINKS: [(&str, &str); 5] = [
    ("docs", "/docs/"),
    ("openapi", "/openapi.json"),
    ("healthz", "/healthz"),
    ("readyz", "/readyz"),
    ("metrics", "/metrics"),
];

/// What a service adds to its index: more links, and the page a browser should land on
/// instead of the index. Mounted as app data (`cfg.app_data(web::Data::new(..))`).
#[derive(Debug, Clone, Default)]
pub struct ServiceLinks {
    /// `(name, path)`, listed after the platform's links.
    pub links: Vec<(&'static str, &'static str)>,
    /// Where a browser asking for `/` is sent (302), e.g. a dashboard.
    pub browser_home: Option<&'static str>,
}

/// The service's index: `GET /`.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceIndex {
    /// The OpenAPI document's title, e.g. `Cargo Express ecommerce`.
    pub service: String,
    /// The service's version (its crate's, as in the OpenAPI document).
    pub version: String,
    pub description: String,
    /// Each link's name and path, in the order shown.
    pub links: Vec<IndexLink>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexLink {
    pub name: String,
    pub href: String,
}

impl ServiceIndex {
    /// The index of the service whose OpenAPI document is `openapi`, with `extra` links.
    pub fn new(openapi: &utoipa::openapi::OpenApi, extra: &[(&str, &str)]) -> Self {
        let info = &openapi.info;
        let links = PLATFORM_LINKS
            .iter()
            .chain(extra)
            .map(|(name, href)| IndexLink {
                name: (*name).to_owned(),
                href: (*href).to_owned(),
            })
            .collect();
        Self {
            service: info.title.clone(),
            version: info.version.clone(),
            description: info.description.clone().unwrap_or_default(),
            links,
        }
    }

    /// The same as a small page: a heading, the description and a list of links.
    pub fn to_html(&self) -> String {
        let items: String = self
            .links
            .iter()
            .map(|link| {
                format!(
                    "<li><a href=\"{href}\">{href}</a> ({name})</li>\n",
                    href = escape(&link.href),
                    name = escape(&link.name)
                )
            })
            .collect();
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
             <title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<p>Version {version}</p>\n\
             <p>{description}</p>\n<ul>\n{items}</ul>\n</body>\n</html>\n",
            title = escape(&self.service),
            version = escape(&self.version),
            description = escape(&self.description),
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether the caller ranks an HTML page before JSON (a browser does; `curl` and scripts that
/// send no `Accept`, `*/*` or `application/json` do not).
pub fn prefers_html(request: &HttpRequest) -> bool {
    let Ok(accept) = Accept::parse(request) else {
        return false;
    };
    accept
        .ranked()
        .into_iter()
        .find(|mime| {
            (mime.type_() == mime::TEXT && mime.subtype() == mime::HTML)
                || (mime.type_() == mime::APPLICATION && mime.subtype() == mime::JSON)
                || mime.type_() == mime::STAR
        })
        .is_some_and(|mime| mime.subtype() == mime::HTML)
}

impl ServiceIndex {
    /// This index with `extra` links after its own.
    fn with_links(&self, extra: &[(&'static str, &'static str)]) -> Self {
        let mut index = self.clone();
        index
            .links
            .extend(extra.iter().map(|(name, href)| IndexLink {
                name: (*name).to_owned(),
                href: (*href).to_owned(),
            }));
        index
    }
}

/// Mounts `GET /` for the service whose OpenAPI document is `openapi`. The service's own
/// [`ServiceLinks`] (app data) are read at request time.
pub fn configure(openapi: &utoipa::openapi::OpenApi) -> impl Fn(&mut web::ServiceConfig) + Clone {
    let index = web::Data::new(ServiceIndex::new(openapi, &[]));
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(index.clone())
            .route("/", web::get().to(answer_index));
    }
}

/// `GET /`: the service's index (see the module's documentation).
async fn answer_index(
    request: HttpRequest,
    index: web::Data<ServiceIndex>,
    service: Option<web::Data<ServiceLinks>>,
) -> HttpResponse {
    let html = prefers_html(&request);
    let service = service.map(|s| s.into_inner()).unwrap_or_default();
    if let (true, Some(home)) = (html, service.browser_home) {
        return HttpResponse::Found()
            .insert_header((LOCATION, home))
            .insert_header((header::VARY, "accept"))
            .finish();
    }
    let index = index.with_links(&service.links);
    let mut answer = HttpResponse::Ok();
    // The same address answers two media types.
    answer
        .insert_header((header::VARY, "accept"))
        .insert_header((CACHE_CONTROL, "no-cache"));
    if html {
        answer
            .content_type("text/html; charset=utf-8")
            .body(index.to_html())
    } else {
        answer.json(index)
    }
}

/// Middleware: answers a `GET` or `HEAD` of an address no route answers with a 308 to the same
/// address with a trailing slash, query kept, when a route answers that one (`/docs` ->
/// `/docs/`).
pub async fn redirect_to_folder(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(request).await?;
    let unmatched =
        response.status() == StatusCode::NOT_FOUND && response.request().match_pattern().is_none();
    let method = response.request().method();
    let readable = method == Method::GET || method == Method::HEAD;
    if !unmatched || !readable {
        return Ok(response.map_into_boxed_body());
    }
    let path = response.request().path();
    if path.ends_with('/') {
        return Ok(response.map_into_boxed_body());
    }
    let folder = format!("{path}/");
    if !response.request().resource_map().has_resource(&folder) {
        return Ok(response.map_into_boxed_body());
    }
    let location = match response.request().query_string() {
        "" => folder,
        query => format!("{folder}?{query}"),
    };
    let (request, _) = response.into_parts();
    let redirect = HttpResponse::PermanentRedirect()
        .insert_header((LOCATION, location))
        .finish();
    Ok(ServiceResponse::new(request, redirect))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn accepts(accept: Option<&str>) -> bool {
        let request = match accept {
            Some(value) => TestRequest::default().insert_header((header::ACCEPT, value)),
            None => TestRequest::default(),
        };
        prefers_html(&request.to_http_request())
    }

    #[test]
    fn browsers_get_html_and_everyone_else_json() {
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                        image/webp,*/*;q=0.8";
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(accepts(Some(chromium)));
        assert!(accepts(Some(firefox)));
        assert!(accepts(Some("text/html")));
        assert!(accepts(Some("application/json;q=0.5, text/html")));
        assert!(!accepts(None), "curl without -H");
        assert!(!accepts(Some("*/*")), "curl's default");
        assert!(!accepts(Some("application/json")));
        assert!(!accepts(Some("application/json, text/html;q=0.9")));
        assert!(!accepts(Some("not a media type")));
    }

    #[test]
    fn the_page_escapes_what_it_shows() {
        let openapi = utoipa::openapi::OpenApiBuilder::new()
            .info(
                utoipa::openapi::InfoBuilder::new()
                    .title("A <b>service</b>")
                    .version("1.2.3")
                    .description(Some("Fish & chips"))
                    .build(),
            )
            .build();
        let index = ServiceIndex::new(&openapi, &[("dashboard", "/dashboard/")]);
        let names: Vec<&str> = index.links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "docs",
                "openapi",
                "healthz",
                "readyz",
                "metrics",
                "dashboard"
            ]
        );
        let page = index.to_html();
        assert!(
            page.contains("<h1>A &lt;b&gt;service&lt;/b&gt;</h1>"),
            "{page}"
        );
        assert!(page.contains("Fish &amp; chips"), "{page}");
        assert!(
            page.contains("<a href=\"/dashboard/\">/dashboard/</a>"),
            "{page}"
        );
        assert!(page.contains("Version 1.2.3"), "{page}");
    }
}
