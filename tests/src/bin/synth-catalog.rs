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
    /// Also write an alias list (`import-aliases`) giving every tenth artist a Korean-script
    /// name, its letters spelled in Hangul, as the primary `ko` name.
    #[arg(long)]
    aliases: Option<PathBuf>,
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
    if let Some(path) = &args.aliases {
        let written = write_aliases(path, &sample, args.tracks, args.seed)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("{written} aliases into {}", path.display());
    }
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

/// A name's letters spelled in Hangul, one syllable a letter; digits and spaces kept.
fn hangul(name: &str) -> String {
    const SYLLABLES: [char; 26] = [
        '아', '브', '크', '드', '에', '프', '그', '흐', '이', '즈', '카', '르', '므', '느', '오',
        '파', '쿠', '라', '스', '트', '우', '비', '워', '크', '이', '즈',
    ];
    name.chars()
        .filter_map(|c| match c.to_ascii_lowercase() {
            l @ 'a'..='z' => Some(SYLLABLES[(l as u8 - b'a') as usize]),
            d if d.is_ascii_digit() || d == ' ' => Some(d),
            _ => None,
        })
        .collect()
}

/// Writes the alias list of every tenth artist; returns how many aliases.
fn write_aliases(
    path: &std::path::Path,
    sample: &Sample,
    tracks: usize,
    seed: u64,
) -> Result<usize> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["artist_id", "alias", "locale", "primary"])?;
    let mut n = 0;
    for t in sample.generate(tracks, seed).step_by(TRACKS_PER_ARTIST) {
        if t.artist % 10 != 0 {
            continue;
        }
        let id = entity::normalize::derived_artist_id(&t.artist_name);
        w.write_record([id.as_str(), &hangul(&t.artist_name), "ko", "true"])?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}
