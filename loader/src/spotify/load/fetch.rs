//! Reading a batch of artists from Spotify: discographies, albums with their tracks, track
//! details, top tracks, audio features and related artists, each stage as concurrent batched
//! requests. A read the run can do without is recorded and left out ([`recoverable`]).

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt as _, stream};
use tracing::warn;

use super::Run;
use crate::error::{LoaderError, Result};
use crate::spotify::client::SpotifyClient;
use crate::spotify::model::{Album, AlbumRef, Artist, AudioFeatures, Track};

/// One batch as read from Spotify, before it becomes rows.
#[derive(Default)]
pub(super) struct Fetched {
    pub(super) artists: Vec<Artist>,
    /// Artists whose discography is incomplete, and why.
    pub(super) incomplete: BTreeMap<String, String>,
    pub(super) albums: Vec<Album>,
    pub(super) top_tracks: Vec<(String, Vec<Track>)>,
    pub(super) tracks: Vec<Track>,
    pub(super) features: Vec<AudioFeatures>,
    pub(super) related: Vec<Artist>,
}

/// Sorts the result of a read: `Ok(Ok(value))`; `Ok(Err(why))` for a failure the run can do
/// without (an endpoint not available to the app, warned once with what happens `instead`; an
/// unknown id; a malformed item, skipped and counted on the client); `Err` for one that must
/// stop the run.
pub(super) fn recoverable<T>(
    client: &SpotifyClient,
    read: Result<T>,
    instead: &str,
) -> Result<std::result::Result<T, String>> {
    let e = match read {
        Ok(v) => return Ok(Ok(v)),
        Err(e) => e,
    };
    match e {
        LoaderError::ApiUnavailable {
            endpoint, status, ..
        } => {
            client.warn_unavailable(&endpoint, status, instead);
            Ok(Err(format!("{endpoint} is not available to this app")))
        }
        LoaderError::ApiNotFound { .. } => Ok(Err(e.to_string())),
        LoaderError::ApiMalformed {
            ref endpoint,
            ref item,
            ref source,
            ..
        } => {
            client.skip(endpoint, item, source);
            Ok(Err(e.to_string()))
        }
        other => Err(other),
    }
}

/// Runs `read` for every key, as many at once as the client allows, and keeps the order. A read
/// the run can do without comes back as `Err(why)`; any other error stops the run.
async fn each<K, T, F, Fut>(
    client: &SpotifyClient,
    keys: impl IntoIterator<Item = K>,
    instead: &str,
    read: F,
) -> Result<Vec<(K, std::result::Result<T, String>)>>
where
    K: Clone,
    F: Fn(K) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let answers: Vec<(K, Result<T>)> = stream::iter(keys)
        .map(|k| {
            let read = read(k.clone());
            async move { (k, read.await) }
        })
        .buffered(client.policy().concurrency)
        .collect()
        .await;
    answers
        .into_iter()
        .map(|(k, answer)| Ok((k, recoverable(client, answer, instead)?)))
        .collect()
}

