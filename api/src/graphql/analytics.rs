//! Aggregates for BI tools: `catalogStats` and `genreStats`, computed by the database.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};

use super::types::{LoadRun, db};
use crate::error::ApiError;
use crate::service::analytics::{self, CatalogCounts, GenreStatsRow, GenreStatsSort};
use crate::service::page::check_first;

/// BI aggregates.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// How much the catalogue holds, and the latest load run.
    async fn catalog_stats(&self, ctx: &Context<'_>) -> Result<CatalogStats> {
        let counts = analytics::catalog_counts(db(ctx))
            .await
            .map_err(ApiError::from)?;
        let latest = crate::service::load_runs(db(ctx), None, 1)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .next();
        Ok(CatalogStats { counts, latest })
    }

    /// Per genre: tracks, artists, the tracks' average popularity and average audio features.
    /// Ordered by track count, most first, unless asked otherwise; ties by genre id.
    async fn genre_stats(
        &self,
        ctx: &Context<'_>,
        order_by: Option<GenreStatsOrder>,
        #[graphql(default = 20)] first: i32,
    ) -> Result<Vec<GenreStats>> {
        let first = check_first(first, super::page_limit(ctx))?;
        let order = order_by.unwrap_or(GenreStatsOrder {
            field: GenreStatsField::Tracks,
            direction: None,
        });
        let descending = match order.direction {
            Some(d) => d == super::inputs::SortDirection::Desc,
            None => order.field != GenreStatsField::Name,
        };
        let rows = analytics::genre_stats(db(ctx), order.field.sort(), descending, first)
            .await
            .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(GenreStats).collect())
    }
}

/// How much the catalogue holds.
pub struct CatalogStats {
    counts: CatalogCounts,
    latest: Option<entity::load_run::Model>,
}

#[Object]
impl CatalogStats {
    async fn artists(&self) -> i64 {
        self.counts.artists
    }
    async fn tracks(&self) -> i64 {
        self.counts.tracks
    }
    async fn albums(&self) -> i64 {
        self.counts.albums
    }
    async fn genres(&self) -> i64 {
        self.counts.genres
    }
    /// Tracks that have audio features.
    async fn tracks_with_features(&self) -> i64 {
        self.counts.tracks_with_features
    }
    /// The most recent load run, whatever its status; null before the first.
    async fn latest_load_run(&self) -> Option<LoadRun> {
        self.latest.clone().map(LoadRun)
    }
}

/// What `genreStats` is ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum GenreStatsField {
    Tracks,
    Artists,
    Popularity,
    Name,
    Danceability,
    Energy,
    Loudness,
    Speechiness,
    Acousticness,
    Instrumentalness,
    Liveness,
    Valence,
    Tempo,
}

impl GenreStatsField {
    fn sort(self) -> GenreStatsSort {
        match self {
            Self::Tracks => GenreStatsSort::Tracks,
            Self::Artists => GenreStatsSort::Artists,
            Self::Popularity => GenreStatsSort::Popularity,
            Self::Name => GenreStatsSort::Name,
            Self::Danceability => GenreStatsSort::Feature(0),
            Self::Energy => GenreStatsSort::Feature(1),
            Self::Loudness => GenreStatsSort::Feature(2),
            Self::Speechiness => GenreStatsSort::Feature(3),
            Self::Acousticness => GenreStatsSort::Feature(4),
            Self::Instrumentalness => GenreStatsSort::Feature(5),
            Self::Liveness => GenreStatsSort::Feature(6),
            Self::Valence => GenreStatsSort::Feature(7),
            Self::Tempo => GenreStatsSort::Feature(8),
        }
    }
}

/// The order of `genreStats`: descending by default, ascending for `NAME`.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct GenreStatsOrder {
    pub field: GenreStatsField,
    pub direction: Option<super::inputs::SortDirection>,
}

/// The average of each audio feature over a set of tracks, on the raw scale; null where no
/// track of the set has features.
#[derive(Clone, Debug, SimpleObject)]
pub struct FeatureAverages {
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

impl From<[Option<f64>; 9]> for FeatureAverages {
    fn from(f: [Option<f64>; 9]) -> Self {
        Self {
            danceability: f[0],
            energy: f[1],
            loudness: f[2],
            speechiness: f[3],
            acousticness: f[4],
            instrumentalness: f[5],
            liveness: f[6],
            valence: f[7],
            tempo: f[8],
        }
    }
}

/// One genre's figures.
pub struct GenreStats(GenreStatsRow);

#[Object]
impl GenreStats {
    /// The genre's id: its folded label.
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Tracks labelled with the genre.
    async fn tracks(&self) -> i64 {
        self.0.tracks
    }
    /// Artists labelled with the genre.
    async fn artists(&self) -> i64 {
        self.0.artists
    }
    /// The average popularity (0–100) of its tracks that have one.
    async fn average_popularity(&self) -> Option<f64> {
        self.0.avg_popularity
    }
    /// The average audio features of its tracks.
    async fn average_features(&self) -> FeatureAverages {
        self.0.features().into()
    }
}
