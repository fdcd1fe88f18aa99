//! A synthetic catalog of any size, drawn from a real dataset's distributions, for benchmarks.
//!
//! Every synthetic track copies a random real track of its artist's genre (so the joint
//! distribution of audio features, genre, popularity and release date is the dataset's) and
//! jitters each audio feature by up to 2% of its range and popularity by up to 5 points. Artist
//! `a` has tracks `10a..10a+9` and takes the genre of a random real track; album `b` holds tracks
//! `5b..5b+4`. Names are real names with the synthetic number appended, so search behaves as on
//! real data. The same dataset, size and seed give the same catalog.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context as _, Result};
use entity::{Feature, TrackFeatures};
use sixpotify_api::recommend::DIMS;
use sixpotify_loader::csv_source::{DatePrecision, Item, RowReader, SONGS_COLUMNS, TrackRow};

/// Tracks per synthetic artist.
pub const TRACKS_PER_ARTIST: usize = 10;
/// Tracks per synthetic album.
pub const TRACKS_PER_ALBUM: usize = 5;

/// SplitMix64: small, fast and reproducible; a benchmark needs nothing more.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// A 22-character id, like Spotify's, from a kind letter and a number.
pub fn id(kind: char, n: usize) -> String {
    format!("{kind}{n:021}")
}

/// One synthetic track.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    pub id: String,
    pub name: String,
    /// The synthetic artist's number, `index / TRACKS_PER_ARTIST`.
    pub artist: usize,
    pub artist_name: String,
    pub album_id: String,
    pub album_name: String,
    /// As the source gave it: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; empty when unknown.
    pub release_date: String,
    pub popularity: i32,
    pub genre: String,
    pub subgenre: String,
    pub features: TrackFeatures,
    pub duration_ms: i32,
}

impl Track {
    /// The nine features the recommendation model uses, in its order.
    pub fn model_features(&self) -> [f64; DIMS] {
        self.features.values
    }
}

/// The real tracks a synthetic catalog is drawn from.
#[derive(Debug)]
pub struct Sample {
    rows: Vec<TrackRow>,
    /// Rows by main genre (rows without one are under ""), in a fixed order.
    by_genre: Vec<Vec<usize>>,
    /// Each row's place in `by_genre`.
    group_of: Vec<usize>,
    lo: [f64; DIMS],
    hi: [f64; DIMS],
}

