//! `export --format parquet`: the catalog as a data lake of Parquet files, one folder per table
//! with a Hive-style partition per export date (`tracks/dt=2026-11-30/part-0.parquet`), for
//! DuckDB, Athena, Presto or Spark.
//!
//! Each table is read with one streamed statement, in id order, all in one read transaction (one
//! snapshot of the catalog), and written a row group at a time ([`parquet`]). Every file is
//! written to a staging folder first and published only once all are whole ([`store`]); a
//! failure while publishing takes back what was published, so a failure midway leaves no
//! partial partition and no partial export where engines look.
//! The run is recorded in `load_runs` (kind `export`); it writes nothing to the catalog, so it
//! does not move the data version.

pub mod parquet;
pub mod store;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use entity::RunKind;
use futures_util::TryStreamExt as _;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, IsolationLevel, Statement,
    StreamTrait, TransactionTrait,
};

use self::parquet::{Codec, Column, Kind, TableWriter};
use self::store::Target;
use crate::error::{LoaderError, Result};
use crate::load_run::{self, Ending, RunCounts};

/// One table of the lake: its folder, the rows it reads and their columns.
pub struct Table {
    pub name: &'static str,
    /// `FROM …` and whatever follows it, ordered by the table's key.
    pub from: &'static str,
    pub columns: &'static [Column],
}

const fn col(name: &'static str, kind: Kind, nullable: bool, sql: &'static str) -> Column {
    Column {
        name,
        kind,
        nullable,
        sql,
    }
}

use Kind::{Bool, Date, Double, Int32, Int64, Text, Timestamp};

/// Every table of the lake, in the order they are written and published.
pub const TABLES: &[Table] = &[
    Table {
        name: "tracks",
        from: "FROM tracks t LEFT JOIN albums al ON al.id = t.album_id \
               LEFT JOIN audio_features f ON f.track_id = t.id ORDER BY t.id",
        columns: &[
            col("id", Text, false, "t.id"),
            col("name", Text, true, "t.name"),
            col("album_id", Text, true, "t.album_id"),
            col("album_name", Text, true, "al.name"),
            col("album_type", Text, true, "al.album_type"),
            col("release_date", Date, true, "al.release_date"),
            col("release_year", Int32, true, "al.release_year"),
            col(
                "main_artist_id",
                Text,
                true,
                "(SELECT ta.artist_id FROM track_artists ta WHERE ta.track_id = t.id \
                 ORDER BY ta.position, ta.artist_id LIMIT 1)",
            ),
            col("duration_ms", Int32, false, "t.duration_ms"),
            col("explicit", Bool, true, "t.explicit"),
            col("popularity", Int32, true, "t.popularity"),
            col("track_number", Int32, true, "t.track_number"),
            col("isrc", Text, true, "t.isrc"),
            col("danceability", Double, true, "f.danceability"),
            col("energy", Double, true, "f.energy"),
            col("key", Int32, true, "f.`key`"),
            col("loudness", Double, true, "f.loudness"),
            col("mode", Int32, true, "f.mode"),
            col("speechiness", Double, true, "f.speechiness"),
            col("acousticness", Double, true, "f.acousticness"),
            col("instrumentalness", Double, true, "f.instrumentalness"),
            col("liveness", Double, true, "f.liveness"),
            col("valence", Double, true, "f.valence"),
            col("tempo", Double, true, "f.tempo"),
            col("time_signature", Int32, true, "f.time_signature"),
        ],
    },
    Table {
        name: "artists",
        from: "FROM artists a ORDER BY a.id",
        columns: &[
            col("id", Text, false, "a.id"),
            col("name", Text, false, "a.name"),
            col("popularity", Int32, true, "a.popularity"),
            col("followers", Int64, true, "a.followers"),
            col("image_url", Text, true, "a.image_url"),
            col("spotify_url", Text, true, "a.spotify_url"),
        ],
    },
    Table {
        name: "genres",
        from: "FROM genres g ORDER BY g.id",
        columns: &[
            col("id", Text, false, "g.id"),
            col("name", Text, false, "g.name"),
        ],
    },
    // The link tables' `id` joins their two keys with `/`: ids never hold one.
    Table {
        name: "track_genres",
        from: "FROM track_genres tg ORDER BY tg.track_id, tg.genre_id",
        columns: &[
            col("id", Text, false, "tg.track_id || '/' || tg.genre_id"),
            col("track_id", Text, false, "tg.track_id"),
            col("genre_id", Text, false, "tg.genre_id"),
        ],
    },
    Table {
        name: "artist_genres",
        from: "FROM artist_genres ag ORDER BY ag.artist_id, ag.genre_id",
        columns: &[
            col("id", Text, false, "ag.artist_id || '/' || ag.genre_id"),
            col("artist_id", Text, false, "ag.artist_id"),
            col("genre_id", Text, false, "ag.genre_id"),
        ],
    },
    Table {
        name: "track_artists",
        from: "FROM track_artists ta ORDER BY ta.track_id, ta.position, ta.artist_id",
        columns: &[
            col("id", Text, false, "ta.track_id || '/' || ta.artist_id"),
            col("track_id", Text, false, "ta.track_id"),
            col("artist_id", Text, false, "ta.artist_id"),
            col("position", Int32, false, "ta.position"),
        ],
    },
    Table {
        name: "playlists",
        from: "FROM playlists p ORDER BY p.id",
        columns: &[
            col("id", Text, false, "p.id"),
            col("name", Text, true, "p.name"),
            col("description", Text, true, "p.description"),
            col("owner", Text, true, "p.owner"),
            col("followers", Int64, true, "p.followers"),
            col("track_count", Int32, false, "p.track_count"),
            col("source", Text, false, "p.source"),
        ],
    },
    Table {
        name: "playlist_tracks",
        from: "FROM playlist_tracks pt ORDER BY pt.playlist_id, pt.position",
        columns: &[
            col(
                "id",
                Text,
                false,
                "pt.playlist_id || '/' || CAST(pt.position AS CHAR)",
            ),
            col("playlist_id", Text, false, "pt.playlist_id"),
            col("position", Int32, false, "pt.position"),
            col("track_id", Text, false, "pt.track_id"),
            col("added_at", Timestamp, true, "pt.added_at"),
        ],
    },
];

