//! Benchmark of the recommendation index on a synthetic catalogue:
//! `recommend-bench [TRACKS] [DATASET.csv.gz]` (default 1,000,000 tracks, the shared dataset).
//!
//! Tracks are drawn from the dataset's joint distribution of audio features: each synthetic
//! track copies a random real track's features with a small jitter (up to 2% of each feature's
//! range) and gets a random popularity; artists have 10 tracks each. The program builds the
//! index (timed, with its heap size per track), then times, one query at a time on one thread,
//! `related_artists(10)` and recommendations of 20 tracks from 1 seed artist and from 5 seeds
//! (3 artists and 2 tracks), and prints p50 and p99 of each.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use sixpotify_api::recommend::{ArtistInput, DIMS, Index, MODEL_WEIGHTS, TrackInput, Wanted};
use sixpotify_loader::csv_source::{Item, RowReader};

/// SplitMix64: a small, fast, reproducible generator; the benchmark needs nothing more.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// A 22-character id, like Spotify's, from a number.
fn id(prefix: char, n: usize) -> String {
    format!("{prefix}{n:021}")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name}\t{:.2}\t{:.2}\t{}",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("TRACKS must be a number")?
        .unwrap_or(1_000_000);
    let dataset = args
        .next()
        .unwrap_or_else(|| "../shared/data/spotify_songs.csv.gz".into());

    let file = std::fs::File::open(&dataset).with_context(|| format!("opening {dataset}"))?;
    let mut reader = RowReader::new(flate2::read::MultiGzDecoder::new(file))?;
    let mut real: Vec<[f64; DIMS]> = Vec::new();
    while let Some(item) = reader.next_item()? {
        if let Item::Row(row) = item {
            let f = &row.features;
            real.push([
                f.danceability,
                f.energy,
                f.loudness,
                f.speechiness,
                f.acousticness,
                f.instrumentalness,
                f.liveness,
                f.valence,
                f.tempo,
            ]);
        }
    }
    anyhow::ensure!(!real.is_empty(), "no rows in {dataset}");
    let mut lo = [f64::INFINITY; DIMS];
    let mut hi = [f64::NEG_INFINITY; DIMS];
    for r in &real {
        for d in 0..DIMS {
            lo[d] = lo[d].min(r[d]);
            hi[d] = hi[d].max(r[d]);
        }
    }

    let mut rng = Rng(0x5EED);
    let artists_n = n.div_ceil(10);
    let tracks: Vec<TrackInput> = (0..n)
        .map(|i| {
            let base = real[rng.below(real.len())];
            let mut features = base;
            for d in 0..DIMS {
                let jitter = rng.unit() * 0.02 * (hi[d] - lo[d]);
                features[d] = (base[d] + jitter).clamp(lo[d], hi[d]);
            }
            TrackInput {
                id: id('t', i),
                artist_ids: vec![id('a', i / 10)],
                popularity: Some(rng.below(101) as i32),
                features,
            }
        })
        .collect();
    let artists: Vec<ArtistInput> = (0..artists_n)
        .map(|a| ArtistInput {
            id: id('a', a),
            popularity: Some(rng.below(101) as i32),
            top_tracks: Vec::new(),
        })
        .collect();

    let started = Instant::now();
    let index = Index::build_weighted(tracks, artists, MODEL_WEIGHTS);
    let build = started.elapsed();
    println!(
        "{} tracks, {} artists from {} real tracks of {dataset}",
        index.track_count(),
        index.artist_count(),
        real.len()
    );
    println!(
        "index build\t{:.2} s\theap {:.1} MiB\t{:.1} bytes a track (artists included)",
        build.as_secs_f64(),
        index.heap_bytes() as f64 / (1024.0 * 1024.0),
        index.heap_bytes() as f64 / index.track_count() as f64
    );

    const QUERIES: usize = 200;
    println!("query\tp50_ms\tp99_ms\tqueries");
    let mut times = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let a = id('a', rng.below(artists_n));
        let t = Instant::now();
        let found = index.related_artists(&a, 10);
        times.push(t.elapsed());
        anyhow::ensure!(found.is_some_and(|f| f.len() == 10));
    }
    report("relatedArtists(first: 10)", times);

    for seeds in [1usize, 5] {
        let mut times = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let mut wanted = Wanted {
                limit: 20,
                max_per_artist: 2,
                ..Default::default()
            };
            for s in 0..seeds {
                if s < 3 {
                    let a = index
                        .artist_position(&id('a', rng.below(artists_n)))
                        .context("artist")?;
                    wanted
                        .seeds
                        .push(index.artist_vector(a).context("profile")?);
                    wanted.exclude_artists.push(a as u32);
                } else {
                    let t = index
                        .track_position(&id('t', rng.below(n)))
                        .context("track")?;
                    wanted.seeds.push(index.track_vector(t));
                    wanted.exclude_tracks.push(t);
                }
            }
            let t = Instant::now();
            let found = index.recommend(&wanted);
            times.push(t.elapsed());
            anyhow::ensure!(found.len() == 20);
        }
        report(
            &format!("recommendations, {seeds} seed(s), 20 tracks"),
            times,
        );
    }
    Ok(())
}
