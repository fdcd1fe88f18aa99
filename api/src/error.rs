//! The API's error type and how it reaches clients.
//!
//! Every GraphQL error carries a stable `extensions.code`. Internal errors are logged with their
//! whole cause chain and reach the client as a generic message: no SQL, no stack trace.

use std::sync::Arc;

use sixpotify_loader::retry::transient;

use crate::codes;

/// Everything that can go wrong in the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; the message says which argument and why.
    #[error("{0}")]
    BadUserInput(String),

    #[error("database error")]
    Database(#[from] sea_orm::DbErr),

    /// A batched load failed; the error is shared by every field that waited on it.
    #[error("database error")]
    SharedDatabase(#[from] Arc<sea_orm::DbErr>),

    #[error("failed to {action} {target}")]
    Io {
        action: &'static str,
        target: String,
        #[source]
        source: std::io::Error,
    },

    /// A setting that cannot be used.
    #[error("invalid setting: {0}")]
    Config(String),

    #[error("failed to prepare the database")]
    Loader(#[from] sixpotify_loader::LoaderError),

    /// A list was asked for more items than the page size limit.
    #[error("{0}")]
    PageTooLarge(String),

    /// A part of the service is not ready yet or cannot be reached; worth retrying.
    #[error("{0}")]
    Unavailable(String),

    /// A query the server runs on its own behalf (the chatbot's) answered with an error or in
    /// an unexpected shape.
    #[error("an internal query failed: {0}")]
    Execution(String),
}

impl ApiError {
    /// Shorthand for a [`ApiError::BadUserInput`].
    pub fn bad_input(msg: impl Into<String>) -> Self {
        Self::BadUserInput(msg.into())
    }

    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            // A lost connection, a Galera node outside the primary component, a read that
            // could not be made causal in time: worth retrying shortly.
            Self::Database(e) if transient(e) => codes::SERVICE_UNAVAILABLE,
            Self::SharedDatabase(e) if transient(e) => codes::SERVICE_UNAVAILABLE,
            Self::BadUserInput(_) => codes::BAD_USER_INPUT,
            Self::PageTooLarge(_) => codes::PAGE_TOO_LARGE,
            Self::Unavailable(_) => codes::SERVICE_UNAVAILABLE,
            _ => codes::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        let code = e.code();
        let message = match &e {
            _ if code == codes::SERVICE_UNAVAILABLE && !matches!(e, ApiError::Unavailable(_)) => {
                tracing::warn!(error = %entity::telemetry::error_chain(&e), "database unreachable");
                "the database cannot be reached; retry shortly".to_owned()
            }
            ApiError::BadUserInput(msg)
            | ApiError::PageTooLarge(msg)
            | ApiError::Unavailable(msg) => msg.clone(),
            internal => {
                tracing::error!(error = %entity::telemetry::error_chain(internal), "request failed");
                "internal server error".to_owned()
            }
        };
        use async_graphql::ErrorExtensions as _;
        async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
    }
}

/// The API's result type.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
