//! The BI summaries: per genre, per release year (of the whole catalog and of each genre),
//! each artist's track count, the catalog's counts and the flattened facts that group-by
//! aggregates read (`track_facts`, `track_genre_facts`, `fact_artists`), recomputed by the
//! database with `INSERT … SELECT` in one transaction.
//!
//! [`crate::load_run::conclude`] refreshes them at the end of every run that wrote rows, before
//! the run is recorded, so they change with the data version the API follows; [`ensure`] fills
//! them once in a database that predates them. Readers never see a half-built summary: the
//! transaction replaces them whole.

use chrono::Utc;
use entity::Feature;
use entity::track_facts;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, IsolationLevel, Statement,
    TransactionTrait,
};
use tracing::{Instrument as _, info};

use crate::error::{LoaderError, Result};

/// `, AVG(f.<feature>)` for every feature, in the order of [`averaged_columns`].
fn feature_averages() -> String {
    Feature::ALL
        .map(Feature::name)
        .iter()
        .map(|f| format!(", AVG(f.{f})"))
        .collect()
}

/// The columns after a summary row's track count: average popularity, then every feature.
fn averaged_columns() -> String {
    std::iter::once("avg_popularity")
        .chain(Feature::ALL.map(Feature::name))
        .map(|c| format!(", {c}"))
        .collect()
}

/// How a statement walks the catalog in primary-key order: on MySQL/MariaDB the join order is
/// forced (`STRAIGHT_JOIN`, the primary key of the first table), so that every lookup by track
/// id comes in ascending order and reads pages in sequence. Left to itself, the optimiser drives
/// from an index in popularity order and looks tracks up at random, which took eight times as
/// long over a million tracks with the default 128 MiB buffer pool. SQLite's plan is already
/// in key order.
struct Walk {
    genres_then_tracks: &'static str,
    tracks_then_albums: &'static str,
}

impl Walk {
    fn of(backend: DatabaseBackend) -> Self {
        if backend == DatabaseBackend::MySql {
            Self {
                genres_then_tracks: "track_genres tg FORCE INDEX (PRIMARY) STRAIGHT_JOIN tracks t",
                tracks_then_albums: "tracks t FORCE INDEX (PRIMARY) STRAIGHT_JOIN albums al",
            }
        } else {
            Self {
                genres_then_tracks: "track_genres tg JOIN tracks t",
                tracks_then_albums: "tracks t JOIN albums al",
            }
        }
    }
}

/// The statements that rebuild every summary, in order.
fn statements(backend: DatabaseBackend) -> Vec<String> {
    let walk = Walk::of(backend);
    let averages = feature_averages();
    let columns = averaged_columns();
    let popularity = "AVG(CAST(t.popularity AS DOUBLE))";
    let outer: String = std::iter::once("avg_popularity")
        .chain(Feature::ALL.map(Feature::name))
        .map(|c| format!(", s.{c}"))
        .collect();
    vec![
        "DELETE FROM genre_summaries".into(),
        "DELETE FROM year_summaries".into(),
        "DELETE FROM artist_track_counts".into(),
        "DELETE FROM catalog_summary".into(),
        // Per genre.
        format!(
            "INSERT INTO genre_summaries (genre_id, tracks, artists{columns}) \
             SELECT g.id, COALESCE(s.tracks, 0), COALESCE(a.artists, 0){outer} \
             FROM genres g \
             LEFT JOIN (SELECT tg.genre_id AS genre_id, COUNT(*) AS tracks, \
                  {popularity} AS avg_popularity{named} \
                FROM {genres_then_tracks} ON t.id = tg.track_id \
                LEFT JOIN audio_features f ON f.track_id = tg.track_id \
                GROUP BY tg.genre_id) s ON s.genre_id = g.id \
             LEFT JOIN (SELECT genre_id, COUNT(*) AS artists FROM artist_genres \
                GROUP BY genre_id) a ON a.genre_id = g.id",
            named = Feature::ALL
                .map(Feature::name)
                .iter()
                .map(|f| format!(", AVG(f.{f}) AS {f}"))
                .collect::<String>(),
            genres_then_tracks = walk.genres_then_tracks,
        ),
        // Per release year of the whole catalog, under the empty genre id.
        format!(
            "INSERT INTO year_summaries (genre_id, release_year, tracks{columns}) \
             SELECT '', al.release_year, COUNT(*), {popularity}{averages} \
             FROM {tracks_then_albums} ON al.id = t.album_id \
             LEFT JOIN audio_features f ON f.track_id = t.id \
             WHERE al.release_year IS NOT NULL \
             GROUP BY al.release_year",
            tracks_then_albums = walk.tracks_then_albums,
        ),
        // Per genre and release year.
        format!(
            "INSERT INTO year_summaries (genre_id, release_year, tracks{columns}) \
             SELECT tg.genre_id, al.release_year, COUNT(*), {popularity}{averages} \
             FROM {genres_then_tracks} ON t.id = tg.track_id \
             {join} albums al ON al.id = t.album_id \
             LEFT JOIN audio_features f ON f.track_id = tg.track_id \
             WHERE al.release_year IS NOT NULL \
             GROUP BY tg.genre_id, al.release_year",
            genres_then_tracks = walk.genres_then_tracks,
            join = if backend == DatabaseBackend::MySql {
                "STRAIGHT_JOIN"
            } else {
                "JOIN"
            },
        ),
        "INSERT INTO artist_track_counts (artist_id, tracks) \
         SELECT artist_id, COUNT(*) FROM track_artists GROUP BY artist_id"
            .into(),
    ]
    .into_iter()
    .chain(facts_statements())
    .collect()
}

