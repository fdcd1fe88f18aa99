//! Gives every GraphQL error a stable `extensions.code`. Errors of our resolvers carry theirs
//! already (see [`ApiError`](crate::error::ApiError)); [`execute`] labels the rest, which the
//! GraphQL engine itself raises: a document that does not parse, one that exceeds the
//! [limits](super::limits) (with the limit's own code), one that does not validate
//! against the schema (variables of the wrong type included), an operation that cannot be
//! chosen, and field arguments that cannot be coerced.
//!
//! This is done around execution rather than in a schema extension: any extension sends every
//! field of every response through the engine's slower per-field path, which costs more than
//! the whole of some queries.

use async_graphql::parser::types::DocumentOperations;
use async_graphql::{Request, Response, ServerError, Value};

use super::AppSchema;
use super::limits::QueryLimits;
use crate::codes::{
    BAD_USER_INPUT, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE,
    REQUEST_TIMEOUT,
};

/// [`execute`], stopped after `timeout`: a request that runs longer is dropped where it waits
/// (no work of it goes on) and answered with a [`REQUEST_TIMEOUT`] error.
pub async fn execute_within(
    schema: &AppSchema,
    request: Request,
    limits: &QueryLimits,
    timeout: std::time::Duration,
) -> Response {
    match tokio::time::timeout(timeout, execute(schema, request, limits)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                timeout_ms = timeout.as_millis() as u64,
                "request stopped at the request timeout"
            );
            Response::from_errors(vec![label(
                ServerError::new(
                    format!(
                        "the request took longer than the {} limit and was stopped",
                        humantime::format_duration(timeout)
                    ),
                    None,
                ),
                REQUEST_TIMEOUT,
            )])
        }
    }
}

/// Executes `request` on `schema`, if its document parses and keeps within `limits`, and gives
/// every error in the response a code.
pub async fn execute(schema: &AppSchema, mut request: Request, limits: &QueryLimits) -> Response {
    if let Some(refusal) = parse(&mut request, limits) {
        return refusal;
    }
    let mut response = schema.execute(request).await;
    if !response.errors.is_empty() {
        let before_execution = matches!(response.data, Value::Null);
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| {
                let code = stage_code(&e, before_execution);
                label(e, code)
            })
            .collect();
    }
    response
}

/// Parses `request`'s document (the engine then uses it as it is) and checks it against
/// `limits`, in a `graphql.parse` span; names the operation on the request's span. Gives the
/// response to send instead when the document does not parse or exceeds a limit.
fn parse(request: &mut Request, limits: &QueryLimits) -> Option<Response> {
    // The request's span, to name its operation on, while spans are exported.
    let around = entity::telemetry::exporting().then(tracing::Span::current);
    let _parsing = tracing::debug_span!("graphql.parse").entered();
    if let (Some(span), Some(name)) = (&around, &request.operation_name) {
        span.record("graphql.operation.name", name.as_str());
    }
    let named = request.operation_name.is_some();
    match request.parsed_query() {
        Err(e) => Some(Response::from_errors(vec![label(e, GRAPHQL_PARSE_FAILED)])),
        Ok(doc) => {
            // A document of one named operation names it without `operationName`.
            if let Some(span) = &around
                && !named
                && let DocumentOperations::Multiple(ops) = &doc.operations
                && ops.len() == 1
                && let Some(name) = ops.keys().next()
            {
                span.record("graphql.operation.name", name.as_str());
            }
            super::limits::check(doc, limits).err().map(|e| {
                Response::from_errors(vec![label(ServerError::new(e.message, None), e.code)])
            })
        }
    }
}

/// The code of an error the engine raised. Errors with a path come from a field whose
/// arguments could not be coerced; errors without one stopped the request before execution.
fn stage_code(error: &ServerError, before_execution: bool) -> &'static str {
    if !error.path.is_empty() || !before_execution {
        BAD_USER_INPUT
    } else if error.message.starts_with("Unknown operation named")
        || error.message.starts_with("Operation name required")
    {
        OPERATION_RESOLUTION_FAILURE
    } else {
        GRAPHQL_VALIDATION_FAILED
    }
}

fn label(mut error: ServerError, code: &str) -> ServerError {
    let ext = error.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", Value::from(code));
    }
    error
}
