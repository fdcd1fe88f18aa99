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

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

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

/// Sorted ids, stored compactly.
#[derive(Debug, Default)]
pub(crate) struct IdTable {
    bytes: Vec<u8>,
    /// `Some(width)` when every id has that many bytes; offsets are then not stored.
    width: Option<usize>,
    /// Start of each id in `bytes`, plus the end, when widths vary.
    offsets: Vec<u32>,
    len: usize,
}

impl IdTable {
    /// From ids already sorted and without duplicates.
    fn new(ids: &[&str]) -> Self {
        let width = ids.first().map(|i| i.len());
        let fixed = width.filter(|w| ids.iter().all(|i| i.len() == *w));
        let mut bytes = Vec::with_capacity(ids.iter().map(|i| i.len()).sum());
        let mut offsets = Vec::new();
        if fixed.is_none() {
            offsets.reserve(ids.len() + 1);
        }
        for id in ids {
            if fixed.is_none() {
                offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            }
            bytes.extend_from_slice(id.as_bytes());
        }
        if fixed.is_none() {
            offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        }
        bytes.shrink_to_fit();
        Self {
            bytes,
            width: fixed,
            offsets,
            len: ids.len(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        let range = match self.width {
            Some(w) => i * w..(i + 1) * w,
            None => self.offsets[i] as usize..self.offsets[i + 1] as usize,
        };
        std::str::from_utf8(&self.bytes[range]).unwrap_or_default()
    }

    pub(crate) fn find(&self, id: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(id) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.offsets.capacity() * 4
    }
}

/// How much each feature counts in distances, after standardisation.
pub type Weights = [f64; DIMS];

/// Every feature counts alike.
pub const EQUAL_WEIGHTS: Weights = [1.0; DIMS];

/// Mean and spread of each feature over the catalog, and the weight of each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub mean: [f64; DIMS],
    /// The population standard deviation; features below [`MIN_SPREAD`] get a scale of 0.
    pub spread: [f64; DIMS],
    /// Positive; a standardised value is multiplied by it.
    pub weight: Weights,
}

impl Scale {
    fn of(tracks: &[TrackInput], weight: Weights) -> Self {
        let n = tracks.len().max(1) as f64;
        let mut mean = [0.0; DIMS];
        for t in tracks {
            for (m, x) in mean.iter_mut().zip(t.features) {
                *m += x / n;
            }
        }
        let mut spread = [0.0; DIMS];
        for t in tracks {
            for d in 0..DIMS {
                spread[d] += (t.features[d] - mean[d]).powi(2) / n;
            }
        }
        for s in &mut spread {
            *s = s.sqrt();
        }
        let weight = weight.map(|w| if w > 0.0 && w.is_finite() { w } else { 1.0 });
        Self {
            mean,
            spread,
            weight,
        }
    }

    /// A raw value of feature `d` standardised and weighted; 0 for a feature with no spread.
    pub fn standardise(&self, d: usize, x: f64) -> f32 {
        if self.spread[d] < MIN_SPREAD {
            0.0
        } else {
            ((x - self.mean[d]) / self.spread[d] * self.weight[d]) as f32
        }
    }

    /// A standardised value of feature `d` back on the raw scale.
    pub fn raw(&self, d: usize, z: f32) -> f64 {
        self.mean[d] + f64::from(z) / self.weight[d] * self.spread[d]
    }
}

/// Tracks scanned together: each feature's steps for a chunk are read as one run, and the
/// distances of a chunk stay in the first-level cache.
const CHUNK: usize = 512;

/// The grid of each feature: 65,536 steps from the catalog's least value to its greatest.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Grid {
    /// The raw value of step 0.
    lo: [f64; DIMS],
    /// The raw size of one step; 0 for a feature with one value.
    step: [f64; DIMS],
    /// The standardised value of step 0 and of one step.
    z_lo: [f32; DIMS],
    z_step: [f32; DIMS],
}

impl Grid {
    const STEPS: f64 = u16::MAX as f64;

