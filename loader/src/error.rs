//! The loader's error type.

use std::path::PathBuf;

/// Everything that can stop a load. Row-level problems are not errors: they are
/// [`Reject`](crate::csv_source::Reject)s, counted and reported while the load goes on.
#[derive(Debug, thiserror::Error)]
pub enum LoaderError {
    #[error("failed to {action} {path}")]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("failed to read the CSV input near line {line}")]
    Read {
        line: u64,
        #[source]
        source: csv::Error,
    },

    #[error(
        "unrecognised CSV header: not the 30000-songs layout (missing {}) nor the Kaggle tracks layout (missing {})",
        .songs_missing.join(", "),
        .kaggle_missing.join(", ")
    )]
    UnknownLayout {
        songs_missing: Vec<String>,
        kaggle_missing: Vec<String>,
    },

    #[error("the input is empty: no header line")]
    EmptyInput,

    #[error("unrecognised header of an alias list: expected {expected}, found {found}")]
    AliasListHeader { expected: String, found: String },

    #[error("strict mode: {rejected} invalid rows, nothing was written")]
    StrictRejected { rejected: u64 },

    #[error("database error while {context}")]
    Database {
        context: &'static str,
        #[source]
        source: sea_orm::DbErr,
    },

    #[error("invalid database URL: {0}")]
    DatabaseUrl(String),

    #[error("the CSV reader stopped unexpectedly")]
    ReaderPanicked,

    #[error("Spotify rejected the client credentials (HTTP {status})")]
    SpotifyAuth { status: u16 },

    #[error("{service} {endpoint} is not available to this app (HTTP {status})")]
    ApiUnavailable {
        service: &'static str,
        endpoint: String,
        status: u16,
    },

    #[error("{service} {endpoint} knows no {item}")]
    ApiNotFound {
        service: &'static str,
        endpoint: String,
        item: String,
    },

    #[error("{service} {endpoint} answered HTTP {status}: {message}")]
    ApiStatus {
        service: &'static str,
        endpoint: String,
        status: u16,
        message: String,
    },

    #[error("{service} {endpoint} still failed after {attempts} attempts: {last}")]
    ApiGaveUp {
        service: &'static str,
        endpoint: String,
        attempts: u32,
        last: String,
    },

    /// A failure worth retrying (a dropped connection, a timeout, a 5xx), as met on the way to
    /// a request; the request's own retries decide when to give up.
    #[error("{service} {endpoint} failed: {message}")]
    ApiTransient {
        service: &'static str,
        endpoint: String,
        message: String,
    },

    #[error("{service} rate limits asked for more than {budget_secs} s of waiting in this run")]
    ApiWaitBudget {
        service: &'static str,
        budget_secs: u64,
    },

    #[error("{service} {endpoint} sent an unexpected payload for {item}")]
    ApiMalformed {
        service: &'static str,
        endpoint: String,
        item: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("invalid {service} client configuration: {message}")]
    ApiConfig {
        service: &'static str,
        message: String,
    },

    #[error("Spotify needs a user login: {reason}; run `sixpotify-loader spotify login` (token file {})", path.display())]
    SpotifyLogin {
        path: std::path::PathBuf,
        reason: String,
    },

    #[error("failed to {what}: {reason}")]
    Monitoring { what: String, reason: String },

    #[error("invalid Spotify configuration: {0}")]
    SpotifyConfig(String),

    #[error("export failed: {0}")]
    Export(String),

    /// An S3 request failed; the message names the object, never a credential.
    #[error("S3 {action} of {key} failed: {reason}")]
    S3 {
        action: &'static str,
        key: String,
        reason: String,
    },
}

impl LoaderError {
    /// Whether a web API's answer (or its absence) caused it, not the database or the input.
    pub fn is_web_api(&self) -> bool {
        matches!(
            self,
            Self::ApiUnavailable { .. }
                | Self::ApiNotFound { .. }
                | Self::ApiStatus { .. }
                | Self::ApiGaveUp { .. }
                | Self::ApiTransient { .. }
                | Self::ApiWaitBudget { .. }
                | Self::ApiMalformed { .. }
        )
    }

    pub(crate) fn db(context: &'static str) -> impl FnOnce(sea_orm::DbErr) -> Self {
        move |source| Self::Database { context, source }
    }
}

/// The loader's result type.
pub type Result<T, E = LoaderError> = std::result::Result<T, E>;
