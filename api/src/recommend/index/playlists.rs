//! What listeners put together: playlists as lists of track positions, and the co-occurrence of
//! artists and tracks computed from them at query time.
//!
//! Two artists (or tracks) are near when they share playlists. A playlist counts `1 / n^α` for
//! `n` distinct artists in it ([`Weighting::exponent`]), so a small focused playlist says more than
//! a 200-track mix. The sum `S(a, b)` over shared playlists is normalised by each side's total,
//! `M(a)^0.5 · M(b)^β` ([`Weighting::neighbour`]; β = 0.5 is a cosine, a smaller β leans towards
//! artists in many playlists), and shrunk by `s / (s + λ)` for `s` shared playlists
//! ([`Weighting::shrink`]), so an artist seen in one playlist is not everyone's nearest neighbour.
//!
//! Memory: 8 bytes per playlist entry (a playlist's tracks and a track's playlists, as `u32`
//! positions), 26 per distinct track (its id, main artist and the artist's track list), 8 per
//! playlist. Nothing is computed per pair in advance: a query walks the seed's playlists and
//! their tracks, at most [`WALK_BUDGET`] entries, smallest playlists first.

use std::collections::HashMap;

use super::ids::IdTable;

/// The most playlist entries one query walks. An artist in more playlists than that is scored
/// over its smallest playlists (those that weigh most), so a query's cost stays bounded for the
/// most popular artists.
pub const WALK_BUDGET: usize = 400_000;

/// How playlists are weighted and evidence is shrunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weighting {
    /// A playlist of `n` distinct artists counts `1 / n^exponent`.
    pub exponent: f32,
    /// Similarity is scaled by `s / (s + shrink)` for `s` shared playlists.
    pub shrink: f32,
    /// The neighbour's total counts `mass^neighbour` in the denominator (0.5: a cosine; less
    /// leans towards artists in many playlists).
    pub neighbour: f32,
}

impl Default for Weighting {
    fn default() -> Self {
        WEIGHTING
    }
}

/// The weighting of the model, chosen by `recommend-quality` on held-out playlists.
pub const WEIGHTING: Weighting = Weighting {
    exponent: 1.0,
    shrink: 5.0,
    neighbour: 0.4,
};

/// Collects playlist entries one by one (a playlist's entries together, in order) without
/// keeping a string per entry, then the main artists of their tracks.
#[derive(Debug, Default)]
pub struct PlaylistsBuilder {
    /// Each distinct track id, with its main artist's id, in first-seen order.
    track_ids: HashMap<Box<str>, u32>,
    track_artist_ids: Vec<Option<Box<str>>>,
    current: Option<String>,
    start: Vec<u32>,
    entries: Vec<u32>,
}

impl PlaylistsBuilder {
    /// Adds the next entry. Entries of one playlist must come together.
    pub fn push(&mut self, playlist_id: &str, track_id: &str) {
        if self.current.as_deref() != Some(playlist_id) {
            self.current = Some(playlist_id.to_owned());
            self.start.push(self.entries.len() as u32);
        }
        let next = self.track_ids.len() as u32;
        let t = *self.track_ids.entry(track_id.into()).or_insert(next);
        if t == next {
            self.track_artist_ids.push(None);
        }
        self.entries.push(t);
    }

    /// Gives a track of the entries its main artist; the first one given counts. Tracks in no
    /// entry are ignored.
    pub fn main_artist(&mut self, track_id: &str, artist_id: &str) {
        if let Some(t) = self.track_ids.get(track_id)
            && let Some(slot) = self.track_artist_ids.get_mut(*t as usize)
            && slot.is_none()
        {
            *slot = Some(artist_id.into());
        }
    }

