//! Operations routes: `/healthz`, `/readyz`, `/metrics`, and the favicon browsers ask for.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// `/metrics`: OpenMetrics text, with the load pipeline read from `load_runs` at each scrape
/// (not counted among the statements run for GraphQL requests).
pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pipeline = crate::stats::background(tokio::time::timeout(
        READY_CHECK_TIMEOUT,
        crate::service::pipeline::figures(&state.db),
    ))
    .await;
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(
            state
                .metrics
                .render_scrape(pipeline.ok().and_then(Result::ok)),
        )
}

/// Browsers ask for a favicon; there is none to give.
pub(super) async fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Alive: the process answers HTTP. Says nothing of the database (see [`readyz`]).
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// How long `/readyz` waits for the database.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready to serve: the database answers, every migration is applied, and the recommendation
/// index is built. `503` with the failing checks otherwise; no error detail is shown.
pub(super) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
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
