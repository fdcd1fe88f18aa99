//! Reading track rows out of the CSV layouts Sixpotify knows, with validation.
//!
//! A [`RowReader`] streams records one at a time (memory does not grow with the file), maps the
//! columns of the detected [`Layout`] and turns each record into either a [`TrackRow`] or a
//! [`Reject`] that names the line, the column and the reason.

use std::io::Read;
use std::sync::LazyLock;

use chrono::NaiveDate;
use entity::normalize::{clean_name, derived_album_id};
use entity::{Feature, TrackFeatures};

use crate::error::{LoaderError, Result};

/// Names longer than this are rejected rather than truncated (it is the column size).
pub const MAX_NAME_CHARS: usize = 512;
const MAX_ID_CHARS: usize = 64;

/// The CSV layouts the loader reads, told apart by their header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// TidyTuesday's "30000 Spotify Songs": one row per (track, playlist), one artist name per
    /// row, the playlist's genre and subgenre.
    Songs30k,
    /// Kaggle's "Spotify Tracks Dataset": an unnamed index column, artists separated by `;`, one
    /// genre per row, no album id or release date.
    KaggleTracks,
}

/// The columns of the "30000 Spotify Songs" layout the loader reads (others are ignored): the
/// track's and its album's, the playlist's genres, every audio feature, key, mode and duration.
pub static SONGS_COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    columns(
        &[
            "track_id",
            "track_name",
            "track_artist",
            "track_popularity",
            "track_album_id",
            "track_album_name",
            "track_album_release_date",
            "playlist_id",
            "playlist_name",
            "playlist_genre",
            "playlist_subgenre",
        ],
        &["key", "mode", "duration_ms"],
    )
});

static KAGGLE_COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    columns(
        &[
            "track_id",
            "artists",
            "album_name",
            "track_name",
            "popularity",
            "duration_ms",
            "explicit",
        ],
        &["key", "mode", "time_signature", "track_genre"],
    )
});

/// A layout's columns: `before`, one column a feature (named as the feature), then `after`.
fn columns(before: &[&'static str], after: &[&'static str]) -> Vec<&'static str> {
    let features = Feature::ALL.map(Feature::name);
    [before, &features, after].concat()
}

impl Layout {
    /// Picks the layout whose columns the header holds, or says which columns each one misses.
    pub fn detect(header: &csv::StringRecord) -> Result<Self> {
        let names: Vec<&str> = header.iter().map(str::trim).collect();
        let missing = |wanted: &[&str]| -> Vec<String> {
            wanted
                .iter()
                .filter(|w| !names.contains(w))
                .map(|w| (*w).to_owned())
                .collect()
        };
        let songs_missing = missing(&SONGS_COLUMNS);
        if songs_missing.is_empty() {
            return Ok(Self::Songs30k);
        }
        let kaggle_missing = missing(&KAGGLE_COLUMNS);
        if kaggle_missing.is_empty() {
            return Ok(Self::KaggleTracks);
        }
        Err(LoaderError::UnknownLayout {
            songs_missing,
            kaggle_missing,
        })
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Songs30k => &SONGS_COLUMNS,
            Self::KaggleTracks => &KAGGLE_COLUMNS,
        }
    }
}

/// How precisely a release date is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatePrecision {
    Year,
    Month,
    Day,
}

impl DatePrecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Year => "year",
            Self::Month => "month",
            Self::Day => "day",
        }
    }
}

/// A release date as a source gives it: `2019`, `2019-06` or `2019-06-14`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseDate {
    /// The first day of the period.
    pub date: NaiveDate,
    pub precision: DatePrecision,
}

impl ReleaseDate {
    pub fn parse(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Option<u32> {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        let (y, m, d, precision) = match parts.as_slice() {
            [y] => (num(y, 4)?, 1, 1, DatePrecision::Year),
            [y, m] => (num(y, 4)?, num(m, 2)?, 1, DatePrecision::Month),
            [y, m, d] => (num(y, 4)?, num(m, 2)?, num(d, 2)?, DatePrecision::Day),
            _ => return None,
        };
        let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
        Some(Self { date, precision })
    }
}

/// The playlist a row names.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaylistRef {
    pub id: String,
    pub name: Option<String>,
}

