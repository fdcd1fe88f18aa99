//! The BI summaries: per genre, per release year (of the whole catalog and of each genre),
//! each artist's track count and the catalog's counts, recomputed by the database with
//! `INSERT … SELECT … GROUP BY` in one transaction.
//!
//! [`crate::load_run::conclude`] refreshes them at the end of every run that wrote rows, before
//! the run is recorded, so they change with the data version the API follows; [`ensure`] fills
//! them once in a database that predates them. Readers never see a half-built summary: the
//! transaction replaces them whole.

use chrono::Utc;
use entity::Feature;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, IsolationLevel, Statement,
    TransactionTrait,
};
use tracing::info;

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
}

/// Rebuilds every summary from the catalog in one transaction.
pub async fn refresh(db: &DatabaseConnection) -> Result<()> {
    let started = std::time::Instant::now();
    let backend = db.get_database_backend();
    // Read committed: the aggregates read the catalog without locking it (InnoDB would
    // otherwise lock every row an INSERT … SELECT reads).
    let isolation = (backend == DatabaseBackend::MySql).then_some(IsolationLevel::ReadCommitted);
    let txn = db
        .begin_with_config(isolation, Some(AccessMode::ReadWrite))
        .await
        .map_err(LoaderError::db("starting the summary refresh"))?;
    for sql in statements(backend) {
        txn.execute_raw(Statement::from_string(backend, sql))
            .await
            .map_err(LoaderError::db("refreshing the BI summaries"))?;
    }
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO catalog_summary (id, artists, tracks, albums, genres, tracks_with_features, refreshed_at) \
         SELECT 1, (SELECT COUNT(*) FROM artists), (SELECT COUNT(*) FROM tracks), \
           (SELECT COUNT(*) FROM albums), (SELECT COUNT(*) FROM genres), \
           (SELECT COUNT(*) FROM audio_features), ?",
        [Utc::now().into()],
    ))
    .await
    .map_err(LoaderError::db("refreshing the catalog counts"))?;
    txn.commit()
        .await
        .map_err(LoaderError::db("committing the summary refresh"))?;
    info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "BI summaries refreshed"
    );
    Ok(())
}

/// Fills the summaries when they have never been computed (a database from before they
/// existed); a no-op otherwise.
pub async fn ensure(db: &DatabaseConnection) -> Result<()> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM catalog_summary",
        ))
        .await
        .map_err(LoaderError::db("reading the catalog summary"))?;
    let present = row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    if present == 0 {
        refresh(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
