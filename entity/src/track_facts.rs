//! The vocabulary of the facts tables, the flattened catalogue that group-by aggregates read
//! (`track_facts`, one row per track; `track_genre_facts`, one per genre and track): the
//! [`Dimension`]s a group of tracks can be cut by and the [`Measure`]s computed over it, each
//! with its column. The loader fills the columns; the API groups and aggregates over them; the
//! GraphQL enums and fields are named after them.

use crate::Feature;

/// The table with one row per track.
pub const TABLE: &str = "track_facts";

/// The table with one row per genre of each track (one under the empty genre id for a track
/// without one), keyed by genre first.
pub const GENRE_TABLE: &str = "track_genre_facts";

/// The table that numbers the artists, `no` to `artist_id`: the facts name the main artist by
/// its number.
pub const ARTISTS: &str = "fact_artists";

/// What tracks can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// A genre of the track (a track in several genres is in each of their groups).
    Genre,
    /// The release year of the track's album.
    ReleaseYear,
    /// The decade of that year: 1990 for 1990 to 1999.
    Decade,
    /// The pitch class of the track's audio features.
    Key,
    /// Major (1) or minor (0).
    Mode,
    /// Whether the track is explicit.
    Explicit,
    /// Beats per bar.
    TimeSignature,
    /// The track's main (first credited) artist.
    Artist,
    /// The type of the track's album: album, single, compilation.
    AlbumType,
}

impl Dimension {
    /// Every dimension, in the order of the GraphQL enum and of a group's key fields.
    pub const ALL: [Self; 9] = [
        Self::Genre,
        Self::ReleaseYear,
        Self::Decade,
        Self::Key,
        Self::Mode,
        Self::Explicit,
        Self::TimeSignature,
        Self::Artist,
        Self::AlbumType,
    ];

    /// The column of the facts the dimension's value comes from (`genre_id` only in
    /// [`GENRE_TABLE`]).
    pub const fn column(self) -> &'static str {
        match self {
            Self::Genre => "genre_id",
            Self::ReleaseYear | Self::Decade => "release_year",
            Self::Key => "key",
            Self::Mode => "mode",
            Self::Explicit => "explicit",
            Self::TimeSignature => "time_signature",
            Self::Artist => "artist_no",
            Self::AlbumType => "album_type",
        }
    }

    /// A short name, unique among the dimensions, for aliases and cursors.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Genre => "genre",
            Self::ReleaseYear => "release_year",
            Self::Decade => "decade",
            Self::Key => "key",
            Self::Mode => "mode",
            Self::Explicit => "explicit",
            Self::TimeSignature => "time_signature",
            Self::Artist => "artist",
            Self::AlbumType => "album_type",
        }
    }
}

/// A figure of a track that groups compute statistics over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// 0 to 100.
    Popularity,
    /// Milliseconds.
    DurationMs,
    /// An audio feature.
    Feature(Feature),
}

impl Measure {
    /// How many measures there are.
    pub const COUNT: usize = 2 + Feature::COUNT;

    /// Every measure: popularity, duration, then the features in their order.
    pub const ALL: [Self; Self::COUNT] = {
        let mut all = [Self::Popularity; Self::COUNT];
        all[1] = Self::DurationMs;
        let mut i = 0;
        while i < Feature::COUNT {
            all[2 + i] = Self::Feature(Feature::ALL[i]);
            i += 1;
        }
        all
    };

    /// The column of the facts that holds it.
    pub const fn column(self) -> &'static str {
        match self {
            Self::Popularity => "popularity",
            Self::DurationMs => "duration_ms",
            Self::Feature(f) => f.name(),
        }
    }

    /// Whether the column holds integers (the features are doubles).
    pub const fn integer(self) -> bool {
        matches!(self, Self::Popularity | Self::DurationMs)
    }

    /// The measure's place in [`Measure::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Self::Popularity => 0,
            Self::DurationMs => 1,
            Self::Feature(f) => 2 + f.index(),
        }
    }

    /// A value near the middle of the measure's usual range. Sums of squares are taken of the
    /// distance to it, which keeps the variance computed from them exact to many more digits
    /// than the raw squares would (durations squared are around 10^10).
    pub fn center(self) -> f64 {
        match self {
            Self::Popularity => 50.0,
            Self::DurationMs => 240_000.0,
            Self::Feature(f) => {
                let (lo, hi) = f.histogram_range();
                (lo + hi) / 2.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_sits_at_its_index_and_has_its_own_column() {
        for (i, m) in Measure::ALL.iter().enumerate() {
            assert_eq!(m.index(), i);
        }
        let mut columns: Vec<_> = Measure::ALL.iter().map(|m| m.column()).collect();
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), Measure::COUNT);
    }

    #[test]
    fn dimension_names_are_unique() {
        let mut names: Vec<_> = Dimension::ALL.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Dimension::ALL.len());
    }
}
