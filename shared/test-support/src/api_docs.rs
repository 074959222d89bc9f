//! Checking that a service's OpenAPI document explains every operation to a newcomer, and that
//! its request examples are requests the service takes.
//!
//! The convention every operation follows (its handler's doc comment, which utoipa turns into
//! the summary and description):
//!
//! - a **summary** of one line (the comment's first paragraph), at most [`MAX_SUMMARY_CHARS`];
//! - a **role note** in the description: a line starting with [`WHO_MAY_CALL`], followed by
//!   `anyone` (no token needed), `any signed-in user`, or the roles in backticks as tokens
//!   carry them (`` `marketplace_admin` ``), the first one being the role whose token sends the
//!   example;
//! - a **request example** for every operation with a body: an `example` (or `examples`) on the
//!   media type, or on its schema (`#[schema(example = ...)]` on the request type).
//!
//! [`undocumented`] lists every breach of it; [`send_request_examples`] sends every example to
//! the running service with a token of the role the note names first, and lists those refused.

use std::collections::HashMap;

use platform::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::http::ServiceClient;

/// How the role note of an operation's description starts.
pub const WHO_MAY_CALL: &str = "Who may call:";

/// A summary is a line a reader scans in a list of operations.
pub const MAX_SUMMARY_CHARS: usize = 100;

/// Who may call an operation, as its role note says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callers {
    /// No token needed.
    Anyone,
    /// Any valid token, whatever its role.
    AnySignedIn,
    /// Tokens of these roles; the first sends the example.
    Roles(Vec<Role>),
}

impl Callers {
    /// Parses what follows [`WHO_MAY_CALL`].
    pub fn parse(note: &str) -> Result<Self, String> {
        let note = note.trim();
        let lower = note.to_lowercase();
        if lower.starts_with("anyone") {
            return Ok(Self::Anyone);
        }
        if lower.starts_with("any signed-in user") {
            return Ok(Self::AnySignedIn);
        }
        let named: Vec<&str> = note.split('`').skip(1).step_by(2).collect();
        if named.is_empty() {
            return Err(format!(
                "the role note {note:?} says neither `anyone`, `any signed-in user` nor a role in backticks"
            ));
        }
        named
            .iter()
            .map(|name| Role::parse(name).ok_or_else(|| format!("{name:?} is not a role")))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::Roles)
    }

    /// The role whose token sends the example (none for [`Callers::Anyone`]); any role will do
    /// for [`Callers::AnySignedIn`], and `fallback` is used.
    pub fn sender(&self, fallback: Role) -> Option<Role> {
        match self {
            Self::Anyone => None,
            Self::AnySignedIn => Some(fallback),
            Self::Roles(roles) => roles.first().copied(),
        }
    }
}

/// One operation of an OpenAPI document, as a reader of the API page sees it.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// The path template, e.g. `/users/{id}`.
    pub path: String,
    pub summary: String,
    pub description: String,
    /// Whether the operation takes a request body.
    pub has_body: bool,
    /// The body's media type and example, when it has them.
    pub example: Option<(String, Value)>,
}

impl Operation {
    /// `POST /users`, as reports name it.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The role note: what follows [`WHO_MAY_CALL`] up to the end of its paragraph, if a line
    /// starts with it.
    pub fn role_note(&self) -> Option<String> {
        let mut lines = self.description.lines();
        let first = lines.find_map(|line| line.trim_start().strip_prefix(WHO_MAY_CALL))?;
        let rest = lines.take_while(|line| !line.trim().is_empty());
        Some(
            std::iter::once(first)
                .chain(rest)
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    pub fn callers(&self) -> Result<Callers, String> {
        let note = self
            .role_note()
            .ok_or_else(|| format!("no line starting with {WHO_MAY_CALL:?}"))?;
        Callers::parse(&note)
    }

    /// What a newcomer would miss in this operation's entry, one sentence each.
    pub fn gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        let summary = self.summary.trim();
        if summary.is_empty() {
            gaps.push("no summary".to_owned());
        } else if summary.contains('\n') {
            gaps.push(format!("a summary of several lines: {summary:?}"));
        } else if summary.chars().count() > MAX_SUMMARY_CHARS {
            gaps.push(format!(
                "a summary over {MAX_SUMMARY_CHARS} characters: {summary:?}"
            ));
        }
        if let Err(gap) = self.callers() {
            gaps.push(gap);
        }
        if self.has_body && self.example.is_none() {
            gaps.push("a request body without an example".to_owned());
        }
        gaps
    }
}

const METHODS: [(&str, Method); 7] = [
    ("get", Method::GET),
    ("put", Method::PUT),
    ("post", Method::POST),
    ("delete", Method::DELETE),
    ("patch", Method::PATCH),
    ("head", Method::HEAD),
    ("options", Method::OPTIONS),
];

/// Every operation of `document`, in the document's order of paths.
pub fn operations(document: &Value) -> Vec<Operation> {
    let Some(paths) = document["paths"].as_object() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        for (key, method) in &METHODS {
            let Some(operation) = item.get(*key) else {
                continue;
            };
            let text = |name: &str| operation[name].as_str().unwrap_or_default().to_owned();
            let body = operation.get("requestBody");
            found.push(Operation {
                method: method.clone(),
                path: path.clone(),
                summary: text("summary"),
                description: text("description"),
                has_body: body.is_some(),
                example: body.and_then(|body| body_example(document, body)),
            });
        }
    }
    found
}

