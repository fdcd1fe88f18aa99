//! The router: every route the server answers, wired to its handler, and the middleware that
//! gives each request a span and an id. Handlers live below it ([`endpoint`] for `/graphql` and
//! GraphiQL, [`ops`] for health and metrics, [`crate::dashboard`], [`crate::chatbot`]); they share
//! [`crate::state::AppState`] and [`crate::body`], never this module.

mod endpoint;
mod ops;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument as _;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .wrap(actix_web::middleware::from_fn(crate::access::guard))
            .route(web::post().to(endpoint::graphql_post))
            .route(web::get().to(endpoint::graphql_get))
            .default_service(web::to(endpoint::graphql_other_method)),
    )
    .route("/graphiql/{file}", web::get().to(endpoint::asset))
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics))
    .route("/favicon.ico", web::get().to(ops::no_content))
    .route("/", web::get().to(endpoint::root))
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

/// Makes `span` a child of the client's span when the request carries a W3C `traceparent`
/// (and `tracestate`), so that the request shows in the client's trace. Without traces
/// exported, there is nothing to attach to and nothing happens.
fn continue_trace(req: &ServiceRequest, span: &tracing::Span) {
    use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    struct Headers<'a>(&'a actix_web::http::header::HeaderMap);
    impl Extractor for Headers<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(|k| k.as_str()).collect()
        }
    }

    if req.headers().contains_key("traceparent") {
        let parent = opentelemetry_sdk::propagation::TraceContextPropagator::new()
            .extract(&Headers(req.headers()));
        let _ = span.set_parent(parent);
    }
}

/// Runs each request in a span of its own, carrying its id (also sent back in
/// `X-Request-Id`), and logs its outcome: server errors as warnings, the rest at debug level
/// (`RUST_LOG=sixpotify_api=debug` shows every request).
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let exporting = entity::telemetry::exporting();
    // The fields only exported spans use are left out of the span logs alone see, which every
    // request pays for.
    let span = if exporting {
        let span = tracing::info_span!(
            "request",
            otel.kind = "server",
            request_id = %id,
            method = %req.method(),
            path = %req.path(),
            graphql.operation.name = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        continue_trace(&req, &span);
        span
    } else {
        tracing::info_span!(
            "request",
            request_id = %id,
            method = %req.method(),
            path = %req.path(),
        )
    };
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await;
    if let Ok(r) = &mut res
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        r.headers_mut()
            .insert(header::HeaderName::from_static(REQUEST_ID), value);
    }
    let _enter = span.enter();
    if exporting && let Ok(r) = &res {
        span.record("status", r.status().as_u16());
    }
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