/// The album a row names.
#[derive(Clone, Debug, PartialEq)]
pub struct AlbumRow {
    pub id: String,
    pub name: Option<String>,
    pub release: Option<ReleaseDate>,
}

/// One valid row, normalised: the track, its album, credited artists (by name, in order),
/// genre labels and audio features.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackRow {
    pub line: u64,
    pub track_id: String,
    pub name: Option<String>,
    pub artists: Vec<String>,
    pub album: Option<AlbumRow>,
    pub popularity: Option<i32>,
    pub duration_ms: i32,
    pub explicit: Option<bool>,
    pub genres: Vec<String>,
    pub features: TrackFeatures,
    /// The playlist the row puts the track in, where the layout has one.
    pub playlist: Option<PlaylistRef>,
}

/// A row that was not loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The line of a CSV input (1 is the header); 0 for inputs without lines, where `at` says
    /// where the row is.
    pub line: u64,
    /// Where the row is in an input without lines: its file and position (a playlist and an
    /// entry of the Million Playlist Dataset).
    pub at: Option<String>,
    /// The column or field at fault; empty when the whole row is.
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl Reject {
    /// A rejected value as reports show it: at most 80 characters, then "…".
    pub fn shown(value: &str) -> String {
        if value.chars().count() > 80 {
            value.chars().take(80).collect::<String>() + "…"
        } else {
            value.to_owned()
        }
    }

    /// Where the row is: `at`, else its line.
    pub fn place(&self) -> String {
        match &self.at {
            Some(at) => at.clone(),
            None => format!("line {}", self.line),
        }
    }
}

/// What reading one record gave.
#[derive(Debug)]
pub enum Item {
    Row(Box<TrackRow>),
    Reject(Reject),
}

/// Streams rows out of a CSV input of a known layout.
pub struct RowReader<R: Read> {
    reader: csv::Reader<R>,
    layout: Layout,
    /// For each column of the layout, its index in the file.
    index: Vec<usize>,
    header_len: usize,
    record: csv::ByteRecord,
}

impl<R: Read> std::fmt::Debug for RowReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("layout", &self.layout)
            .finish()
    }
}

impl<R: Read> RowReader<R> {
    /// Reads the header and detects the layout.
    pub fn new(input: R) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|source| LoaderError::Read { line: 1, source })?
            .clone();
        if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
            return Err(LoaderError::EmptyInput);
        }
        let layout = Layout::detect(&header)?;
        let index = layout
            .columns()
            .iter()
            .map(|c| {
                header
                    .iter()
                    .position(|h| h.trim() == *c)
                    .expect("detect() checked that every column of the layout is present")
            })
            .collect();
        Ok(Self {
            reader,
            layout,
            index,
            header_len: header.len(),
            record: csv::ByteRecord::new(),
        })
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The next row, reject, or `None` at the end of the input.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        let line = self.reader.position().line() + 1;
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.record.position().map_or(line, |p| p.line());
                Ok(Some(self.parse(line)))
            }
            Err(source) => match source.kind() {
                csv::ErrorKind::Io(_) => Err(LoaderError::Read { line, source }),
                _ => Ok(Some(Item::Reject(Reject {
                    line,
                    at: None,
                    column: String::new(),
                    value: String::new(),
                    reason: format!("malformed CSV record: {source}"),
                }))),
            },
        }
    }

    fn parse(&self, line: u64) -> Item {
        if self.record.len() != self.header_len {
            return Item::Reject(Reject {
                line,
                at: None,
                column: String::new(),
                value: String::new(),
                reason: format!(
                    "expected {} fields, found {}",
                    self.header_len,
                    self.record.len()
                ),
            });
        }
        let fields = Fields {
            record: &self.record,
            index: &self.index,
            columns: self.layout.columns(),
            line,
        };
        let parsed = match self.layout {
            Layout::Songs30k => parse_songs(&fields),
            Layout::KaggleTracks => parse_kaggle(&fields),
        };
        match parsed {
            Ok(row) => Item::Row(Box::new(row)),
            Err(reject) => Item::Reject(reject),
        }
    }
}

/// Typed access to the fields of one record, producing rejects that name the column.
struct Fields<'a> {
    record: &'a csv::ByteRecord,
    index: &'a [usize],
    columns: &'static [&'static str],
    line: u64,
}

