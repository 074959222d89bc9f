//! The support reports of seed 003 for support engineers and the administrator: which tags the
//! stores use and how many stores use each (§1). The same report is a SQL file support can run
//! on the database itself (`docs/support/sql/tags-report.*.sql`); a test checks they agree.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use platform::ApiError;
use platform::auth::{Authenticated, Role};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::sellers;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(tags_report);
}

/// Who reads the support reports.
pub(crate) const SUPPORT_STAFF: &[Role] = &[Role::Support, Role::MarketplaceAdmin];

#[derive(Debug, Serialize, ToSchema)]
pub struct TagUsage {
    pub tag: String,
    /// Stores (sellers) that use the tag.
    pub stores: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagsReport {
    /// Every tag in use, most used first, then by name.
    pub tags: Vec<TagUsage>,
}

/// Store tags report: each tag and how many stores use it (seed 003 §1)
///
/// JSON, or CSV (`tag,stores`) with `Accept: text/csv`, for a spreadsheet.
///
/// Who may call: `support`, `marketplace_admin`.
#[utoipa::path(tag = "support", security(("bearer" = [])),
    responses((status = 200, description = "The report; as CSV (a `tag,stores` header, then a line per tag) with `Accept: text/csv`",
            content((TagsReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = platform::error::Problem)))]
#[get("/support/reports/tags")]
async fn tags_report(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require_any(SUPPORT_STAFF)?;
    let usage = state
        .store
        .read(|conn| Ok(sellers::tag_usage(conn)?))
        .await?;
    let tags: Vec<TagUsage> = usage
        .into_iter()
        .map(|(tag, stores)| TagUsage { tag, stores })
        .collect();
    if wants_csv(&request) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tags-report.csv\"",
            ))
            .body(csv(&tags)));
    }
    Ok(HttpResponse::Ok().json(TagsReport { tags }))
}

/// Whether the caller's `Accept` names CSV (JSON otherwise, the default).
fn wants_csv(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|kind| {
            kind.split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/csv"))
        })
}

/// RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote or a line end.
fn csv(tags: &[TagUsage]) -> String {
    let mut out = String::from("tag,stores\r\n");
    for usage in tags {
        let tag = if usage.tag.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", usage.tag.replace('"', "\"\""))
        } else {
            usage.tag.clone()
        };
        out.push_str(&format!("{tag},{}\r\n", usage.stores));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_would_break_a_line() {
        let tags = [
            TagUsage {
                tag: "education".into(),
                stores: 2,
            },
            TagUsage {
                tag: "books, \"used\"".into(),
                stores: 1,
            },
        ];
        assert_eq!(
            csv(&tags),
            "tag,stores\r\neducation,2\r\n\"books, \"\"used\"\"\",1\r\n"
        );
    }
}