    /// Entries pushed so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry was pushed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Playlists and what co-occurs in them.
#[derive(Debug, Default)]
pub struct Playlists {
    /// Every track in a playlist, sorted.
    pub(crate) tracks: IdTable,
    /// The main artist of each track, as a position among the index's artists; `u32::MAX` when
    /// unknown.
    track_artist: Vec<u32>,
    /// Playlist `p`'s tracks: `entries[start[p]..start[p + 1]]`, in order.
    start: Vec<u32>,
    entries: Vec<u32>,
    /// Track `t`'s playlists: `track_playlists[track_start[t]..track_start[t + 1]]`, sorted.
    track_start: Vec<u32>,
    track_playlists: Vec<u32>,
    /// Artist `a`'s tracks: `artist_tracks[artist_start[a]..artist_start[a + 1]]`.
    artist_start: Vec<u32>,
    artist_tracks: Vec<u32>,
    /// Each playlist's weight.
    weight: Vec<f32>,
    /// Each playlist's distinct artists.
    width: Vec<u32>,
    /// The sum of the weights of an artist's (a track's) distinct playlists.
    artist_mass: Vec<f32>,
    track_mass: Vec<f32>,
    /// How many distinct playlists hold an artist.
    artist_count: Vec<u32>,
    weighting: Weighting,
}

/// A neighbour found through playlists.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoOccurring {
    /// A position among the index's artists, or among the playlists' tracks.
    pub position: u32,
    /// Playlists the two share (those walked, for the most popular seeds).
    pub shared: u32,
    /// The weighted, normalised and shrunk co-occurrence, 0 to 1.
    pub similarity: f32,
}

impl Playlists {
    /// Builds the model; `artist_position` finds an artist among the index's artists.
    pub fn build(
        builder: PlaylistsBuilder,
        artist_count: usize,
        artist_position: impl Fn(&str) -> Option<usize>,
        weighting: Weighting,
    ) -> Self {
        let PlaylistsBuilder {
            track_ids,
            track_artist_ids,
            mut start,
            mut entries,
            ..
        } = builder;
        start.push(entries.len() as u32);
        // Sorted ids, and each first-seen number's place among them.
        let mut ids: Vec<(Box<str>, u32)> = track_ids.into_iter().collect();
        ids.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut renumber = vec![0u32; ids.len()];
        let mut track_artist = vec![u32::MAX; ids.len()];
        for (sorted, (_, seen)) in ids.iter().enumerate() {
            renumber[*seen as usize] = sorted as u32;
            if let Some(a) = track_artist_ids[*seen as usize]
                .as_deref()
                .and_then(&artist_position)
            {
                track_artist[sorted] = a as u32;
            }
        }
        drop(track_artist_ids);
        for e in &mut entries {
            *e = renumber[*e as usize];
        }
        drop(renumber);
        let tracks = IdTable::new(&ids.iter().map(|(id, _)| &**id).collect::<Vec<_>>());
        drop(ids);

        let playlists = start.len() - 1;
        let (track_start, track_playlists) = transpose(tracks.len(), playlists, |p| {
            &entries[start[p] as usize..start[p + 1] as usize]
        });
        let mut artists_of_tracks: Vec<(u32, u32)> = track_artist
            .iter()
            .enumerate()
            .filter(|(_, a)| **a != u32::MAX)
            .map(|(t, a)| (*a, t as u32))
            .collect();
        artists_of_tracks.sort_unstable();
        let mut artist_start = Vec::with_capacity(artist_count + 1);
        let mut artist_tracks = Vec::with_capacity(artists_of_tracks.len());
        let mut next = artists_of_tracks.iter().peekable();
        for a in 0..artist_count as u32 {
            artist_start.push(artist_tracks.len() as u32);
            while let Some((_, t)) = next.next_if(|(b, _)| *b == a) {
                artist_tracks.push(*t);
            }
        }
        artist_start.push(artist_tracks.len() as u32);

        // Widths, weights, and each artist's distinct playlists.
        let mut width = Vec::with_capacity(playlists);
        let mut last_seen = vec![u32::MAX; artist_count];
        let mut artist_count_of = vec![0u32; artist_count];
        for p in 0..playlists {
            let mut n = 0u32;
            for &t in &entries[start[p] as usize..start[p + 1] as usize] {
                let a = track_artist[t as usize];
                if a != u32::MAX && last_seen[a as usize] != p as u32 {
                    last_seen[a as usize] = p as u32;
                    artist_count_of[a as usize] += 1;
                    n += 1;
                }
            }
            width.push(n.max(1));
        }
        let weight: Vec<f32> = width
            .iter()
            .map(|n| (*n as f32).powf(-weighting.exponent))
            .collect();
        let track_mass = (0..tracks.len())
            .map(|t| {
                track_playlists[track_start[t] as usize..track_start[t + 1] as usize]
                    .iter()
                    .map(|p| weight[*p as usize])
                    .sum()
            })
            .collect();
        let mut artist_mass = vec![0.0f32; artist_count];
        last_seen.fill(u32::MAX);
        for p in 0..playlists {
            for &t in &entries[start[p] as usize..start[p + 1] as usize] {
                let a = track_artist[t as usize];
                if a != u32::MAX && last_seen[a as usize] != p as u32 {
                    last_seen[a as usize] = p as u32;
                    artist_mass[a as usize] += weight[p];
                }
            }
        }
        start.shrink_to_fit();
        entries.shrink_to_fit();
        Self {
            tracks,
            track_artist,
            start,
            entries,
            track_start,
            track_playlists,
            artist_start,
            artist_tracks,
            weight,
            width,
            artist_mass,
            track_mass,
            artist_count: artist_count_of,
            weighting,
        }
    }

