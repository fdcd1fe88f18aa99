//! The fake Spotify server as a program, for benchmarks and manual runs of the loader:
//! `fake-spotify [ARTISTS ALBUMS TRACKS [LATENCY_MS]]` serves a generated catalog (or the
//! Korean sample with no arguments) on a free port, prints its base URL on the first line of
//! standard output, and runs until stopped.
//!
//! Point the loader at it with `SPOTIFY_API_URL=<url>/v1`, `SPOTIFY_ACCOUNTS_URL=<url>`,
//! `SPOTIFY_CLIENT_ID=fake-client-id` and `SPOTIFY_CLIENT_SECRET=fake-client-secret-7f3a`.
//!
//! `FAKE_SPOTIFY_RETIRE` lists routes that answer 403, comma-separated as registered
//! (`/v1/albums,/v1/artists/{id}/top-tracks`), as Spotify's development mode does; on Ctrl-C the
//! fake prints how many requests reached each of them.

use std::time::Duration;

use anyhow::{Context as _, Result};
use sixpotify_tests::fake_spotify::{Catalog, FakeSpotify};

fn arg(args: &[String], i: usize, name: &str) -> Result<Option<usize>> {
    args.get(i)
        .map(|a| {
            a.parse()
                .with_context(|| format!("{name} must be a number, not {a:?}"))
        })
        .transpose()
}

#[actix_web::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let catalog = match (
        arg(&args, 0, "ARTISTS")?,
        arg(&args, 1, "ALBUMS")?,
        arg(&args, 2, "TRACKS")?,
    ) {
        (Some(a), Some(b), Some(t)) => Catalog::generated(a, b, t),
        (None, None, None) => Catalog::korean(),
        _ => anyhow::bail!("usage: fake-spotify [ARTISTS ALBUMS TRACKS [LATENCY_MS]]"),
    };
    let latency = arg(&args, 3, "LATENCY_MS")?.unwrap_or(0);
    let (artists, albums, tracks) = catalog.size();
    let fake = FakeSpotify::start_on("127.0.0.1:0", catalog, 2).await?;
    fake.set_latency(Duration::from_millis(latency as u64));
    let retired: Vec<String> = std::env::var("FAKE_SPOTIFY_RETIRE")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    for route in &retired {
        fake.retire(route);
    }
    println!("{}", fake.accounts_url());
    eprintln!(
        "fake Spotify: {artists} artists, {albums} albums, {tracks} tracks, {latency} ms a request, at {}",
        fake.accounts_url()
    );
    tokio::signal::ctrl_c().await?;
    eprintln!("fake Spotify: {} requests served", fake.total_hits());
    for route in &retired {
        eprintln!(
            "fake Spotify: {} requests to {route}",
            fake.route_hits(route)
        );
    }
    Ok(())
}
