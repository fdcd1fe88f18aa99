//! Typed reads of Spotify's catalogue on top of the [`SpotifyClient`]: batched where Spotify
//! takes several ids, falling back to one id a call where the several-ids endpoint is not
//! available to the app.

use tracing::warn;

use super::client::SpotifyClient;
use serde::de::DeserializeOwned;

use super::model::{
    AlbumRef, Artist, ArtistSearch, AudioFeatures, ManyArtists, ManyAudioFeatures, ManyTracks,
    Paging, TopTracks, Track,
};
use crate::error::{LoaderError, Result};

/// An endpoint that takes several ids in one call.
struct Several {
    label: &'static str,
    path: &'static str,
    max_ids: usize,
}

/// The endpoint that takes one id in its path, `{prefix}/{id}`.
struct One {
    label: &'static str,
    prefix: &'static str,
}

const ARTISTS: (Several, One) = (
    Several {
        label: "GET /artists",
        path: "/artists",
        max_ids: 50,
    },
    One {
        label: "GET /artists/{id}",
        prefix: "/artists",
    },
);
const TRACKS: (Several, One) = (
    Several {
        label: "GET /tracks",
        path: "/tracks",
        max_ids: 50,
    },
    One {
        label: "GET /tracks/{id}",
        prefix: "/tracks",
    },
);
const AUDIO_FEATURES: (Several, One) = (
    Several {
        label: "GET /audio-features",
        path: "/audio-features",
        max_ids: 100,
    },
    One {
        label: "GET /audio-features/{id}",
        prefix: "/audio-features",
    },
);

impl SpotifyClient {
    /// Items by id, in the order asked; ids Spotify does not know are left out.
    ///
    /// Asks as many ids a call as the several-ids endpoint takes; when that endpoint answers 403
    /// or 404 it warns once, records it and asks one id at a time for the rest of the run.
    async fn by_ids<T: DeserializeOwned, Many: DeserializeOwned>(
        &self,
        (several, one): &(Several, One),
        ids: &[String],
        items: fn(Many) -> Vec<Option<T>>,
    ) -> Result<Vec<T>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(several.max_ids) {
            if !self.is_unavailable(several.label) {
                let query = [("ids", chunk.join(","))];
                let item = format!("{} ids", chunk.len());
                let status = match self
                    .get::<Many>(several.label, several.path, &query, &item)
                    .await
                {
                    Ok(many) => {
                        found.extend(items(many).into_iter().flatten());
                        continue;
                    }
                    Err(LoaderError::SpotifyUnavailable { status, .. }) => status,
                    Err(LoaderError::SpotifyNotFound { .. }) => {
                        self.mark_unavailable(several.label);
                        404
                    }
                    Err(e) => return Err(e),
                };
                if self.warn_once(several.label) {
                    warn!(
                        endpoint = several.label,
                        status, "endpoint not available to this app; asking one id a call"
                    );
                }
            }
            for id in chunk {
                let path = format!("{}/{id}", one.prefix);
                match self.get::<T>(one.label, &path, &[], id).await {
                    Ok(item) => found.push(item),
                    Err(LoaderError::SpotifyNotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(found)
    }

    /// Artists by id (50 a call).
    pub async fn artists(&self, ids: &[String]) -> Result<Vec<Artist>> {
        self.by_ids(&ARTISTS, ids, |m: ManyArtists| m.artists).await
    }

    /// Tracks by id (50 a call).
    pub async fn tracks(&self, ids: &[String]) -> Result<Vec<Track>> {
        self.by_ids(&TRACKS, ids, |m: ManyTracks| m.tracks).await
    }

    /// Audio features by track id (100 a call).
    pub async fn audio_features(&self, ids: &[String]) -> Result<Vec<AudioFeatures>> {
        self.by_ids(&AUDIO_FEATURES, ids, |m: ManyAudioFeatures| {
            m.audio_features
        })
        .await
    }

    /// Every album and single of an artist, following the pages; `page_size` is 1 to 10
    /// (Spotify's cap for this endpoint since February 2026).
    pub async fn artist_albums(&self, artist_id: &str, page_size: u32) -> Result<Vec<AlbumRef>> {
        let limit = page_size.clamp(1, 10);
        let path = format!("/artists/{artist_id}/albums");
        let mut albums = Vec::new();
        loop {
            let query = [
                ("include_groups", "album,single".to_owned()),
                ("limit", limit.to_string()),
                ("offset", albums.len().to_string()),
            ];
            let item = format!("albums of {artist_id} from {}", albums.len());
            let page: Paging<AlbumRef> = self
                .get("GET /artists/{id}/albums", &path, &query, &item)
                .await?;
            let last = page.next.is_none() || page.items.is_empty();
            albums.extend(page.items);
            if last || albums.len() >= page.total as usize {
                return Ok(albums);
            }
        }
    }

    /// An artist's top tracks in `market` (an ISO 3166-1 alpha-2 code), best first.
    pub async fn top_tracks(&self, artist_id: &str, market: &str) -> Result<Vec<Track>> {
        let found: TopTracks = self
            .get(
                "GET /artists/{id}/top-tracks",
                &format!("/artists/{artist_id}/top-tracks"),
                &[("market", market.to_owned())],
                &format!("top tracks of {artist_id}"),
            )
            .await?;
        Ok(found.tracks)
    }

    /// Artists whose name matches `name`, as Spotify ranks them (at most `limit`, 1 to 10:
    /// Spotify caps search pages at 10 since February 2026).
    pub async fn search_artists(&self, name: &str, limit: u32) -> Result<Vec<Artist>> {
        let query = [
            ("q", name.to_owned()),
            ("type", "artist".to_owned()),
            ("limit", limit.clamp(1, 10).to_string()),
        ];
        let found: ArtistSearch = self
            .get(
                "GET /search",
                "/search",
                &query,
                &format!("artist {name:?}"),
            )
            .await?;
        Ok(found.artists.items)
    }
}