impl Table {
    fn statement(&self) -> String {
        let select: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} AS `{}`", c.sql, c.name))
            .collect();
        format!("SELECT {} {}", select.join(", "), self.from)
    }
}

/// What `export` is asked to do.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// A directory or `s3://bucket/prefix`.
    pub out: String,
    pub codec: Codec,
    /// The partition's date.
    pub date: NaiveDate,
    pub row_group_rows: usize,
    /// How to reach S3, for an `s3://` destination.
    pub s3: Option<store::S3Settings>,
}

/// One table as exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableReport {
    pub name: &'static str,
    pub rows: u64,
    pub bytes: u64,
    /// Its file under the destination.
    pub key: String,
}

/// What an export did.
#[derive(Debug)]
pub struct ExportReport {
    pub run_id: i64,
    pub tables: Vec<TableReport>,
    pub elapsed: Duration,
}

impl ExportReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }
}

/// The partition's file of `table`.
pub fn key(table: &str, date: NaiveDate) -> String {
    format!("{table}/dt={date}/part-0.parquet")
}

/// Writes every table to staging, then publishes them all, and records the run.
pub async fn export(db: &DatabaseConnection, options: &ExportOptions) -> Result<ExportReport> {
    let started = Instant::now();
    let target = Target::parse(&options.out, options.s3.as_ref())?;
    let run_id = load_run::start(db, RunKind::Export, &options.out, Utc::now()).await?;
    let outcome = write_and_publish(db, &target, options, run_id).await;
    let (tables, error) = match outcome {
        Ok(tables) => (tables, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let rows = tables.iter().map(|t| t.rows).sum();
    let ending = Ending {
        counts: RunCounts {
            read: rows,
            written: 0,
            rejected: 0,
        },
        cancelled: false,
        summary: None,
    };
    match load_run::conclude(db, run_id, ending, error).await {
        Some(e) => Err(e),
        None => Ok(ExportReport {
            run_id,
            tables,
            elapsed: started.elapsed(),
        }),
    }
}

async fn write_and_publish(
    db: &DatabaseConnection,
    target: &Target,
    options: &ExportOptions,
    run_id: i64,
) -> Result<Vec<TableReport>> {
    let staging = target.staging(run_id)?;
    let mut staged: Vec<(PathBuf, TableReport)> = Vec::new();
    // One snapshot for every table: InnoDB's repeatable read keeps the first read's view for the
    // whole transaction, and a SQLite read transaction sees one state of the file.
    let backend = db.get_database_backend();
    let (isolation, access) = if backend == DatabaseBackend::MySql {
        (
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
    } else {
        (None, None)
    };
    let snapshot = db
        .begin_with_config(isolation, access)
        .await
        .map_err(LoaderError::db("starting the export's read transaction"))?;
    for table in TABLES {
        let path = staging.path().join(format!("{}.parquet", table.name));
        let rows = write_table(&snapshot, table, &path, options).await?;
        let bytes = std::fs::metadata(&path)
            .map_err(|e| LoaderError::File {
                action: "measure",
                path: path.clone(),
                source: e,
            })?
            .len();
        tracing::info!(table = table.name, rows, bytes, "table written");
        staged.push((
            path,
            TableReport {
                name: table.name,
                rows,
                bytes,
                key: key(table.name, options.date),
            },
        ));
    }
    snapshot
        .commit()
        .await
        .map_err(LoaderError::db("ending the export's read transaction"))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| LoaderError::Export(format!("building the HTTP client: {e}")))?;
    let mut published = Vec::new();
    for (path, report) in &staged {
        match target.publish(&http, path, &report.key, run_id).await {
            Ok(p) => published.push(p),
            Err(e) => {
                target.undo(&http, &published).await;
                return Err(e);
            }
        }
        tracing::info!(key = %report.key, "published");
    }
    target.settle(&published);
    Ok(staged.into_iter().map(|(_, r)| r).collect())
}

/// Streams `table`'s rows into a Parquet file at `path`; gives the rows written.
async fn write_table(
    db: &(impl ConnectionTrait + StreamTrait),
    table: &Table,
    path: &std::path::Path,
    options: &ExportOptions,
) -> Result<u64> {
    let mut writer = TableWriter::create(
        path,
        table.name,
        table.columns,
        options.codec,
        options.row_group_rows,
    )?;
    let statement =
        Statement::from_string(ConnectionTrait::get_database_backend(db), table.statement());
    let context = "reading a table to export";
    // The stream (and its hold on the connection) ends before the file is closed.
    {
        let rows = db
            .stream_raw(statement)
            .await
            .map_err(LoaderError::db(context))?;
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await.map_err(LoaderError::db(context))? {
            writer.push(&row)?;
        }
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_keyed_by_an_id_column_first() {
        for t in TABLES {
            assert_eq!(t.columns[0].name, "id", "{}", t.name);
            assert!(!t.columns[0].nullable, "{}", t.name);
        }
    }

    #[test]
    fn a_partition_is_named_by_its_date_hive_style() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        assert_eq!(key("tracks", date), "tracks/dt=2026-11-30/part-0.parquet");
    }
}
