//! The parts of Spotify's payloads the loader reads, as the OpenAPI reference describes them.
//! Fields the loader does not need are left out; optional ones default, so that a payload
//! missing them still parses.

use serde::Deserialize;

/// `ArtistObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Artist {
    pub id: String,
    pub name: String,
    pub popularity: Option<i32>,
    pub followers: Option<Followers>,
    #[serde(default)]
    pub genres: Vec<String>,
    #[serde(default)]
    pub images: Vec<Image>,
    pub external_urls: Option<ExternalUrls>,
}

impl Artist {
    /// The largest image, which Spotify lists first.
    pub fn image_url(&self) -> Option<&str> {
        self.images.first().map(|i| i.url.as_str())
    }
}

/// `FollowersObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Followers {
    pub total: Option<i64>,
}

/// `ImageObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Image {
    pub url: String,
    pub height: Option<u32>,
    pub width: Option<u32>,
}

/// `ExternalUrlObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ExternalUrls {
    pub spotify: Option<String>,
}

/// A `PagingObject` of some item type.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Paging<T> {
    pub items: Vec<T>,
    pub limit: u32,
    pub offset: u32,
    pub total: u32,
    pub next: Option<String>,
}

/// The search response when searching artists. Items stay raw so that one malformed artist
/// is skipped alone.
#[derive(Debug, Deserialize)]
pub(crate) struct ArtistSearch {
    pub artists: Paging<serde_json::Value>,
}

/// `SimplifiedArtistObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ArtistRef {
    pub id: String,
    pub name: String,
}

/// `SimplifiedAlbumObject` (also what an artist's discography pages hold).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct AlbumRef {
    pub id: String,
    pub name: String,
    pub album_type: Option<String>,
    /// `2019`, `2019-06` or `2019-06-14`, as `release_date_precision` says.
    pub release_date: Option<String>,
    pub release_date_precision: Option<String>,
    pub total_tracks: Option<i32>,
    #[serde(default)]
    pub images: Vec<Image>,
}

/// `ExternalIdObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ExternalIds {
    pub isrc: Option<String>,
}

/// `TrackObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Track {
    pub id: String,
    pub name: String,
    pub album: Option<AlbumRef>,
    #[serde(default)]
    pub artists: Vec<ArtistRef>,
    pub duration_ms: i32,
    pub explicit: Option<bool>,
    pub popularity: Option<i32>,
    pub track_number: Option<i32>,
    pub external_ids: Option<ExternalIds>,
}

/// `AudioFeaturesObject`: the track's id and its features, in the type the writer stores.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct AudioFeatures {
    pub id: String,
    #[serde(flatten)]
    pub features: entity::TrackFeatures,
}

/// `SimplifiedTrackObject`: a track as an album lists it (no album, popularity or ISRC).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TrackRef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub artists: Vec<ArtistRef>,
    pub duration_ms: i32,
    pub explicit: Option<bool>,
    pub track_number: Option<i32>,
}

/// `AlbumObject`: an album with the first page of its tracks.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Album {
    #[serde(flatten)]
    pub info: AlbumRef,
    #[serde(default)]
    pub artists: Vec<ArtistRef>,
    pub tracks: Paging<TrackRef>,
}

/// `PrivateUserObject`, as `GET /me` gives it: the user the loader acts for.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Me {
    pub id: String,
    pub display_name: Option<String>,
}

/// `PlaylistOwnerObject`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PlaylistOwner {
    pub id: String,
    pub display_name: Option<String>,
}

/// `SimplifiedPlaylistObject`, as `GET /me/playlists` lists it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PlaylistRef {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner: PlaylistOwner,
    #[serde(default)]
    pub collaborative: bool,
}

/// `PlaylistTrackObject`: an entry of a playlist. `item` (`track` before 2026) is a
/// `TrackObject` or an `EpisodeObject`, or null for an item no longer available; kept raw and
/// read by its `type`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct PlaylistItem {
    pub added_at: Option<String>,
    #[serde(default)]
    pub is_local: bool,
    pub item: Option<serde_json::Value>,
    pub track: Option<serde_json::Value>,
}
