//! A recommendation request as a client gives it: checked against its limits and the feature
//! ranges, then resolved against an index into the [`Wanted`] the index answers (seed genres
//! from their centroids, which the caller reads from the database).

use std::collections::HashMap;

use entity::Feature;
use entity::normalize::genre_id;

use super::{DIMS, Index, Wanted};
use crate::error::ApiError;

/// Seeds in all, as Spotify allowed.
pub const MAX_SEEDS: usize = 5;
/// Tracks a request may ask for, and the largest `max_per_artist`.
pub const MAX_LIMIT: i32 = 100;

/// A value for each feature, and popularity; any may be left out.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Targets {
    pub features: [Option<f64>; DIMS],
    pub popularity: Option<i32>,
}

impl Targets {
    /// Checks every given value against its range; `arg` names the argument in errors.
    fn check(&self, arg: &str) -> Result<(), ApiError> {
        for f in Feature::ALL {
            if let Some(v) = self.features[f.index()] {
                f.check(v)
                    .map_err(|e| ApiError::bad_input(format!("`{arg}.{f}`: {v} is {e}")))?;
            }
        }
        if let Some(p) = self.popularity
            && !(0..=100).contains(&p)
        {
            return Err(ApiError::bad_input(format!(
                "`{arg}.popularity`: {p} is out of range 0..=100"
            )));
        }
        Ok(())
    }
}

/// Tracks like the seeds, near the targets, within the bounds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    pub seed_artists: Vec<String>,
    pub seed_tracks: Vec<String>,
    /// Genre ids or labels.
    pub seed_genres: Vec<String>,
    pub limit: i32,
    pub target: Targets,
    pub min: Targets,
    pub max: Targets,
    pub max_per_artist: i32,
}

impl Request {
    /// Checks the counts, the ranges and that no lower bound is above its upper bound.
    pub fn check(&self) -> Result<(), ApiError> {
        let seeds = self.seed_artists.len() + self.seed_tracks.len() + self.seed_genres.len();
        if !(1..=MAX_SEEDS).contains(&seeds) {
            return Err(ApiError::bad_input(format!(
                "seedArtists, seedTracks and seedGenres must hold 1 to {MAX_SEEDS} seeds in all, not {seeds}"
            )));
        }
        for (name, value) in [("limit", self.limit), ("maxPerArtist", self.max_per_artist)] {
            if !(1..=MAX_LIMIT).contains(&value) {
                return Err(ApiError::bad_input(format!(
                    "{name} must be between 1 and {MAX_LIMIT}, not {value}"
                )));
            }
        }
        self.target.check("target")?;
        self.min.check("min")?;
        self.max.check("max")?;
        for f in Feature::ALL {
            if let (Some(lo), Some(hi)) =
                (self.min.features[f.index()], self.max.features[f.index()])
                && lo > hi
            {
                return Err(ApiError::bad_input(format!(
                    "min.{f} ({lo}) is above max.{f} ({hi})"
                )));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min.popularity, self.max.popularity)
            && lo > hi
        {
            return Err(ApiError::bad_input(format!(
                "min.popularity ({lo}) is above max.popularity ({hi})"
            )));
        }
        Ok(())
    }

    /// The ids of the seed genres, whose centroids [`Request::add_genre_seeds`] needs.
    pub fn genre_ids(&self) -> Vec<String> {
        self.seed_genres.iter().map(|g| genre_id(g)).collect()
    }

    /// What `index` is asked for, seed genres aside: the seed artists' and tracks' vectors,
    /// their genres, the tracks sharing playlists with them, what to leave out, and the targets
    /// and bounds. A seed the index does not
    /// know is a client error.
    pub fn wanted(&self, index: &Index) -> Result<Wanted, ApiError> {
        let mut wanted = Wanted {
            target: self.target.features,
            min: self.min.features,
            max: self.max.features,
            target_popularity: self.target.popularity.map(f64::from),
            min_popularity: self.min.popularity.and_then(|p| u8::try_from(p).ok()),
            max_popularity: self.max.popularity.and_then(|p| u8::try_from(p).ok()),
            limit: usize::try_from(self.limit).unwrap_or(0),
            max_per_artist: usize::try_from(self.max_per_artist).unwrap_or(0),
            ..Default::default()
        };
        for id in &self.seed_artists {
            let position = index
                .artist_position(id)
                .ok_or_else(|| ApiError::bad_input(format!("seedArtists: no artist {id}")))?;
            let profile = index.artist_vector(position).ok_or_else(|| {
                ApiError::bad_input(format!(
                    "seedArtists: artist {id} has no tracks with audio features"
                ))
            })?;
            wanted.seeds.push(profile);
            wanted.exclude_artists.push(position as u32);
            wanted.genres.extend(index.artist_genres(position));
        }
        for id in &self.seed_tracks {
            let position = index.track_position(id).ok_or_else(|| {
                ApiError::bad_input(format!("seedTracks: no track {id} with audio features"))
            })?;
            wanted.seeds.push(index.track_vector(position));
            wanted.exclude_tracks.push(position);
            wanted.genres.extend(index.track_genres(position));
        }
        let artists: Vec<usize> = wanted.exclude_artists.iter().map(|a| *a as usize).collect();
        let tracks: Vec<&str> = self.seed_tracks.iter().map(String::as_str).collect();
        wanted.playlist_bonus = index.playlist_bonus(&artists, &tracks);
        Ok(wanted)
    }

    /// Adds the seed genres to `wanted`: each one's vector from its raw mean features in
    /// `centroids` (by genre id), and the genre itself. A genre without features is a client
    /// error.
    pub fn add_genre_seeds(
        &self,
        wanted: &mut Wanted,
        index: &Index,
        centroids: &HashMap<String, [f64; DIMS]>,
    ) -> Result<(), ApiError> {
        for (label, id) in self.seed_genres.iter().zip(self.genre_ids()) {
            let raw = centroids.get(&id).ok_or_else(|| {
                ApiError::bad_input(format!(
                    "seedGenres: no genre {label:?} with audio features"
                ))
            })?;
            wanted.seeds.push(index.standardise(raw));
            wanted.genres.extend(index.genre_position(&id));
        }
        Ok(())
    }
}
