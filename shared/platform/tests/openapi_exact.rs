//! The platform's half of "the OpenAPI document is what the service does", on a real listener
//! with a real nats-server: a documented path asked with another method answers 405 with
//! `Allow`; a bad query parameter is named in the platform's words; a well-formed body with a
//! wrong type in an enum field is a 422 naming the field; and the document declares problems as
//! `application/problem+json`, with the answers the extractors give by themselves.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use actix_web::web;
use platform::auth::{Authenticated, Role};
use platform::json::Json;
use platform::lifecycle::Supervisor;
use platform::nats::Nats;
use platform::openapi::{BearerAuth, ProblemResponses};
use platform::pagination::PageQuery;
use platform::query::Query;
use platform::server::{self, Shared};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use test_support::TestNats;
use test_support::http::{ServiceClient, problem};
use test_support::tokens::{demo_verifier, token_for};
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, OpenApi, ToSchema};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Colour {
    Red,
    Blue,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Filter {
    /// Only things of this colour.
    colour: Option<Colour>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewThing {
    colour: Colour,
}

#[utoipa::path(get, path = "/things", security(("bearer" = [])), params(Filter, PageQuery),
    responses((status = 200, body = Value)))]
async fn list_things(
    _caller: Authenticated,
    filter: Query<Filter>,
    page: Query<PageQuery>,
) -> Result<web::Json<Value>, platform::ApiError> {
    let (limit, offset) = page.into_inner().bounds()?;
    let colour = filter.colour.map(|c| format!("{c:?}"));
    Ok(web::Json(
        json!({"colour": colour, "limit": limit, "offset": offset}),
    ))
}

#[utoipa::path(post, path = "/things", request_body = NewThing,
    responses((status = 201, body = Value), (status = 409, body = platform::error::Problem)))]
async fn create_thing(body: Json<NewThing>) -> web::Json<Value> {
    web::Json(json!({"colour": format!("{:?}", body.into_inner().colour)}))
}

#[utoipa::path(delete, path = "/things/{id}", params(("id" = String, Path)),
    responses((status = 204)))]
async fn delete_thing() -> actix_web::HttpResponse {
    actix_web::HttpResponse::NoContent().finish()
}

#[derive(OpenApi)]
#[openapi(
    paths(list_things, create_thing, delete_thing),
    modifiers(&BearerAuth, &ProblemResponses)
)]
struct ApiDoc;

struct TestServer {
    api: ServiceClient,
    token: String,
    stop: CancellationToken,
    _nats: TestNats,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl TestServer {
    async fn start() -> Self {
        platform::telemetry::init_for_test();
        let nats = TestNats::start().await.unwrap();
        let token = token_for(Role::MarketplaceAdmin, "u1");
        let shared = Shared {
            db: None,
            nats: Nats::connect(&nats.settings(), "openapi-test")
                .await
                .unwrap(),
            verifier: web::Data::new(demo_verifier()),
        };
        let routes = |cfg: &mut web::ServiceConfig| {
            cfg.route("/things", web::get().to(list_things))
                .route("/things", web::post().to(create_thing))
                .route("/things/{id}", web::delete().to(delete_thing));
        };
        let mut supervisor = Supervisor::new(CancellationToken::new());
        let settings = test_support::http_settings(0);
        let port = server::start(
            &settings,
            shared,
            ApiDoc::openapi(),
            routes,
            &mut supervisor,
        )
        .unwrap();
        let stop = supervisor.token();
        tokio::spawn(supervisor.run_until_stopped());
        let api = ServiceClient::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_ready().await;
        Self {
            api,
            token,
            stop,
            _nats: nats,
        }
    }
}

#[tokio::test]
async fn a_documented_path_asked_with_another_method_answers_405_with_allow() {
    let server = TestServer::start().await;
    let cases = [
        (Method::PUT, "/things", "GET, POST"),
        (Method::DELETE, "/things", "GET, POST"),
        (Method::GET, "/things/t1", "DELETE"),
        (Method::PATCH, "/openapi.json", "GET"),
    ];
    for (method, path, allow) in cases {
        let response = server
            .api
            .request(method.clone(), path, Some(&server.token))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem = problem(response).await;
        assert_eq!(
            problem["type"],
            "urn:cargo-express:problem:method-not-allowed"
        );
        assert_eq!(problem["status"], 405);
    }
    // A path nothing answers is still a 404, whatever the method.
    let response = server
        .api
        .request(Method::PUT, "/nowhere", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().get("allow").is_none());
}

#[tokio::test]
async fn a_bad_query_parameter_is_named_in_our_words() {
    let server = TestServer::start().await;
    let cases = [
        ("/things?limit=ten", "limit", "must be an integer"),
        ("/things?offset=1.5", "offset", "must be an integer"),
        (
            "/things?colour=green",
            "colour",
            "must be one of red or blue",
        ),
        ("/things?limit=0", "limit", "must be between 1 and 200"),
        ("/things?offset=-1", "offset", "must not be negative"),
    ];
    for (path, name, reason) in cases {
        let response = server.api.get(path, &server.token).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        let problem = problem(response).await;
        assert_eq!(problem["invalid-params"][0]["name"], name, "{path}");
        assert_eq!(problem["invalid-params"][0]["reason"], reason, "{path}");
        assert!(!problem.to_string().contains("deserialize"), "{problem}");
    }
    let response = server
        .api
        .get("/things?colour=blue&limit=5", &server.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"colour": "Blue", "limit": 5, "offset": 0}));
}

