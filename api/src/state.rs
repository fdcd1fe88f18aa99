//! The state every route shares, registered once per worker by [`crate::app`] and read by the
//! handlers of [`crate::http`], [`crate::dashboard`] and [`crate::chatbot`].

use std::time::Duration;

use crate::cache::Caches;
use crate::graphql::AppSchema;
use crate::graphql::limits::QueryLimits;
use crate::metrics::Metrics;
use crate::recommend::IndexStore;

/// What every route needs: the schema, the database, caches, index and metrics, and the
/// settings the handlers apply. One per worker (each has its own schema).
#[derive(Clone)]
pub struct AppState {
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
    /// The only documents that run, when the server runs trusted documents only.
    pub trusted: Option<std::sync::Arc<crate::trusted::TrustedDocuments>>,
    /// Whether GraphiQL is served.
    pub graphiql: bool,
    /// Whether the dashboard is served.
    pub dashboard: bool,
    /// Whether the Kakao chatbot webhook answers.
    pub chatbot: bool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}
