//! Building and running the server: `Application::build(settings)` connects, migrates, seeds
//! and binds (port 0 picks a free port), so tests start the real thing.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use tracing::info;

use crate::cache::Caches;
use crate::config::Settings;
use crate::error::{ApiError, Result};
use crate::graphql::build_schema;
use crate::metrics::Metrics;
use crate::stats::StatementCounter;
use crate::{http, seed};

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    statements: StatementCounter,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish()
    }
}

impl Application {
    /// Connects to the configured database, applies migrations, seeds an empty catalog when
    /// asked to, and binds the listener.
    pub async fn build(settings: &Settings) -> Result<Self> {
        info!(database = %settings.database_url, "connecting");
        let mut db =
            seed::connect(settings.database_url.expose(), settings.db_acquire_timeout).await?;
        let statements = StatementCounter::install(&mut db);
        if settings.seed {
            seed::seed_if_empty(&db).await?;
        }
        Self::serve(db, statements, settings)
    }

    /// Binds a server over an already prepared database, with the address, caches and poll
    /// interval of `settings` (its database URL is not used). Every poll interval the data
    /// version is checked; a new one drops the caches and rebuilds the recommendation index in
    /// the background.
    pub fn serve(
        db: DatabaseConnection,
        statements: StatementCounter,
        settings: &Settings,
    ) -> Result<Self> {
        let addr = settings.addr.as_str();
        let listener = TcpListener::bind(addr).map_err(|source| ApiError::Io {
            action: "listen on",
            target: addr.to_owned(),
            source,
        })?;
        let local = listener.local_addr().map_err(|source| ApiError::Io {
            action: "read the address of",
            target: addr.to_owned(),
            source,
        })?;
        let index = crate::recommend::IndexStore::default();
        let caches = Caches::new(&settings.caches());
        crate::freshness::follow(
            db.clone(),
            settings.poll_interval,
            index.clone(),
            caches.clone(),
        );
        let metrics = Metrics::new(
            db.clone(),
            caches.clone(),
            index.clone(),
            statements.clone(),
        );
        let access = crate::access::Access::new(&crate::access::AccessSettings {
            keys: &settings.api_keys,
            header: &settings.api_key_header,
            per_second: settings.rate_limit,
            burst: settings.rate_limit_burst,
            trust_forwarded: settings.trust_forwarded,
        })
        .map_err(ApiError::Config)?;
        access.forget_idle_clients();
        let cors_origins = cors_origins(&settings.cors_origins)?;
        let api_key_header = settings.api_key_header.clone();
        let schema_options = settings.schema_options();
        let max_age = settings.http_max_age;
        let limits = settings.query_limits();
        let (max_body_bytes, request_timeout, max_batch) = (
            settings.max_body_bytes,
            settings.request_timeout,
            settings.max_batch,
        );
        let (graphiql, dashboard, chatbot) =
            (settings.graphiql, settings.dashboard, settings.chatbot);
        let trusted = match &settings.trusted_documents {
            Some(path) => {
                let documents = crate::trusted::TrustedDocuments::load(path)?;
                tracing::info!(
                    documents = documents.len(),
                    manifest = %path.display(),
                    "running trusted documents only"
                );
                Some(std::sync::Arc::new(documents))
            }
            None => None,
        };
        // Runs once on each worker's thread. Each worker has a schema of its own, and so a
        // DataLoader of its own: one shared by the workers answered lookups that reach the
        // database 2.5 times slower under load, as its batches and their waiters land on
        // different threads (see the README's figures for the API under load).
        let mut server = HttpServer::new(move || {
            let state = web::Data::new(crate::state::AppState {
                schema: build_schema(db.clone(), index.clone(), caches.clone(), schema_options),
                db: db.clone(),
                caches: caches.clone(),
                index: index.clone(),
                metrics: metrics.clone(),
                max_age,
                limits,
                max_body_bytes,
                request_timeout,
                max_batch,
                trusted: trusted.clone(),
                graphiql,
                dashboard,
                chatbot,
            });
            App::new()
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins, &api_key_header),
                ))
                .wrap(actix_web::middleware::from_fn(http::trace_requests))
                .app_data(state)
                .app_data(web::Data::new(access.clone()))
                .configure(http::routes)
        })
        .shutdown_timeout(settings.shutdown_timeout.as_secs());
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server
            .listen(listener)
            .map_err(|source| ApiError::Io {
                action: "serve on",
                target: local.to_string(),
                source,
            })?
            .run();
        info!(url = %format!("http://{local}/graphql"), "serving GraphQL; open this URL for GraphiQL");
        Ok(Self {
            port: local.port(),
            server,
            statements,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The count of SQL statements this server has run.
    pub fn statements(&self) -> StatementCounter {
        self.statements.clone()
    }

    /// Serves until the process is asked to stop (SIGINT or SIGTERM), finishing requests in
    /// flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Checks configured CORS origins: `*`, or each a `scheme://host[:port]` origin.
fn cors_origins(origins: &[String]) -> Result<Vec<String>> {
    let origins: Vec<String> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    for origin in &origins {
        if origin == "*" {
            continue;
        }
        let parsed = url::Url::parse(origin)
            .ok()
            .map(|u| u.origin().ascii_serialization());
        if parsed.as_deref() != Some(origin.trim_end_matches('/')) {
            return Err(ApiError::Config(format!(
                "CORS origin `{origin}` is not `*` nor an origin like `https://bi.example.com`"
            )));
        }
    }
    Ok(origins
        .into_iter()
        .map(|o| o.trim_end_matches('/').to_owned())
        .collect())
}

/// CORS for `origins` (checked by [`cors_origins`]): `GET` and `POST` with the headers a
/// GraphQL client sends, the request id and `Retry-After` readable by the page.
fn cors(origins: &[String], api_key_header: &str) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            "content-type",
            "accept",
            "if-none-match",
            http::REQUEST_ID,
            api_key_header,
        ])
        .expose_headers(["x-request-id", "retry-after", "etag"])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins_must_be_origins() {
        assert_eq!(
            cors_origins(&["https://bi.example.com/".into(), " * ".into()]).ok(),
            Some(vec!["https://bi.example.com".to_owned(), "*".to_owned()])
        );
        assert!(cors_origins(&["https://bi.example.com/dash".into()]).is_err());
        assert!(cors_origins(&["bi.example.com".into()]).is_err());
        assert_eq!(cors_origins(&[]).ok(), Some(vec![]));
    }
}
