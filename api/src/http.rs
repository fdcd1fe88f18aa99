//! HTTP routes: GraphQL over POST and GET, GraphiQL with its assets embedded in the binary,
//! and health.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, ContentType};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use tracing::Instrument as _;

use crate::graphql::AppSchema;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql_post))
        .route("/graphql", web::get().to(graphql_get))
        .route("/graphiql/{file}", web::get().to(asset))
        .route("/healthz", web::get().to(healthz))
        .route("/favicon.ico", web::get().to(no_content))
        .route("/", web::get().to(root));
}

/// Runs each request in a span of its own and logs its outcome: server errors as warnings,
/// the rest at debug level (`RUST_LOG=sixpotify_api=debug` shows every request).
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let res = next.call(req).instrument(span.clone()).await;
    let _enter = span.enter();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &res {
        Ok(r) if r.status().is_server_error() => {
            tracing::warn!(status = r.status().as_u16(), elapsed_ms, "request failed");
        }
        Ok(r) => tracing::debug!(status = r.status().as_u16(), elapsed_ms, "request served"),
        Err(e) => tracing::warn!(error = %e, elapsed_ms, "request failed"),
    }
    res
}

async fn graphql_post(schema: web::Data<AppSchema>, req: GraphQLRequest) -> GraphQLResponse {
    schema.execute(req.into_inner()).await.into()
}

/// `GET /graphql`: GraphiQL for a browser that asks for a page, a query otherwise.
async fn graphql_get(
    schema: web::Data<AppSchema>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    if wants_html(&req) && !has_query_param(&req) {
        return Ok(HttpResponse::Ok()
            .content_type(ContentType::html())
            .body(GRAPHIQL_HTML));
    }
    let gql = GraphQLRequest::from_request(&req, &mut payload.into_inner()).await?;
    let resp: GraphQLResponse = schema.execute(gql.into_inner()).await.into();
    Ok(actix_web::Responder::respond_to(resp, &req).map_into_boxed_body())
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn has_query_param(req: &HttpRequest) -> bool {
    req.query_string()
        .split('&')
        .any(|kv| kv.split('=').next() == Some("query"))
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/graphql"))
        .finish()
}

/// Browsers ask for a favicon; there is none to give.
async fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

const GRAPHIQL_HTML: &str = include_str!("../assets/graphiql/index.html");

/// GraphiQL's files, from the npm packages pinned in `assets/graphiql/package.json`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/dist/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/dist/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/dist/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/dist/react-dom.production.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/init.js"),
    ),
];

async fn asset(file: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(name, _, _)| *name == file.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}