    fn of(tracks: &[TrackInput], scale: &Scale) -> Self {
        let mut lo = [f64::INFINITY; DIMS];
        let mut hi = [f64::NEG_INFINITY; DIMS];
        for t in tracks {
            for d in 0..DIMS {
                lo[d] = lo[d].min(t.features[d]);
                hi[d] = hi[d].max(t.features[d]);
            }
        }
        let mut grid = Self::default();
        for d in 0..DIMS {
            if !(lo[d].is_finite() && hi[d].is_finite()) {
                continue;
            }
            grid.lo[d] = lo[d];
            grid.step[d] = (hi[d] - lo[d]) / Self::STEPS;
            grid.z_lo[d] = scale.standardise(d, lo[d]);
            if scale.spread[d] >= MIN_SPREAD {
                grid.z_step[d] = (grid.step[d] / scale.spread[d] * scale.weight[d]) as f32;
            }
        }
        grid
    }

    /// Where a raw value falls on the grid, in steps, not clamped to it.
    fn position(&self, d: usize, x: f64) -> f64 {
        if self.step[d] > 0.0 {
            ((x - self.lo[d]) / self.step[d]).round()
        } else {
            0.0
        }
    }

    fn quantise(&self, d: usize, x: f64) -> u16 {
        // `as` saturates: values off the grid go to its ends.
        self.position(d, x).clamp(0.0, Self::STEPS) as u16
    }