/// The first example a request body shows: on a media type, or on its (referenced) schema.
fn body_example(document: &Value, body: &Value) -> Option<(String, Value)> {
    let content = body["content"].as_object()?;
    content.iter().find_map(|(media_type, entry)| {
        let example = entry
            .get("example")
            .cloned()
            .or_else(|| {
                entry["examples"]
                    .as_object()
                    .and_then(|examples| examples.values().next())
                    .and_then(|first| first.get("value").cloned())
            })
            .or_else(|| schema_example(document, &entry["schema"]))?;
        Some((media_type.clone(), example))
    })
}

fn schema_example(document: &Value, schema: &Value) -> Option<Value> {
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(first) = schema["examples"].as_array().and_then(|all| all.first()) {
        return Some(first.clone());
    }
    let name = schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    let target = &document["components"]["schemas"][name];
    if target.is_null() {
        return None;
    }
    schema_example(document, target)
}

/// The request example of the operation `name` (`POST /users`), for a test that makes a record
/// the way the API page shows.
pub fn example_of(document: &Value, name: &str) -> Option<Value> {
    operations(document)
        .into_iter()
        .find(|operation| operation.name() == name)
        .and_then(|operation| operation.example)
        .map(|(_, example)| example)
}

/// Every operation of `document` with what it lacks, e.g. `POST /users: no summary`. Empty
/// when every operation follows the convention (see the module's documentation).
pub fn undocumented(document: &Value) -> Vec<String> {
    operations(document)
        .iter()
        .flat_map(|operation| {
            operation
                .gaps()
                .into_iter()
                .map(move |gap| format!("{}: {gap}", operation.name()))
        })
        .collect()
}

/// Fetches the service's `/openapi.json`.
#[allow(clippy::expect_used)]
pub async fn served_document(api: &ServiceClient) -> Value {
    let answer = api
        .request(Method::GET, "/openapi.json", None)
        .send()
        .await
        .expect("GET /openapi.json");
    assert_eq!(answer.status(), StatusCode::OK, "GET /openapi.json");
    answer.json().await.expect("an OpenAPI document")
}

