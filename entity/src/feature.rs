//! The audio features: the one definition of each continuous feature Spotify's analysis gives a
//! track. [`for_each_feature!`] holds the table (name, what it measures, valid range, the range a
//! histogram covers by default, weight in the recommendation model); [`Feature`], the column of
//! `audio_features`, the CSV and JSON field, the GraphQL field and enum value of each feature, and
//! every list of features in the other crates are derived from it.

use std::fmt;

use sea_orm::sea_query::StringLen;

use crate::audio_features;

/// Calls `$callback!` with the table of the audio features, one entry a feature:
/// `/// what it measures` `Variant field { range: lo, hi; histogram: lo, hi; weight: w }`.
///
/// `field` is the name everywhere: the column of `audio_features`, the CSV column, the key in
/// Spotify's and ReccoBeats' JSON, the GraphQL field (and, upper-cased, the enum value). `range` is
/// what a value may be, checked by [`Feature::check`] where a CSV row, a filter or a
/// recommendation target gives one; `histogram` the range a histogram covers
/// unless asked otherwise; `weight` how much the feature counts in the recommendation model's
/// distances.
///
/// A callback that needs only the names matches each entry as
/// `$(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* }`.
#[macro_export]
macro_rules! for_each_feature {
    ($callback:path) => {
        $callback! {
            /// 0 to 1: how suitable for dancing, from tempo, rhythm stability, beat strength and
            /// regularity.
            Danceability danceability { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 1.0 },
            /// 0 to 1: intensity and activity.
            Energy energy { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 1.0 },
            /// Decibels: the average loudness, typically -60 to 0 (values up to 5 are accepted:
            /// some masters go above 0).
            Loudness loudness { range: -60.0, 5.0; histogram: -60.0, 0.0; weight: 1.0 },
            /// 0 to 1: presence of spoken words.
            Speechiness speechiness { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 1.0 },
            /// 0 to 1: confidence the track is acoustic.
            Acousticness acousticness { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 1.0 },
            /// 0 to 1: likelihood of no vocals.
            Instrumentalness instrumentalness { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 1.0 },
            // Liveness counts a tenth and tempo half in the model: on the shared dataset that
            // keeps recommendations in the seed's main genre more often than equal weights
            // (0.438 against 0.429, `recommend-quality`), and related artists as often.
            /// 0 to 1: presence of an audience.
            Liveness liveness { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 0.1 },
            /// 0 to 1: musical positiveness.
            Valence valence { range: 0.0, 1.0; histogram: 0.0, 1.0; weight: 1.0 },
            /// Beats per minute, 0 to 300.
            Tempo tempo { range: 0.0, 300.0; histogram: 0.0, 250.0; weight: 0.5 },
        }
    };
}

macro_rules! define_features {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident $field:ident {
            range: $lo:literal, $hi:literal;
            histogram: $hist_lo:literal, $hist_hi:literal;
            weight: $weight:literal
        }
    ),* $(,)?) => {
        /// A continuous audio feature. Its position in [`Feature::ALL`] ([`Feature::index`]) is
        /// its place in every per-feature array.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Feature {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Feature {
            /// How many features there are.
            pub const COUNT: usize = [$(stringify!($variant)),*].len();

            /// Every feature, in table order.
            pub const ALL: [Feature; Feature::COUNT] = [$(Feature::$variant),*];

            /// The name of the feature: its column, CSV column, JSON key and GraphQL field.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($field),)*
                }
            }

            /// What the feature measures, in a sentence.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }

            /// The values the feature may take, both ends included.
            pub const fn range(self) -> (f64, f64) {
                match self {
                    $(Self::$variant => ($lo, $hi),)*
                }
            }

            /// The range a histogram of the feature covers unless asked otherwise.
            pub const fn histogram_range(self) -> (f64, f64) {
                match self {
                    $(Self::$variant => ($hist_lo, $hist_hi),)*
                }
            }

            /// How much the feature counts in the recommendation model's distances.
            pub const fn weight(self) -> f64 {
                match self {
                    $(Self::$variant => $weight,)*
                }
            }

            /// The feature's column of `audio_features`.
            pub const fn column(self) -> audio_features::Column {
                match self {
                    $(Self::$variant => audio_features::Column::$variant,)*
                }
            }

            /// The feature's value in a stored row.
            pub const fn of(self, row: &audio_features::Model) -> f64 {
                match self {
                    $(Self::$variant => row.$field,)*
                }
            }
        }
    };
}

for_each_feature!(define_features);

impl Feature {
    /// The feature's place in [`Feature::ALL`] and in per-feature arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The feature named `name` (as its column), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `value` when it is a finite number within the feature's range. Every place a feature
    /// value comes in (a CSV row, a filter, a recommendation target) checks it here, so all of
    /// them give the same answer.
    pub fn check(self, value: f64) -> Result<f64, RangeError> {
        let (lo, hi) = self.range();
        if !value.is_finite() {
            Err(RangeError::NotFinite)
        } else if value < lo || value > hi {
            Err(RangeError::OutOfRange { lo, hi })
        } else {
            Ok(value)
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a value is not a valid value of a feature. The text names the rule, not the value, so
/// that rejects of many rows group by it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeError {
    NotFinite,
    OutOfRange { lo: f64, hi: f64 },
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFinite => f.write_str("not a finite number"),
            Self::OutOfRange { lo, hi } => write!(f, "out of range {lo}..={hi}"),
        }
    }
}