    /// The standardised value of a step.
    fn z(&self, d: usize, q: u16) -> f32 {
        self.z_lo[d] + f32::from(q) * self.z_step[d]
    }
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
    /// [`GENRE_PENALTY`] unless set otherwise.
    pub(crate) genre_penalty: f32,
    /// Mean and spread of the tracks' known popularity.
    pub(crate) popularity_scale: (f64, f64),
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
        }
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

    /// An artist's mean audio features on the raw scale (in [`entity::Feature::ALL`] order) and how many
    /// tracks they come from; `None` when the artist has no track with features.
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

    /// The `k` artists whose profiles are nearest to `artist_id`'s, nearest first, the artist
    /// itself left out; ties go to the more popular, then to the smaller id. `None` when the
    /// artist is unknown; empty when it has no profile.
    pub fn related_artists(&self, artist_id: &str, k: usize) -> Option<Vec<Related>> {
        let a = self.artists.find(artist_id)?;
        if self.artist_tracks[a] == 0 {
            return Some(Vec::new());
        }
        let me = &self.artist_profile[a];
        let mine = self.artist_genres(a);
        let mut found: Vec<Related> = (0..self.artists.len())
            .filter(|&b| b != a && self.artist_tracks[b] > 0)
            .map(|b| {
                let distance = distance(me, &self.artist_profile[b]);
                Related {
                    index: b,
                    distance,
                    cost: distance + self.genre_penalty(b as u32, mine),
                }
            })
            .collect();
        let by_rank = |x: &Related, y: &Related| {
            x.cost
                .total_cmp(&y.cost)
                .then_with(|| {
                    rank_popularity(self.artist_popularity[y.index])
                        .cmp(&rank_popularity(self.artist_popularity[x.index]))
                })
                .then_with(|| x.index.cmp(&y.index))
        };
        if found.len() > k {
            found.select_nth_unstable_by(k, by_rank);
            found.truncate(k);
        }
        found.sort_by(by_rank);
        Some(found)
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

    /// Tracks nearest to the seeds' centroid (with targets replacing the centroid where given),
    /// within the bounds, seeds and tracks of seed artists left out, at most `max_per_artist`
    /// a main artist; nearest first, ties to the more popular, then the smaller id.
    pub fn recommend(&self, q: &Wanted) -> Vec<Recommendation> {
        let Some(scale) = &self.scale else {
            return Vec::new();
        };
        if q.seeds.is_empty() || q.limit == 0 {
            return Vec::new();
        }
        let mut centre = [0.0f32; DIMS];
        for seed in &q.seeds {
            for (c, x) in centre.iter_mut().zip(seed) {
                *c += x / q.seeds.len() as f32;
            }
        }
        for (d, c) in centre.iter_mut().enumerate() {
            if let Some(t) = q.target[d] {
                *c = scale.standardise(d, t);
            }
        }
        // Bounds in steps of the grid (the map is monotonic, so the order of values is kept);
        // a bound on a feature without spread keeps all tracks or none.
        let grid = &self.grid;
        let mut low = [0i32; DIMS];
        let mut high = [i32::from(u16::MAX); DIMS];
        for d in 0..DIMS {
            let flat = scale.spread[d] < MIN_SPREAD;
            // A flat feature's mean is its one value, up to rounding.
            let slack = 1e-9 * scale.mean[d].abs().max(1.0);
            if let Some(m) = q.min[d] {
                if flat && scale.mean[d] + slack < m {
                    return Vec::new();
                }
                if !flat {
                    low[d] = grid.position(d, m).clamp(-1.0, Grid::STEPS + 1.0) as i32;
                }
            }
            if let Some(m) = q.max[d] {
                if flat && scale.mean[d] - slack > m {
                    return Vec::new();
                }
                if !flat {
                    high[d] = grid.position(d, m).clamp(-1.0, Grid::STEPS + 1.0) as i32;
                }
            }
        }
        let (pop_mean, pop_spread) = self.popularity_scale;
        let pop_weight = if pop_spread < MIN_SPREAD {
            0.0
        } else {
            (1.0 / pop_spread) as f32
        };
        let pop_target = q.target_popularity.map(|t| t as f32);
        let (pop_min, pop_max) = (q.min_popularity, q.max_popularity);
        let bounded_pop = pop_min.is_some() || pop_max.is_some();

        // The `k` best tracks by (distance, popularity, id), kept in a max-heap whose top is
        // the worst kept: one pass, no allocation beyond `k`.
        let bounded_d: [bool; DIMS] =
            std::array::from_fn(|d| low[d] > 0 || high[d] < i32::from(u16::MAX));
        // A step's distance from the centre is `q * z_step + offset`.
        let mut offset = [0.0f32; DIMS];
        for d in 0..DIMS {
            offset[d] = grid.z_lo[d] - centre[d];
        }
        let z_step = grid.z_step;
        let mut genres = q.genres.clone();
        genres.sort_unstable();
        genres.dedup();
        let scan = |k: usize| -> (Vec<Ranked>, bool) {
            let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
            let n = self.track_count();
            let mut chunk = [0.0f32; CHUNK];
            // The squared distance of the worst kept once `k` are kept, without a popularity
            // target (which adds to distances after this test).
            let mut cutoff = f32::INFINITY;
            for start in (0..n).step_by(CHUNK) {
                let dist = &mut chunk[..CHUNK.min(n - start)];
                dist.fill(0.0);
                // Column by column, so the compiler can work on several tracks at once.
                for d in 0..DIMS {
                    let column = &self.track_steps[d][start..start + dist.len()];
                    let (step, off) = (z_step[d], offset[d]);
                    for (s, q) in dist.iter_mut().zip(column) {
                        let x = f32::from(*q) * step + off;
                        *s += x * x;
                    }
                    if bounded_d[d] {
                        let (lo, hi) = (low[d], high[d]);
                        for (s, q) in dist.iter_mut().zip(column) {
                            let q = i32::from(*q);
                            if q < lo || q > hi {
                                *s = f32::INFINITY;
                            }
                        }
                    }
                }
                for (j, s) in dist.iter().enumerate() {
                    let (i, mut s) = (start + j, *s);
                    // Most tracks are further than the worst kept: leave them before reading
                    // more. Tracks out of bounds are infinitely far.
                    if s > cutoff || s == f32::INFINITY {
                        continue;
                    }
                    let p = self.track_popularity[i];
                    if bounded_pop
                        && (p == UNKNOWN_POPULARITY
                            || pop_min.is_some_and(|m| p < m)
                            || pop_max.is_some_and(|m| p > m))
                    {
                        continue;
                    }
                    if let Some(t) = pop_target {
                        let p = if p == UNKNOWN_POPULARITY {
                            pop_mean as f32
                        } else {
                            f32::from(p)
                        };
                        let x = (p - t) * pop_weight;
                        s += x * x;
                    }
                    let penalty = self.genre_penalty(self.track_artist[i], &genres);
                    let key = if penalty > 0.0 {
                        (s.sqrt() + penalty).powi(2)
                    } else {
                        s
                    };
                    let candidate = Ranked {
                        key,
                        s,
                        popularity: rank_popularity(p),
                        index: i as u32,
                    };
                    if heap.len() == k && heap.peek().is_some_and(|worst| candidate >= *worst) {
                        continue;
                    }
                    if q.exclude_tracks.contains(&i)
                        || q.exclude_artists.contains(&self.track_artist[i])
                    {
                        continue;
                    }
                    heap.push(candidate);
                    if heap.len() > k {
                        heap.pop();
                    }
                    if pop_target.is_none() && heap.len() == k {
                        cutoff = heap.peek().map_or(f32::INFINITY, |worst| worst.key);
                    }
                }
            }
            let full = heap.len() == k;
            (heap.into_sorted_vec(), full)
        };
        let cap = q.max_per_artist.max(1);
        let mut k = q.limit.saturating_mul(cap).max(q.limit * 4);
        loop {
            let (top, full) = scan(k);
            let mut per_artist: HashMap<u32, usize> = HashMap::new();
            let mut picked = Vec::with_capacity(q.limit);
            for r in &top {
                let artist = self.track_artist[r.index as usize];
                if artist != u32::MAX {
                    let n = per_artist.entry(artist).or_default();
                    if *n >= cap {
                        continue;
                    }
                    *n += 1;
                }
                picked.push(Recommendation {
                    index: r.index as usize,
                    distance: r.s.sqrt(),
                    cost: r.key.sqrt(),
                });
                if picked.len() == q.limit {
                    break;
                }
            }
            // Too many of the best were one artist's: look further down the list.
            if picked.len() == q.limit || !full {
                return picked;
            }
            k = k.saturating_mul(4);
        }
    }
}

