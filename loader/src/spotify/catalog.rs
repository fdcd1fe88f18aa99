//! Typed reads of Spotify's catalog on top of the [`SpotifyClient`]: batched where Spotify
//! takes several ids (the batches in flight together, up to the client's concurrency), falling
//! back to one id a call where the several-ids endpoint is not available to the app.
//!
//! Items are decoded one by one: an item in an unexpected shape is skipped and counted
//! ([`SpotifyClient::skip`]) and the rest of its page or batch is kept. A whole answer in an
//! unexpected shape from a several-ids endpoint is asked again one id a call, so that only the
//! bad items are lost.

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::warn;

use super::client::SpotifyClient;
use super::model::{
    Album, AlbumRef, Artist, ArtistSearch, AudioFeatures, Me, Paging, PlaylistRef, Track, TrackRef,
};
use crate::error::{LoaderError, Result};

/// An endpoint that takes several ids in one call, and its one-id sibling `{one_prefix}/{id}`.
struct ByIds {
    several: &'static str,
    several_path: &'static str,
    /// The key of the answer's array.
    key: &'static str,
    max_ids: usize,
    one: &'static str,
    one_prefix: &'static str,
}

const ARTISTS: ByIds = ByIds {
    several: "GET /artists",
    several_path: "/artists",
    key: "artists",
    max_ids: 50,
    one: "GET /artists/{id}",
    one_prefix: "/artists",
};
const ALBUMS: ByIds = ByIds {
    several: "GET /albums",
    several_path: "/albums",
    key: "albums",
    max_ids: 20,
    one: "GET /albums/{id}",
    one_prefix: "/albums",
};
const TRACKS: ByIds = ByIds {
    several: "GET /tracks",
    several_path: "/tracks",
    key: "tracks",
    max_ids: 50,
    one: "GET /tracks/{id}",
    one_prefix: "/tracks",
};
const AUDIO_FEATURES: ByIds = ByIds {
    several: "GET /audio-features",
    several_path: "/audio-features",
    key: "audio_features",
    max_ids: 100,
    one: "GET /audio-features/{id}",
    one_prefix: "/audio-features",
};

/// The most pages a paged read follows: far beyond any real discography, but a bound on a
/// server that keeps sending `next`.
const MAX_PAGES: usize = 1000;

/// What names an item in logs: its `id` when it has one, else its place in the answer.
fn item_name(value: &Value, position: usize, context: &str) -> String {
    match value.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => format!("item {position} of {context}"),
    }
}

