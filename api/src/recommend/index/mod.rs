//! The recommendation index: every track's audio features standardised over the catalog, in
//! contiguous arrays, and every artist's profile (the mean of its tracks, or of its top tracks
//! where it has them).
//!
//! A track costs 18 bytes of features (nine `u16` steps on a grid of 65,536 steps spanning each
//! feature's range in the catalog), one byte of popularity, four of artist and its id (22
//! bytes when, as with Spotify ids, all ids have one length; otherwise the bytes plus a four-byte
//! offset). Ids are kept sorted, so a lookup is a binary search and needs no hash table. Artist
//! profiles are means, kept as `f32` z-scores.
//!
//! The grid's step is a 65,535th of the feature's range. Over the shared dataset that is 0.000015
//! for the features between 0 and 1, 0.0007 dB of loudness and 0.0037 BPM of tempo: finer than
//! the three decimals sources give, except tempo, whose values 0.001 BPM apart may share a step.
//! Distances are computed from the steps; a `min`/`max` bound is compared at the grid's
//! resolution, so a value equal to the bound is always kept.

mod grid;
mod ids;
pub mod playlists;
mod query;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use self::grid::{CHUNK, Grid};
pub use self::grid::{EQUAL_WEIGHTS, Scale, Weights};
pub(crate) use self::ids::IdTable;
pub use self::playlists::{Playlists, PlaylistsBuilder, WEIGHTING, Weighting};
pub use self::query::{Basis, Recommendation, Related, Wanted};

/// How many features a vector has: every audio feature, in [`entity::Feature::ALL`] order.
pub const DIMS: usize = entity::Feature::COUNT;

/// A vector of the features.
pub type Vector = [f32; DIMS];

/// A spread below this is no spread: the feature is left out of distances.
const MIN_SPREAD: f64 = 1e-9;

/// How much further a candidate sharing no genre with the seeds counts, in standardised
/// distance: about an eighth of the usual distance to the tenth nearest on the shared dataset,
/// so genre decides between candidates that sound nearly alike. It raised the share of related
/// artists in the artist's main genre from 0.480 to 0.563 and of recommendations from 0.438 to
/// 0.532 (`recommend-quality`).
pub const GENRE_PENALTY: f32 = 0.1;

/// How much more shared playlists count than sound in the blend of [`Basis::Hybrid`]: related
/// artists are ranked by `(audio + w · playlists) / (1 + w)`, each similarity 0 to 1. Chosen by
/// `recommend-quality` on held-out playlists.
pub const PLAYLIST_WEIGHT: f32 = 4.0;

/// How far a track's co-occurrence with the seeds (0 to 1) brings it nearer in
/// recommendations, in standardised distance. Chosen by `recommend-quality` on held-out
/// playlists.
pub const RECOMMEND_PLAYLIST_WEIGHT: f32 = 16.0;

/// How many of the tracks sharing playlists with the seeds get a bonus in recommendations.
pub const BONUS_TRACKS: usize = 2_000;

/// Popularity when a source gave none.
const UNKNOWN_POPULARITY: u8 = u8::MAX;

/// One track as the index is built from it.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackInput {
    pub id: String,
    /// Credited artists, main artist first.
    pub artist_ids: Vec<String>,
    pub popularity: Option<i32>,
    /// The raw feature values, in [`entity::Feature::ALL`] order.
    pub features: [f64; DIMS],
}

/// One artist as the index is built from it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArtistInput {
    pub id: String,
    pub popularity: Option<i32>,
    /// The artist's top tracks (any market), when it has some.
    pub top_tracks: Vec<String>,
    /// The artist's genre ids.
    pub genres: Vec<String>,
}