/// Asserts that `service`'s served OpenAPI document is the one committed at
/// `docs/openapi/<service>.json`, compared as JSON: what the API promises changes only on
/// purpose (a refactoring changes nothing there). `volatile` names, as JSON pointers, the values
/// made at each start (examples dated now), compared and committed as `"<varies>"`. After a
/// deliberate change, `UPDATE_OPENAPI=1 cargo test -p <service> --test api api_docs` writes the
/// new one.
#[allow(clippy::expect_used)]
pub async fn assert_committed_document(api: &ServiceClient, service: &str, volatile: &[&str]) {
    let mut served = served_document(api).await;
    for pointer in volatile {
        let value = served
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{service}'s document has no {pointer}"));
        *value = Value::String("<varies>".to_owned());
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/openapi")
        .join(format!("{service}.json"));
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        let pretty = serde_json::to_string_pretty(&served).expect("JSON");
        std::fs::write(&path, pretty + "\n").expect("docs/openapi is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let committed: Value = serde_json::from_str(&committed).expect("a JSON document");
    assert!(
        served == committed,
        "{service}'s OpenAPI document differs from {}: if the API changed on purpose, run \
         UPDATE_OPENAPI=1 cargo test -p <service> --test api api_docs and commit the file",
        path.display()
    );
}

/// Asserts that the service's served OpenAPI document has no [`undocumented`] operation.
pub async fn assert_every_operation_documented(api: &ServiceClient) -> Value {
    let document = served_document(api).await;
    assert!(
        !operations(&document).is_empty(),
        "the document lists no operation"
    );
    let gaps = undocumented(&document);
    assert!(
        gaps.is_empty(),
        "operations a newcomer cannot read (see test_support::api_docs): {gaps:#?}"
    );
    document
}

/// What the service answers to an example it ought to take: anything but a refusal of the
/// body (400, 415, 422), of the token (401, 403), of the address (404, 405) or a failure (5xx).
/// A 409 is a state conflict, not a bad example: sending an example twice may well conflict.
pub fn takes_example(status: StatusCode) -> bool {
    !(status.is_server_error()
        || matches!(status.as_u16(), 400 | 401 | 403 | 404 | 405 | 415 | 422))
}

/// How [`send_request_examples`] reaches a service.
pub struct ExampleSender<'a> {
    pub api: &'a ServiceClient,
    /// A token per role the role notes name.
    pub tokens: &'a HashMap<Role, String>,
    /// The token sent to operations `any signed-in user` may call.
    pub any_role: Role,
    /// The address to send an operation with path parameters to, e.g. `/users/{id}` ->
    /// `/users/0190…` (a record the test made or the seed data has); `None` when it has none.
    pub address: &'a dyn Fn(&Operation) -> Option<String>,
    /// Operations left out, with the reason, e.g. a signed webhook: `("POST /webhooks/deliveries",
    /// "needs a Standard Webhooks signature")`.
    pub left_out: &'a [(&'a str, &'a str)],
}

impl ExampleSender<'_> {
    /// Sends each request example of `document` as the "Try it out" button would, with a token
    /// of the role the note names first; answers the operations whose example was refused,
    /// each with its status and answer. Also counts as refused an operation that could not be
    /// sent (no token for its role, no address). Returns `(sent, refused)`.
    #[allow(clippy::expect_used)]
    pub async fn send_request_examples(&self, document: &Value) -> (usize, Vec<String>) {
        let mut refused = Vec::new();
        let mut sent = 0;
        for operation in operations(document) {
            let name = operation.name();
            let Some((media_type, example)) = &operation.example else {
                continue;
            };
            if self.left_out.iter().any(|(left_out, _)| *left_out == name) {
                continue;
            }
            let address = if operation.path.contains('{') {
                (self.address)(&operation)
            } else {
                Some(operation.path.clone())
            };
            let Some(address) = address else {
                refused.push(format!("{name}: the test has no address for it"));
                continue;
            };
            let sender = match operation.callers() {
                Ok(callers) => callers.sender(self.any_role),
                Err(gap) => {
                    refused.push(format!("{name}: {gap}"));
                    continue;
                }
            };
            let mut request = self
                .api
                .request(operation.method.clone(), &address, None)
                .header("content-type", media_type.as_str());
            if let Some(role) = sender {
                let Some(token) = self.tokens.get(&role) else {
                    refused.push(format!("{name}: the test has no token of {role:?}"));
                    continue;
                };
                request = request.bearer_auth(token);
            }
            let body = match example {
                Value::String(text) if !media_type.contains("json") => text.clone(),
                other => other.to_string(),
            };
            let answer = request.body(body).send().await.expect("request sent");
            sent += 1;
            let status = answer.status();
            if !takes_example(status) {
                let text = answer.text().await.unwrap_or_default();
                refused.push(format!(
                    "{name} ({address}) as {sender:?}: {status} {text} for {example}"
                ));
            }
        }
        (sent, refused)
    }
}

