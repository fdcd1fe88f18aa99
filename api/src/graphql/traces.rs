//! Spans of a request's stages for exported traces: validation and execution, as children of
//! the request's span (parsing has its span in [`codes::execute`](super::codes::execute), which
//! parses before the engine runs). Installed only while traces are exported: any engine
//! extension sends every field through the engine's slower per-field path.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextValidation,
};
use async_graphql::{Response, ServerError, ValidationResult};
use tracing::Instrument as _;

/// The factory of [`StageSpans`].
pub struct Stages;

impl ExtensionFactory for Stages {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StageSpans)
    }
}

/// Runs validation in a `graphql.validate` span and execution in a `graphql.execute` span.
struct StageSpans;

#[async_trait::async_trait]
impl Extension for StageSpans {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let span = tracing::debug_span!("graphql.validate");
        next.run(ctx).instrument(span).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let span = tracing::debug_span!(
            "graphql.execute",
            graphql.operation.name = operation_name,
            errors = tracing::field::Empty,
        );
        let response = next.run(ctx, operation_name).instrument(span.clone()).await;
        if !response.errors.is_empty() {
            span.record("errors", response.errors.len());
        }
        response
    }
}