/// A candidate track in ranking order: nearer first, then more popular, then smaller index.
#[derive(Clone, Copy, Debug)]
struct Ranked {
    /// The squared cost: `(distance + genre penalty)²`.
    key: f32,
    /// Squared distance.
    s: f32,
    popularity: i16,
    index: u32,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then_with(|| other.popularity.cmp(&self.popularity))
            .then_with(|| self.index.cmp(&other.index))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// What a recommendation asks for: seed vectors (standardised), raw targets and bounds.
#[derive(Clone, Debug, Default)]
pub struct Wanted {
    pub seeds: Vec<Vector>,
    pub exclude_tracks: Vec<usize>,
    pub exclude_artists: Vec<u32>,
    /// The seeds' genres, as positions among the index's genres: a track whose main artist has
    /// none of them counts [`GENRE_PENALTY`] further. Empty: no track does.
    pub genres: Vec<u32>,
    pub target: [Option<f64>; DIMS],
    pub min: [Option<f64>; DIMS],
    pub max: [Option<f64>; DIMS],
    pub target_popularity: Option<f64>,
    pub min_popularity: Option<u8>,
    pub max_popularity: Option<u8>,
    pub limit: usize,
    pub max_per_artist: usize,
}

/// A recommended track, by index position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recommendation {
    pub index: usize,
    /// Distance to the seeds' centroid (and targets) in the standardised space.
    pub distance: f32,
    /// What results are ranked by: the distance, plus [`GENRE_PENALTY`] when the track's
    /// main artist shares no genre with the seeds.
    pub cost: f32,
}

impl Recommendation {
    /// `1 / (1 + cost)`: 1 for the centroid itself, falling in ranking order.
    pub fn score(&self) -> f64 {
        1.0 / (1.0 + f64::from(self.cost))
    }
}

/// An artist near another, by index position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Related {
    pub index: usize,
    /// Euclidean distance between the standardised profiles.
    pub distance: f32,
    /// What related artists are ranked by: the distance, plus [`GENRE_PENALTY`] when the two
    /// artists share no genre.
    pub cost: f32,
}