/// The index. Immutable once built; a new data version builds a new one.
#[derive(Debug, Default)]
pub struct Index {
    pub(crate) scale: Option<Scale>,
    pub(crate) grid: Grid,
    pub(crate) tracks: IdTable,
    /// Each feature's steps, one column per feature, in track order.
    pub(crate) track_steps: [Vec<u16>; DIMS],
    pub(crate) track_popularity: Vec<u8>,
    /// The main artist of each track, as an index into the artists.
    pub(crate) track_artist: Vec<u32>,
    pub(crate) artists: IdTable,
    pub(crate) artist_profile: Vec<Vector>,
    pub(crate) artist_popularity: Vec<u8>,
    /// Tracks behind each profile; 0 for an artist with no track that has features.
    pub(crate) artist_tracks: Vec<u32>,
    /// Every genre id any artist has, sorted; artists' genres are positions in it.
    pub(crate) genres: Vec<String>,
    /// Artist `a`'s genres are `artist_genres[genre_start[a]..genre_start[a + 1]]`, sorted.
    pub(crate) genre_start: Vec<u32>,
    pub(crate) artist_genres: Vec<u32>,
    /// Playlists, for co-occurrence; empty until [`Index::set_playlists`].
    pub(crate) playlists: Playlists,
    /// [`GENRE_PENALTY`] unless set otherwise.
    pub(crate) genre_penalty: f32,
    /// [`PLAYLIST_WEIGHT`] unless set otherwise.
    pub(crate) playlist_weight: f32,
    /// [`RECOMMEND_PLAYLIST_WEIGHT`] unless set otherwise.
    pub(crate) recommend_playlist_weight: f32,
    /// Mean and spread of the tracks' known popularity.
    pub(crate) popularity_scale: (f64, f64),
    /// The names of the catalog, searched by `searchArtists`, `searchTracks` and the chatbot;
    /// empty until [`Index::set_search`].
    pub(crate) search: crate::search::SearchIndex,
    /// The data version the index was built from.
    pub version: Option<i64>,
}

fn popularity(p: Option<i32>) -> u8 {
    p.and_then(|p| u8::try_from(p.clamp(0, 100)).ok())
        .unwrap_or(UNKNOWN_POPULARITY)
}

/// Popularity for ordering: unknown sorts below 0.
pub(crate) fn rank_popularity(p: u8) -> i16 {
    if p == UNKNOWN_POPULARITY {
        -1
    } else {
        i16::from(p)
    }
}

impl Index {
    /// Builds the index with every feature counting alike.
    pub fn build(tracks: Vec<TrackInput>, artists: Vec<ArtistInput>) -> Self {
        Self::build_weighted(tracks, artists, EQUAL_WEIGHTS)
    }

    /// Builds the index. Tracks credited to artists missing from `artists` still count for
    /// distances but have no profile behind them.
    pub fn build_weighted(
        mut tracks: Vec<TrackInput>,
        mut artists: Vec<ArtistInput>,
        weights: Weights,
    ) -> Self {
        tracks.sort_by(|a, b| a.id.cmp(&b.id));
        tracks.dedup_by(|a, b| a.id == b.id);
        artists.sort_by(|a, b| a.id.cmp(&b.id));
        artists.dedup_by(|a, b| a.id == b.id);
        let scale = Scale::of(&tracks, weights);
        let grid = Grid::of(&tracks, &scale);
        let standardised = |t: &TrackInput| -> Vector {
            let mut z = [0.0; DIMS];
            for (d, v) in z.iter_mut().enumerate() {
                *v = scale.standardise(d, t.features[d]);
            }
            z
        };

        let track_ids: Vec<&str> = tracks.iter().map(|t| t.id.as_str()).collect();
        let track_table = IdTable::new(&track_ids);
        let artist_ids: Vec<&str> = artists.iter().map(|a| a.id.as_str()).collect();
        let artist_table = IdTable::new(&artist_ids);

        let mut track_steps: [Vec<u16>; DIMS] =
            std::array::from_fn(|_| Vec::with_capacity(tracks.len()));
        let mut track_popularity = Vec::with_capacity(tracks.len());
        let mut track_artist = Vec::with_capacity(tracks.len());
        for t in &tracks {
            for (d, column) in track_steps.iter_mut().enumerate() {
                column.push(grid.quantise(d, t.features[d]));
            }
            track_popularity.push(popularity(t.popularity));
            let main = t
                .artist_ids
                .first()
                .and_then(|a| artist_table.find(a))
                .map_or(u32::MAX, |i| u32::try_from(i).unwrap_or(u32::MAX));
            track_artist.push(main);
        }

        // Profiles: the mean of the top tracks where an artist has some with features, else of
        // every track crediting it, from the features before they go on the grid.
        let mut sums = vec![[0.0f64; DIMS]; artists.len()];
        let mut counts = vec![0u32; artists.len()];
        let mut from_top = vec![false; artists.len()];
        for (a, input) in artists.iter().enumerate() {
            for t in input.top_tracks.iter().filter_map(|t| track_table.find(t)) {
                add(&mut sums[a], &standardised(&tracks[t]));
                counts[a] += 1;
            }
            from_top[a] = counts[a] > 0;
        }
        let mut credited: HashMap<usize, Vec<usize>> = HashMap::new();
        for (t, input) in tracks.iter().enumerate() {
            for a in input.artist_ids.iter().filter_map(|a| artist_table.find(a)) {
                if !from_top[a] {
                    credited.entry(a).or_default().push(t);
                }
            }
        }
        for (a, ts) in credited {
            for t in ts {
                add(&mut sums[a], &standardised(&tracks[t]));
                counts[a] += 1;
            }
        }
        let artist_profile = sums
            .iter()
            .zip(&counts)
            .map(|(sum, n)| {
                let mut p = [0.0f32; DIMS];
                if *n > 0 {
                    for d in 0..DIMS {
                        p[d] = (sum[d] / f64::from(*n)) as f32;
                    }
                }
                p
            })
            .collect();

        let mut genres: Vec<String> = artists.iter().flat_map(|a| a.genres.clone()).collect();
        genres.sort();
        genres.dedup();
        let mut genre_start = Vec::with_capacity(artists.len() + 1);
        let mut artist_genres = Vec::new();
        for a in &artists {
            genre_start.push(u32::try_from(artist_genres.len()).unwrap_or(u32::MAX));
            let start = artist_genres.len();
            artist_genres.extend(
                a.genres
                    .iter()
                    .filter_map(|g| genres.binary_search(g).ok())
                    .map(|g| g as u32),
            );
            artist_genres[start..].sort_unstable();
        }
        genre_start.push(u32::try_from(artist_genres.len()).unwrap_or(u32::MAX));
        genres.shrink_to_fit();
        artist_genres.shrink_to_fit();

        let known: Vec<f64> = track_popularity
            .iter()
            .filter(|p| **p != UNKNOWN_POPULARITY)
            .map(|p| f64::from(*p))
            .collect();
        let n = known.len().max(1) as f64;
        let mean = known.iter().sum::<f64>() / n;
        let spread = (known.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / n).sqrt();

        Self {
            version: None,
            popularity_scale: (mean, spread),
            scale: (!tracks.is_empty()).then_some(scale),
            grid,
            tracks: track_table,
            track_steps,
            track_popularity,
            track_artist,
            artist_profile,
            artist_popularity: artists.iter().map(|a| popularity(a.popularity)).collect(),
            artist_tracks: counts,
            artists: artist_table,
            genres,
            genre_start,
            artist_genres,
            genre_penalty: GENRE_PENALTY,
            playlists: Playlists::default(),
            playlist_weight: PLAYLIST_WEIGHT,
            recommend_playlist_weight: RECOMMEND_PLAYLIST_WEIGHT,
            search: crate::search::SearchIndex::default(),
        }
    }