type Field<T> = std::result::Result<T, Reject>;

impl Fields<'_> {
    fn reject(&self, column: &str, value: &str, reason: impl Into<String>) -> Reject {
        Reject {
            line: self.line,
            at: None,
            column: column.to_owned(),
            value: Reject::shown(value),
            reason: reason.into(),
        }
    }

    /// The raw text of a column, `None` when empty or the literal `NA`.
    fn text(&self, column: &str) -> Field<Option<&str>> {
        let pos = self
            .columns
            .iter()
            .position(|c| *c == column)
            .expect("parsers only ask for columns of their own layout");
        let bytes = &self.record[self.index[pos]];
        let s = std::str::from_utf8(bytes)
            .map_err(|_| self.reject(column, &String::from_utf8_lossy(bytes), "not valid UTF-8"))?;
        let s = s.trim();
        Ok((!s.is_empty() && s != "NA").then_some(s))
    }

    fn required(&self, column: &str) -> Field<&str> {
        self.text(column)?
            .ok_or_else(|| self.reject(column, "", "missing value"))
    }

    fn id(&self, column: &str) -> Field<String> {
        let id = self.required(column).map_err(|mut r| {
            r.reason = "missing id".into();
            r
        })?;
        self.check_id(column, id)
    }

    fn optional_id(&self, column: &str) -> Field<Option<String>> {
        self.text(column)?
            .map(|id| self.check_id(column, id))
            .transpose()
    }

    fn check_id(&self, column: &str, id: &str) -> Field<String> {
        if id.len() > MAX_ID_CHARS || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(self.reject(
                column,
                id,
                format!("not an id (letters and digits, at most {MAX_ID_CHARS})"),
            ));
        }
        Ok(id.to_owned())
    }

    fn name(&self, column: &str) -> Field<Option<String>> {
        match self.text(column)? {
            None => Ok(None),
            Some(s) if s.chars().count() > MAX_NAME_CHARS => Err(self.reject(
                column,
                s,
                format!("longer than {MAX_NAME_CHARS} characters"),
            )),
            Some(s) => Ok(Some(clean_name(s))),
        }
    }

    fn integer(&self, column: &str, min: i64, max: i64) -> Field<i32> {
        let s = self.required(column)?;
        self.parse_integer(column, s, min, max)
    }

    fn optional_integer(&self, column: &str, min: i64, max: i64) -> Field<Option<i32>> {
        self.text(column)?
            .map(|s| self.parse_integer(column, s, min, max))
            .transpose()
    }

    /// Integers may be written as `66`, `66.0` or `6.6e1`; anything with a fraction is rejected.
    fn parse_integer(&self, column: &str, s: &str, min: i64, max: i64) -> Field<i32> {
        let v = match s.parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                let f: f64 = s
                    .parse()
                    .map_err(|_| self.reject(column, s, "not a number"))?;
                if !f.is_finite() || f.fract() != 0.0 || f.abs() > 1e15 {
                    return Err(self.reject(column, s, "not an integer"));
                }
                f as i64
            }
        };
        if v < min || v > max {
            return Err(self.reject(column, s, format!("out of range {min}..={max}")));
        }
        i32::try_from(v).map_err(|_| self.reject(column, s, "too large"))
    }

    fn boolean(&self, column: &str) -> Field<Option<bool>> {
        match self.text(column)? {
            None => Ok(None),
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(self.reject(column, s, "not a boolean (true/false)")),
            },
        }
    }

    fn release_date(&self, column: &str) -> Field<Option<ReleaseDate>> {
        self.text(column)?
            .map(|s| {
                ReleaseDate::parse(s).ok_or_else(|| {
                    self.reject(column, s, "not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
                })
            })
            .transpose()
    }

    fn genre(&self, column: &str) -> Field<Option<String>> {
        self.name(column)
    }

    /// A feature's value, checked against its range.
    fn feature(&self, feature: Feature) -> Field<f64> {
        let column = feature.name();
        let s = self.required(column)?;
        let v: f64 = s
            .parse()
            .map_err(|_| self.reject(column, s, "not a number"))?;
        feature
            .check(v)
            .map_err(|e| self.reject(column, s, e.to_string()))
    }

    fn features(&self) -> Field<TrackFeatures> {
        const KEYS: (i32, i32) = TrackFeatures::KEYS;
        const MODES: (i32, i32) = TrackFeatures::MODES;
        let mut values = [0.0; Feature::COUNT];
        for f in Feature::ALL {
            values[f.index()] = self.feature(f)?;
        }
        Ok(TrackFeatures {
            values,
            key: self.integer("key", KEYS.0.into(), KEYS.1.into())?,
            mode: self.integer("mode", MODES.0.into(), MODES.1.into())?,
            time_signature: None,
        })
    }

    /// Spotify documents 3..=7; `0` is what its analysis gives when it found no meter, and is
    /// kept as unknown rather than rejected.
    fn time_signature(&self, column: &str) -> Field<Option<i32>> {
        match self.text(column)? {
            None => Ok(None),
            Some(s) => {
                let (lo, hi) = TrackFeatures::TIME_SIGNATURES;
                match self.parse_integer(column, s, 0, hi.into())? {
                    0 => Ok(None),
                    v if v >= lo => Ok(Some(v)),
                    _ => Err(self.reject(column, s, format!("out of range {lo}..={hi}"))),
                }
            }
        }
    }
}