impl Related {
    /// 1 for the same profile and a shared genre, towards 0 far away, falling in ranking
    /// order: `1 / (1 + cost)`.
    pub fn similarity(&self) -> f64 {
        1.0 / (1.0 + f64::from(self.cost))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn track(id: &str, artist: &str, popularity: i32, f: [f64; DIMS]) -> TrackInput {
        TrackInput {
            id: id.into(),
            artist_ids: vec![artist.into()],
            popularity: Some(popularity),
            features: f,
        }
    }

    fn artist(id: &str, popularity: i32) -> ArtistInput {
        ArtistInput {
            id: id.into(),
            popularity: Some(popularity),
            top_tracks: Vec::new(),
            genres: Vec::new(),
        }
    }

    /// Features that vary in energy and valence only; everything else constant.
    fn ev(energy: f64, valence: f64) -> [f64; DIMS] {
        [0.5, energy, -6.0, 0.05, 0.1, 0.0, 0.1, valence, 120.0]
    }

    fn catalog() -> Index {
        Index::build(
            vec![
                track("t1", "loud", 50, ev(0.90, 0.90)),
                track("t2", "loud", 50, ev(0.80, 0.80)),
                track("t3", "loud2", 40, ev(0.85, 0.80)),
                track("t4", "calm", 60, ev(0.10, 0.20)),
                track("t5", "calm2", 70, ev(0.20, 0.10)),
                track("t6", "mid", 10, ev(0.50, 0.50)),
            ],
            vec![
                artist("loud", 50),
                artist("loud2", 40),
                artist("calm", 60),
                artist("calm2", 70),
                artist("mid", 10),
                artist("silent", 90),
            ],
        )
    }

    #[test]
    fn nearest_artists_come_first_and_the_artist_itself_is_left_out() {
        let index = catalog();
        let related = index.related_artists("loud", 10).expect("known");
        let ids: Vec<&str> = related.iter().map(|r| index.artist_id(r.index)).collect();
        assert_eq!(ids, ["loud2", "mid", "calm", "calm2"]);
        assert!(related.windows(2).all(|w| w[0].distance <= w[1].distance));
        assert!(
            related
                .iter()
                .all(|r| (0.0..=1.0).contains(&r.similarity()))
        );
        assert_eq!(index.related_artists("loud", 1).map(|r| r.len()), Some(1));
        assert_eq!(index.related_artists("nobody", 3), None);
        assert_eq!(index.related_artists("silent", 3), Some(Vec::new()));
    }

    #[test]
    fn ties_go_to_the_more_popular_then_the_smaller_id() {
        let index = Index::build(
            vec![
                track("a", "x", 1, ev(0.5, 0.5)),
                track("b", "y", 1, ev(0.5, 0.5)),
                track("c", "z", 1, ev(0.5, 0.5)),
                track("d", "w", 1, ev(0.5, 0.5)),
                track("e", "v", 1, ev(0.9, 0.9)),
            ],
            vec![
                artist("x", 10),
                artist("y", 20),
                artist("z", 20),
                artist("w", 5),
                artist("v", 0),
            ],
        );
        let related = index.related_artists("x", 4).expect("known");
        let ids: Vec<&str> = related.iter().map(|r| index.artist_id(r.index)).collect();
        assert_eq!(ids, ["y", "z", "w", "v"]);
    }

    #[test]
    fn a_feature_with_no_spread_is_left_out_not_divided_by() {
        let index = catalog();
        let scale = index.scale().expect("built");
        assert!(scale.spread[0] < MIN_SPREAD, "danceability is constant");
        assert!(
            (0..index.track_count()).all(|t| index.track_vector(t).iter().all(|x| x.is_finite()))
        );
        assert!((0..index.track_count()).all(|t| index.track_vector(t)[0] == 0.0));
        let (profile, n) = index.audio_profile("loud").expect("profile");
        assert_eq!(n, 2);
        assert!((profile[1] - 0.85).abs() < 1e-6, "{profile:?}");
        assert!((profile[0] - 0.5).abs() < 1e-9, "{profile:?}");
    }

    #[test]
    fn a_profile_is_the_mean_of_the_top_tracks_where_there_are_some() {
        let mut artists = vec![artist("loud", 50), artist("mid", 10)];
        artists[0].top_tracks = vec!["t2".into(), "missing".into()];
        let index = Index::build(
            vec![
                track("t1", "loud", 50, ev(0.9, 0.9)),
                track("t2", "loud", 50, ev(0.7, 0.6)),
                track("t6", "mid", 10, ev(0.5, 0.5)),
            ],
            artists,
        );
        let (profile, n) = index.audio_profile("loud").expect("profile");
        assert_eq!(n, 1);
        assert!((profile[1] - 0.7).abs() < 1e-6 && (profile[7] - 0.6).abs() < 1e-6);
    }

    #[test]
    fn the_same_input_in_any_order_gives_the_same_index() {
        let a = catalog();
        let mut tracks: Vec<TrackInput> = (1..=6)
            .rev()
            .map(|i| {
                let id = format!("t{i}");
                let (artist_id, p, f) = match i {
                    1 => ("loud", 50, ev(0.90, 0.90)),
                    2 => ("loud", 50, ev(0.80, 0.80)),
                    3 => ("loud2", 40, ev(0.85, 0.80)),
                    4 => ("calm", 60, ev(0.10, 0.20)),
                    5 => ("calm2", 70, ev(0.20, 0.10)),
                    _ => ("mid", 10, ev(0.50, 0.50)),
                };
                track(&id, artist_id, p, f)
            })
            .collect();
        tracks.push(tracks[0].clone());
        let b = Index::build(
            tracks,
            vec![
                artist("silent", 90),
                artist("mid", 10),
                artist("calm2", 70),
                artist("calm", 60),
                artist("loud2", 40),
                artist("loud", 50),
            ],
        );
        assert_eq!(a.track_steps, b.track_steps);
        assert_eq!(a.artist_profile, b.artist_profile);
        assert_eq!(a.related_artists("calm", 3), b.related_artists("calm", 3));
    }

    fn wanted(seeds: Vec<Vector>) -> Wanted {
        Wanted {
            seeds,
            limit: 10,
            max_per_artist: 2,
            ..Default::default()
        }
    }

    fn ids(index: &Index, found: &[Recommendation]) -> Vec<String> {
        found
            .iter()
            .map(|r| index.track_id(r.index).to_owned())
            .collect()
    }

    #[test]
    fn recommendations_are_the_tracks_nearest_the_seeds() {
        let index = catalog();
        let loud = index.artist_position("loud").expect("known");
        let mut q = wanted(vec![index.artist_vector(loud).expect("profile")]);
        q.exclude_artists = vec![loud as u32];
        let found = index.recommend(&q);
        assert_eq!(ids(&index, &found), ["t3", "t6", "t4", "t5"]);
        assert!(found.windows(2).all(|w| w[0].distance <= w[1].distance));
        // A seed track is left out; its own artist's other tracks are not.
        let t1 = index.track_position("t1").expect("known");
        let mut q = wanted(vec![index.track_vector(t1)]);
        q.exclude_tracks = vec![t1];
        assert_eq!(ids(&index, &index.recommend(&q))[..2], ["t3", "t2"]);
    }

    #[test]
    fn targets_replace_the_centroid_and_bounds_filter() {
        let index = catalog();
        let t1 = index.track_position("t1").expect("known");
        let mut q = wanted(vec![index.track_vector(t1)]);
        q.target[1] = Some(0.1);
        q.target[7] = Some(0.2);
        assert_eq!(ids(&index, &index.recommend(&q))[0], "t4");
        let mut q = wanted(vec![index.track_vector(t1)]);
        q.min[1] = Some(0.5);
        q.max[1] = Some(0.85);
        assert_eq!(ids(&index, &index.recommend(&q)), ["t3", "t2", "t6"]);
        // Bounds on a feature without spread keep everything or nothing.
        q.min[0] = Some(0.6);
        assert!(index.recommend(&q).is_empty());
        q.min[0] = Some(0.5);
        assert_eq!(index.recommend(&q).len(), 3);
        q.min_popularity = Some(45);
        assert_eq!(ids(&index, &index.recommend(&q)), ["t2"]);
    }

    #[test]
    fn at_most_max_per_artist_tracks_of_one_artist() {
        let tracks = (0..6)
            .map(|i| {
                track(
                    &format!("a{i}"),
                    "same",
                    50,
                    ev(0.5 + f64::from(i) / 100.0, 0.5),
                )
            })
            .chain([track("z", "other", 50, ev(0.9, 0.9))])
            .collect();
        let index = Index::build(tracks, vec![artist("same", 1), artist("other", 1)]);
        let a0 = index.track_position("a0").expect("known");
        let mut q = wanted(vec![index.track_vector(a0)]);
        q.max_per_artist = 2;
        q.limit = 3;
        assert_eq!(ids(&index, &index.recommend(&q)), ["a0", "a1", "z"]);
        q.max_per_artist = 1;
        q.limit = 5;
        assert_eq!(ids(&index, &index.recommend(&q)), ["a0", "z"]);
    }

    /// A reproducible catalog of `n` tracks spread over the whole feature space.
    fn random_catalog(n: usize) -> Index {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let tracks = (0..n)
            .map(|i| {
                let mut f = [0.0; DIMS];
                for (d, v) in f.iter_mut().enumerate() {
                    // Three decimals, like the sources.
                    *v = (next() * if d == 8 { 200_000.0 } else { 1000.0 }).round() / 1000.0;
                }
                track(
                    &format!("t{i:05}"),
                    &format!("a{}", i % 97),
                    (i % 101) as i32,
                    f,
                )
            })
            .collect();
        let artists = (0..97).map(|a| artist(&format!("a{a}"), a)).collect();
        Index::build(tracks, artists)
    }

    /// The `limit` nearest tracks by brute force over the index's own vectors.
    fn brute_force(index: &Index, q: &Wanted, keep: impl Fn(usize) -> bool) -> Vec<f32> {
        let centre = q.seeds[0];
        let mut all: Vec<f32> = (0..index.track_count())
            .filter(|t| keep(*t) && !q.exclude_tracks.contains(t))
            .map(|t| distance(&index.track_vector(t), &centre))
            .collect();
        all.sort_by(f32::total_cmp);
        all.truncate(q.limit);
        all
    }

    #[test]
    fn the_chunked_scan_finds_what_a_brute_force_search_finds() {
        let index = random_catalog(3 * CHUNK + 17);
        for seed in [0, CHUNK - 1, CHUNK, 2 * CHUNK + 5, 3 * CHUNK + 16] {
            let mut q = wanted(vec![index.track_vector(seed)]);
            q.limit = 25;
            q.max_per_artist = 25;
            q.exclude_tracks = vec![seed];
            let found: Vec<f32> = index.recommend(&q).iter().map(|r| r.distance).collect();
            let expected = brute_force(&index, &q, |_| true);
            assert_eq!(found.len(), expected.len());
            for (f, e) in found.iter().zip(&expected) {
                assert!(
                    (f - e).abs() < 1e-4,
                    "seed {seed}: {found:?} != {expected:?}"
                );
            }
            // With a bound, every result keeps to it and none nearer is missed.
            q.min[1] = Some(0.4);
            q.max[8] = Some(120.0);
            let raw = |t: usize| {
                let v = index.track_vector(t);
                let scale = index.scale().expect("built");
                (scale.raw(1, v[1]), scale.raw(8, v[8]))
            };
            let found = index.recommend(&q);
            assert!(found.iter().all(|r| {
                let (energy, tempo) = raw(r.index);
                energy >= 0.4 - 1e-4 && tempo <= 120.0 + 1e-2
            }));
            let expected = brute_force(&index, &q, |t| {
                let (energy, tempo) = raw(t);
                energy >= 0.4 - 1e-9 && tempo <= 120.0 + 1e-9
            });
            let found: Vec<f32> = found.iter().map(|r| r.distance).collect();
            assert_eq!(found.len(), expected.len(), "seed {seed}");
            for (f, e) in found.iter().zip(&expected) {
                assert!(
                    (f - e).abs() < 1e-4,
                    "seed {seed}: {found:?} != {expected:?}"
                );
            }
        }
    }

    #[test]
    fn a_bound_equal_to_a_value_keeps_it_and_one_a_thousandth_above_does_not() {
        let index = Index::build(
            vec![
                track("low", "x", 1, ev(0.499, 0.5)),
                track("at", "x", 1, ev(0.500, 0.5)),
                track("high", "x", 1, ev(0.501, 0.5)),
                track("floor", "x", 1, ev(0.0, 0.0)),
                track("ceiling", "x", 1, ev(1.0, 1.0)),
            ],
            vec![artist("x", 1)],
        );
        let at = index.track_position("at").expect("known");
        let mut q = wanted(vec![index.track_vector(at)]);
        q.max_per_artist = 5;
        q.min[1] = Some(0.5);
        q.max[1] = Some(0.5);
        assert_eq!(ids(&index, &index.recommend(&q)), ["at"]);
        q.min[1] = Some(0.501);
        q.max[1] = None;
        let mut found = ids(&index, &index.recommend(&q));
        found.sort();
        assert_eq!(found, ["ceiling", "high"]);
        // Bounds beyond the catalog's range keep everything or nothing.
        q.min[1] = Some(-5.0);
        q.max[1] = Some(5.0);
        assert_eq!(index.recommend(&q).len(), 5);
        q.min[1] = Some(1.001);
        assert!(index.recommend(&q).is_empty());
    }

    #[test]
    fn a_shared_genre_decides_between_near_equals_but_not_against_a_clear_distance() {
        let genre = |mut a: ArtistInput, g: &[&str]| {
            a.genres = g.iter().map(|g| (*g).to_owned()).collect();
            a
        };
        let index = Index::build(
            vec![
                track("s", "seed", 1, ev(0.50, 0.50)),
                track("n", "near", 1, ev(0.52, 0.50)),
                track("k", "kin", 1, ev(0.53, 0.50)),
                track("f", "far", 1, ev(0.90, 0.90)),
                track("x", "farkin", 1, ev(0.10, 0.10)),
            ],
            vec![
                genre(artist("seed", 1), &["k-pop", "pop"]),
                genre(artist("near", 1), &["rock"]),
                genre(artist("kin", 1), &["pop"]),
                genre(artist("far", 1), &["rock"]),
                genre(artist("farkin", 1), &["k-pop"]),
            ],
        );
        let names =
            |r: &[Related]| -> Vec<&str> { r.iter().map(|r| index.artist_id(r.index)).collect() };
        let related = index.related_artists("seed", 4).expect("known");
        assert_eq!(names(&related), ["kin", "near", "farkin", "far"]);
        assert!(
            related[0].distance > related[1].distance,
            "kin is further but shares pop"
        );
        assert!(
            related
                .windows(2)
                .all(|w| w[0].similarity() >= w[1].similarity())
        );
        assert_eq!(related[0].cost, related[0].distance);
        assert!((related[1].cost - related[1].distance - GENRE_PENALTY).abs() < 1e-6);

        let seed = index.artist_position("seed").expect("known");
        let mut q = wanted(vec![index.artist_vector(seed).expect("profile")]);
        q.exclude_artists = vec![seed as u32];
        q.genres = index.artist_genres(seed).to_vec();
        let found = index.recommend(&q);
        assert_eq!(ids(&index, &found), ["k", "n", "x", "f"]);
        assert!(found.windows(2).all(|w| w[0].score() >= w[1].score()));
        // Without genres asked for, distance alone decides.
        q.genres.clear();
        assert_eq!(ids(&index, &index.recommend(&q))[..2], ["n", "k"]);
        let mut plain = index;
        plain.set_genre_penalty(0.0);
        let related = plain.related_artists("seed", 2).expect("known");
        assert_eq!(
            related
                .iter()
                .map(|r| plain.artist_id(r.index))
                .collect::<Vec<_>>(),
            ["near", "kin"]
        );
    }

    #[test]
    fn ids_of_one_length_are_stored_without_offsets() {
        let fixed = IdTable::new(&["aa", "bb", "cc"]);
        assert!(fixed.offsets.is_empty());
        assert_eq!((fixed.find("bb"), fixed.find("zz")), (Some(1), None));
        let varying = IdTable::new(&["a", "bb", "ccc"]);
        assert_eq!(varying.get(2), "ccc");
        assert_eq!(varying.find("a"), Some(0));
        assert_eq!(IdTable::new(&[]).find("a"), None);
    }
}