/// The columns of the facts after the genre and the track, each quoted
/// (`key` is a reserved word in MySQL; SQLite takes the same backquotes), with the expression
/// that fills it from `tracks t`, `albums al` and `audio_features f`.
fn fact_columns() -> Vec<(String, String)> {
    // The main artist's number: the first credited. A correlated lookup rather than a join on
    // `position = 0`, so that a track always gives exactly one row.
    let main_artist = format!(
        "(SELECT fa.no FROM track_artists ta \
         JOIN {} fa ON fa.artist_id = ta.artist_id \
         WHERE ta.track_id = t.id ORDER BY ta.position, ta.artist_id LIMIT 1)",
        track_facts::ARTISTS
    );
    let mut columns: Vec<(String, String)> = [
        ("release_year", "al.release_year"),
        ("album_type", "al.album_type"),
        ("artist_no", main_artist.as_str()),
        ("explicit", "t.explicit"),
        ("popularity", "t.popularity"),
        ("duration_ms", "t.duration_ms"),
        ("key", "f.`key`"),
        ("mode", "f.mode"),
        ("time_signature", "f.time_signature"),
    ]
    .into_iter()
    .map(|(c, e)| (c.to_owned(), e.to_owned()))
    .collect();
    for f in Feature::ALL {
        columns.push((f.name().to_owned(), format!("f.{f}")));
    }
    columns
        .into_iter()
        .map(|(c, e)| (format!("`{c}`"), e))
        .collect()
}

/// Rebuilds `fact_artists` (the artists numbered in id order), `track_facts` (one row per
/// track) and, from it, `track_genre_facts` (its row under each of the track's genres, or under
/// the empty genre id).
fn facts_statements() -> Vec<String> {
    let (table, by_genre, artists) = (
        track_facts::TABLE,
        track_facts::GENRE_TABLE,
        track_facts::ARTISTS,
    );
    let columns = fact_columns();
    let names: String = columns.iter().map(|(c, _)| format!(", {c}")).collect();
    let values: String = columns.iter().map(|(_, e)| format!(", {e}")).collect();
    let copied: String = columns.iter().map(|(c, _)| format!(", tf.{c}")).collect();
    vec![
        format!("DELETE FROM {by_genre}"),
        format!("DELETE FROM {table}"),
        format!("DELETE FROM {artists}"),
        format!(
            "INSERT INTO {artists} (no, artist_id) \
             SELECT ROW_NUMBER() OVER (ORDER BY id), id FROM artists"
        ),
        format!(
            "INSERT INTO {table} (track_id{names}) \
             SELECT t.id{values} \
             FROM tracks t \
             LEFT JOIN albums al ON al.id = t.album_id \
             LEFT JOIN audio_features f ON f.track_id = t.id"
        ),
        format!(
            "INSERT INTO {by_genre} (genre_id, track_id{names}) \
             SELECT COALESCE(tg.genre_id, ''), tf.track_id{copied} \
             FROM {table} tf \
             LEFT JOIN track_genres tg ON tg.track_id = tf.track_id"
        ),
    ]
}

