//! `/graphql`: GraphQL over POST and GET, and GraphiQL with its assets embedded in the binary.
//!
//! A GraphQL request first resolves an automatic persisted query, then looks for its response
//! in the response cache (by normalised document, operation name and variables), and only on a
//! miss is parsed, validated and executed; a response without errors that no field marked
//! `no-cache` is stored. `GET` answers carry `Cache-Control` and an `ETag` derived from the data
//! version, the index version and the request, and `If-None-Match` gives `304` without
//! executing anything. Bodies of 1 KiB and more are compressed when the client accepts it.
//! Media types and status codes follow the GraphQL-over-HTTP specification (see
//! [`crate::protocol`]); `GET` runs queries only.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::parser::types::OperationType;

use crate::body::{Assets, embedded, read_body};
use crate::cache::normalize::leading_operation_name;
use crate::cache::responses::{CachedResponse, ResponseKey};
use crate::codes;
use crate::metrics::Outcome;
use crate::protocol::{self, Media};
use crate::state::AppState;

/// Bodies smaller than this are sent uncompressed: compressing them saves too little.
const COMPRESS_FROM: usize = 1024;

/// `POST /graphql`. A JSON body byte for byte like one answered before (as dashboards and
/// chatbots send) is found in the response cache before it is even parsed.
pub(super) async fn graphql_post(
    state: web::Data<AppState>,
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
            codes::UNSUPPORTED_MEDIA_TYPE,
        );
    }
    let body = match read_body(payload, state.max_body_bytes).await {
        Ok(body) => body,
        Err((status, message)) => {
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                codes::PAYLOAD_TOO_LARGE
            } else {
                codes::BAD_REQUEST
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
        Err(e) => request_error(media, StatusCode::BAD_REQUEST, &e, codes::BAD_REQUEST),
    }
}

/// A batch: each request answered as if it came alone (persisted queries, caches, limits and
/// timeout included), all at once, in one JSON array in the order asked.
async fn batch(
    state: &AppState,
    req: &HttpRequest,
    media: Media,
    body: &[u8],
    started: Instant,
) -> HttpResponse {
    let requests = match protocol::post_batch(body, state.max_batch) {
        Ok(requests) => requests,
        Err(protocol::BatchError::Invalid(e)) => {
            return request_error(media, StatusCode::BAD_REQUEST, &e, codes::BAD_REQUEST);
        }
        Err(protocol::BatchError::TooLarge(e)) => {
            return request_error(media, StatusCode::BAD_REQUEST, &e, codes::BATCH_TOO_LARGE);
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
                codes::INTERNAL_SERVER_ERROR,
            )),
        }
    }
    out.push(b']');
    body_response(media, StatusCode::OK, Bytes::from(out), None, None)
}

/// `GET /graphql`: GraphiQL for a browser that asks for a page, a query otherwise.
pub(super) async fn graphql_get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if state.graphiql && wants_html(&req) && !has_query_param(&req) {
        return HttpResponse::Ok()
            .content_type(ContentType::html())
            .body(GRAPHIQL_HTML);
    }
    let started = Instant::now();
    let media = Media::of(&req);
    match protocol::get_request(req.query_string()) {
        Ok(request) => answer(&state, &req, media, request, true, None, started).await,
        Err(e) => request_error(media, StatusCode::BAD_REQUEST, &e, codes::BAD_REQUEST),
    }
}

/// Any other method on `/graphql`.
pub(super) async fn graphql_other_method(req: HttpRequest) -> HttpResponse {
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
        codes::METHOD_NOT_ALLOWED,
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
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
    state: &AppState,
    req: &HttpRequest,
    media: Media,
    mut request: async_graphql::Request,
    get: bool,
    raw_key: Option<ResponseKey>,
    started: Instant,
) -> HttpResponse {
    let persisted = match &state.trusted {
        // Trusted documents only: refused before anything else, parsing included, and not
        // labelled in the metrics with an operation name the request chose.
        Some(trusted) => {
            if let Err(refusal) = trusted.resolve(&mut request) {
                state
                    .metrics
                    .observe(None, Outcome::Error, started.elapsed().as_secs_f64());
                return request_error(
                    media,
                    StatusCode::BAD_REQUEST,
                    &refusal.to_string(),
                    refusal.code(),
                );
            }
            Ok(())
        }
        None if request.query.is_empty()
            && request.extensions.contains_key(crate::trusted::DOCUMENT_ID) =>
        {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "documents are named by `documentId` only on a server that runs trusted documents",
                codes::BAD_REQUEST,
            );
        }
        None => state.caches.persisted.resolve(&mut request),
    };
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

pub(super) async fn root(state: web::Data<AppState>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/graphql"))
        .finish()
}

const GRAPHIQL_HTML: &str = include_str!("../../assets/graphiql/index.html");

/// GraphiQL's files, from the npm packages pinned in `assets/graphiql/package.json`.
const ASSETS: &Assets = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/dist/react-dom.production.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/init.js"),
    ),
];

pub(super) async fn asset(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    if !state.graphiql {
        return HttpResponse::NotFound().finish();
    }
    if file.as_str() == "examples.js" {
        return HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(crate::examples::graphiql_script());
    }
    embedded(ASSETS, &file, "public, max-age=86400")
}
