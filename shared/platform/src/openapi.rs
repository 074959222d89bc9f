//! What every service's OpenAPI document shares: the `bearer` security scheme, the problem
//! answers ([`ProblemResponses`]) and the methods each documented path answers
//! ([`RouteMethods`], which turns a request with another method into a 405 with `Allow`).
//!
//! A service declares the problems particular to an operation in its `#[utoipa::path]`
//! (`(status = 409, body = platform::error::Problem)`: a state conflict, a 403 of a role rule);
//! [`ProblemResponses`] then makes every problem body `application/problem+json` and adds the
//! answers that the platform's extractors give on their own, so no operation forgets them:
//!
//! | the operation has | the platform may answer |
//! | --- | --- |
//! | a JSON request body | 400 (not JSON), 413 (over 256 KiB), 415 (not declared as JSON), 422 (a field at fault) |
//! | a raw request body | 400 (unreadable), 413 |
//! | query or path parameters | 422 (a parameter at fault, named) |
//! | `bearer` security | 401 (no token, or a bad or expired one) |

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, HeaderBuilder, Ref, RefOr};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::error::{InvalidParam, PROBLEM_JSON, Problem};

/// Declares the `bearer` security scheme (a platform JWT) that the paths refer to:
/// `#[openapi(modifiers(&platform::openapi::BearerAuth))]`.
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The problem answers shared by every service, as response components
/// (`#/components/responses/<name>`): status, component name and description.
pub const PROBLEMS: [(u16, &str, &str); 9] = [
    (
        400,
        "MalformedRequest",
        "The body is not JSON (RFC 9457 problem details)",
    ),
    (
        401,
        "Unauthorized",
        "No bearer token, or one that is not valid or has expired",
    ),
    (
        403,
        "Forbidden",
        "The caller's role or ownership does not allow this",
    ),
    (404, "NotFound", "Nothing has this id"),
    (
        409,
        "Conflict",
        "The request conflicts with the current state (a duplicate, a refused transition)",
    ),
    (
        413,
        "PayloadTooLarge",
        "The body is larger than 256 KiB; `detail` names the limit",
    ),
    (
        415,
        "UnsupportedMediaType",
        "The body is not sent as application/json",
    ),
    (
        422,
        "InvalidInput",
        "A field or parameter breaks a rule; `invalid-params` names each one and why",
    ),
    (
        503,
        "Unavailable",
        "A dependency (the database or NATS) did not answer; try again after `Retry-After`",
    ),
];

/// The response component of a platform problem, e.g. `problem_ref(422)`.
pub fn problem_ref(status: u16) -> RefOr<Response> {
    let name = PROBLEMS
        .iter()
        .find(|(code, _, _)| *code == status)
        .map_or("InvalidInput", |(_, name, _)| *name);
    RefOr::Ref(Ref::from_response_name(name))
}

fn problem_response(description: &str) -> Response {
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build();
    if description.contains("Retry-After") {
        response.headers.insert(
            "Retry-After".to_owned(),
            HeaderBuilder::new()
                .schema(u64::schema())
                .description(Some("Seconds to wait before trying again"))
                .build(),
        );
    }
    response
}

/// Makes the problem answers of a document exact:
/// `#[openapi(modifiers(&platform::openapi::ProblemResponses))]` (see the module).
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .entry("Problem".to_owned())
            .or_insert_with(Problem::schema);
        components
            .schemas
            .entry("InvalidParam".to_owned())
            .or_insert_with(InvalidParam::schema);
        for (_, name, description) in PROBLEMS {
            components
                .responses
                .insert(name.to_owned(), RefOr::T(problem_response(description)));
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                problem_media_type(operation);
                platform_answers(operation);
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// A response whose body is a `Problem` is sent as `application/problem+json`.
fn problem_media_type(operation: &mut Operation) {
    let problem = format!("#/components/schemas/{}", Problem::name());
    for response in operation.responses.responses.values_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let is_problem = response.content.get("application/json").is_some_and(|c| {
            matches!(&c.schema, Some(RefOr::Ref(reference)) if reference.ref_location == problem)
        });
        if is_problem && let Some(content) = response.content.shift_remove("application/json") {
            response.content.insert(PROBLEM_JSON.to_owned(), content);
        }
    }
}

/// Adds the answers the platform's extractors give by themselves (see the module).
fn platform_answers(operation: &mut Operation) {
    let mut statuses = Vec::new();
    if let Some(body) = &operation.request_body {
        if body.content.contains_key("application/json") {
            statuses.extend([400, 413, 415, 422]);
        } else {
            statuses.extend([400, 413]);
        }
    }
    let has_parameters = operation.parameters.iter().flatten().any(|parameter| {
        matches!(
            parameter.parameter_in,
            ParameterIn::Query | ParameterIn::Path
        )
    });
    if has_parameters {
        statuses.push(422);
    }
    if operation
        .security
        .iter()
        .flatten()
        .any(|requirement| requirement != &Default::default())
    {
        statuses.push(401);
    }
    for status in statuses {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem_ref(status));
    }
}

/// The methods each documented path answers, for 405 answers with `Allow`.
#[derive(Debug, Clone, Default)]
pub struct RouteMethods {
    routes: Vec<(Vec<Segment>, Vec<&'static str>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl RouteMethods {
    /// Every path and method of `openapi`, plus the document itself and Swagger UI.
    pub fn from_document(openapi: &utoipa::openapi::OpenApi) -> Self {
        let mut table = Self::default();
        for (path, item) in &openapi.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("OPTIONS", item.options.is_some()),
                ("HEAD", item.head.is_some()),
                ("PATCH", item.patch.is_some()),
                ("TRACE", item.trace.is_some()),
            ];
            table.add(
                path,
                methods
                    .into_iter()
                    .filter(|(_, present)| *present)
                    .map(|(method, _)| method)
                    .collect(),
            );
        }
        table.add("/openapi.json", vec!["GET"]);
        table
    }

    /// Declares that `path` (a template such as `/users/{id}`) answers `methods`.
    pub fn add(&mut self, path: &str, methods: Vec<&'static str>) {
        let segments = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') && segment.ends_with('}') {
                    Segment::Parameter
                } else {
                    Segment::Literal(segment.to_owned())
                }
            })
            .collect();
        self.routes.push((segments, methods));
    }

    /// The methods `path` answers, in a stable order; empty for a path nothing answers.
    pub fn allowed(&self, path: &str) -> Vec<&'static str> {
        let asked: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<&'static str> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == asked.len()
                    && segments
                        .iter()
                        .zip(&asked)
                        .all(|(segment, asked)| match segment {
                            Segment::Literal(literal) => literal == asked,
                            Segment::Parameter => !asked.is_empty(),
                        })
            })
            .flat_map(|(_, methods)| methods.iter().copied())
            .collect();
        allowed.sort_unstable();
        allowed.dedup();
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_methods_follow_the_templates() {
        let mut table = RouteMethods::default();
        table.add("/users", vec!["GET", "POST"]);
        table.add("/users/{id}", vec!["GET"]);
        table.add("/users/{id}/changes", vec!["GET"]);
        assert_eq!(table.allowed("/users"), ["GET", "POST"]);
        assert_eq!(table.allowed("/users/u1"), ["GET"]);
        assert!(table.allowed("/users/").is_empty(), "an empty id is no id");
        assert!(table.allowed("/users/u1/other").is_empty());
        assert!(table.allowed("/nothing").is_empty());
    }
}