    /// Adds the playlists read into `builder`, weighted by `weighting` ([`WEIGHTING`] for the
    /// model), replacing any the index had.
    pub fn set_playlists(&mut self, builder: PlaylistsBuilder, weighting: Weighting) {
        let artists = &self.artists;
        self.playlists = Playlists::build(builder, artists.len(), |id| artists.find(id), weighting);
    }

    /// Makes `search` the index of names, replacing any the index had.
    pub fn set_search(&mut self, search: crate::search::SearchIndex) {
        self.search = search;
    }

    /// The index of names.
    pub fn search(&self) -> &crate::search::SearchIndex {
        &self.search
    }

    /// The playlists behind co-occurrence.
    pub fn playlists(&self) -> &Playlists {
        &self.playlists
    }

    /// Tracks in the index.
    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// Artists in the index, with or without a profile.
    pub fn artist_count(&self) -> usize {
        self.artists.len()
    }

    /// The catalog's mean and spread per feature; `None` for an empty index.
    pub fn scale(&self) -> Option<&Scale> {
        self.scale.as_ref()
    }

    /// Bytes the index holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.tracks.heap_bytes()
            + self.artists.heap_bytes()
            + self
                .track_steps
                .iter()
                .map(|c| c.capacity() * 2)
                .sum::<usize>()
            + self.track_popularity.capacity()
            + self.track_artist.capacity() * 4
            + self.artist_profile.capacity() * std::mem::size_of::<Vector>()
            + self.artist_popularity.capacity()
            + self.artist_tracks.capacity() * 4
            + self.genres.iter().map(|g| g.capacity() + 24).sum::<usize>()
            + (self.genre_start.capacity() + self.artist_genres.capacity()) * 4
            + self.playlists.heap_bytes()
            + self.search.heap_bytes()
    }

    /// An artist's genres, as positions among the index's genres, sorted.
    pub fn artist_genres(&self, position: usize) -> &[u32] {
        match (
            self.genre_start.get(position),
            self.genre_start.get(position + 1),
        ) {
            (Some(a), Some(b)) => &self.artist_genres[*a as usize..*b as usize],
            _ => &[],
        }
    }

    /// The genres of a track's main artist.
    pub fn track_genres(&self, position: usize) -> &[u32] {
        self.artist_genres(self.track_artist[position] as usize)
    }

    /// The position of a genre id among the index's genres.
    pub fn genre_position(&self, id: &str) -> Option<u32> {
        self.genres
            .binary_search_by(|g| g.as_str().cmp(id))
            .ok()
            .map(|g| g as u32)
    }

    /// Sets how much further a candidate sharing no genre with the seeds counts (for
    /// measuring other values than [`GENRE_PENALTY`]); 0 turns genres off.
    pub fn set_genre_penalty(&mut self, penalty: f32) {
        self.genre_penalty = penalty.max(0.0);
    }

    /// Sets how much more shared playlists count than sound in the blend (for measuring other
    /// values than [`PLAYLIST_WEIGHT`]).
    pub fn set_playlist_weight(&mut self, weight: f32) {
        self.playlist_weight = weight.max(0.0);
    }

    /// Sets how far co-occurrence brings a track nearer in recommendations (for measuring other
    /// values than [`RECOMMEND_PLAYLIST_WEIGHT`]); 0 turns playlists off there.
    pub fn set_recommend_playlist_weight(&mut self, weight: f32) {
        self.recommend_playlist_weight = weight.max(0.0);
    }

    /// The genre penalty when an artist shares no genre with `wanted` (sorted) and `wanted` is
    /// not empty; otherwise 0.
    fn genre_penalty(&self, artist: u32, wanted: &[u32]) -> f32 {
        if wanted.is_empty()
            || self
                .artist_genres(artist as usize)
                .iter()
                .any(|g| wanted.binary_search(g).is_ok())
        {
            0.0
        } else {
            self.genre_penalty
        }
    }

    /// An artist's mean audio features on the raw scale (in [`entity::Feature::ALL`] order) and
    /// how many tracks they come from; `None` when the artist has no track with features.
    pub fn audio_profile(&self, artist_id: &str) -> Option<([f64; DIMS], u32)> {
        let a = self.artists.find(artist_id)?;
        let n = self.artist_tracks[a];
        let scale = self.scale.as_ref()?;
        (n > 0).then(|| {
            let mut raw = [0.0; DIMS];
            for (d, r) in raw.iter_mut().enumerate() {
                *r = scale.raw(d, self.artist_profile[a][d]);
            }
            (raw, n)
        })
    }

    /// The id of the artist at an index position.
    pub fn artist_id(&self, index: usize) -> &str {
        self.artists.get(index)
    }

    /// The position of an artist, if the index knows it.
    pub fn artist_position(&self, id: &str) -> Option<usize> {
        self.artists.find(id)
    }

    /// An artist's standardised profile; `None` when it has no track with features.
    pub fn artist_vector(&self, position: usize) -> Option<Vector> {
        (self.artist_tracks.get(position).copied().unwrap_or(0) > 0)
            .then(|| self.artist_profile[position])
    }

    /// The position of a track with audio features, if the index knows it.
    pub fn track_position(&self, id: &str) -> Option<usize> {
        self.tracks.find(id)
    }

    /// The id of the track at an index position.
    pub fn track_id(&self, position: usize) -> &str {
        self.tracks.get(position)
    }

    /// A track's standardised features, as the grid holds them.
    pub fn track_vector(&self, position: usize) -> Vector {
        let mut z = [0.0; DIMS];
        for (d, v) in z.iter_mut().enumerate() {
            *v = self.grid.z(d, self.track_steps[d][position]);
        }
        z
    }

    /// Raw feature values standardised like the catalog's.
    pub fn standardise(&self, raw: &[f64; DIMS]) -> Vector {
        let mut z = [0.0; DIMS];
        if let Some(scale) = &self.scale {
            for (d, v) in z.iter_mut().enumerate() {
                *v = scale.standardise(d, raw[d]);
            }
        }
        z
    }
}

fn add(sum: &mut [f64; DIMS], z: &Vector) {
    for d in 0..DIMS {
        sum[d] += f64::from(z[d]);
    }
}

/// Euclidean distance between two vectors.
pub fn distance(a: &Vector, b: &Vector) -> f32 {
    let mut s = 0.0f32;
    for d in 0..DIMS {
        let x = a[d] - b[d];
        s += x * x;
    }
    s.sqrt()
}
