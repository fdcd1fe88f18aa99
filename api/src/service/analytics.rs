//! Aggregates for BI dashboards, each computed by the database in one statement (`COUNT`,
//! `AVG`, `GROUP BY`), never by loading rows into the server.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

/// The audio features averaged by the aggregates, as columns of `audio_features`.
pub const FEATURES: [&str; 9] = [
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
];

/// How many rows each part of the catalogue holds.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct CatalogCounts {
    pub artists: i64,
    pub tracks: i64,
    pub albums: i64,
    pub genres: i64,
    pub tracks_with_features: i64,
}

/// Counts every part of the catalogue in one statement.
pub async fn catalog_counts(db: &impl ConnectionTrait) -> Result<CatalogCounts, DbErr> {
    let sql = "SELECT \
        (SELECT COUNT(*) FROM artists) AS artists, \
        (SELECT COUNT(*) FROM tracks) AS tracks, \
        (SELECT COUNT(*) FROM albums) AS albums, \
        (SELECT COUNT(*) FROM genres) AS genres, \
        (SELECT COUNT(*) FROM audio_features) AS tracks_with_features";
    CatalogCounts::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .one(db)
    .await?
    .ok_or_else(|| DbErr::RecordNotFound("catalogue counts".into()))
}

/// What `genre_stats` orders by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenreStatsSort {
    Tracks,
    Artists,
    Popularity,
    Name,
    /// One of [`FEATURES`], by index.
    Feature(usize),
}

impl GenreStatsSort {
    /// The column of the statement's result; only names from this module, never client text.
    fn column(self) -> &'static str {
        match self {
            Self::Tracks => "tracks",
            Self::Artists => "artists",
            Self::Popularity => "avg_popularity",
            Self::Name => "name",
            Self::Feature(i) => FEATURES.get(i).copied().unwrap_or("tracks"),
        }
    }
}

/// One genre's figures.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct GenreStatsRow {
    pub id: String,
    pub name: String,
    pub tracks: i64,
    pub artists: i64,
    pub avg_popularity: Option<f64>,
    pub danceability: Option<f64>,
    pub energy: Option<f64>,
    pub loudness: Option<f64>,
    pub speechiness: Option<f64>,
    pub acousticness: Option<f64>,
    pub instrumentalness: Option<f64>,
    pub liveness: Option<f64>,
    pub valence: Option<f64>,
    pub tempo: Option<f64>,
}

impl GenreStatsRow {
    /// The averages of [`FEATURES`], in that order.
    pub fn features(&self) -> [Option<f64>; 9] {
        [
            self.danceability,
            self.energy,
            self.loudness,
            self.speechiness,
            self.acousticness,
            self.instrumentalness,
            self.liveness,
            self.valence,
            self.tempo,
        ]
    }
}

/// Per genre: its tracks, its artists, the tracks' average popularity and the average of each
/// audio feature over its tracks that have features; `first` genres in the order asked, ties
/// broken by genre id. Two `GROUP BY`s in one statement.
pub async fn genre_stats(
    db: &impl ConnectionTrait,
    sort: GenreStatsSort,
    descending: bool,
    first: u64,
) -> Result<Vec<GenreStatsRow>, DbErr> {
    let averages: String = FEATURES
        .iter()
        .map(|f| format!(", AVG(f.{f}) AS {f}"))
        .collect();
    let outer: String = FEATURES.iter().map(|f| format!(", t.{f} AS {f}")).collect();
    let direction = if descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT g.id AS id, g.name AS name, \
           COALESCE(t.tracks, 0) AS tracks, COALESCE(a.artists, 0) AS artists, \
           t.avg_popularity AS avg_popularity{outer} \
         FROM genres g \
         LEFT JOIN (SELECT tg.genre_id, COUNT(*) AS tracks, \
              AVG(CAST(tr.popularity AS DOUBLE)) AS avg_popularity{averages} \
            FROM track_genres tg \
            JOIN tracks tr ON tr.id = tg.track_id \
            LEFT JOIN audio_features f ON f.track_id = tg.track_id \
            GROUP BY tg.genre_id) t ON t.genre_id = g.id \
         LEFT JOIN (SELECT genre_id, COUNT(*) AS artists FROM artist_genres GROUP BY genre_id) a \
           ON a.genre_id = g.id \
         ORDER BY {column} {direction}, g.id {direction} \
         LIMIT {first}",
        column = sort.column(),
    );
    GenreStatsRow::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await
}