const MAX_DURATION_MS: i64 = i32::MAX as i64;

fn parse_songs(f: &Fields<'_>) -> Field<TrackRow> {
    let track_id = f.id("track_id")?;
    let name = f.name("track_name")?;
    let artists: Vec<String> = f.name("track_artist")?.into_iter().collect();
    let album = match f.optional_id("track_album_id")? {
        Some(id) => Some(AlbumRow {
            id,
            name: f.name("track_album_name")?,
            release: f.release_date("track_album_release_date")?,
        }),
        None => None,
    };
    let playlist = match f.optional_id("playlist_id")? {
        Some(id) => Some(PlaylistRef {
            id,
            name: f.name("playlist_name")?,
        }),
        None => None,
    };
    let genres = [f.genre("playlist_genre")?, f.genre("playlist_subgenre")?]
        .into_iter()
        .flatten()
        .collect();
    Ok(TrackRow {
        line: f.line,
        track_id,
        name,
        artists,
        album,
        popularity: f.optional_integer("track_popularity", 0, 100)?,
        duration_ms: f.integer("duration_ms", 1, MAX_DURATION_MS)?,
        explicit: None,
        genres,
        features: f.features()?,
        playlist,
    })
}

fn parse_kaggle(f: &Fields<'_>) -> Field<TrackRow> {
    let track_id = f.id("track_id")?;
    let name = f.name("track_name")?;
    let mut artists: Vec<String> = Vec::new();
    if let Some(list) = f.text("artists")? {
        for artist in list.split(';').map(str::trim).filter(|a| !a.is_empty()) {
            if artist.chars().count() > MAX_NAME_CHARS {
                return Err(f.reject("artists", artist, "an artist name is too long"));
            }
            let artist = clean_name(artist);
            if !artists.contains(&artist) {
                artists.push(artist);
            }
        }
    }
    let album = f.name("album_name")?.map(|album_name| AlbumRow {
        id: derived_album_id(artists.first().map_or("", String::as_str), &album_name),
        name: Some(album_name),
        release: None,
    });
    let mut features = f.features()?;
    features.time_signature = f.time_signature("time_signature")?;
    Ok(TrackRow {
        line: f.line,
        track_id,
        name,
        artists,
        album,
        popularity: f.optional_integer("popularity", 0, 100)?,
        duration_ms: f.integer("duration_ms", 1, MAX_DURATION_MS)?,
        explicit: f.boolean("explicit")?,
        genres: f.genre("track_genre")?.into_iter().collect(),
        features,
        playlist: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SONGS_HEADER: &str = "track_id,track_name,track_artist,track_popularity,track_album_id,track_album_name,track_album_release_date,playlist_name,playlist_id,playlist_genre,playlist_subgenre,danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,duration_ms";

    fn items(csv: &str) -> Vec<Item> {
        let mut reader = RowReader::new(csv.as_bytes()).expect("header is valid");
        std::iter::from_fn(|| reader.next_item().expect("in-memory input cannot fail")).collect()
    }

    #[test]
    fn release_dates_keep_their_precision() {
        let y = ReleaseDate::parse("2012").expect("year");
        assert_eq!(
            (y.date.to_string(), y.precision),
            ("2012-01-01".into(), DatePrecision::Year)
        );
        let m = ReleaseDate::parse("2012-07").expect("month");
        assert_eq!(
            (m.date.to_string(), m.precision),
            ("2012-07-01".into(), DatePrecision::Month)
        );
        assert!(ReleaseDate::parse("2012-13-01").is_none());
        assert!(ReleaseDate::parse("12-01-2012").is_none());
        assert!(ReleaseDate::parse("").is_none());
    }

    #[test]
    fn a_songs_row_with_scientific_notation_and_na_names_parses() {
        let csv = format!(
            "{SONGS_HEADER}\n69gRFGOWY9OMpFJgFol1u0,NA,NA,0,717UG2du6utFe7CdmpuUe3,NA,2012,HIP&HOP,5DyJ,rap,southern hip hop,0.714,0.821,6,-7.635,1,0.176,1.33e-4,0,0.116,0.649,95.999,282707\n"
        );
        let got = items(&csv);
        let Item::Row(row) = &got[0] else {
            panic!("expected a row, got {got:?}")
        };
        assert_eq!(row.name, None);
        assert!(row.artists.is_empty());
        assert_eq!(row.features.get(Feature::Acousticness), 1.33e-4);
        assert_eq!(
            row.genres,
            vec!["rap".to_owned(), "southern hip hop".to_owned()]
        );
        assert_eq!(
            row.album
                .as_ref()
                .and_then(|a| a.release)
                .map(|r| r.precision),
            Some(DatePrecision::Year)
        );
    }

    #[test]
    fn rows_out_of_range_or_unparsable_are_rejected_with_line_and_column() {
        let csv = format!(
            "{SONGS_HEADER}\nid1,a,b,10,al1,c,2019-01-01,p,p,pop,dance pop,1.5,0.8,6,-7,1,0.1,0.1,0,0.1,0.6,95,1000\nid2,a,b,10,al1,c,2019-01-01,p,p,pop,dance pop,0.5,0.8,6,-7,1,0.1,0.1,0,0.1,0.6,fast,1000\n,a,b,10,al1,c,2019-01-01,p,p,pop,dance pop,0.5,0.8,6,-7,1,0.1,0.1,0,0.1,0.6,95,1000\n"
        );
        let rejects: Vec<Reject> = items(&csv)
            .into_iter()
            .map(|i| match i {
                Item::Reject(r) => r,
                Item::Row(r) => panic!("expected a reject, got {r:?}"),
            })
            .collect();
        assert_eq!(rejects[0].line, 2);
        assert_eq!(rejects[0].column, "danceability");
        assert_eq!(rejects[1].line, 3);
        assert_eq!(rejects[1].column, "tempo");
        assert_eq!(rejects[1].reason, "not a number");
        assert_eq!(rejects[2].reason, "missing id");
    }

    #[test]
    fn an_unknown_header_names_the_missing_columns() {
        let err = RowReader::new("track_id,name\n".as_bytes()).expect_err("unknown header");
        let msg = err.to_string();
        assert!(msg.contains("track_artist"), "{msg}");
        assert!(msg.contains("time_signature"), "{msg}");
    }

    #[test]
    fn kaggle_rows_split_artists_and_derive_an_album_id() {
        let csv = ",track_id,artists,album_name,track_name,popularity,duration_ms,explicit,danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,time_signature,track_genre\n0,5SuOikwiRyPMVoIQDJUgSV,Gen Hoshino;BTS,Comedy,Comedy,73,230666,False,0.676,0.461,1,-6.746,0,0.143,0.0322,1.01e-06,0.358,0.715,87.917,4,acoustic\n";
        let got = items(csv);
        let Item::Row(row) = &got[0] else {
            panic!("expected a row, got {got:?}")
        };
        assert_eq!(
            row.artists,
            vec!["Gen Hoshino".to_owned(), "BTS".to_owned()]
        );
        assert_eq!(row.explicit, Some(false));
        assert_eq!(row.features.time_signature, Some(4));
        assert_eq!(
            row.album.as_ref().map(|a| a.id.clone()),
            Some(derived_album_id("Gen Hoshino", "Comedy"))
        );
    }
}
