//! `recommendations`: Spotify's retired `/recommendations` endpoint, answered from the
//! catalogue's own audio features.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::loader::TrackKey;
use super::types::{Track, db, load_in_order};
use crate::error::ApiError;
use crate::recommend::{DIMS, FEATURES, IndexStore, Recommendation as Found, Wanted};
use crate::service;

/// Seeds in all, as Spotify allowed.
const MAX_SEEDS: usize = 5;
/// Tracks a call may ask for.
const MAX_LIMIT: i32 = 100;

/// A value for each audio feature, and popularity; any may be left out.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct AudioTargets {
    /// 0 to 1.
    pub danceability: Option<f64>,
    /// 0 to 1.
    pub energy: Option<f64>,
    /// Decibels, -60 to 0.
    pub loudness: Option<f64>,
    /// 0 to 1.
    pub speechiness: Option<f64>,
    /// 0 to 1.
    pub acousticness: Option<f64>,
    /// 0 to 1.
    pub instrumentalness: Option<f64>,
    /// 0 to 1.
    pub liveness: Option<f64>,
    /// 0 to 1.
    pub valence: Option<f64>,
    /// Beats per minute, 0 to 300.
    pub tempo: Option<f64>,
    /// 0 to 100.
    pub popularity: Option<i32>,
}

impl AudioTargets {
    /// The features in [`FEATURES`] order.
    fn features(&self) -> [Option<f64>; DIMS] {
        [
            self.danceability,
            self.energy,
            self.loudness,
            self.speechiness,
            self.acousticness,
            self.instrumentalness,
            self.liveness,
            self.valence,
            self.tempo,
        ]
    }

    /// Checks every given value against its range; `arg` names the argument in errors.
    fn check(&self, arg: &str) -> Result<(), ApiError> {
        for (d, v) in self.features().into_iter().enumerate() {
            let Some(v) = v else { continue };
            let (lo, hi) = range(d);
            if !(lo..=hi).contains(&v) {
                return Err(ApiError::bad_input(format!(
                    "{arg}.{} must be between {lo} and {hi}, not {v}",
                    FEATURES[d]
                )));
            }
        }
        if let Some(p) = self.popularity
            && !(0..=100).contains(&p)
        {
            return Err(ApiError::bad_input(format!(
                "{arg}.popularity must be between 0 and 100, not {p}"
            )));
        }
        Ok(())
    }
}

/// The documented range of a feature.
fn range(d: usize) -> (f64, f64) {
    match FEATURES[d] {
        "loudness" => (-60.0, 0.0),
        "tempo" => (0.0, 300.0),
        _ => (0.0, 1.0),
    }
}

/// A recommended track.
pub struct Recommendation {
    track: Track,
    found: Found,
}

#[Object]
impl Recommendation {
    async fn track(&self) -> &Track {
        &self.track
    }
    /// `1 / (1 + distance)`, with 0.1 added to the distance when the track's main artist shares
    /// no genre with the seeds: 1 for a perfect match, towards 0 further away. Results come in
    /// falling score order.
    async fn score(&self) -> f64 {
        self.found.score()
    }
    /// Distance to what was asked for (the seeds' centroid, with targets in place of it where
    /// given), each feature standardised over the catalogue.
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
        #[graphql(default)] seed_artists: Vec<ID>,
        #[graphql(default)] seed_tracks: Vec<ID>,
        #[graphql(default)] seed_genres: Vec<String>,
        #[graphql(default = 20)] limit: i32,
        target: Option<AudioTargets>,
        min: Option<AudioTargets>,
        max: Option<AudioTargets>,
        #[graphql(default = 2)] max_per_artist: i32,
    ) -> Result<Vec<Recommendation>> {
        let seeds = seed_artists.len() + seed_tracks.len() + seed_genres.len();
        if !(1..=MAX_SEEDS).contains(&seeds) {
            return Err(ApiError::bad_input(format!(
                "seedArtists, seedTracks and seedGenres must hold 1 to {MAX_SEEDS} seeds in all, not {seeds}"
            ))
            .into());
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_input(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {limit}"
            ))
            .into());
        }
        if !(1..=MAX_LIMIT).contains(&max_per_artist) {
            return Err(ApiError::bad_input(format!(
                "maxPerArtist must be between 1 and {MAX_LIMIT}, not {max_per_artist}"
            ))
            .into());
        }
        let (target, min, max) = (
            target.unwrap_or_default(),
            min.unwrap_or_default(),
            max.unwrap_or_default(),
        );
        target.check("target")?;
        min.check("min")?;
        max.check("max")?;
        for (d, (lo, hi)) in min.features().into_iter().zip(max.features()).enumerate() {
            if let (Some(lo), Some(hi)) = (lo, hi)
                && lo > hi
            {
                return Err(ApiError::bad_input(format!(
                    "min.{0} ({lo}) is above max.{0} ({hi})",
                    FEATURES[d]
                ))
                .into());
            }
        }
        if let (Some(lo), Some(hi)) = (min.popularity, max.popularity)
            && lo > hi
        {
            return Err(ApiError::bad_input(format!(
                "min.popularity ({lo}) is above max.popularity ({hi})"
            ))
            .into());
        }

        let index = ctx.data_unchecked::<IndexStore>().current().await?;
        let mut wanted = Wanted {
            target: target.features(),
            min: min.features(),
            max: max.features(),
            target_popularity: target.popularity.map(f64::from),
            min_popularity: min.popularity.and_then(|p| u8::try_from(p).ok()),
            max_popularity: max.popularity.and_then(|p| u8::try_from(p).ok()),
            limit: limit as usize,
            max_per_artist: max_per_artist as usize,
            ..Default::default()
        };
        for id in &seed_artists {
            let position = index
                .artist_position(id)
                .ok_or_else(|| ApiError::bad_input(format!("seedArtists: no artist {}", id.0)))?;
            let profile = index.artist_vector(position).ok_or_else(|| {
                ApiError::bad_input(format!(
                    "seedArtists: artist {} has no tracks with audio features",
                    id.0
                ))
            })?;
            wanted.seeds.push(profile);
            wanted.exclude_artists.push(position as u32);
            wanted.genres.extend(index.artist_genres(position));
        }
        for id in &seed_tracks {
            let position = index.track_position(id).ok_or_else(|| {
                ApiError::bad_input(format!("seedTracks: no track {} with audio features", id.0))
            })?;
            wanted.seeds.push(index.track_vector(position));
            wanted.exclude_tracks.push(position);
            wanted.genres.extend(index.track_genres(position));
        }
        if !seed_genres.is_empty() {
            let ids: Vec<String> = seed_genres
                .iter()
                .map(|g| sixpotify_loader::normalize::genre_id(g))
                .collect();
            let centroids = service::recommend::genre_centroids(db(ctx), &ids)
                .await
                .map_err(ApiError::from)?;
            for (label, id) in seed_genres.iter().zip(&ids) {
                let raw = centroids.get(id).ok_or_else(|| {
                    ApiError::bad_input(format!(
                        "seedGenres: no genre {label:?} with audio features"
                    ))
                })?;
                wanted.seeds.push(index.standardise(raw));
                wanted.genres.extend(index.genre_position(id));
            }
        }

        load_in_order(
            ctx,
            index.recommend(&wanted),
            |f| TrackKey(index.track_id(f.index).to_owned()),
            |found, t| Recommendation {
                track: Track(t),
                found,
            },
        )
        .await
    }
}
