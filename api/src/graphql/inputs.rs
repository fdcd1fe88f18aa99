//! GraphQL inputs: filters and orderings, checked and turned into service-layer values.

use async_graphql::{Enum, ID, InputObject};
use entity::Feature;
use entity::normalize::{genre_id, search_key};

use super::node::NodeType;

use super::features::{AudioFeatureRanges, TrackOrderField};
use super::ranges::IntRange;
use crate::error::Result;
use crate::service::catalog::{
    ArtistFilter, ArtistSort, GenreSort, PlaylistFilter, PlaylistSort, Range, TrackFilter,
    TrackSort,
};

fn check_features(ranges: Option<AudioFeatureRanges>) -> Result<Vec<(Feature, Range<f64>)>> {
    ranges
        .unwrap_or_default()
        .given()
        .map(|(f, r)| Ok((f, r.check(&format!("filter.audioFeatures.{f}"), f)?)))
        .collect()
}

/// A `followers` filter, checked and widened to the column's type.
fn followers(range: Option<IntRange>) -> Result<Range<i64>> {
    let r = range.unwrap_or_default().check("filter.followers")?;
    Ok(Range {
        min: r.min.map(i64::from),
        max: r.max.map(i64::from),
    })
}

fn folded_name(s: Option<String>) -> Option<String> {
    s.map(|s| search_key(&s))
}

/// Filters of the `tracks` list; all given filters must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct TrackFilterInput {
    /// Part of the name, matched ignoring case, accents, spacing and punctuation.
    pub name_contains: Option<String>,
    /// A genre, by its global id, its catalog id or its name (`dance pop`).
    pub genre: Option<String>,
    /// Only tracks credited to this artist.
    pub artist_id: Option<ID>,
    /// Only tracks in this playlist.
    pub playlist_id: Option<ID>,
    /// Spotify's popularity, 0 to 100; tracks without one do not match.
    pub popularity: Option<IntRange>,
    /// The album's release year.
    pub release_year: Option<IntRange>,
    /// Ranges of audio features; when any is given, tracks without audio features do not
    /// match.
    pub audio_features: Option<AudioFeatureRanges>,
}

impl TrackFilterInput {
    pub fn check(self) -> Result<TrackFilter> {
        Ok(TrackFilter {
            name_contains: folded_name(self.name_contains),
            genre_id: self
                .genre
                .map(|g| genre_id(&NodeType::Genre.catalog_id(&g))),
            artist_id: self.artist_id.map(|id| NodeType::Artist.catalog_id(&id)),
            playlist_id: self
                .playlist_id
                .map(|id| NodeType::Playlist.catalog_id(&id)),
            popularity: self
                .popularity
                .unwrap_or_default()
                .check("filter.popularity")?,
            release_year: self
                .release_year
                .unwrap_or_default()
                .check("filter.releaseYear")?,
            features: check_features(self.audio_features)?,
        })
    }
}

/// Filters of the `artists` list; all given filters must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ArtistFilterInput {
    /// Part of the name, matched ignoring case, accents, spacing and punctuation.
    pub name_contains: Option<String>,
    /// A genre, by its global id, its catalog id or its name.
    pub genre: Option<String>,
    /// Spotify's popularity, 0 to 100; artists without one do not match.
    pub popularity: Option<IntRange>,
    /// Spotify's follower count; artists without one do not match.
    pub followers: Option<IntRange>,
}

impl ArtistFilterInput {
    pub fn check(self) -> Result<ArtistFilter> {
        Ok(ArtistFilter {
            name_contains: folded_name(self.name_contains),
            genre_id: self
                .genre
                .map(|g| genre_id(&NodeType::Genre.catalog_id(&g))),
            popularity: self
                .popularity
                .unwrap_or_default()
                .check("filter.popularity")?,
            followers: followers(self.followers)?,
        })
    }
}

/// Ascending or descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum SortDirection {
    /// Smallest first, names from A; nulls first.
    Asc,
    /// Largest first, names from Z; nulls last.
    Desc,
}

/// The ordering of the `tracks` list. Ties are broken by id. Without a direction, names sort
/// ascending and everything else descending.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct TrackOrder {
    /// What to order by.
    pub field: TrackOrderField,
    /// Ascending or descending; when null, names ascend and figures descend.
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
        (
            order.field.sort(),
            descending(order.direction, order.field == TrackOrderField::Name),
        )
    }
}

/// What the `artists` list can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum ArtistOrderField {
    /// Spotify's popularity, 0 to 100.
    Popularity,
    /// The name, ignoring case, accents, spacing and punctuation.
    Name,
    /// Spotify's follower count.
    Followers,
}

/// The ordering of the `artists` list. Ties are broken by id.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct ArtistOrder {
    /// What to order by.
    pub field: ArtistOrderField,
    /// Ascending or descending; when null, names ascend and figures descend.
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
    /// The genre's id, its folded label.
    Name,
    /// Tracks labelled with the genre.
    TrackCount,
    /// Artists labelled with the genre.
    ArtistCount,
}

/// The ordering of the `genres` list. Ties are broken by id.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct GenreOrder {
    /// What to order by.
    pub field: GenreOrderField,
    /// Ascending or descending; when null, names ascend and figures descend.
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

/// Filters of the `playlists` list; all given filters must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct PlaylistFilterInput {
    /// Part of the name, matched ignoring case, accents, spacing and punctuation.
    pub name_contains: Option<String>,
    /// Where the playlists came from: `csv`, `mpd` or `spotify`.
    pub source: Option<String>,
    /// Only playlists holding this track.
    pub track_id: Option<ID>,
    /// Only playlists holding a track credited to this artist.
    pub artist_id: Option<ID>,
    /// Entries in the playlist.
    pub track_count: Option<IntRange>,
    /// Followers, where the source says; playlists without a count do not match.
    pub followers: Option<IntRange>,
}

impl PlaylistFilterInput {
    pub fn check(self) -> Result<PlaylistFilter> {
        Ok(PlaylistFilter {
            name_contains: folded_name(self.name_contains),
            source: self.source,
            track_id: self.track_id.map(|id| NodeType::Track.catalog_id(&id)),
            artist_id: self.artist_id.map(|id| NodeType::Artist.catalog_id(&id)),
            track_count: self
                .track_count
                .unwrap_or_default()
                .check("filter.trackCount")?,
            followers: followers(self.followers)?,
        })
    }
}

/// What the `playlists` list can be ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum PlaylistOrderField {
    /// The name, ignoring case, accents, spacing and punctuation.
    Name,
    /// Entries in the playlist.
    TrackCount,
    /// Followers, where the source says.
    Followers,
}

/// The ordering of the `playlists` list. Ties are broken by id. Without a direction, names sort
/// ascending and everything else descending.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct PlaylistOrder {
    /// What to order by.
    pub field: PlaylistOrderField,
    /// Ascending or descending; when null, names ascend and figures descend.
    pub direction: Option<SortDirection>,
}

impl PlaylistOrder {
    pub fn resolve(order: Option<Self>) -> (PlaylistSort, bool) {
        let order = order.unwrap_or(Self {
            field: PlaylistOrderField::Name,
            direction: None,
        });
        let sort = match order.field {
            PlaylistOrderField::Name => PlaylistSort::Name,
            PlaylistOrderField::TrackCount => PlaylistSort::TrackCount,
            PlaylistOrderField::Followers => PlaylistSort::Followers,
        };
        (
            sort,
            descending(order.direction, order.field == PlaylistOrderField::Name),
        )
    }
}
