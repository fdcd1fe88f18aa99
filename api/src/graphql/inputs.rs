//! GraphQL inputs: filters and orderings, checked and turned into service-layer values.

use async_graphql::{Enum, ID, InputObject};
use sixpotify_loader::normalize::{genre_id, search_key};

use crate::error::{ApiError, Result};
use crate::service::catalog::{
    ArtistFilter, ArtistSort, Feature, GenreSort, Range, TrackFilter, TrackSort,
};

/// An inclusive integer range; either end may be left out.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct IntRange {
    pub min: Option<i32>,
    pub max: Option<i32>,
}

/// An inclusive range of numbers; either end may be left out.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct FloatRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

fn check_order<T: PartialOrd + std::fmt::Display>(
    name: &str,
    min: Option<T>,
    max: Option<T>,
) -> Result<()> {
    if let (Some(min), Some(max)) = (&min, &max)
        && min > max
    {
        return Err(ApiError::bad_input(format!(
            "`{name}`: min {min} is above max {max}"
        )));
    }
    Ok(())
}

impl IntRange {
    fn check(self, name: &str) -> Result<Range<i32>> {
        check_order(name, self.min, self.max)?;
        Ok(Range {
            min: self.min,
            max: self.max,
        })
    }
}

impl FloatRange {
    fn check(self, name: &str, bounds: (f64, f64)) -> Result<Range<f64>> {
        for v in [self.min, self.max].into_iter().flatten() {
            if !v.is_finite() || v < bounds.0 || v > bounds.1 {
                return Err(ApiError::bad_input(format!(
                    "`{name}`: {v} is outside {}..{}",
                    bounds.0, bounds.1
                )));
            }
        }
        check_order(name, self.min, self.max)?;
        Ok(Range {
            min: self.min,
            max: self.max,
        })
    }
}

/// Ranges of audio features; a track matches when it has features within every range given.
#[derive(Clone, Debug, Default, InputObject)]
pub struct AudioFeatureRanges {
    pub danceability: Option<FloatRange>,
    pub energy: Option<FloatRange>,
    pub loudness: Option<FloatRange>,
    pub speechiness: Option<FloatRange>,
    pub acousticness: Option<FloatRange>,
    pub instrumentalness: Option<FloatRange>,
    pub liveness: Option<FloatRange>,
    pub valence: Option<FloatRange>,
    pub tempo: Option<FloatRange>,
}

impl AudioFeatureRanges {
    fn check(&self) -> Result<Vec<(Feature, Range<f64>)>> {
        let given = [
            (Feature::Danceability, self.danceability, "danceability"),
            (Feature::Energy, self.energy, "energy"),
            (Feature::Loudness, self.loudness, "loudness"),
            (Feature::Speechiness, self.speechiness, "speechiness"),
            (Feature::Acousticness, self.acousticness, "acousticness"),
            (
                Feature::Instrumentalness,
                self.instrumentalness,
                "instrumentalness",
            ),
            (Feature::Liveness, self.liveness, "liveness"),
            (Feature::Valence, self.valence, "valence"),
            (Feature::Tempo, self.tempo, "tempo"),
        ];
        given
            .into_iter()
            .filter_map(|(f, r, name)| r.map(|r| (f, r, name)))
            .map(|(f, r, name)| {
                Ok((
                    f,
                    r.check(&format!("filter.audioFeatures.{name}"), f.bounds())?,
                ))
            })
            .collect()
    }
}

fn folded_name(s: Option<String>) -> Option<String> {
    s.map(|s| search_key(&s))
}

/// Filters of the `tracks` list; all given filters must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct TrackFilterInput {
    /// Part of the name, matched ignoring case, accents, spacing and punctuation.
    pub name_contains: Option<String>,
    /// A genre id or name (`dance pop`).
    pub genre: Option<String>,
    /// Only tracks credited to this artist.
    pub artist_id: Option<ID>,
    pub popularity: Option<IntRange>,
    /// The album's release year.
    pub release_year: Option<IntRange>,
    pub audio_features: Option<AudioFeatureRanges>,
}

impl TrackFilterInput {
    pub fn check(self) -> Result<TrackFilter> {
        Ok(TrackFilter {
            name_contains: folded_name(self.name_contains),
            genre_id: self.genre.map(|g| genre_id(&g)),
            artist_id: self.artist_id.map(|id| id.0),
            popularity: self
                .popularity
                .unwrap_or_default()
                .check("filter.popularity")?,
            release_year: self
                .release_year
                .unwrap_or_default()
                .check("filter.releaseYear")?,
            features: self.audio_features.unwrap_or_default().check()?,
        })
    }
}

