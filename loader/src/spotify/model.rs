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

/// The `ManyArtists` response: unknown ids come back as `null`.
#[derive(Debug, Deserialize)]
pub(crate) struct ManyArtists {
    pub artists: Vec<Option<Artist>>,
}

/// A `PagingObject` of some item type.
#[derive(Debug, Deserialize)]
pub struct Paging<T> {
    pub items: Vec<T>,
    pub limit: u32,
    pub offset: u32,
    pub total: u32,
    pub next: Option<String>,
}

/// The search response when searching artists.
#[derive(Debug, Deserialize)]
pub(crate) struct ArtistSearch {
    pub artists: Paging<Artist>,
}
