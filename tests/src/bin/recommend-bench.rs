//! Benchmark of the recommendation index on a synthetic catalog:
//! `recommend-bench [TRACKS] [DATASET.csv.gz]` (default 1,000,000 tracks, the shared dataset).
//!
//! The catalog comes from [`sixpotify_tests::synth`], the generator `synth-catalog` writes
//! for the loader: each track copies a random real track of its artist's genre with a small
//! jitter (up to 2% of each feature's range); artists have 10 tracks each. The program builds the
//! index (timed, with its heap size per track), then times, one query at a time on one thread,
//! `related_artists(10)` and recommendations of 20 tracks from 1 seed artist and from 5 seeds
//! (3 artists and 2 tracks), and prints p50 and p99 of each.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use sixpotify_api::recommend::{ArtistInput, Index, TrackInput, Wanted, model_weights};
use sixpotify_tests::synth::{Rng, Sample, TRACKS_PER_ARTIST, id};

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
    let dataset = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/data/spotify_songs.csv.gz".into()),
    );

    let sample = Sample::load(&dataset)?;
    let mut rng = Rng::new(0xBE7C);
    let artists_n = n.div_ceil(TRACKS_PER_ARTIST);
    let mut genres = vec![String::new(); artists_n];
    let tracks: Vec<TrackInput> = sample
        .generate(n, 0x5EED)
        .inspect(|t| genres[t.artist].clone_from(&t.genre))
        .map(|t| TrackInput {
            features: t.model_features(),
            artist_ids: vec![id('a', t.artist)],
            popularity: Some(t.popularity),
            id: t.id,
        })
        .collect();
    let artists: Vec<ArtistInput> = (0..artists_n)
        .map(|a| ArtistInput {
            id: id('a', a),
            popularity: Some(rng.below(101) as i32),
            top_tracks: Vec::new(),
            genres: vec![genres[a].clone()],
        })
        .collect();

    let started = Instant::now();
    let index = Index::build_weighted(tracks, artists, model_weights());
    let build = started.elapsed();
    println!(
        "{} tracks, {} artists from {} real tracks of {}",
        index.track_count(),
        index.artist_count(),
        sample.len(),
        dataset.display()
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
        let found = index.related_artists(&a, 10, sixpotify_api::recommend::Basis::Audio);
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
                    wanted.genres.extend(index.artist_genres(a));
                } else {
                    let t = index
                        .track_position(&id('t', rng.below(n)))
                        .context("track")?;
                    wanted.seeds.push(index.track_vector(t));
                    wanted.exclude_tracks.push(t);
                    wanted.genres.extend(index.track_genres(t));
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
