//! Aggregates for BI dashboards, each one statement in the database, never rows loaded into the
//! server. Counts and the per-genre, per-year and per-artist figures are read from the summary
//! tables the loader recomputes with `GROUP BY` at the end of each load run
//! (`loader::summary`); histograms and rankings by a stored column are computed per query.

use entity::Feature;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult, Statement};

/// The mean of each audio feature over a set of tracks; `None` where no track of the set has
/// features. Read from the columns named as the features.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMeans(pub [Option<f64>; Feature::COUNT]);

impl FeatureMeans {
    pub fn get(&self, feature: Feature) -> Option<f64> {
        self.0[feature.index()]
    }
}

impl FromQueryResult for FeatureMeans {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        super::feature_values(res, pre).map(Self)
    }
}

/// How many rows each part of the catalog holds.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct CatalogCounts {
    pub artists: i64,
    pub tracks: i64,
    pub albums: i64,
    pub genres: i64,
    pub tracks_with_features: i64,
}

/// Counts every part of the catalog, as of the last summary refresh.
pub async fn catalog_counts(db: &impl ConnectionTrait) -> Result<CatalogCounts, DbErr> {
    let sql = "SELECT artists, tracks, albums, genres, tracks_with_features \
        FROM catalog_summary WHERE id = 1";
    CatalogCounts::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .one(db)
    .await?
    .ok_or_else(|| DbErr::RecordNotFound("catalog summary".into()))
}

/// What `genre_stats` orders by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenreStatsSort {
    Tracks,
    Artists,
    Popularity,
    Name,
    Feature(Feature),
}

impl GenreStatsSort {
    /// The column of the statement's result; only names from this module, never client text.
    fn column(self) -> &'static str {
        match self {
            Self::Tracks => "tracks",
            Self::Artists => "artists",
            Self::Popularity => "avg_popularity",
            Self::Name => "name",
            Self::Feature(f) => f.name(),
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
    #[sea_orm(nested)]
    pub features: FeatureMeans,
}

/// Per genre: its tracks, its artists, the tracks' average popularity and the average of each
/// audio feature over its tracks that have features; `first` genres in the order asked, ties
/// broken by genre id. Read from `genre_summaries`.
pub async fn genre_stats(
    db: &impl ConnectionTrait,
    sort: GenreStatsSort,
    descending: bool,
    first: u64,
) -> Result<Vec<GenreStatsRow>, DbErr> {
    let features: String = Feature::ALL
        .iter()
        .map(|f| format!(", s.{f} AS {f}"))
        .collect();
    let direction = if descending { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT g.id AS id, g.name AS name, \
           COALESCE(s.tracks, 0) AS tracks, COALESCE(s.artists, 0) AS artists, \
           s.avg_popularity AS avg_popularity{features} \
         FROM genres g \
         LEFT JOIN genre_summaries s ON s.genre_id = g.id \
         ORDER BY {column} {direction}, g.id {direction} \
         LIMIT {first}",
        column = sort.column(),
    );
    GenreStatsRow::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await
}

/// Track counts in `bins` equal bins of `[from, to]` of one audio feature, of the tracks of
/// `genre` when given. Values outside the range count in the first or last bin. Bins without
/// tracks are absent; one `GROUP BY` in the database.
pub async fn feature_histogram(
    db: &impl ConnectionTrait,
    feature: Feature,
    (from, to): (f64, f64),
    bins: u32,
    genre: Option<&str>,
) -> Result<Vec<(u32, i64)>, DbErr> {
    let column = feature.name();
    let backend = db.get_database_backend();
    let scaled = format!("(f.{column} - ({from:e})) * {bins} / (({to:e}) - ({from:e}))");
    let last = bins.saturating_sub(1);
    // The bin, clamped into the range in the same expression: a derived table with `CASE`
    // took a third longer over a million tracks. MySQL rounds a cast to an integer, so the
    // floor comes first; SQLite truncates, which is the floor for what the clamp keeps
    // (negative bins become the first bin either way).
    let bin = if backend == sea_orm::DatabaseBackend::Sqlite {
        format!("MIN(MAX(CAST({scaled} AS INTEGER), 0), {last})")
    } else {
        format!("LEAST(GREATEST(CAST(FLOOR({scaled}) AS SIGNED), 0), {last})")
    };
    let (join, values) = match genre {
        Some(g) => (
            "JOIN track_genres tg ON tg.track_id = f.track_id AND tg.genre_id = ?",
            vec![sea_orm::Value::from(g.to_owned())],
        ),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT {bin} AS bin, COUNT(*) AS n FROM audio_features f {join} GROUP BY bin ORDER BY bin"
    );
    #[derive(FromQueryResult)]
    struct Bin {
        bin: i64,
        n: i64,
    }
    let rows = Bin::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (u32::try_from(r.bin).unwrap_or(0), r.n))
        .collect())
}

