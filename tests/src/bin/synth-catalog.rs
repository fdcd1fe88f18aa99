//! Writes a synthetic catalog of any size for the loader:
//! `synth-catalog [--tracks N] [--dataset FILE] [--seed N] OUT` writes `OUT` (gzip when it ends
//! in `.gz`) in the shared dataset's CSV layout, drawn from `--dataset` (default the shared
//! dataset). Import it with `sixpotify-loader import-csv OUT`.
//!
//! With `--playlists N` it writes playlists instead, as Million Playlist Dataset slices into the
//! folder `OUT` (`--tracks` and `--artists` size the catalog they draw from; see
//! [`sixpotify_tests::synth_playlists`]). Import them with `sixpotify-loader import-mpd OUT`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Parser;
use sixpotify_tests::synth::{Sample, TRACKS_PER_ALBUM, TRACKS_PER_ARTIST, write_csv};

/// Writes a synthetic catalog drawn from a real dataset's distributions.
#[derive(Parser)]
struct Args {
    /// Tracks to write.
    #[arg(long, default_value_t = 1_000_000)]
    tracks: usize,
    /// The real dataset to draw from.
    #[arg(long, default_value = "../shared/data/spotify_songs.csv.gz")]
    dataset: PathBuf,
    /// Write this many playlists (Million Playlist Dataset slices) instead of a CSV catalog.
    #[arg(long)]
    playlists: Option<usize>,
    /// Artists the playlists draw from.
    #[arg(long, default_value_t = 300_000)]
    artists: usize,
    /// The same seed gives the same catalog.
    #[arg(long, default_value_t = 0x5EED)]
    seed: u64,
    /// Where to write; `.gz` compresses.
    out: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(playlists) = args.playlists {
        let spec = sixpotify_tests::synth_playlists::Spec {
            playlists,
            tracks: args.tracks,
            artists: args.artists,
            seed: args.seed,
        };
        let w = sixpotify_tests::synth_playlists::write_slices(&args.out, spec)?;
        println!(
            "{} playlists, {} entries ({:.1} a playlist) over {} tracks of {} artists in {} slices in {}",
            w.playlists,
            w.entries,
            w.entries as f64 / w.playlists.max(1) as f64,
            args.tracks,
            args.artists,
            w.slices,
            args.out.display()
        );
        return Ok(());
    }
    let sample = Sample::load(&args.dataset)?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let tracks = sample.generate(args.tracks, args.seed);
    let out = std::io::BufWriter::new(file);
    let written = if args.out.extension().is_some_and(|e| e == "gz") {
        let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        write_csv(gz, tracks).and_then(|(n, gz)| Ok((n, gz.finish()?)))
    } else {
        write_csv(out, tracks)
    };
    let n = written
        .and_then(|(n, mut out)| out.flush().map(|()| n).map_err(Into::into))
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{n} tracks, {} artists, {} albums drawn from {} rows of {} into {}",
        n.div_ceil(TRACKS_PER_ARTIST),
        n.div_ceil(TRACKS_PER_ALBUM),
        sample.len(),
        args.dataset.display(),
        args.out.display()
    );
    Ok(())
}
