//! Benchmark of the playlist model over a database already loaded:
//! `playlist-bench DATABASE_URL [QUERIES]` reads what the index is built from (timed), builds the
//! index and then the playlist co-occurrence (each timed, on this one thread), prints the heap
//! the model holds and the process's peak resident memory, then times `related_artists(10)`
//! one query at a time for QUERIES (default 5,000) random artists that are in a playlist, on
//! the hybrid and the playlists-only basis, and prints p50 and p99 of each.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use sixpotify_api::recommend::{Basis, Index, WEIGHTING, model_weights};
use sixpotify_api::service::recommend::{load_inputs, load_playlists};
use sixpotify_tests::synth::Rng;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// The process's peak and current resident memory, in MiB, from `/proc/self/status`.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .context("usage: playlist-bench DATABASE_URL [QUERIES]")?;
    let queries: usize = args.next().map(|q| q.parse()).transpose()?.unwrap_or(5000);
    let db = sea_orm::Database::connect(&url).await?;

    let t = Instant::now();
    let (tracks, artists) = load_inputs(&db).await?;
    let read_catalog = t.elapsed();
    let t = Instant::now();
    let mut index = Index::build_weighted(tracks, artists, model_weights());
    let build_index = t.elapsed();
    let t = Instant::now();
    let builder = load_playlists(&db).await?;
    let read_playlists = t.elapsed();
    let entries = builder.len();
    let t = Instant::now();
    index.set_playlists(builder, WEIGHTING);
    let build_playlists = t.elapsed();
    let (peak, now) = memory();
    let model = index.playlists();
    println!(
        "playlists\t{}\nentries\t{entries}\nartists\t{}\ntracks with features\t{}",
        model.playlist_count(),
        index.artist_count(),
        index.track_count()
    );
    println!("read catalog s\t{:.2}", read_catalog.as_secs_f64());
    println!("build audio index s\t{:.2}", build_index.as_secs_f64());
    println!(
        "read playlist entries s\t{:.2}",
        read_playlists.as_secs_f64()
    );
    println!(
        "build playlist model s\t{:.2}",
        build_playlists.as_secs_f64()
    );
    println!(
        "playlist model heap MiB\t{:.1}\nindex heap MiB\t{:.1}\npeak RSS MiB\t{peak:.0}\nRSS after build MiB\t{now:.0}",
        model.heap_bytes() as f64 / (1 << 20) as f64,
        index.heap_bytes() as f64 / (1 << 20) as f64,
    );

    let listed: Vec<usize> = (0..index.artist_count())
        .filter(|a| model.artist_playlist_count(*a) > 0)
        .collect();
    anyhow::ensure!(!listed.is_empty(), "no artist is in a playlist");
    let mut rng = Rng::new(0xB3AC);
    let picks: Vec<String> = (0..queries)
        .map(|_| index.artist_id(listed[rng.below(listed.len())]).to_owned())
        .collect();
    println!("query\tp50 ms\tp99 ms\tqueries");
    for (name, basis) in [("hybrid", Basis::Hybrid), ("playlists", Basis::Playlists)] {
        let mut times: Vec<Duration> = picks
            .iter()
            .map(|a| {
                let t = Instant::now();
                let found = index.related_artists(a, 10, basis);
                std::hint::black_box(found);
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "related_artists(10) {name}\t{:.3}\t{:.3}\t{}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times.len()
        );
    }
    Ok(())
}
