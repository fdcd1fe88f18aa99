//! HTTP routes: GraphQL over POST and GET, GraphiQL with its assets embedded in the binary,
//! health and metrics.
//!
//! A GraphQL request first resolves an automatic persisted query, then looks for its response
//! in the response cache (by normalised document, operation name and variables), and only on a
//! miss is parsed, validated and executed; a response without errors that no field marked
//! `no-cache` is stored. `GET` answers carry `Cache-Control` and an `ETag` derived from the data
//! version, the index version and the request, and `If-None-Match` gives `304` without
//! executing anything. Bodies of 1 KiB and more are compressed when the client accepts it.
//! Media types and status codes follow the GraphQL-over-HTTP specification (see
//! [`protocol`]); `GET` runs queries only.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::parser::types::OperationType;
use tracing::Instrument as _;

use crate::cache::Caches;
use crate::cache::normalize::leading_operation_name;
use crate::cache::responses::{CachedResponse, ResponseKey};
use crate::graphql::AppSchema;
use crate::graphql::limits::QueryLimits;
use crate::metrics::{Metrics, Outcome};
use crate::protocol::{self, Media};
use crate::recommend::IndexStore;

/// Bodies smaller than this are sent uncompressed: compressing them saves too little.
const COMPRESS_FROM: usize = 1024;

/// What the GraphQL routes need.
#[derive(Clone)]
pub struct GraphqlState {
    pub schema: AppSchema,
    pub db: sea_orm::DatabaseConnection,
    pub caches: Caches,
    pub index: IndexStore,
    pub metrics: Metrics,
    /// `max-age` of cacheable `GET` answers.
    pub max_age: Duration,
    /// The largest document shape executed.
    pub limits: QueryLimits,
    /// The largest request body read.
    pub max_body_bytes: usize,
    /// The longest a request executes.
    pub request_timeout: Duration,
    /// The most requests a batch may hold (0: no batches).
    pub max_batch: usize,
    /// Whether GraphiQL is served.
    pub graphiql: bool,
    /// Whether the dashboard is served.
    pub dashboard: bool,
    /// Whether the Kakao chatbot webhook answers.
    pub chatbot: bool,
}

impl std::fmt::Debug for GraphqlState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphqlState")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .wrap(actix_web::middleware::from_fn(crate::access::guard))
            .route(web::post().to(graphql_post))
            .route(web::get().to(graphql_get))
            .default_service(web::to(graphql_other_method)),
    )
    .route("/graphiql/{file}", web::get().to(asset))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(metrics))
    .route("/favicon.ico", web::get().to(no_content))
    .route("/", web::get().to(root))
    .configure(crate::dashboard::routes)
    .configure(crate::chatbot::routes);
}

/// The header carrying a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The id of a request: the client's own `X-Request-Id` when it is a sensible one (1 to 64
/// letters, digits, `-`, `_`, `.`), so that a caller can follow its request through, else a
/// new one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(new_request_id, str::to_owned)
}

/// A new request id: 32 hex digits, a random half drawn once per process and a counter, so
/// that ids are unique within a process and, with overwhelming likelihood, across replicas,
/// without asking the system for randomness on every request.
fn new_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    format!("{prefix:016x}{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs each request in a span of its own, carrying its id (also sent back in
/// `X-Request-Id`), and logs its outcome: server errors as warnings, the rest at debug level
/// (`RUST_LOG=sixpotify_api=debug` shows every request).
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await;
    if let Ok(r) = &mut res
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        r.headers_mut()
            .insert(header::HeaderName::from_static(REQUEST_ID), value);
    }
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

/// `POST /graphql`. A JSON body byte for byte like one answered before (as dashboards and
/// chatbots send) is found in the response cache before it is even parsed.
async fn graphql_post(
    state: web::Data<GraphqlState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let started = Instant::now();
    let media = Media::of(&req);
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a GraphQL POST needs `Content-Type: application/json`",
            protocol::UNSUPPORTED_MEDIA_TYPE,
        );
    }
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(body) => body,
        Err((status, message)) => {
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                protocol::PAYLOAD_TOO_LARGE
            } else {
                protocol::BAD_REQUEST
            };
            return request_error(media, status, &message, code);
        }
    };
    if protocol::is_batch(&body) {
        return batch(&state, &req, media, &body, started).await;
    }
    let raw_key = ResponseKey::of(&[b"POST", &state.caches.generation().to_le_bytes(), &body]);
    if let Some(hit) = state.caches.responses.peek(&raw_key) {
        state.metrics.observe(
            hit.operation.as_deref(),
            Outcome::Cached,
            started.elapsed().as_secs_f64(),
        );
        return body_response(media, StatusCode::OK, hit.body.clone(), None, None);
    }
    match protocol::post_request(&body) {
        Ok(request) => answer(&state, &req, media, request, false, Some(raw_key), started).await,
        Err(e) => request_error(media, StatusCode::BAD_REQUEST, &e, protocol::BAD_REQUEST),
    }
}