#[tokio::test]
async fn a_wrong_type_in_an_enum_field_is_a_422_naming_the_field() {
    let server = TestServer::start().await;
    for body in [
        json!({"colour": 5}),
        json!({"colour": {}}),
        json!({"colour": [1]}),
    ] {
        let response = server
            .api
            .request(Method::POST, "/things", None)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let problem = problem(response).await;
        assert_eq!(problem["invalid-params"][0]["name"], "colour", "{body}");
    }
    // Broken JSON is still a 400, and a right value is taken.
    let response = server
        .api
        .request(Method::POST, "/things", None)
        .header("content-type", "application/json")
        .body(r#"{"colour": 5"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = server
        .api
        .request(Method::POST, "/things", None)
        .json(&json!({"colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_document_declares_problems_as_problem_json_with_the_platforms_answers() {
    let server = TestServer::start().await;
    let document: Value = server
        .api
        .request(Method::GET, "/openapi.json", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let responses = |path: &str, method: &str| document["paths"][path][method]["responses"].clone();
    let declared = |responses: &Value| -> Vec<String> {
        let mut codes: Vec<String> = responses.as_object().unwrap().keys().cloned().collect();
        codes.sort();
        codes
    };
    // A body: 400, 413, 415, 422 from the extractor; the handler's own 409.
    assert_eq!(
        declared(&responses("/things", "post")),
        ["201", "400", "409", "413", "415", "422"]
    );
    // Parameters and a token: 422 and 401.
    assert_eq!(
        declared(&responses("/things", "get")),
        ["200", "401", "422"]
    );
    // A path parameter of any text: 422 all the same (a rule may refuse it).
    assert_eq!(
        declared(&responses("/things/{id}", "delete")),
        ["204", "422"]
    );
    // The handler's problem is problem+json, not application/json.
    let conflict = &responses("/things", "post")["409"]["content"];
    assert!(conflict.get("application/json").is_none(), "{conflict}");
    assert_eq!(
        conflict["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    // The shared ones are components, declared once.
    assert_eq!(
        responses("/things", "post")["415"]["$ref"],
        "#/components/responses/UnsupportedMediaType"
    );
    let invalid = &document["components"]["responses"]["InvalidInput"];
    assert_eq!(
        invalid["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    // The limits of a page are in the document, not only in prose.
    let parameters = document["paths"]["/things"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let limit = parameters.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 200);
    let offset = parameters.iter().find(|p| p["name"] == "offset").unwrap();
    assert_eq!(offset["schema"]["minimum"], 0);
}