/// Filters of the `artists` list; all given filters must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ArtistFilterInput {
    /// Part of the name, matched ignoring case, accents, spacing and punctuation.
    pub name_contains: Option<String>,
    /// A genre id or name.
    pub genre: Option<String>,
    pub popularity: Option<IntRange>,
    pub followers: Option<IntRange>,
}

impl ArtistFilterInput {
    pub fn check(self) -> Result<ArtistFilter> {
        let followers = self
            .followers
            .unwrap_or_default()
            .check("filter.followers")?;
        Ok(ArtistFilter {
            name_contains: folded_name(self.name_contains),
            genre_id: self.genre.map(|g| genre_id(&g)),
            popularity: self
                .popularity
                .unwrap_or_default()
                .check("filter.popularity")?,
            followers: Range {
                min: followers.min.map(i64::from),
                max: followers.max.map(i64::from),
            },
        })
    }
}

/// Ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum SortDirection {
    Asc,
    Desc,
}

/// What the `tracks` list can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum TrackOrderField {
    Popularity,
    Name,
    ReleaseDate,
    Duration,
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

/// The ordering of the `tracks` list. Ties are broken by id. Without a direction, names sort
/// ascending and everything else descending.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct TrackOrder {
    pub field: TrackOrderField,
    pub direction: Option<SortDirection>,
}

fn descending(direction: Option<SortDirection>, name_like: bool) -> bool {
    match direction {
        Some(d) => d == SortDirection::Desc,
        None => !name_like,
    }
}

impl TrackOrder {
    pub fn resolve(order: Option<Self>) -> (TrackSort, bool) {
        let order = order.unwrap_or(Self {
            field: TrackOrderField::Popularity,
            direction: None,
        });
        use TrackOrderField as F;
        let sort = match order.field {
            F::Popularity => TrackSort::Popularity,
            F::Name => TrackSort::Name,
            F::ReleaseDate => TrackSort::ReleaseDate,
            F::Duration => TrackSort::Duration,
            F::Danceability => TrackSort::Feature(Feature::Danceability),
            F::Energy => TrackSort::Feature(Feature::Energy),
            F::Loudness => TrackSort::Feature(Feature::Loudness),
            F::Speechiness => TrackSort::Feature(Feature::Speechiness),
            F::Acousticness => TrackSort::Feature(Feature::Acousticness),
            F::Instrumentalness => TrackSort::Feature(Feature::Instrumentalness),
            F::Liveness => TrackSort::Feature(Feature::Liveness),
            F::Valence => TrackSort::Feature(Feature::Valence),
            F::Tempo => TrackSort::Feature(Feature::Tempo),
        };
        (sort, descending(order.direction, order.field == F::Name))
    }
}

/// What the `artists` list can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum ArtistOrderField {
    Popularity,
    Name,
    Followers,
}

/// The ordering of the `artists` list. Ties are broken by id.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct ArtistOrder {
    pub field: ArtistOrderField,
    pub direction: Option<SortDirection>,
}

impl ArtistOrder {
    pub fn resolve(order: Option<Self>) -> (ArtistSort, bool) {
        let order = order.unwrap_or(Self {
            field: ArtistOrderField::Popularity,
            direction: None,
        });
        let sort = match order.field {
            ArtistOrderField::Popularity => ArtistSort::Popularity,
            ArtistOrderField::Name => ArtistSort::Name,
            ArtistOrderField::Followers => ArtistSort::Followers,
        };
        (
            sort,
            descending(order.direction, order.field == ArtistOrderField::Name),
        )
    }
}

/// What the `genres` list can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum GenreOrderField {
    Name,
    TrackCount,
    ArtistCount,
}

/// The ordering of the `genres` list. Ties are broken by id.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct GenreOrder {
    pub field: GenreOrderField,
    pub direction: Option<SortDirection>,
}

impl GenreOrder {
    pub fn resolve(order: Option<Self>) -> (GenreSort, bool) {
        let order = order.unwrap_or(Self {
            field: GenreOrderField::Name,
            direction: None,
        });
        let sort = match order.field {
            GenreOrderField::Name => GenreSort::Name,
            GenreOrderField::TrackCount => GenreSort::TrackCount,
            GenreOrderField::ArtistCount => GenreSort::ArtistCount,
        };
        (
            sort,
            descending(order.direction, order.field == GenreOrderField::Name),
        )
    }
}
