//! Synthetic playlists in the Million Playlist Dataset's format, drawn the way real playlists
//! are put together, for the playlist benchmarks.
//!
//! Artists belong to one of [`SCENES`] scenes (a genre, a language, a mood) and have a
//! popularity that falls with their rank (Zipf, exponent 0.9); an artist's tracks are
//! likewise more played the earlier they come. A playlist draws its length from a log-normal
//! (5 to 250 entries, mean about 66, as in the real dataset), picks one to three scenes, and
//! fills each entry with a track of a popular artist of its scenes (85%) or of the whole
//! catalog (15%). So playlists are focused, popular artists are everywhere, and co-occurrence
//! has structure to find. The same specification and seed give the same files.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::synth::{Rng, id};

/// Scenes artists belong to.
pub const SCENES: usize = 200;
/// Playlists per slice file, as in the real dataset.
pub const PER_SLICE: usize = 1000;
/// Tracks per album (an artist's tracks, in order).
const TRACKS_PER_ALBUM: usize = 5;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub playlists: usize,
    pub tracks: usize,
    pub artists: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    pub slices: usize,
    pub playlists: usize,
    pub entries: usize,
}

/// Cumulative weights, for drawing an index in proportion to its weight.
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        Self(
            weights
                .into_iter()
                .map(|w| {
                    total += w;
                    total
                })
                .collect(),
        )
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = (rng.unit() + 1.0) / 2.0 * total;
        self.0
            .partition_point(|c| *c <= x)
            .min(self.0.len().saturating_sub(1))
    }
}

/// Zipf weight of a rank.
fn zipf(rank: usize) -> f64 {
    1.0 / ((rank + 1) as f64).powf(0.9)
}

/// A playlist length: log-normal, 5 to 250.
fn length(rng: &mut Rng) -> usize {
    // Box–Muller from two uniforms in (0, 1].
    let u1 = ((rng.unit() + 1.0) / 2.0).max(1e-12);
    let u2 = (rng.unit() + 1.0) / 2.0;
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (5.0 + (3.75 + 0.85 * normal).exp())
        .round()
        .clamp(5.0, 250.0) as usize
}

/// Writes `mpd.slice.<a>-<b>.json` files into `dir`.
pub fn write_slices(dir: &Path, spec: Spec) -> Result<Written> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let artists = spec.artists.max(1);
    let tracks = spec.tracks.max(artists);
    // Artist `a`'s tracks are `a, a + artists, a + 2·artists, …`: every artist has some.
    let tracks_of = |a: usize| (a..tracks).step_by(artists);
    let mut by_scene: Vec<Vec<usize>> = vec![Vec::new(); SCENES];
    for a in 0..artists {
        by_scene[a % SCENES].push(a);
    }
    let global = Weighted::new((0..artists).map(zipf));
    let scenes: Vec<Weighted> = by_scene
        .iter()
        .map(|members| Weighted::new(members.iter().map(|a| zipf(*a))))
        .collect();
    let per_artist: Vec<Weighted> = (0..artists)
        .map(|a| Weighted::new((0..tracks_of(a).count()).map(zipf)))
        .collect();
    let mut rng = Rng::new(spec.seed);
    let mut written = Written::default();
    for start in (0..spec.playlists).step_by(PER_SLICE) {
        let end = (start + PER_SLICE).min(spec.playlists);
        let path = dir.join(format!("mpd.slice.{start}-{}.json", start + PER_SLICE - 1));
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        write!(
            out,
            r#"{{"info": {{"generated_on": "synthetic", "slice": "{start}-{}", "version": "v1"}}, "playlists": ["#,
            start + PER_SLICE - 1
        )?;
        for pid in start..end {
            let n = length(&mut rng);
            let picked: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.below(SCENES)).collect();
            let mut entries = Vec::with_capacity(n);
            for pos in 0..n {
                let artist = if rng.below(100) < 85 {
                    let scene = picked[rng.below(picked.len())];
                    by_scene[scene][scenes[scene].draw(&mut rng)]
                } else {
                    global.draw(&mut rng)
                };
                let k = per_artist[artist].draw(&mut rng);
                let track = artist + k * artists;
                let album = artist + (k / TRACKS_PER_ALBUM) * artists;
                entries.push(json!({
                    "pos": pos,
                    "artist_name": format!("Artist {artist}"),
                    "artist_uri": format!("spotify:artist:{}", id('a', artist)),
                    "track_name": format!("Track {track}"),
                    "track_uri": format!("spotify:track:{}", id('t', track)),
                    "album_name": format!("Album {album}"),
                    "album_uri": format!("spotify:album:{}", id('b', album)),
                    "duration_ms": 150_000 + (track % 120) * 1000,
                }));
            }
            written.entries += n;
            let playlist = json!({
                "name": format!("Playlist {pid}"),
                "collaborative": "false",
                "pid": pid,
                "modified_at": 1_500_000_000u64 + pid as u64,
                "num_tracks": n,
                "num_followers": 1 + rng.below(20),
                "tracks": entries,
            });
            if pid > start {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut out, &playlist)?;
            written.playlists += 1;
        }
        out.write_all(b"]}")?;
        out.flush()
            .with_context(|| format!("writing {}", path.display()))?;
        written.slices += 1;
    }
    Ok(written)
}
