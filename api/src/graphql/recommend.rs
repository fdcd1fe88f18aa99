//! `recommendations`: Spotify's retired `/recommendations` endpoint, answered from the
//! catalog's own audio features.

use async_graphql::{Context, ID, Object, Result};

use super::connection::{db, load_in_order};
use super::features::AudioTargets;
use super::loader::TrackKey;
use super::node::NodeType;
use super::types::Track;
use crate::error::ApiError;
use crate::recommend::request::{Request, Targets};
use crate::recommend::{IndexStore, Recommendation as Found};
use crate::service;

impl From<AudioTargets> for Targets {
    fn from(t: AudioTargets) -> Self {
        Self {
            features: t.features(),
            popularity: t.popularity,
        }
    }
}

/// A recommended track.
pub struct Recommendation {
    track: Track,
    found: Found,
}

/// A recommended track, and how near it is to what was asked for.
#[Object]
impl Recommendation {
    /// The recommended track.
    async fn track(&self) -> &Track {
        &self.track
    }
    /// `1 / (1 + cost)`: the cost is the distance, with 0.1 added when the track's main artist
    /// shares no genre with the seeds and `playlistBonus` taken off, at least 0. 1 for a perfect
    /// match, towards 0 further away. Results come in falling score order.
    async fn score(&self) -> f64 {
        self.found.score()
    }
    /// Why the track ranks where it does besides its sound: what sharing playlists with the
    /// seeds took off its distance (16 times its co-occurrence with them, 0 to 1); 0 for a track
    /// in no playlist with them.
    async fn playlist_bonus(&self) -> f64 {
        f64::from(self.found.playlist_bonus)
    }
    /// Distance to what was asked for (the seeds' centroid, with targets in place of it where
    /// given), each feature standardised over the catalog.
    async fn distance(&self) -> f64 {
        f64::from(self.found.distance)
    }
}

/// Recommendations.
#[derive(Default)]
pub struct RecommendQuery;

#[Object]
impl RecommendQuery {
    /// Tracks that sound like the seeds: 1 to 5 seeds in all, artists (their audio profile),
    /// tracks and genres (the mean of their tracks). `target` moves the wanted sound feature by
    /// feature; `min` and `max` bound the results. The seeds' tracks and the tracks of seed
    /// artists are left out; at most `maxPerArtist` tracks of one main artist. Nearest first,
    /// ties to the more popular track, then the smaller id.
    #[allow(clippy::too_many_arguments)]
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Artists whose audio profiles seed the search, by global id or `catalogId`; \
                    each needs tracks with audio features. 1 to 5 seeds in all."
        )]
        seed_artists: Vec<ID>,
        #[graphql(
            default,
            desc = "Tracks whose audio features seed the search, by global id or `catalogId`; \
                    each needs audio features. 1 to 5 seeds in all."
        )]
        seed_tracks: Vec<ID>,
        #[graphql(
            default,
            desc = "Genres whose tracks' mean audio features seed the search, by global id, \
                    `catalogId` or label (`dance pop`). 1 to 5 seeds in all."
        )]
        seed_genres: Vec<String>,
        #[graphql(default = 20, desc = "How many tracks to return, 1 to 100.")] limit: i32,
        #[graphql(
            desc = "Values to aim at in place of the seeds' mean, feature by feature; a \
                    popularity (0 to 100) adds popularity to the distance."
        )]
        target: Option<AudioTargets>,
        #[graphql(
            desc = "Lower bounds, inclusive: only tracks at or above each value given."
        )]
        min: Option<AudioTargets>,
        #[graphql(
            desc = "Upper bounds, inclusive: only tracks at or below each value given."
        )]
        max: Option<AudioTargets>,
        #[graphql(default = 2, desc = "The most tracks of one main artist, 1 to 100.")]
        max_per_artist: i32,
    ) -> Result<Vec<Recommendation>> {
        let request = Request {
            seed_artists: seed_artists
                .iter()
                .map(|id| NodeType::Artist.catalog_id(id))
                .collect(),
            seed_tracks: seed_tracks
                .iter()
                .map(|id| NodeType::Track.catalog_id(id))
                .collect(),
            seed_genres: seed_genres
                .iter()
                .map(|g| NodeType::Genre.catalog_id(g))
                .collect(),
            limit,
            target: target.unwrap_or_default().into(),
            min: min.unwrap_or_default().into(),
            max: max.unwrap_or_default().into(),
            max_per_artist,
        };
        request.check()?;
        let index = ctx.data_unchecked::<IndexStore>().current().await?;
        let mut wanted = request.wanted(&index)?;
        if !request.seed_genres.is_empty() {
            let centroids = service::recommend::genre_centroids(db(ctx), &request.genre_ids())
                .await
                .map_err(ApiError::from)?;
            request.add_genre_seeds(&mut wanted, &index, &centroids)?;
        }
        load_in_order(
            ctx,
            index.recommend(&wanted),
            |f| TrackKey(index.track_id(f.index).to_owned()),
            |found, t| Recommendation {
                track: Track::new(t),
                found,
            },
        )
        .await
    }
}