impl std::error::Error for RangeError {}

/// Where a track's audio features came from, stored with them (`audio_features.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FeatureSource {
    /// A dataset file (`import-csv`).
    #[sea_orm(string_value = "csv")]
    Csv,
    /// Spotify's audio-features endpoints.
    #[sea_orm(string_value = "spotify")]
    Spotify,
    /// ReccoBeats' audio-features endpoint.
    #[sea_orm(string_value = "reccobeats")]
    ReccoBeats,
}

/// A track's audio analysis as a source gives it: the continuous features, in
/// [`Feature::ALL`] order, and the categories. It reads from the JSON objects of Spotify's and
/// ReccoBeats' audio-features endpoints (one key a feature, other keys ignored).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(from = "wire::TrackFeatures")]
pub struct TrackFeatures {
    pub values: [f64; Feature::COUNT],
    /// Pitch class, `-1` when no key was detected.
    pub key: i32,
    /// 1 major, 0 minor.
    pub mode: i32,
    pub time_signature: Option<i32>,
}

impl TrackFeatures {
    /// The value of one feature.
    pub fn get(&self, feature: Feature) -> f64 {
        self.values[feature.index()]
    }

    /// Pitch classes: -1 (none detected) to 11.
    pub const KEYS: (i32, i32) = (-1, 11);
    /// Modes: 0 minor, 1 major.
    pub const MODES: (i32, i32) = (0, 1);
    /// Beats per bar, as Spotify documents them.
    pub const TIME_SIGNATURES: (i32, i32) = (3, 7);

    /// The features when every value is within its range (a feature's, [`Self::KEYS`],
    /// [`Self::MODES`], [`Self::TIME_SIGNATURES`]); else which one is not, and why. Features
    /// from web APIs pass here before they are stored; a CSV's are read with the same ranges.
    pub fn checked(self) -> Result<Self, String> {
        for f in Feature::ALL {
            f.check(self.get(f)).map_err(|e| format!("{f}: {e}"))?;
        }
        let within = |(lo, hi): (i32, i32), v: i32| (lo..=hi).contains(&v);
        for (name, range, value) in [
            ("key", Self::KEYS, Some(self.key)),
            ("mode", Self::MODES, Some(self.mode)),
            ("time_signature", Self::TIME_SIGNATURES, self.time_signature),
        ] {
            if let Some(v) = value.filter(|&v| !within(range, v)) {
                return Err(format!(
                    "{name}: {v} is out of range {}..={}",
                    range.0, range.1
                ));
            }
        }
        Ok(self)
    }
}

/// The JSON shape of [`TrackFeatures`]: one field a feature.
mod wire {
    macro_rules! track_features {
        ($( $(#[doc = $doc:literal])* $variant:ident $field:ident { $($spec:tt)* } ),* $(,)?) => {
            #[derive(serde::Deserialize)]
            pub(super) struct TrackFeatures {
                $( $field: f64, )*
                key: i32,
                mode: i32,
                #[serde(default)]
                time_signature: Option<i32>,
            }

            impl From<TrackFeatures> for super::TrackFeatures {
                fn from(w: TrackFeatures) -> Self {
                    Self {
                        values: [$(w.$field),*],
                        key: w.key,
                        mode: w.mode,
                        // 0 is what an analysis gives when it found no meter: unknown.
                        time_signature: w.time_signature.filter(|&t| t != 0),
                    }
                }
            }
        };
    }

    crate::for_each_feature!(track_features);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_index_order_and_names_are_unique() {
        for (i, f) in Feature::ALL.into_iter().enumerate() {
            assert_eq!(f.index(), i);
            assert_eq!(Feature::from_name(f.name()), Some(f));
            let (lo, hi) = f.range();
            let (hist_lo, hist_hi) = f.histogram_range();
            assert!(lo < hi && hist_lo < hist_hi, "{f}: empty range");
            assert!(
                lo <= hist_lo && hist_hi <= hi,
                "{f}: histogram outside the range"
            );
            assert!(f.weight() > 0.0 && !f.description().is_empty());
        }
    }

    #[test]
    fn a_range_check_names_the_rule_and_keeps_the_ends() {
        assert_eq!(Feature::Loudness.check(5.0), Ok(5.0));
        assert_eq!(Feature::Loudness.check(-60.0), Ok(-60.0));
        assert_eq!(
            Feature::Danceability.check(1.5).map_err(|e| e.to_string()),
            Err("out of range 0..=1".to_owned())
        );
        assert_eq!(Feature::Tempo.check(f64::NAN), Err(RangeError::NotFinite));
    }

    #[test]
    fn track_features_read_spotify_json_by_feature_name() {
        let json = r#"{"danceability":0.1,"energy":0.2,"key":5,"loudness":-3.5,"mode":1,
            "speechiness":0.3,"acousticness":0.4,"instrumentalness":0.5,"liveness":0.6,
            "valence":0.7,"tempo":120.0,"id":"x","type":"audio_features"}"#;
        let f: TrackFeatures = serde_json::from_str(json).expect("valid JSON");
        assert_eq!(f.get(Feature::Loudness), -3.5);
        assert_eq!(f.get(Feature::Tempo), 120.0);
        assert_eq!((f.key, f.mode, f.time_signature), (5, 1, None));
    }
}
