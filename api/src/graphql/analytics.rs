//! Aggregates for BI tools, computed by the database: `catalogStats`, `genreStats`,
//! `featureHistogram`, `releaseYearStats` and `topArtists`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::connection::{db, load_in_order};
use super::features::{FeatureAverages, FeatureName, GenreStatsField};
use super::load_run::LoadRun;
use super::loader::ArtistKey;
use super::node::NodeType;
use super::types::Artist;
use crate::error::ApiError;
use crate::service::analytics::{self, ArtistRank, CatalogCounts, GenreStatsRow, YearStatsRow};
use crate::service::page::check_first;

/// The most bins a histogram may have.
const MAX_BINS: i32 = 100;

/// BI aggregates.
#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// How much the catalog holds, and the latest load run.
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
        #[graphql(
            desc = "The order of the genres; when null, by track count, most first (ties by \
                    genre id)."
        )]
        order_by: Option<GenreStatsOrder>,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
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

    /// How one audio feature is distributed: track counts in `bins` equal bins (1 to 100) from
    /// `from` to `to`, over every track with features or those of one genre. The range is 0–1
    /// by default, −60–0 for loudness and 0–250 for tempo; values outside it count in the
    /// first or last bin. Every bin is listed, empty ones with 0.
    async fn feature_histogram(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audio feature whose values are counted.")] feature: FeatureName,
        #[graphql(default = 20, desc = "How many equal bins to count in, 1 to 100.")] bins: i32,
        #[graphql(
            desc = "Only tracks of this genre, by its global id or its `catalogId` (the folded \
                    label, such as `dance pop`); every track with audio features when null."
        )]
        genre: Option<ID>,
        #[graphql(
            desc = "The lower end of the range binned; when null, the feature's default: 0, or \
                    -60 for loudness."
        )]
        from: Option<f64>,
        #[graphql(
            desc = "The upper end of the range binned; when null, the feature's default: 1, or \
                    0 for loudness and 250 for tempo."
        )]
        to: Option<f64>,
    ) -> Result<FeatureHistogram> {
        if !(1..=MAX_BINS).contains(&bins) {
            return Err(ApiError::bad_input(format!(
                "bins must be between 1 and {MAX_BINS}, not {bins}"
            ))
            .into());
        }
        let (default_from, default_to) = entity::Feature::from(feature).histogram_range();
        let (from, to) = (from.unwrap_or(default_from), to.unwrap_or(default_to));
        if !(from.is_finite() && to.is_finite() && from < to) {
            return Err(ApiError::bad_input(format!(
                "from must be below to, both finite; got {from} and {to}"
            ))
            .into());
        }
        let bins = bins as u32;
        let counts = analytics::feature_histogram(
            db(ctx),
            feature.into(),
            (from, to),
            bins,
            genre.map(|g| NodeType::Genre.catalog_id(&g)).as_deref(),
        )
        .await
        .map_err(ApiError::from)?;
        let width = (to - from) / f64::from(bins);
        let mut out: Vec<HistogramBin> = (0..bins)
            .map(|i| HistogramBin {
                from: from + width * f64::from(i),
                to: if i + 1 == bins {
                    to
                } else {
                    from + width * f64::from(i + 1)
                },
                tracks: 0,
            })
            .collect();
        for (bin, n) in counts {
            if let Some(b) = out.get_mut(bin as usize) {
                b.tracks += n;
            }
        }
        Ok(FeatureHistogram {
            feature,
            from,
            to,
            tracks: out.iter().map(|b| b.tracks).sum(),
            bins: out,
        })
    }

    /// Per release year (of the tracks' albums), from `from` to `to` inclusive: tracks, their
    /// average popularity and average audio features, over every track or those of one genre.
    /// Oldest first; years without tracks are absent.
    async fn release_year_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first release year included; no lower bound when null.")]
        from: Option<i32>,
        #[graphql(
            desc = "The last release year included, not before `from`; no upper bound when \
                    null."
        )]
        to: Option<i32>,
        #[graphql(
            desc = "Only tracks of this genre, by its global id or its `catalogId` (the folded \
                    label, such as `dance pop`); every track when null."
        )]
        genre: Option<ID>,
    ) -> Result<Vec<YearStats>> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(
                ApiError::bad_input(format!("from ({from}) must not be after to ({to})")).into(),
            );
        }
        let rows = analytics::release_year_stats(
            db(ctx),
            from,
            to,
            genre.map(|g| NodeType::Genre.catalog_id(&g)).as_deref(),
        )
        .await
        .map_err(ApiError::from)?;
        Ok(rows.into_iter().map(YearStats).collect())
    }

    /// The artists with the highest popularity, followers or track count, over the catalog or
    /// one genre; ties to the smaller id, artists without the figure last.
    async fn top_artists(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The figure to rank by.")] by: ArtistRankBy,
        #[graphql(
            desc = "Only artists of this genre, by its global id or its `catalogId` (the folded \
                    label, such as `dance pop`); every artist when null."
        )]
        genre: Option<ID>,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
    ) -> Result<Vec<TopArtist>> {
        let first = check_first(first, super::page_limit(ctx))?;
        let rank = match by {
            ArtistRankBy::Popularity => ArtistRank::Popularity,
            ArtistRankBy::Followers => ArtistRank::Followers,
            ArtistRankBy::TrackCount => ArtistRank::TrackCount,
        };
        let ranked = analytics::top_artists(
            db(ctx),
            rank,
            genre.map(|g| NodeType::Genre.catalog_id(&g)).as_deref(),
            first,
        )
        .await
        .map_err(ApiError::from)?;
        load_in_order(
            ctx,
            ranked,
            |r| ArtistKey(r.id.clone()),
            |r, artist| TopArtist {
                artist: Artist::new(artist),
                value: r.value,
            },
        )
        .await
    }
}