/// Rebuilds every summary from the catalog in one transaction, done again from scratch when the
/// connection dies or the transaction loses a conflict ([`crate::retry`]).
pub async fn refresh(db: &DatabaseConnection) -> Result<()> {
    let started = std::time::Instant::now();
    let galera = crate::galera::detect(db).await;
    crate::retry::transiently("refreshing the BI summaries", || refresh_once(db, galera))
        .instrument(tracing::debug_span!("summary.refresh"))
        .await
        .map_err(LoaderError::db("refreshing the BI summaries"))?;
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "BI summaries refreshed"
    );
    Ok(())
}

async fn refresh_once(db: &DatabaseConnection, galera: bool) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    // Read committed: the aggregates read the catalog without locking it (InnoDB would
    // otherwise lock every row an INSERT … SELECT reads).
    let isolation = (backend == DatabaseBackend::MySql).then_some(IsolationLevel::ReadCommitted);
    let txn = db
        .begin_with_config(isolation, Some(AccessMode::ReadWrite))
        .await?;
    if galera {
        // Millions of rows: replicated in fragments as they are written, not as one write-set
        // at commit.
        txn.execute_unprepared(crate::galera::STREAM_LARGE_TRANSACTION)
            .await?;
    }
    for sql in statements(backend) {
        txn.execute_raw(Statement::from_string(backend, sql))
            .await?;
    }
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO catalog_summary (id, artists, tracks, albums, genres, tracks_with_features, refreshed_at) \
         SELECT 1, (SELECT COUNT(*) FROM artists), (SELECT COUNT(*) FROM tracks), \
           (SELECT COUNT(*) FROM albums), (SELECT COUNT(*) FROM genres), \
           (SELECT COUNT(*) FROM audio_features), ?",
        [Utc::now().into()],
    ))
    .await?;
    if galera {
        // The setting belongs to the pooled connection, which outlives the transaction.
        txn.execute_unprepared(crate::galera::STREAM_NONE).await?;
    }
    txn.commit().await
}

/// Fills the summaries when they have never been computed, or when the catalog has tracks and
/// `track_facts` none (a database from before either existed); a no-op otherwise.
pub async fn ensure(db: &DatabaseConnection) -> Result<()> {
    let missing = format!(
        "SELECT (SELECT COUNT(*) FROM catalog_summary) = 0 \
           OR (NOT EXISTS (SELECT 1 FROM {}) AND EXISTS (SELECT 1 FROM tracks))",
        track_facts::TABLE
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), missing))
        .await
        .map_err(LoaderError::db("reading the catalog summary"))?;
    let missing = row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(1);
    if missing != 0 {
        refresh(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::track_facts::{Dimension, Measure};

    #[test]
    fn every_dimension_and_measure_has_a_fact_column() {
        let columns = fact_columns();
        let named =
            |c: &str| c == "genre_id" || columns.iter().any(|(n, _)| *n == format!("`{c}`"));
        for d in Dimension::ALL {
            assert!(named(d.column()), "{d:?}");
        }
        for m in Measure::ALL {
            assert!(named(m.column()), "{m:?}");
        }
    }

    #[test]
    fn every_insert_names_as_many_columns_as_it_selects() {
        let all = [DatabaseBackend::MySql, DatabaseBackend::Sqlite].map(statements);
        for sql in all.iter().flatten().filter(|s| s.starts_with("INSERT")) {
            let (head, body) = sql.split_once(" SELECT ").unwrap_or_default();
            let named = head.matches(',').count();
            // Top-level commas of the select list, up to the first FROM outside parentheses.
            let mut depth = 0i32;
            let mut commas = 0;
            for (i, c) in body.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => commas += 1,
                    _ if depth == 0 && body[i..].starts_with(" FROM ") => break,
                    _ => {}
                }
            }
            assert_eq!(named, commas, "{sql}");
        }
    }
}