/// What a browser sends for a page it opens (Chromium's `Accept`).
pub const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,\
    image/avif,image/webp,*/*;q=0.8";

/// Asserts what a newcomer typing the service's addresses finds: `GET /` answers the index
/// (named `title`, every link answering 200) as JSON, and as a page for a browser or, with
/// `browser_home`, a redirect there; `/docs` leads to `/docs/` with a 308.
#[allow(clippy::expect_used)]
pub async fn assert_newcomer_addresses(
    api: &ServiceClient,
    title: &str,
    browser_home: Option<&str>,
) {
    let client = platform::http_client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let get = |path: &str, accept: Option<&str>| {
        let request = client.get(format!("{}{path}", api.address));
        match accept {
            Some(accept) => request.header("accept", accept),
            None => request,
        }
    };
    let index = get("/", None).send().await.expect("GET /");
    assert_eq!(index.status(), StatusCode::OK, "GET /");
    let index: Value = index.json().await.expect("the index as JSON");
    assert_eq!(index["service"], title, "{index}");
    assert!(
        !index["version"].as_str().unwrap_or_default().is_empty(),
        "{index}"
    );
    let links = index["links"].as_array().expect("links");
    for name in ["docs", "openapi", "healthz", "readyz", "metrics"] {
        assert!(
            links.iter().any(|link| link["name"] == name),
            "{name} in {index}"
        );
    }
    for link in links {
        let href = link["href"].as_str().expect("an href");
        let answer = get(href, None).send().await.expect("a link");
        assert_eq!(answer.status(), StatusCode::OK, "{href}");
    }

    let browser = get("/", Some(BROWSER_ACCEPT)).send().await.expect("GET /");
    match browser_home {
        Some(home) => {
            assert_eq!(browser.status(), StatusCode::FOUND, "a browser at /");
            assert_eq!(browser.headers()["location"], home);
        }
        None => {
            assert_eq!(browser.status(), StatusCode::OK, "a browser at /");
            let page = browser.text().await.expect("a page");
            assert!(page.contains(&format!("<h1>{title}</h1>")), "{page}");
            assert!(page.contains("<a href=\"/docs/\">"), "{page}");
        }
    }

    let docs = get("/docs", Some(BROWSER_ACCEPT))
        .send()
        .await
        .expect("GET /docs");
    assert_eq!(docs.status(), StatusCode::PERMANENT_REDIRECT, "GET /docs");
    assert_eq!(docs.headers()["location"], "/docs/");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(operation: Value) -> Value {
        json!({
            "paths": {"/things/{id}": {"post": operation}},
            "components": {"schemas": {"Thing": {"type": "object", "example": {"name": "a"}}}}
        })
    }

    fn gaps(operation: Value) -> Vec<String> {
        undocumented(&document(operation))
    }

    #[test]
    fn a_complete_operation_has_no_gaps() {
        for body in [
            json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}),
            json!({"content": {"application/json": {"example": {"name": "b"}}}}),
            json!({"content": {"application/json": {"examples": {"one": {"value": {"name": "c"}}}}}}),
            json!({"content": {"text/plain": {"schema": {"type": "string", "example": "d"}}}}),
        ] {
            let operation = json!({
                "summary": "Makes a thing",
                "description": "Some words.\n\nWho may call: `seller_user`,\n`marketplace_admin`.\n\nNot `support`.",
                "requestBody": body
            });
            assert_eq!(gaps(operation.clone()), Vec::<String>::new(), "{body}");
            let found = &operations(&document(operation))[0];
            assert_eq!(found.name(), "POST /things/{id}");
            assert_eq!(
                found.callers(),
                Ok(Callers::Roles(vec![
                    Role::SellerUser,
                    Role::MarketplaceAdmin
                ]))
            );
        }
    }

    #[test]
    fn each_missing_piece_is_named() {
        assert_eq!(
            gaps(
                json!({"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}})
            ),
            [
                "POST /things/{id}: no summary",
                "POST /things/{id}: no line starting with \"Who may call:\"",
                "POST /things/{id}: a request body without an example",
            ]
        );
        let unknown_schema = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Other"}}}});
        assert_eq!(
            gaps(
                json!({"summary": "A\nB", "description": "Who may call: the boss",
                        "requestBody": unknown_schema})
            ),
            [
                "POST /things/{id}: a summary of several lines: \"A\\nB\"",
                "POST /things/{id}: the role note \"the boss\" says neither `anyone`, `any signed-in user` nor a role in backticks",
                "POST /things/{id}: a request body without an example",
            ]
        );
        let long = "x".repeat(MAX_SUMMARY_CHARS + 1);
        let found = gaps(json!({"summary": long, "description": "Who may call: `admin`."}));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("over 100 characters"), "{found:?}");
        assert_eq!(found[1], "POST /things/{id}: \"admin\" is not a role");
    }

    #[test]
    fn role_notes_read_as_callers() {
        assert_eq!(
            Callers::parse(" anyone; no token needed."),
            Ok(Callers::Anyone)
        );
        assert_eq!(
            Callers::parse("any signed-in user."),
            Ok(Callers::AnySignedIn)
        );
        assert_eq!(
            Callers::parse("`courier` (as itself only)."),
            Ok(Callers::Roles(vec![Role::Courier]))
        );
        assert_eq!(Callers::Anyone.sender(Role::Courier), None);
        assert_eq!(
            Callers::AnySignedIn.sender(Role::Courier),
            Some(Role::Courier)
        );
    }

    #[test]
    fn only_refusals_of_the_request_count_against_an_example() {
        for taken in [200, 201, 202, 204, 409, 412, 429] {
            assert!(
                takes_example(StatusCode::from_u16(taken).unwrap()),
                "{taken}"
            );
        }
        for refused in [400, 401, 403, 404, 405, 415, 422, 500, 503] {
            assert!(
                !takes_example(StatusCode::from_u16(refused).unwrap()),
                "{refused}"
            );
        }
    }
}
