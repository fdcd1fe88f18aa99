//! Typed reads of Spotify's catalogue on top of the [`SpotifyClient`]: batched where Spotify
//! takes several ids, falling back to one id a call where the several-ids endpoint is not
//! available to the app.

use tracing::warn;

use super::client::SpotifyClient;
use super::model::{Artist, ArtistSearch, ManyArtists};
use crate::error::{LoaderError, Result};

/// The most ids `GET /artists` takes.
pub const ARTISTS_PER_CALL: usize = 50;

const SEVERAL_ARTISTS: &str = "GET /artists";
const ONE_ARTIST: &str = "GET /artists/{id}";

impl SpotifyClient {
    /// Artists by id, in the order asked; ids Spotify does not know are left out.
    ///
    /// Asks 50 at a time; when the several-ids endpoint answers 403 or 404 it warns once,
    /// records it and asks one id at a time from then on.
    pub async fn artists(&self, ids: &[String]) -> Result<Vec<Artist>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ARTISTS_PER_CALL) {
            if !self.is_unavailable(SEVERAL_ARTISTS) {
                let query = [("ids", chunk.join(","))];
                let item = format!("{} artists", chunk.len());
                match self
                    .get::<ManyArtists>(SEVERAL_ARTISTS, "/artists", &query, &item)
                    .await
                {
                    Ok(many) => {
                        found.extend(many.artists.into_iter().flatten());
                        continue;
                    }
                    Err(LoaderError::SpotifyUnavailable { status, .. }) => {
                        self.fall_back(status);
                    }
                    Err(LoaderError::SpotifyNotFound { .. }) => {
                        self.mark_unavailable(SEVERAL_ARTISTS);
                        self.fall_back(404);
                    }
                    Err(e) => return Err(e),
                }
            }
            for id in chunk {
                match self
                    .get::<Artist>(ONE_ARTIST, &format!("/artists/{id}"), &[], id)
                    .await
                {
                    Ok(artist) => found.push(artist),
                    Err(LoaderError::SpotifyNotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(found)
    }

    fn fall_back(&self, status: u16) {
        if self.warn_once(SEVERAL_ARTISTS) {
            warn!(
                endpoint = SEVERAL_ARTISTS,
                status, "endpoint not available to this app; asking one artist at a time"
            );
        }
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