/// A distribution of one audio feature.
#[derive(Clone, Debug, SimpleObject)]
pub struct FeatureHistogram {
    /// The audio feature counted.
    pub feature: FeatureName,
    /// The lower end of the range binned: the `from` asked for, or the feature's default.
    pub from: f64,
    /// The upper end of the range binned: the `to` asked for, or the feature's default.
    pub to: f64,
    /// Tracks counted, over every bin.
    pub tracks: i64,
    /// The bins, lowest first; every one is listed, an empty one with 0 tracks.
    pub bins: Vec<HistogramBin>,
}

/// One bin: tracks with `from` ≤ value < `to` (the last bin includes `to`).
#[derive(Clone, Debug, SimpleObject)]
pub struct HistogramBin {
    /// The bin's lower bound, included.
    pub from: f64,
    /// The bin's upper bound, excluded except in the last bin.
    pub to: f64,
    /// Tracks in the bin; values below the histogram's range count in the first bin, values
    /// above it in the last.
    pub tracks: i64,
}

/// One release year's figures.
pub struct YearStats(YearStatsRow);

/// One release year's figures: its tracks, their average popularity and average audio features.
#[Object]
impl YearStats {
    /// The release year of the tracks' albums.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Tracks released that year (of the genre, when one was asked for).
    async fn tracks(&self) -> i64 {
        self.0.tracks
    }
    /// The average popularity (0–100) of the year's tracks that have one.
    async fn average_popularity(&self) -> Option<f64> {
        self.0.avg_popularity
    }
    /// The average audio features of the year's tracks.
    async fn average_features(&self) -> FeatureAverages {
        FeatureAverages(self.0.features.clone())
    }
}

/// What `topArtists` ranks by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum ArtistRankBy {
    /// Spotify's popularity, 0 to 100.
    Popularity,
    /// Spotify's follower count.
    Followers,
    /// Tracks the artist is credited on.
    TrackCount,
}

/// An artist and the figure it was ranked by.
pub struct TopArtist {
    artist: Artist,
    value: Option<i64>,
}

/// An artist of `topArtists`, and the figure it was ranked by.
#[Object]
impl TopArtist {
    /// The artist ranked.
    async fn artist(&self) -> &Artist {
        &self.artist
    }
    /// The popularity, followers or track count ranked by; null when the source gave none.
    async fn value(&self) -> Option<i64> {
        self.value
    }
}

/// How much the catalog holds.
pub struct CatalogStats {
    counts: CatalogCounts,
    latest: Option<entity::load_run::Model>,
}

/// How much the catalog holds, as counted at the end of the latest load run, and that run.
#[Object]
impl CatalogStats {
    /// Artists in the catalog.
    async fn artists(&self) -> i64 {
        self.counts.artists
    }
    /// Tracks in the catalog.
    async fn tracks(&self) -> i64 {
        self.counts.tracks
    }
    /// Albums in the catalog.
    async fn albums(&self) -> i64 {
        self.counts.albums
    }
    /// Genres in the catalog.
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

/// The order of `genreStats`: descending by default, ascending for `NAME`.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct GenreStatsOrder {
    /// What to order by.
    pub field: GenreStatsField,
    /// Ascending or descending; when null, names ascend and figures descend.
    pub direction: Option<super::inputs::SortDirection>,
}

/// One genre's figures.
pub struct GenreStats(GenreStatsRow);

/// One genre's figures: its tracks, its artists, their average popularity and average audio
/// features.
#[Object]
impl GenreStats {
    /// The genre's id: its folded label.
    async fn id(&self) -> &str {
        &self.0.id
    }
    /// The label as a source wrote it.
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
        FeatureAverages(self.0.features.clone())
    }
}
