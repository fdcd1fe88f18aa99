//! What the index answers: related artists and track recommendations, and the types of their
//! requests and results.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use super::playlists::CoOccurring;
use super::*;

impl Index {
    /// The `k` artists most related to `artist_id` on a basis, best first, the artist itself
    /// left out; ties go to the more popular, then to the smaller id. `None` when the artist is
    /// unknown; empty when the basis has nothing on it (no audio profile, no playlist).
    pub fn related_artists(&self, artist_id: &str, k: usize, basis: Basis) -> Option<Vec<Related>> {
        let a = self.artists.find(artist_id)?;
        let mut found = match basis {
            Basis::Audio => self.sounding_like(a, k),
            Basis::Playlists => self
                .playlists
                .artists_near(a)
                .into_iter()
                .map(|c| self.related(a, c.position as usize, Some(c), None, 0.0))
                .collect(),
            Basis::Hybrid => {
                let mut found: Vec<Related> = self
                    .playlists
                    .artists_near(a)
                    .into_iter()
                    .map(|c| {
                        self.related(a, c.position as usize, Some(c), None, self.playlist_weight)
                    })
                    .collect();
                // Only the best `k` by sound alone can rank among the best `k` without
                // playlists in common.
                let listed: HashSet<usize> = found.iter().map(|r| r.index).collect();
                for r in self.sounding_like(a, k) {
                    if !listed.contains(&r.index) {
                        found.push(self.related(a, r.index, None, r.cost, self.playlist_weight));
                    }
                }
                found
            }
        };
        self.best_related(&mut found, k);
        found.sort_by(|x, y| self.related_order(x, y));
        Some(found)
    }

    /// Artist `b` related to `a`: by playlists where `near` says so, by sound where both have
    /// a profile (`cost`, when already known), scored with playlists counting `weight` times
    /// the sound (0: playlists alone).
    fn related(
        &self,
        a: usize,
        b: usize,
        near: Option<CoOccurring>,
        cost: Option<f32>,
        weight: f32,
    ) -> Related {
        let distance = self
            .artist_vector(a)
            .zip(self.artist_vector(b))
            .map(|(x, y)| distance(&x, &y));
        let cost = cost
            .or_else(|| distance.map(|d| d + self.genre_penalty(b as u32, self.artist_genres(a))));
        let (shared, similarity) = near.map_or((0, 0.0), |c| (c.shared, c.similarity));
        let score = if weight == 0.0 {
            similarity
        } else {
            (cost.map_or(0.0, |c| 1.0 / (1.0 + c)) + weight * similarity) / (1.0 + weight)
        };
        Related {
            index: b,
            distance,
            cost,
            shared_playlists: shared,
            playlist_similarity: similarity,
            score,
        }
    }

    /// The `k` artists whose profiles are nearest to artist `a`'s (with the genre penalty), in
    /// no order; empty when it has no profile.
    fn sounding_like(&self, a: usize, k: usize) -> Vec<Related> {
        if self.artist_tracks[a] == 0 {
            return Vec::new();
        }
        let me = &self.artist_profile[a];
        let mine = self.artist_genres(a);
        let mut found: Vec<Related> = (0..self.artists.len())
            .filter(|&b| b != a && self.artist_tracks[b] > 0)
            .map(|b| {
                let distance = distance(me, &self.artist_profile[b]);
                let cost = distance + self.genre_penalty(b as u32, mine);
                Related {
                    index: b,
                    distance: Some(distance),
                    cost: Some(cost),
                    shared_playlists: 0,
                    playlist_similarity: 0.0,
                    score: 1.0 / (1.0 + cost),
                }
            })
            .collect();
        self.best_related(&mut found, k);
        found
    }

    /// Ranking order of related artists: higher score first, then the more popular, then the
    /// smaller position.
    fn related_order(&self, x: &Related, y: &Related) -> Ordering {
        y.score
            .total_cmp(&x.score)
            .then_with(|| {
                rank_popularity(self.artist_popularity[y.index])
                    .cmp(&rank_popularity(self.artist_popularity[x.index]))
            })
            .then_with(|| x.index.cmp(&y.index))
    }

    /// Keeps the best `k` of `found` (in no order).
    fn best_related(&self, found: &mut Vec<Related>, k: usize) {
        if found.len() > k {
            found.select_nth_unstable_by(k, |x, y| self.related_order(x, y));
            found.truncate(k);
        }
    }

