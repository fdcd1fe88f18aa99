//! Every GraphQL type that names the audio features one by one, each generated from the one
//! table of features ([`entity::for_each_feature!`]): the `Feature` enum, the orderings that
//! include the features, the `AudioFeatureRanges` filter, the `AudioTargets` of
//! recommendations, the `TrackMeasure` of grouped statistics, and the `AudioFeatures`,
//! `AudioProfile`, `FeatureAverages` and `TrackGroup` objects.

use async_graphql::{Enum, InputObject, Object};
use entity::track_facts::Measure;
use entity::{Feature, audio_features};

use super::ranges::FloatRange;
use super::track_stats::{MeasureStats, TrackGroup, TrackGroupKey, not_computed};
use crate::service::analytics::{FeatureMeans, GenreStatsSort};
use crate::service::catalog::TrackSort;

macro_rules! feature_enum {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// An audio feature.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
        #[graphql(name = "Feature", remote = "entity::Feature")]
        pub enum FeatureName {
            $( $(#[doc = $doc])* $variant, )*
        }
    };
}
entity::for_each_feature!(feature_enum);

macro_rules! track_order_field {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// What the `tracks` list can be ordered by.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
        pub enum TrackOrderField {
            /// Spotify's popularity, 0 to 100.
            Popularity,
            /// The name, ignoring case, accents, spacing and punctuation.
            Name,
            /// The release date of the track's album.
            ReleaseDate,
            /// The track's length in milliseconds.
            Duration,
            $( $(#[doc = $doc])* $variant, )*
        }

        impl TrackOrderField {
            /// The ordering of the service.
            pub fn sort(self) -> TrackSort {
                match self {
                    Self::Popularity => TrackSort::Popularity,
                    Self::Name => TrackSort::Name,
                    Self::ReleaseDate => TrackSort::ReleaseDate,
                    Self::Duration => TrackSort::Duration,
                    $(Self::$variant => TrackSort::Feature(Feature::$variant),)*
                }
            }
        }
    };
}
entity::for_each_feature!(track_order_field);

macro_rules! genre_stats_field {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// What `genreStats` is ordered by.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
        pub enum GenreStatsField {
            /// Tracks labelled with the genre.
            Tracks,
            /// Artists labelled with the genre.
            Artists,
            /// The average popularity (0–100) of its tracks that have one.
            Popularity,
            /// The genre's label.
            Name,
            $( $(#[doc = $doc])* $variant, )*
        }

        impl GenreStatsField {
            /// The ordering of the service.
            pub fn sort(self) -> GenreStatsSort {
                match self {
                    Self::Tracks => GenreStatsSort::Tracks,
                    Self::Artists => GenreStatsSort::Artists,
                    Self::Popularity => GenreStatsSort::Popularity,
                    Self::Name => GenreStatsSort::Name,
                    $(Self::$variant => GenreStatsSort::Feature(Feature::$variant),)*
                }
            }
        }
    };
}
entity::for_each_feature!(genre_stats_field);

macro_rules! audio_feature_ranges {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// Ranges of audio features; a track matches when it has features within every range
        /// given.
        #[derive(Clone, Debug, Default, InputObject)]
        pub struct AudioFeatureRanges {
            $( $(#[doc = $doc])* pub $field: Option<FloatRange>, )*
        }

        impl AudioFeatureRanges {
            /// The ranges given, by feature.
            pub fn given(&self) -> impl Iterator<Item = (Feature, FloatRange)> {
                [$((Feature::$variant, self.$field)),*]
                    .into_iter()
                    .filter_map(|(f, r)| r.map(|r| (f, r)))
            }
        }
    };
}
entity::for_each_feature!(audio_feature_ranges);

macro_rules! audio_targets {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// A value for each audio feature, and popularity; any may be left out.
        #[derive(Clone, Copy, Debug, Default, InputObject)]
        pub struct AudioTargets {
            $( $(#[doc = $doc])* pub $field: Option<f64>, )*
            /// 0 to 100.
            pub popularity: Option<i32>,
        }

        impl AudioTargets {
            /// The features given, in [`Feature::ALL`] order.
            pub fn features(&self) -> [Option<f64>; Feature::COUNT] {
                [$(self.$field),*]
            }
        }
    };
}
entity::for_each_feature!(audio_targets);

/// Where a track's audio features came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::FeatureSource")]
pub enum AudioFeaturesSource {
    /// A dataset file (`import-csv`).
    Csv,
    /// Spotify's audio-features endpoints.
    Spotify,
    /// ReccoBeats (`audio-features`, or after a Spotify load).
    #[graphql(name = "RECCOBEATS")]
    ReccoBeats,
}

/// A stored row of `audio_features`, as the `AudioFeatures` object.
pub struct AudioFeatures(pub audio_features::Model);

macro_rules! audio_features_object {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// A track's audio analysis, on Spotify's scales.
        #[Object]
        impl AudioFeatures {
            $(
                $(#[doc = $doc])*
                async fn $field(&self) -> f64 {
                    Feature::$variant.of(&self.0)
                }
            )*
            /// Pitch class 0 to 11; -1 when no key was detected.
            async fn key(&self) -> i32 {
                self.0.key
            }
            /// 1 major, 0 minor.
            async fn mode(&self) -> i32 {
                self.0.mode
            }
            /// Beats per bar, 3 to 7; null when unknown.
            async fn time_signature(&self) -> Option<i32> {
                self.0.time_signature
            }
            /// Where the features came from; null for features stored before sources were kept.
            async fn source(&self) -> Option<AudioFeaturesSource> {
                self.0.source.map(Into::into)
            }
        }
    };
}
entity::for_each_feature!(audio_features_object);

/// An artist's profile in the recommendation index, as the `AudioProfile` object.
pub struct AudioProfile {
    pub values: [f64; Feature::COUNT],
    pub tracks: u32,
}

macro_rules! audio_profile_object {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// An artist's mean audio features.
        #[Object]
        impl AudioProfile {
            $(
                $(#[doc = $doc])*
                async fn $field(&self) -> f64 {
                    self.values[Feature::$variant.index()]
                }
            )*
            /// How many tracks the profile is the mean of.
            async fn track_count(&self) -> i32 {
                i32::try_from(self.tracks).unwrap_or(i32::MAX)
            }
        }
    };
}
entity::for_each_feature!(audio_profile_object);

/// Means of a summary row, as the `FeatureAverages` object.
pub struct FeatureAverages(pub FeatureMeans);

macro_rules! feature_averages_object {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// The average of each audio feature over a set of tracks, on the raw scale; null where
        /// no track of the set has features.
        #[Object]
        impl FeatureAverages {
            $(
                $(#[doc = $doc])*
                async fn $field(&self) -> Option<f64> {
                    self.0.get(Feature::$variant)
                }
            )*
        }
    };
}
entity::for_each_feature!(feature_averages_object);

macro_rules! track_measure {
    ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
        /// A figure of a track that `trackStats` computes statistics over.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
        pub enum TrackMeasure {
            /// 0 to 100.
            Popularity,
            /// Milliseconds.
            DurationMs,
            $( $(#[doc = $doc])* $variant, )*
        }

        impl From<TrackMeasure> for Measure {
            fn from(m: TrackMeasure) -> Self {
                match m {
                    TrackMeasure::Popularity => Measure::Popularity,
                    TrackMeasure::DurationMs => Measure::DurationMs,
                    $(TrackMeasure::$variant => Measure::Feature(Feature::$variant),)*
                }
            }
        }

        impl TrackGroup {
            /// The GraphQL field of each measure on `TrackGroup`, in [`Measure::ALL`] order.
            pub const MEASURE_FIELDS: [&'static str; Measure::COUNT] =
                ["popularity", "durationMs", $(stringify!($field)),*];
        }

        /// A group of tracks: its key, its counts and the statistics of each measure over it.
        #[Object]
        impl TrackGroup {
            /// The value of each grouped dimension; null for the others.
            async fn key(&self) -> TrackGroupKey {
                TrackGroupKey(self.0.key.clone())
            }
            /// Tracks in the group.
            async fn count(&self) -> i64 {
                self.0.count
            }
            /// Distinct main artists of the group's tracks.
            async fn artists(&self) -> async_graphql::Result<i64> {
                self.0.artists.ok_or_else(|| not_computed("artists"))
            }
            /// Popularity (0 to 100) over the group's tracks that have one.
            async fn popularity(&self) -> async_graphql::Result<MeasureStats> {
                self.measure(Measure::Popularity)
            }
            /// Duration in milliseconds.
            async fn duration_ms(&self) -> async_graphql::Result<MeasureStats> {
                self.measure(Measure::DurationMs)
            }
            $(
                $(#[doc = $doc])*
                async fn $field(&self) -> async_graphql::Result<MeasureStats> {
                    self.measure(Measure::Feature(Feature::$variant))
                }
            )*
        }
    };
}
entity::for_each_feature!(track_measure);