    /// Playlists in the model.
    pub fn playlist_count(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Playlist entries in the model.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// How many playlists hold an artist (by index position).
    pub fn artist_playlist_count(&self, artist: usize) -> u32 {
        self.artist_count.get(artist).copied().unwrap_or(0)
    }

    /// Bytes the model holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.tracks.heap_bytes()
            + 4 * (self.track_artist.capacity()
                + self.start.capacity()
                + self.entries.capacity()
                + self.track_start.capacity()
                + self.track_playlists.capacity()
                + self.artist_start.capacity()
                + self.artist_tracks.capacity()
                + self.weight.capacity()
                + self.width.capacity()
                + self.artist_mass.capacity()
                + self.track_mass.capacity()
                + self.artist_count.capacity())
    }

    fn playlist(&self, p: u32) -> &[u32] {
        &self.entries[self.start[p as usize] as usize..self.start[p as usize + 1] as usize]
    }

    fn playlists_of_track(&self, t: u32) -> &[u32] {
        &self.track_playlists
            [self.track_start[t as usize] as usize..self.track_start[t as usize + 1] as usize]
    }

    /// The distinct playlists holding any of an artist's tracks.
    fn playlists_of_artist(&self, a: usize) -> Vec<u32> {
        let Some(range) = self
            .artist_start
            .get(a)
            .zip(self.artist_start.get(a + 1))
            .map(|(x, y)| *x as usize..*y as usize)
        else {
            return Vec::new();
        };
        let mut ps: Vec<u32> = self.artist_tracks[range]
            .iter()
            .flat_map(|t| self.playlists_of_track(*t))
            .copied()
            .collect();
        ps.sort_unstable();
        ps.dedup();
        ps
    }

    /// Playlists to walk for a seed: all of them, or the heaviest (smallest) within the budget.
    fn walked(&self, mut playlists: Vec<u32>) -> Vec<u32> {
        let total: usize = playlists.iter().map(|p| self.playlist(*p).len()).sum();
        if total <= WALK_BUDGET {
            return playlists;
        }
        playlists.sort_unstable_by_key(|p| (self.playlist(*p).len(), *p));
        let mut spent = 0;
        playlists.retain(|p| {
            spent += self.playlist(*p).len();
            spent <= WALK_BUDGET
        });
        playlists
    }

    /// Artists sharing playlists with an artist (by index position), itself left out, with
    /// their similarity; in no order. Empty for an artist in no playlist.
    pub fn artists_near(&self, artist: usize) -> Vec<CoOccurring> {
        let mass = self.artist_mass.get(artist).copied().unwrap_or(0.0);
        if mass <= 0.0 {
            return Vec::new();
        }
        let walked = self.walked(self.playlists_of_artist(artist));
        self.co_occurring(&walked, (mass, &self.artist_mass), |t| {
            let b = self.track_artist[t as usize];
            (b != u32::MAX && b as usize != artist).then_some(b)
        })
    }