    /// What each track sharing playlists with the seeds takes off its distance in
    /// recommendations: [`RECOMMEND_PLAYLIST_WEIGHT`] times its co-occurrence with the seeds
    /// (0 to 1), for the [`BONUS_TRACKS`] most co-occurring tracks with audio features. Seeds
    /// are artists (index positions) and tracks (ids); their own tracks get none.
    pub fn playlist_bonus(&self, artists: &[usize], tracks: &[&str]) -> HashMap<u32, f32> {
        let playlists = &self.playlists;
        let mut near: Vec<(u32, f32)> = playlists
            .tracks_near(artists, tracks)
            .into_iter()
            .filter_map(|c| {
                let t = self.tracks.find(playlists.track_id(c.position))?;
                Some((t as u32, c.similarity))
            })
            .collect();
        let by_rank = |x: &(u32, f32), y: &(u32, f32)| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0));
        if near.len() > BONUS_TRACKS {
            near.select_nth_unstable_by(BONUS_TRACKS, by_rank);
            near.truncate(BONUS_TRACKS);
        }
        near.into_iter()
            .map(|(t, similarity)| (t, similarity * self.recommend_playlist_weight))
            .collect()
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
        let max_bonus = q.playlist_bonus.values().copied().fold(0.0f32, f32::max);
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
                    let bonus = if q.playlist_bonus.is_empty() {
                        0.0
                    } else {
                        q.playlist_bonus.get(&(i as u32)).copied().unwrap_or(0.0)
                    };
                    // The cost, squared with its sign kept: the bonus may take it below 0, and
                    // tracks below 0 still rank by how far below.
                    let key = if penalty > 0.0 || bonus > 0.0 {
                        let cost = s.sqrt() + penalty - bonus;
                        cost * cost.abs()
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
                        // A track's bonus can bring it below its distance.
                        cutoff = heap.peek().map_or(f32::INFINITY, |worst| {
                            let limit = signed_sqrt(worst.key) + max_bonus;
                            if limit > 0.0 { limit * limit } else { -1.0 }
                        });
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
                    cost: signed_sqrt(r.key),
                    playlist_bonus: q.playlist_bonus.get(&r.index).copied().unwrap_or(0.0),
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
    /// The cost squared with its sign: `c·|c|` for `c = distance + genre penalty - playlist
    /// bonus`.
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
    /// What tracks sharing playlists with the seeds have taken off their distance, by index
    /// position (see [`Index::playlist_bonus`]).
    pub playlist_bonus: HashMap<u32, f32>,
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
    /// main artist shares no genre with the seeds, less the track's playlist bonus (below 0
    /// when the bonus is larger).
    pub cost: f32,
    /// What sharing playlists with the seeds took off the distance.
    pub playlist_bonus: f32,
}

impl Recommendation {
    /// `1 / (1 + max(0, cost))`: 1 for the centroid itself (and for tracks whose playlist bonus
    /// outweighs their distance), not rising in ranking order.
    pub fn score(&self) -> f64 {
        1.0 / (1.0 + f64::from(self.cost.max(0.0)))
    }
}

/// The square root of `|k|` with the sign of `k`.
fn signed_sqrt(k: f32) -> f32 {
    k.signum() * k.abs().sqrt()
}

/// What related artists are drawn from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Basis {
    /// Playlists where the artist is in some, sound where not, blended where both say
    /// something.
    #[default]
    Hybrid,
    /// Shared playlists only.
    Playlists,
    /// Audio profiles only, with the genre penalty.
    Audio,
}

/// An artist related to another, by index position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Related {
    pub index: usize,
    /// Euclidean distance between the standardised profiles; `None` unless both artists have
    /// one.
    pub distance: Option<f32>,
    /// The distance plus [`GENRE_PENALTY`] when the two share no genre.
    pub cost: Option<f32>,
    /// Playlists holding both artists.
    pub shared_playlists: u32,
    /// Their co-occurrence in playlists, 0 to 1 (see [`super::playlists`]).
    pub playlist_similarity: f32,
    /// What results are ranked by, 0 to 1: the audio similarity, the playlist similarity, or
    /// their blend `(audio + w · playlists) / (1 + w)` with `w` = [`PLAYLIST_WEIGHT`].
    pub score: f32,
}

impl Related {
    /// The ranking score, 0 to 1, falling in ranking order.
    pub fn similarity(&self) -> f64 {
        f64::from(self.score)
    }

    /// `1 / (1 + cost)`: 1 for the same profile and a shared genre, towards 0 far away;
    /// `None` unless both artists have a profile.
    pub fn audio_similarity(&self) -> Option<f64> {
        self.cost.map(|c| 1.0 / (1.0 + f64::from(c)))
    }
}