impl Run<'_> {
    /// Reads everything a batch of artists needs from Spotify; the related artists of those not
    /// in `related_here` (themselves related to a seed) too.
    pub(super) async fn fetch(
        &mut self,
        artists: Vec<Artist>,
        related_here: &BTreeSet<String>,
    ) -> Result<Fetched> {
        let client = self.client;
        let opts = self.opts;
        let mut out = Fetched {
            artists,
            ..Default::default()
        };

        // Discographies.
        let artist_ids: Vec<String> = out.artists.iter().map(|a| a.id.clone()).collect();
        let discographies = each(
            client,
            artist_ids.clone(),
            "discographies are left out",
            |id| async move { client.artist_albums(&id, opts.album_page_size).await },
        )
        .await?;
        let mut album_refs: Vec<AlbumRef> = Vec::new();
        let mut album_seen = BTreeSet::new();
        for (artist_id, albums) in discographies {
            match albums {
                Ok(albums) => {
                    for a in albums {
                        if album_seen.insert(a.id.clone()) {
                            album_refs.push(a);
                        }
                    }
                }
                Err(why) => {
                    out.incomplete.insert(artist_id, why);
                }
            }
        }

        // Albums with their tracks.
        let album_ids: Vec<String> = album_refs.iter().map(|a| a.id.clone()).collect();
        let albums = client.albums(&album_ids).await;
        let instead = "album track lists are read page by page instead";
        out.albums = recoverable(client, albums, instead)?.unwrap_or_else(|_| {
            album_refs
                .iter()
                .map(|info| Album {
                    info: info.clone(),
                    artists: Vec::new(),
                    tracks: crate::spotify::model::Paging {
                        items: Vec::new(),
                        limit: 0,
                        offset: 0,
                        total: u32::MAX,
                        next: None,
                    },
                })
                .collect()
        });
        let long: Vec<(usize, String, usize)> = out
            .albums
            .iter()
            .enumerate()
            .filter(|(_, a)| (a.tracks.items.len() as u64) < u64::from(a.tracks.total))
            .map(|(i, a)| (i, a.info.id.clone(), a.tracks.items.len()))
            .collect();
        let rest =
            each(
                client,
                long,
                "long albums are cut at their first page",
                |(_, id, from)| async move {
                    client.album_tracks(&id, from, opts.track_page_size).await
                },
            )
            .await?;
        for ((i, album, _), more) in rest {
            match more {
                Ok(more) => out.albums[i].tracks.items.extend(more),
                Err(why) => warn!(album, %why, "album track list incomplete"),
            }
        }

        // Top tracks.
        let market = opts.market.as_str();
        let tops = each(
            client,
            artist_ids.clone(),
            "top tracks are left out",
            |id| async move { client.top_tracks(&id, market).await },
        )
        .await?;
        out.top_tracks = tops
            .into_iter()
            .filter_map(|(id, top)| top.ok().map(|top| (id, top)))
            .collect();

        // Track details for album tracks (top tracks come in full already).
        let have: BTreeSet<&str> = out
            .top_tracks
            .iter()
            .flat_map(|(_, t)| t.iter().map(|t| t.id.as_str()))
            .collect();
        let mut want = BTreeSet::new();
        let detail_ids: Vec<String> = out
            .albums
            .iter()
            .flat_map(|a| a.tracks.items.iter().map(|t| t.id.clone()))
            .filter(|id| !have.contains(id.as_str()) && want.insert(id.clone()))
            .collect();
        let tracks = client.tracks(&detail_ids).await;
        out.tracks =
            recoverable(client, tracks, "tracks keep what their album lists")?.unwrap_or_default();

        // Audio features for every track of the batch.
        let mut all_ids: BTreeSet<String> = detail_ids.into_iter().collect();
        all_ids.extend(have.iter().map(|s| (*s).to_owned()));
        let all_ids: Vec<String> = all_ids.into_iter().collect();
        let features = client.audio_features(&all_ids).await;
        out.features =
            recoverable(client, features, "audio features are left out")?.unwrap_or_default();
        // Values out of range are never stored: the track's features are rejected, and counted.
        out.features.retain(|f| match f.features.clone().checked() {
            Ok(_) => true,
            Err(why) => {
                client.skip("GET /audio-features", &f.id, &why);
                false
            }
        });

        // Related artists, one level deep.
        if opts.follow_related > 0 {
            let seeds = artist_ids
                .into_iter()
                .filter(|id| !related_here.contains(id));
            let related = each(
                client,
                seeds,
                "related artists are not followed",
                |id| async move { client.related_artists(&id).await },
            )
            .await?;
            for (_, r) in related {
                out.related
                    .extend(r.unwrap_or_default().into_iter().take(opts.follow_related));
            }
        }
        Ok(out)
    }
}