    /// Walks `playlists` and sums, per key an entry gives (an artist or a track; `None` leaves
    /// the entry out), the weights of the distinct playlists it is in; each key's similarity to
    /// the seed of total weight `mass`, `masses` holding every key's total.
    fn co_occurring(
        &self,
        playlists: &[u32],
        (mass, masses): (f32, &[f32]),
        key: impl Fn(u32) -> Option<u32>,
    ) -> Vec<CoOccurring> {
        // Per key: summed weight, shared playlists, the last playlist counted.
        let mut found: HashMap<u32, (f32, u32, u32)> = HashMap::new();
        for &p in playlists {
            let w = self.weight[p as usize];
            for &t in self.playlist(p) {
                let Some(k) = key(t) else { continue };
                let e = found.entry(k).or_insert((0.0, 0, u32::MAX));
                if e.2 != p {
                    *e = (e.0 + w, e.1 + 1, p);
                }
            }
        }
        found
            .into_iter()
            .map(|(k, (sum, shared, _))| CoOccurring {
                position: k,
                shared,
                similarity: self.similarity(sum, shared, mass, masses[k as usize]),
            })
            .collect()
    }

    /// Tracks (positions among the playlists' tracks) sharing playlists with the seeds, the
    /// seeds left out, with their similarity to the seeds taken together; in no order. Seeds are
    /// artists (index positions, through all their tracks) and tracks (ids).
    pub fn tracks_near(&self, artists: &[usize], tracks: &[&str]) -> Vec<CoOccurring> {
        let mut playlists: Vec<u32> = artists
            .iter()
            .flat_map(|a| self.playlists_of_artist(*a))
            .collect();
        let seeds: Vec<u32> = tracks
            .iter()
            .filter_map(|t| self.tracks.find(t))
            .map(|t| t as u32)
            .collect();
        for t in &seeds {
            playlists.extend_from_slice(self.playlists_of_track(*t));
        }
        playlists.sort_unstable();
        playlists.dedup();
        let mass: f32 = playlists.iter().map(|p| self.weight[*p as usize]).sum();
        if mass <= 0.0 {
            return Vec::new();
        }
        let walked = self.walked(playlists);
        self.co_occurring(&walked, (mass, &self.track_mass), |t| {
            let by_seed = artists.contains(&(self.track_artist[t as usize] as usize));
            (!by_seed && !seeds.contains(&t)).then_some(t)
        })
    }

    /// The id of a track among the playlists' tracks.
    pub fn track_id(&self, position: u32) -> &str {
        self.tracks.get(position as usize)
    }

    fn similarity(&self, sum: f32, shared: u32, mass_a: f32, mass_b: f32) -> f32 {
        let norm = mass_a.sqrt() * mass_b.powf(self.weighting.neighbour);
        let cosine = sum / norm.max(f32::MIN_POSITIVE);
        let s = shared as f32;
        (cosine * s / (s + self.weighting.shrink)).min(1.0)
    }
}

/// The transpose of a list of lists: for each of `targets`, the sorted sources whose lists hold
/// it (a source listing a target twice counts once).
fn transpose<'a>(
    targets: usize,
    sources: usize,
    list: impl Fn(usize) -> &'a [u32],
) -> (Vec<u32>, Vec<u32>) {
    let mut count = vec![0u32; targets + 1];
    let mut last = vec![u32::MAX; targets];
    for s in 0..sources {
        for &t in list(s) {
            if last[t as usize] != s as u32 {
                last[t as usize] = s as u32;
                count[t as usize + 1] += 1;
            }
        }
    }
    for i in 0..targets {
        count[i + 1] += count[i];
    }
    let mut fill = count.clone();
    let mut out = vec![0u32; count[targets] as usize];
    last.fill(u32::MAX);
    for s in 0..sources {
        for &t in list(s) {
            if last[t as usize] != s as u32 {
                last[t as usize] = s as u32;
                out[fill[t as usize] as usize] = s as u32;
                fill[t as usize] += 1;
            }
        }
    }
    (count, out)
}