/// One release year's figures.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct YearStatsRow {
    pub year: i32,
    pub tracks: i64,
    pub avg_popularity: Option<f64>,
    #[sea_orm(nested)]
    pub features: FeatureMeans,
}

/// Per release year of the tracks' albums, from `from` to `to` (inclusive, either open):
/// tracks, their average popularity and average features, of the tracks of `genre` when given.
/// Years without tracks are absent. Read from `year_summaries`, where the empty genre id
/// stands for the whole catalog.
pub async fn release_year_stats(
    db: &impl ConnectionTrait,
    from: Option<i32>,
    to: Option<i32>,
    genre: Option<&str>,
) -> Result<Vec<YearStatsRow>, DbErr> {
    let features: String = Feature::ALL.iter().map(|f| format!(", {f}")).collect();
    let mut values = vec![sea_orm::Value::from(genre.unwrap_or("").to_owned())];
    let mut filters = vec!["genre_id = ?"];
    if let Some(from) = from {
        filters.push("release_year >= ?");
        values.push(sea_orm::Value::from(from));
    }
    if let Some(to) = to {
        filters.push("release_year <= ?");
        values.push(sea_orm::Value::from(to));
    }
    let sql = format!(
        "SELECT release_year AS year, tracks, avg_popularity{features} \
         FROM year_summaries WHERE {} ORDER BY release_year",
        filters.join(" AND ")
    );
    YearStatsRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .all(db)
    .await
}

/// What `top_artists` ranks by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtistRank {
    Popularity,
    Followers,
    TrackCount,
}

/// An artist's id and the figure it was ranked by.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct RankedArtist {
    pub id: String,
    pub value: Option<i64>,
}

/// The `first` artists with the highest figure `by`, of `genre` when given; ties to the smaller
/// id, artists without the figure last. One statement.
pub async fn top_artists(
    db: &impl ConnectionTrait,
    by: ArtistRank,
    genre: Option<&str>,
    first: u64,
) -> Result<Vec<RankedArtist>, DbErr> {
    let (join, values) = match genre {
        Some(g) => (
            "JOIN artist_genres ag ON ag.artist_id = a.id AND ag.genre_id = ?",
            vec![sea_orm::Value::from(g.to_owned())],
        ),
        None => ("", Vec::new()),
    };
    let sql = match by {
        ArtistRank::Popularity | ArtistRank::Followers => {
            let column = if by == ArtistRank::Popularity {
                "popularity"
            } else {
                "followers"
            };
            format!(
                "SELECT a.id AS id, CAST(a.{column} AS SIGNED) AS value FROM artists a {join} \
                 ORDER BY a.{column} IS NULL, a.{column} DESC, a.id LIMIT {first}"
            )
        }
        // Counted by the loader into `artist_track_counts`, whose index is in this order.
        ArtistRank::TrackCount => format!(
            "SELECT c.artist_id AS id, c.tracks AS value FROM artist_track_counts c \
             {join} ORDER BY c.tracks DESC, c.artist_id LIMIT {first}",
            join = join.replace("a.id", "c.artist_id"),
        ),
    };
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Sqlite {
        sql.replace("AS SIGNED)", "AS INTEGER)")
    } else {
        sql
    };
    RankedArtist::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await
}