/// A batch: each request answered as if it came alone (persisted queries, caches, limits and
/// timeout included), all at once, in one JSON array in the order asked.
async fn batch(
    state: &GraphqlState,
    req: &HttpRequest,
    media: Media,
    body: &[u8],
    started: Instant,
) -> HttpResponse {
    let requests = match protocol::post_batch(body, state.max_batch) {
        Ok(requests) => requests,
        Err(protocol::BatchError::Invalid(e)) => {
            return request_error(media, StatusCode::BAD_REQUEST, &e, protocol::BAD_REQUEST);
        }
        Err(protocol::BatchError::TooLarge(e)) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                &e,
                protocol::BATCH_TOO_LARGE,
            );
        }
    };
    let answers = futures_util::future::join_all(
        requests
            .into_iter()
            .map(|r| answer(state, req, media, r, false, None, started)),
    )
    .await;
    let mut out = Vec::with_capacity(body.len().min(1 << 16));
    out.push(b'[');
    for (i, res) in answers.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match actix_web::body::to_bytes(res.into_body()).await {
            Ok(b) if !b.is_empty() => out.extend_from_slice(&b),
            _ => out.extend_from_slice(&protocol::error_body(
                "internal server error",
                "INTERNAL_SERVER_ERROR",
            )),
        }
    }
    out.push(b']');
    body_response(media, StatusCode::OK, Bytes::from(out), None, None)
}

/// `GET /graphql`: GraphiQL for a browser that asks for a page, a query otherwise.
async fn graphql_get(state: web::Data<GraphqlState>, req: HttpRequest) -> HttpResponse {
    if state.graphiql && wants_html(&req) && !has_query_param(&req) {
        return HttpResponse::Ok()
            .content_type(ContentType::html())
            .body(GRAPHIQL_HTML);
    }
    let started = Instant::now();
    let media = Media::of(&req);
    match protocol::get_request(req.query_string()) {
        Ok(request) => answer(&state, &req, media, request, true, None, started).await,
        Err(e) => request_error(media, StatusCode::BAD_REQUEST, &e, protocol::BAD_REQUEST),
    }
}

/// Any other method on `/graphql`.
async fn graphql_other_method(req: HttpRequest) -> HttpResponse {
    method_not_allowed(
        Media::of(&req),
        "/graphql answers GET (queries only) and POST",
        "GET, POST",
    )
}

/// `405` with the methods that would do.
fn method_not_allowed(media: Media, message: &str, allow: &'static str) -> HttpResponse {
    let mut res = request_error(
        media,
        StatusCode::METHOD_NOT_ALLOWED,
        message,
        protocol::METHOD_NOT_ALLOWED,
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

/// An error that stops a request before GraphQL execution.
/// A request's whole body, at most `limit` bytes; otherwise the status to answer (`400` for a
/// body that could not be read, `413` for one over the limit) and why.
pub(crate) async fn read_body(
    payload: web::Payload,
    limit: usize,
) -> Result<Bytes, (StatusCode, String)> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err((
            StatusCode::BAD_REQUEST,
            format!("the request body could not be read: {e}"),
        )),
        Err(_) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the {limit} bytes this server reads"),
        )),
    }
}

fn request_error(media: Media, status: StatusCode, message: &str, code: &str) -> HttpResponse {
    body_response(
        media,
        status,
        protocol::error_body(message, code),
        None,
        None,
    )
}