impl SpotifyClient {
    /// Decodes the items of an answer one by one, skipping (and counting) the malformed ones.
    fn decode_items<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        context: &str,
        items: Vec<Value>,
    ) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let name = item_name(&v, i, context);
                T::deserialize(v)
                    .map_err(|e| self.skip(endpoint, &name, &e))
                    .ok()
            })
            .collect()
    }

    /// Items by id, in the order asked; ids Spotify does not know are left out.
    async fn by_ids<T: DeserializeOwned>(&self, e: &ByIds, ids: &[String]) -> Result<Vec<T>> {
        let chunks: Vec<Vec<T>> = stream::iter(ids.chunks(e.max_ids))
            .map(|chunk| self.chunk(e, chunk))
            .buffered(self.policy().concurrency)
            .try_collect()
            .await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// One call of the several-ids endpoint, or one call per id when it is not available or
    /// its answer is malformed.
    async fn chunk<T: DeserializeOwned>(&self, e: &ByIds, chunk: &[String]) -> Result<Vec<T>> {
        if !self.is_unavailable(e.several) {
            let query = [("ids", chunk.join(","))];
            let what = format!("{} ids from {}", chunk.len(), chunk[0]);
            match self
                .get::<Value>(e.several, e.several_path, &query, &what)
                .await
            {
                Ok(mut answer) => match answer.get_mut(e.key).map(Value::take) {
                    Some(Value::Array(items)) if items.len() == chunk.len() => {
                        return Ok(items
                            .into_iter()
                            .zip(chunk)
                            .filter(|(v, _)| !v.is_null())
                            .filter_map(|(v, id)| {
                                T::deserialize(v)
                                    .map_err(|err| self.skip(e.several, id, &err))
                                    .ok()
                            })
                            .collect());
                    }
                    _ => warn!(
                        endpoint = e.several,
                        item = %what,
                        "answer without the expected `{}` array; asking one id a call", e.key
                    ),
                },
                Err(LoaderError::ApiMalformed { source, .. }) => warn!(
                    endpoint = e.several,
                    item = %what,
                    error = %source,
                    "malformed answer; asking one id a call"
                ),
                Err(LoaderError::ApiUnavailable { status, .. }) => {
                    self.warn_unavailable(e.several, status, "asking one id a call");
                }
                Err(LoaderError::ApiNotFound { .. }) => {
                    self.mark_unavailable(e.several, 404);
                    self.warn_unavailable(e.several, 404, "asking one id a call");
                }
                Err(err) => return Err(err),
            }
        }
        let found: Vec<Option<T>> = stream::iter(chunk)
            .map(|id| self.one(e, id))
            .buffered(self.policy().concurrency)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// One item from the one-id endpoint: `None` when Spotify does not know it or sent it
    /// malformed (skipped and counted).
    async fn one<T: DeserializeOwned>(&self, e: &ByIds, id: &str) -> Result<Option<T>> {
        let path = format!("{}/{id}", e.one_prefix);
        match self.get::<T>(e.one, &path, &[], id).await {
            Ok(item) => Ok(Some(item)),
            Err(LoaderError::ApiNotFound { .. }) => Ok(None),
            Err(LoaderError::ApiMalformed { source, .. }) => {
                self.skip(e.one, id, &source);
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// Artists by id (50 a call).
    pub async fn artists(&self, ids: &[String]) -> Result<Vec<Artist>> {
        self.by_ids(&ARTISTS, ids).await
    }

    /// Albums by id with the first page of their tracks (20 a call).
    pub async fn albums(&self, ids: &[String]) -> Result<Vec<Album>> {
        self.by_ids(&ALBUMS, ids).await
    }

    /// Tracks by id (50 a call).
    pub async fn tracks(&self, ids: &[String]) -> Result<Vec<Track>> {
        self.by_ids(&TRACKS, ids).await
    }

    /// Audio features by track id (100 a call).
    pub async fn audio_features(&self, ids: &[String]) -> Result<Vec<AudioFeatures>> {
        self.by_ids(&AUDIO_FEATURES, ids).await
    }

    /// Follows the pages of a paged endpoint from `offset`, `limit` items a page.
    async fn pages<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
        extra: &[(&str, String)],
        (mut offset, limit): (usize, u32),
        what: &str,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut query = extra.to_vec();
            query.push(("limit", limit.to_string()));
            query.push(("offset", offset.to_string()));
            let context = format!("{what} from {offset}");
            let page: Paging<Value> = self.get(endpoint, path, &query, &context).await?;
            let got = page.items.len();
            items.extend(self.decode_items(endpoint, &context, page.items));
            offset += got;
            if page.next.is_none() || got == 0 || offset >= page.total as usize {
                break;
            }
        }
        Ok(items)
    }

    /// Every album and single of an artist, following the pages; `page_size` is 1 to 10
    /// (Spotify's cap for this endpoint since February 2026).
    pub async fn artist_albums(&self, artist_id: &str, page_size: u32) -> Result<Vec<AlbumRef>> {
        self.pages(
            "GET /artists/{id}/albums",
            &format!("/artists/{artist_id}/albums"),
            &[("include_groups", "album,single".to_owned())],
            (0, page_size.clamp(1, 10)),
            &format!("albums of {artist_id}"),
        )
        .await
    }

    /// The user the client acts for (`spotify login`).
    pub async fn me(&self) -> Result<Me> {
        self.get("GET /me", "/me", &[], "the current user").await
    }

    /// The playlists the user owns or follows, following the pages.
    pub async fn my_playlists(&self) -> Result<Vec<PlaylistRef>> {
        self.pages(
            "GET /me/playlists",
            "/me/playlists",
            &[],
            (0, 50),
            "the user's playlists",
        )
        .await
    }

    /// Every entry of a playlist the user owns or collaborates on, in order, raw (an entry
    /// that is not a track stays in its place).
    pub async fn playlist_items(&self, playlist_id: &str) -> Result<Vec<Value>> {
        self.pages(
            "GET /playlists/{id}/items",
            &format!("/playlists/{playlist_id}/items"),
            &[("additional_types", "track".to_owned())],
            (0, 50),
            &format!("items of playlist {playlist_id}"),
        )
        .await
    }

    /// An album's tracks from `offset` on (for albums longer than the page the album came
    /// with); `page_size` is 1 to 50.
    pub async fn album_tracks(
        &self,
        album_id: &str,
        offset: usize,
        page_size: u32,
    ) -> Result<Vec<TrackRef>> {
        self.pages(
            "GET /albums/{id}/tracks",
            &format!("/albums/{album_id}/tracks"),
            &[],
            (offset, page_size.clamp(1, 50)),
            &format!("tracks of album {album_id}"),
        )
        .await
    }

    /// An artist's top tracks in `market` (an ISO 3166-1 alpha-2 code), best first.
    pub async fn top_tracks(&self, artist_id: &str, market: &str) -> Result<Vec<Track>> {
        let endpoint = "GET /artists/{id}/top-tracks";
        let what = format!("top tracks of {artist_id}");
        let found: TracksUnder = self
            .get(
                endpoint,
                &format!("/artists/{artist_id}/top-tracks"),
                &[("market", market.to_owned())],
                &what,
            )
            .await?;
        Ok(self.decode_items(endpoint, &what, found.tracks))
    }

    /// Artists similar to an artist, as Spotify ranks them.
    pub async fn related_artists(&self, artist_id: &str) -> Result<Vec<Artist>> {
        let endpoint = "GET /artists/{id}/related-artists";
        let what = format!("artists related to {artist_id}");
        let found: ArtistsUnder = self
            .get(
                endpoint,
                &format!("/artists/{artist_id}/related-artists"),
                &[],
                &what,
            )
            .await?;
        Ok(self.decode_items(endpoint, &what, found.artists))
    }

    /// Artists whose name matches `name`, as Spotify ranks them (at most `limit`, 1 to 10:
    /// Spotify caps search pages at 10 since February 2026).
    pub async fn search_artists(&self, name: &str, limit: u32) -> Result<Vec<Artist>> {
        let endpoint = "GET /search";
        let what = format!("artist {name:?}");
        let query = [
            ("q", name.to_owned()),
            ("type", "artist".to_owned()),
            ("limit", limit.clamp(1, 10).to_string()),
        ];
        let found: ArtistSearch = self.get(endpoint, "/search", &query, &what).await?;
        Ok(self.decode_items(endpoint, &what, found.artists.items))
    }
}

/// `{"tracks": [...]}`, items kept raw to be decoded one by one.
#[derive(serde::Deserialize)]
struct TracksUnder {
    tracks: Vec<Value>,
}

/// `{"artists": [...]}`, items kept raw to be decoded one by one.
#[derive(serde::Deserialize)]
struct ArtistsUnder {
    artists: Vec<Value>,
}
