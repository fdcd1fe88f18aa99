//! `load_runs`: one row per loader run. The id of the latest succeeded run is the data version
//! that API instances watch to know when their caches are stale.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "load_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What was loaded: a file path, `bundled-sample`, `spotify`.
    pub source: String,
    /// The kind of run (a command of the loader, or the bundled sample): a small fixed set, fit
    /// for a metric's label.
    pub kind: RunKind,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub status: RunStatus,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_rejected: i64,
    /// Why the run failed, in words fit for an operator (never a secret).
    pub error: Option<String>,
    /// A JSON object with what the run met on the way: for Spotify runs, requests, retries,
    /// 429s, failures and unavailability per endpoint, and the names that did not resolve.
    pub summary: Option<String>,
}

/// Where a run stands. A run killed midway stays `running`. A run stopped on request between two
/// batches is `cancelled`: what it wrote is whole, so it moves the data version like a
/// `succeeded` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RunStatus {
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl RunStatus {
    /// Whether a run with this status changes the data version: it ended at a batch boundary.
    pub fn moves_data_version(self) -> bool {
        matches!(self, Self::Succeeded | Self::Cancelled)
    }
}

/// The kinds of load runs. Runs recorded before kinds were are `file` (an import of a file) or
/// the kind their source names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum RunKind {
    /// `import-csv`.
    #[sea_orm(string_value = "csv")]
    Csv,
    /// `import-mpd`.
    #[sea_orm(string_value = "mpd")]
    Mpd,
    /// `import-aliases`.
    #[sea_orm(string_value = "aliases")]
    Aliases,
    /// `import-musicbrainz`.
    #[sea_orm(string_value = "musicbrainz")]
    MusicBrainz,
    /// `spotify` with artists.
    #[sea_orm(string_value = "spotify")]
    Spotify,
    /// `spotify --my-playlists`.
    #[sea_orm(string_value = "spotify-playlists")]
    SpotifyPlaylists,
    /// `audio-features`: audio features from ReccoBeats.
    #[sea_orm(string_value = "reccobeats")]
    ReccoBeats,
    /// The API's bundled sample, seeded into an empty database.
    #[sea_orm(string_value = "sample")]
    Sample,
    /// An import of a file recorded before runs had kinds.
    #[sea_orm(string_value = "file")]
    File,
    /// `export`: the catalog written out as Parquet. It writes nothing to the catalog, so it
    /// never moves the data version.
    #[sea_orm(string_value = "export")]
    Export,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