/// Answers one GraphQL request: persisted query, cache, execution, in that order.
async fn answer(
    state: &GraphqlState,
    req: &HttpRequest,
    media: Media,
    mut request: async_graphql::Request,
    get: bool,
    raw_key: Option<ResponseKey>,
    started: Instant,
) -> HttpResponse {
    let persisted = state.caches.persisted.resolve(&mut request);
    let operation = request.operation_name.clone();
    let label = operation
        .clone()
        .or_else(|| leading_operation_name(&request.query).map(str::to_owned));
    let done = |outcome: Outcome| {
        state
            .metrics
            .observe(label.as_deref(), outcome, started.elapsed().as_secs_f64());
    };
    if let Err(e) = persisted {
        done(Outcome::Error);
        // As Apollo's servers do, `200` whatever the media type: clients read the code and
        // send the document.
        return body_response(
            media,
            StatusCode::OK,
            protocol::error_body(&e.to_string(), e.code()),
            None,
            None,
        );
    }
    let variables = serde_json::to_vec(&request.variables).unwrap_or_default();
    let etag = get.then(|| {
        let versions = state.index.figures().0;
        let data = state.caches.version().flatten().unwrap_or(0);
        let request_key = ResponseKey::new(0, &request.query, operation.as_deref(), &variables);
        let tag = ResponseKey::of(&[&data.to_le_bytes(), &versions.to_le_bytes(), &request_key.0]);
        format!("W/\"{}\"", tag.hex(16))
    });
    if let Some(tag) = &etag
        && if_none_match(req, tag)
    {
        done(Outcome::NotModified);
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag.as_str()))
            .insert_header((header::CACHE_CONTROL, public_max_age(state.max_age)))
            .insert_header((header::VARY, "Accept"))
            .finish();
    }

    let key = ResponseKey::new(
        state.caches.generation(),
        &request.query,
        operation.as_deref(),
        &variables,
    );
    if state.caches.responses.enabled()
        && let Some(hit) = state.caches.responses.get(&key)
    {
        done(Outcome::Cached);
        if let Some(raw) = raw_key {
            state.caches.responses.alias(raw, hit.clone());
        }
        let cache_control = get.then(|| hit.cache_control.clone()).flatten();
        return body_response(media, StatusCode::OK, hit.body.clone(), cache_control, etag);
    }

    state.caches.documents.prepare(&mut request);
    if get
        && let Some(ty) = protocol::operation_type(&mut request)
        && ty != OperationType::Query
    {
        done(Outcome::Error);
        return method_not_allowed(
            media,
            &format!("a {ty} cannot be sent with GET; use POST"),
            "POST",
        );
    }
    let response = crate::graphql::codes::execute_within(
        &state.schema,
        request,
        &state.limits,
        state.request_timeout,
    )
    .await;
    let ok = response.is_ok();
    let cacheable = ok && response.cache_control.max_age != -1;
    let status = media.status(&response);
    let body = match protocol::response_body(&response) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a response");
            done(Outcome::Error);
            return HttpResponse::InternalServerError().finish();
        }
    };
    let cache_control = if cacheable {
        if response.cache_control.public {
            public_max_age(state.max_age)
        } else {
            format!("private, max-age={}", state.max_age.as_secs())
        }
    } else {
        "no-cache".to_owned()
    };
    if cacheable {
        state.caches.responses.put(
            key,
            raw_key,
            CachedResponse {
                body: body.clone(),
                cache_control: Some(cache_control.clone()),
                operation: label.clone(),
            },
        );
    }
    done(if ok { Outcome::Ok } else { Outcome::Error });
    body_response(
        media,
        status,
        body,
        get.then_some(cache_control),
        etag.filter(|_| cacheable),
    )
}

fn public_max_age(max_age: Duration) -> String {
    format!("public, max-age={}", max_age.as_secs())
}

/// Whether `If-None-Match` names `tag` (or is `*`).
fn if_none_match(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == tag.trim_start_matches("W/"))
}

/// A GraphQL response in `media`; small bodies are marked so that the compression middleware
/// leaves them.
fn body_response(
    media: Media,
    status: StatusCode,
    body: Bytes,
    cache_control: Option<String>,
    etag: Option<String>,
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CONTENT_TYPE, media.content_type()));
    builder.insert_header((header::VARY, "Accept"));
    if let Some(cc) = cache_control {
        builder.insert_header((header::CACHE_CONTROL, cc));
    }
    if let Some(tag) = etag {
        builder.insert_header((header::ETAG, tag));
    }
    if body.len() < COMPRESS_FROM {
        builder.insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        ));
    }
    builder.body(body)
}

async fn metrics(state: web::Data<GraphqlState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render())
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

async fn root(state: web::Data<GraphqlState>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/graphql"))
        .finish()
}

/// Browsers ask for a favicon; there is none to give.
async fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Alive: the process answers HTTP. Says nothing of the database (see [`readyz`]).
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the database.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready to serve: the database answers, every migration is applied, and the recommendation
/// index is built. `503` with the failing checks otherwise; no error detail is shown.
async fn readyz(state: web::Data<GraphqlState>) -> HttpResponse {
    use migration::MigratorTrait as _;
    let db = &state.db;
    let checks = async {
        if db.ping().await.is_err() {
            return ("unreachable", "unknown");
        }
        match migration::Migrator::get_pending_migrations(db).await {
            Ok(pending) if pending.is_empty() => ("ok", "ok"),
            Ok(_) => ("ok", "pending"),
            Err(_) => ("unreachable", "unknown"),
        }
    };
    let (database, migrations) = tokio::time::timeout(READY_CHECK_TIMEOUT, checks)
        .await
        .unwrap_or(("unreachable", "unknown"));
    let index = if state.index.is_ready() {
        "ok"
    } else {
        "building"
    };
    let ready = database == "ok" && migrations == "ok" && index == "ok";
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": database,
            "migrations": migrations,
            "recommendationIndex": index,
        },
    });
    let mut res = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

const GRAPHIQL_HTML: &str = include_str!("../assets/graphiql/index.html");

/// GraphiQL's files, from the npm packages pinned in `assets/graphiql/package.json`.
const ASSETS: &Assets = &[
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

/// Files built into the binary: name served under, content type, bytes.
pub(crate) type Assets = [(&'static str, &'static str, &'static [u8])];

/// The file of `assets` named `file`, with its type and `cache_control`; `404` for any other.
pub(crate) fn embedded(assets: &Assets, file: &str, cache_control: &'static str) -> HttpResponse {
    match assets.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn asset(state: web::Data<GraphqlState>, file: web::Path<String>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    embedded(ASSETS, &file, "public, max-age=86400")
}
