//! The load runs as GraphQL sees them: `LoadRun`, its status, and how each Spotify endpoint
//! behaved in it (read from the run's summary).

use async_graphql::{Enum, ID, Object};
use entity::load_run;
use entity::run_summary::{EndpointStats, RunSummary};

/// Where a load run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::RunStatus")]
pub enum RunStatus {
    /// Still loading, or killed midway (a killed run stays `RUNNING`).
    Running,
    /// Ended without error; its data is in.
    Succeeded,
    /// Ended with an error, given in `error`.
    Failed,
    /// Stopped on request between two batches; what it wrote is whole.
    Cancelled,
}

/// The kind of a load run: the loader's command, or the bundled sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::RunKind")]
pub enum RunKind {
    /// `import-csv`.
    Csv,
    /// `import-mpd`.
    Mpd,
    /// `import-aliases`.
    Aliases,
    /// `import-musicbrainz`.
    #[graphql(name = "MUSICBRAINZ")]
    MusicBrainz,
    /// `spotify` with artists.
    Spotify,
    /// `spotify --my-playlists`.
    SpotifyPlaylists,
    /// `audio-features`: audio features from ReccoBeats.
    #[graphql(name = "RECCOBEATS")]
    ReccoBeats,
    /// The bundled sample, seeded into an empty database.
    Sample,
    /// An import of a file recorded before runs had kinds.
    File,
    /// `export`: the catalog written out as Parquet (never moves the data version).
    Export,
}

/// One run of the loader.
pub struct LoadRun(pub load_run::Model);

/// One run of the loader: what it loaded, when, how it ended and what it counted.
#[Object]
impl LoadRun {
    /// The run's id, in start order; the latest succeeded or cancelled run's id is the
    /// `dataVersion`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What was loaded: a file path, `bundled-sample`, …
    async fn source(&self) -> &str {
        &self.0.source
    }
    /// The kind of run.
    async fn kind(&self) -> RunKind {
        self.0.kind.into()
    }
    /// RFC 3339.
    async fn started_at(&self) -> String {
        self.0.started_at.to_rfc3339()
    }
    /// When the run ended, RFC 3339; null while it runs (and for a run killed midway).
    async fn finished_at(&self) -> Option<String> {
        self.0.finished_at.map(|t| t.to_rfc3339())
    }
    /// Where the run stands.
    async fn status(&self) -> RunStatus {
        self.0.status.into()
    }
    /// Source rows or items read (CSV rows, playlist entries, …), rejected ones included; 0
    /// until the run ends.
    async fn rows_read(&self) -> i64 {
        self.0.rows_read
    }
    /// Source rows or items whose data was written to the catalog; 0 until the run ends.
    async fn rows_written(&self) -> i64 {
        self.0.rows_written
    }
    /// Source rows or items refused as invalid, never stored; 0 until the run ends.
    async fn rows_rejected(&self) -> i64 {
        self.0.rows_rejected
    }
    /// Why the run failed, in words fit for an operator; null unless it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// What the run met on the way, as the loader recorded it: for Spotify runs, names that did
    /// not resolve or were ambiguous, skipped items, artists loaded, and per-endpoint figures.
    /// Null for runs that recorded none.
    async fn summary(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        let text = self.0.summary.as_deref()?;
        serde_json::from_str(text).ok().map(async_graphql::Json)
    }
    /// Requests, retries, 429s, failures, skipped items and availability of each Spotify
    /// endpoint the run used, by endpoint; empty for other sources.
    async fn endpoints(&self) -> Vec<EndpointUsage> {
        let Some(summary) = self
            .0
            .summary
            .as_deref()
            .and_then(|s| serde_json::from_str::<RunSummary>(s).ok())
        else {
            return Vec::new();
        };
        summary
            .endpoints
            .into_iter()
            .map(|(endpoint, s)| EndpointUsage { endpoint, stats: s })
            .collect()
    }
}

/// How one Spotify endpoint behaved in a load run.
pub struct EndpointUsage {
    endpoint: String,
    stats: EndpointStats,
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// How one Spotify endpoint behaved in a load run.
#[Object]
impl EndpointUsage {
    /// `GET /artists/{id}/albums`, `POST /api/token`, …
    async fn endpoint(&self) -> &str {
        &self.endpoint
    }
    /// Requests sent, retries included.
    async fn requests(&self) -> i64 {
        clamp(self.stats.requests)
    }
    /// Requests sent again after a 5xx answer, a timeout or a dropped connection.
    async fn retries(&self) -> i64 {
        clamp(self.stats.retries)
    }
    /// 429 answers.
    async fn rate_limited(&self) -> i64 {
        clamp(self.stats.rate_limited)
    }
    /// Answers that failed (a retry may have mended them).
    async fn failures(&self) -> i64 {
        clamp(self.stats.failures)
    }
    /// Items left out because they came in an unexpected shape.
    async fn skipped(&self) -> i64 {
        clamp(self.stats.skipped)
    }
    /// The endpoint answered 403 or 404 as not available to this app.
    async fn unavailable(&self) -> bool {
        self.stats.unavailable
    }
}