impl Sample {
    /// Reads a dataset the loader understands (`.gz` or plain).
    pub fn load(path: &Path) -> Result<Self> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let input: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Self::read(input).with_context(|| format!("reading {}", path.display()))
    }

    /// Reads a dataset in any layout the loader understands from uncompressed CSV.
    pub fn read(input: impl Read) -> Result<Self> {
        let mut reader = RowReader::new(input)?;
        let mut rows = Vec::new();
        while let Some(item) = reader.next_item()? {
            if let Item::Row(row) = item
                && !row.artists.is_empty()
                && row.name.is_some()
            {
                rows.push(*row);
            }
        }
        Self::from_rows(rows).context("no row with a name and an artist")
    }

    fn from_rows(rows: Vec<TrackRow>) -> Option<Self> {
        if rows.is_empty() {
            return None;
        }
        let mut genres: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            let genre = row.genres.first().map_or("", String::as_str);
            genres.entry(genre).or_default().push(i);
        }
        let by_genre: Vec<Vec<usize>> = genres.into_values().collect();
        let mut group_of = vec![0; rows.len()];
        for (g, members) in by_genre.iter().enumerate() {
            for r in members {
                group_of[*r] = g;
            }
        }
        let mut sample = Self {
            rows,
            by_genre,
            group_of,
            lo: [f64::INFINITY; DIMS],
            hi: [f64::NEG_INFINITY; DIMS],
        };
        for i in 0..sample.rows.len() {
            let f = sample.rows[i].features.values;
            for (d, x) in f.into_iter().enumerate() {
                sample.lo[d] = sample.lo[d].min(x);
                sample.hi[d] = sample.hi[d].max(x);
            }
        }
        Some(sample)
    }

    /// Real rows read.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always false: a sample has at least one row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// `n` synthetic tracks, generated lazily.
    pub fn generate(&self, n: usize, seed: u64) -> impl Iterator<Item = Track> + '_ {
        let mut rng = Rng::new(seed);
        let mut artist_base = 0;
        let (mut album_name, mut release_date) = (String::new(), None::<String>);
        (0..n).map(move |i| {
            let artist = i / TRACKS_PER_ARTIST;
            if i % TRACKS_PER_ARTIST == 0 {
                // A random real track picks the genre, so genres keep their weights.
                artist_base = rng.below(self.rows.len());
            }
            let genre_rows = &self.by_genre[self.group_of[artist_base]];
            let real = &self.rows[genre_rows[rng.below(genre_rows.len())]];
            let f = &real.features;
            let mut x = f.values;
            for (d, v) in x.iter_mut().enumerate() {
                let jitter = rng.unit() * 0.02 * (self.hi[d] - self.lo[d]);
                // Three decimals, like the sources.
                *v = ((*v + jitter).clamp(self.lo[d], self.hi[d]) * 1000.0).round() / 1000.0;
            }
            let popularity = real
                .popularity
                .map_or(rng.below(101) as i32, |p| p + rng.below(11) as i32 - 5)
                .clamp(0, 100);
            let base_artist = &self.rows[artist_base].artists[0];
            let album = i / TRACKS_PER_ALBUM;
            if i % TRACKS_PER_ALBUM == 0 {
                // An album takes its name and date from the real album of its first track.
                (album_name, release_date) = match &real.album {
                    Some(a) => (
                        format!("{} #{album}", a.name.as_deref().unwrap_or("Album")),
                        a.release.map(|r| {
                            let fmt = match r.precision {
                                DatePrecision::Year => "%Y",
                                DatePrecision::Month => "%Y-%m",
                                DatePrecision::Day => "%Y-%m-%d",
                            };
                            r.date.format(fmt).to_string()
                        }),
                    ),
                    None => (format!("Album #{album}"), None),
                };
            }
            Track {
                id: id('t', i),
                name: format!("{} #{i}", real.name.as_deref().unwrap_or("Track")),
                artist,
                artist_name: format!("{base_artist} #{artist}"),
                album_id: id('b', album),
                album_name: album_name.clone(),
                release_date: release_date.clone().unwrap_or_default(),
                popularity,
                genre: real.genres.first().cloned().unwrap_or_default(),
                subgenre: real.genres.get(1).cloned().unwrap_or_default(),
                features: TrackFeatures {
                    values: x,
                    ..f.clone()
                },
                duration_ms: real.duration_ms,
            }
        })
    }
}

/// Writes tracks as CSV in the shared dataset's layout (the columns the loader reads); returns how many were written and the
/// output, flushed.
pub fn write_csv<W: Write>(out: W, tracks: impl Iterator<Item = Track>) -> Result<(usize, W)> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(SONGS_COLUMNS.iter())?;
    let mut n = 0;
    for t in tracks {
        let f = &t.features;
        let record = SONGS_COLUMNS.iter().map(|&column| match column {
            "track_id" => t.id.clone(),
            "track_name" => t.name.clone(),
            "track_artist" => t.artist_name.clone(),
            "track_popularity" => t.popularity.to_string(),
            "track_album_id" => t.album_id.clone(),
            "track_album_name" => t.album_name.clone(),
            "track_album_release_date" => t.release_date.clone(),
            "playlist_genre" => t.genre.clone(),
            "playlist_subgenre" => t.subgenre.clone(),
            "key" => f.key.to_string(),
            "mode" => f.mode.to_string(),
            "duration_ms" => t.duration_ms.to_string(),
            feature => Feature::from_name(feature)
                .map(|x| f.get(x).to_string())
                .unwrap_or_default(),
        });
        w.write_record(record)?;
        n += 1;
    }
    let out = w
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the catalog")?;
    Ok((n, out))
}
