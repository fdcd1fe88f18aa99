//! `import-mpd`: the Million Playlist Dataset (Spotify's RecSys Challenge 2018 data), one slice
//! file (`mpd.slice.<a>-<b>.json`) or a folder of them, through the import pipeline.
//!
//! A slice is one JSON object, `{"info": {...}, "playlists": [...]}`. It is streamed: the
//! `playlists` array is read one playlist at a time (its raw text, then its fields), so memory
//! holds one playlist, never a slice or the set. Each playlist becomes `mpd-<pid>` with its
//! name, description and followers; each entry its track, album and main artist by their
//! Spotify ids (names only: no audio features, popularity or release dates, and nothing another
//! source stored is blanked); a track met again in the same run is not written again. A
//! playlist is never split between transactions, and its first entry replaces the list a
//! previous run stored.
//!
//! Rows are playlist entries. An entry with a missing or malformed field is rejected alone
//! (file, playlist, entry and field), a playlist whose JSON does not have the dataset's shape is
//! rejected whole, and a file that is not JSON is rejected from the point where it stops being
//! JSON, with its line and column; what was read before that point stays. `--strict` writes
//! nothing when anything was rejected.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::csv_source::{MAX_NAME_CHARS, PlaylistRef, Reject};
use crate::error::{LoaderError, Result};
use crate::import::{Reading, Source};
use crate::writer::{AlbumValues, ArtistValues, PlaylistValues, TrackValues};

/// What `playlists.source` says for the dataset's playlists.
pub const PLAYLIST_SOURCE: &str = "mpd";

/// The length of a Spotify id.
const SPOTIFY_ID_LEN: usize = 22;

/// A slice file, or a folder whose `mpd.slice.*.json` files are read in slice order.
#[derive(Clone, Debug)]
pub struct MpdInput(pub PathBuf);

impl MpdInput {
    /// The slice files to read, in order.
    pub fn files(&self) -> Result<Vec<PathBuf>> {
        let path = &self.0;
        let meta = std::fs::metadata(path).map_err(|source| LoaderError::File {
            action: "open",
            path: path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            return Ok(vec![path.clone()]);
        }
        let entries = std::fs::read_dir(path).map_err(|source| LoaderError::File {
            action: "list",
            path: path.clone(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| LoaderError::File {
                action: "list",
                path: path.clone(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("mpd.slice.") && name.ends_with(".json") {
                files.push((slice_start(&name), name, entry.path()));
            }
        }
        if files.is_empty() {
            return Err(LoaderError::File {
                action: "find mpd.slice.*.json files in",
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no slice files"),
            });
        }
        files.sort();
        Ok(files.into_iter().map(|(_, _, p)| p).collect())
    }
}

/// The first playlist number of a slice's name (`mpd.slice.1000-1999.json` → 1000), for
/// ordering; names without one sort last.
fn slice_start(name: &str) -> u64 {
    name.trim_start_matches("mpd.slice.")
        .split(['-', '.'])
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

impl Source for MpdInput {
    const REJECTS_HEADER: [&'static str; 4] = ["position", "field", "value", "reason"];

    fn label(&self) -> String {
        self.0.display().to_string()
    }

    fn kind(&self) -> entity::RunKind {
        entity::RunKind::Mpd
    }

    fn read(&self, reading: &mut Reading<'_>) -> Result<()> {
        let files = self.files()?;
        let total: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        reading.progress().set_length(total);
        reading.progress().set_position(0);
        let mut seen = Seen::default();
        for path in &files {
            if !read_file(path, reading, &mut seen)? {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The tracks this run has already handed to the writer. A track's fields are the same in every
/// entry of the dataset, so it, its album and its artist are written once a run, and later
/// entries only point at it: popular tracks sit in thousands of playlists.
#[derive(Default)]
struct Seen(HashSet<Box<str>>);

/// Reads one slice; `false` when the writer has stopped.
fn read_file(path: &Path, reading: &mut Reading<'_>, seen: &mut Seen) -> Result<bool> {
    let file = File::open(path).map_err(|source| LoaderError::File {
        action: "open",
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let reader = BufReader::with_capacity(256 * 1024, reading.progress().wrap_read(file));
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut slice = SliceSeed {
        file: &name,
        reading,
        seen,
        stopped: None,
        seen_playlists: false,
    };
    let outcome = (&mut slice).deserialize(&mut de).and_then(|()| de.end());
    let SliceSeed {
        stopped,
        seen_playlists,
        reading,
        ..
    } = slice;
    if let Some(stop) = stopped {
        return match stop {
            Stop::Writer => Ok(false),
            Stop::Failed(e) => Err(e),
        };
    }
    match outcome {
        Err(e) if e.is_io() => Err(LoaderError::File {
            action: "read",
            path: path.to_owned(),
            source: std::io::Error::other(e.to_string()),
        }),
        Err(e) => {
            reading.count_read(1);
            reading.reject(Reject {
                line: 0,
                at: Some(format!("{name}: line {} column {}", e.line(), e.column())),
                column: String::new(),
                value: String::new(),
                reason: format!("malformed JSON, the rest of the file is skipped: {e}"),
            })?;
            Ok(true)
        }
        Ok(()) if !seen_playlists => {
            reading.count_read(1);
            reading.reject(Reject {
                line: 0,
                at: Some(name.clone()),
                column: "playlists".into(),
                value: String::new(),
                reason: "no playlists array: not a Million Playlist Dataset slice".into(),
            })?;
            Ok(true)
        }
        Ok(()) => Ok(true),
    }
}

/// Why reading stopped before the end of a slice.
enum Stop {
    /// The writer has stopped (it failed; its error is the run's).
    Writer,
    Failed(LoaderError),
}

/// Reads a slice's top-level object, handing each playlist to [`take_playlist`].
struct SliceSeed<'r, 'a> {
    file: &'r str,
    reading: &'r mut Reading<'a>,
    seen: &'r mut Seen,
    stopped: Option<Stop>,
    seen_playlists: bool,
}

impl<'de> DeserializeSeed<'de> for &mut SliceSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut SliceSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a slice object with a playlists array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "playlists" {
                self.seen_playlists = true;
                map.next_value_seed(PlaylistsSeed(&mut *self))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Reads the `playlists` array one element at a time.
struct PlaylistsSeed<'s, 'r, 'a>(&'s mut SliceSeed<'r, 'a>);

impl<'de> DeserializeSeed<'de> for PlaylistsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PlaylistsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of playlists")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let slice = self.0;
        let mut index = 0usize;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            match take_playlist(slice.file, index, &raw, slice.reading, slice.seen) {
                Ok(true) => {}
                Ok(false) => {
                    slice.stopped = Some(Stop::Writer);
                    return Err(serde::de::Error::custom("the writer has stopped"));
                }
                Err(e) => {
                    slice.stopped = Some(Stop::Failed(e));
                    return Err(serde::de::Error::custom("reading stopped"));
                }
            }
            index += 1;
        }
        Ok(())
    }
}

/// A playlist as the dataset writes it. Fields are optional here so that a missing one is a
/// reject naming it, not a failure of the whole slice.
#[derive(Debug, Deserialize)]
struct MpdPlaylist {
    pid: Option<i64>,
    name: Option<String>,
    description: Option<String>,
    num_followers: Option<i64>,
    #[serde(default)]
    tracks: Vec<MpdTrack>,
}

/// An entry of a playlist.
#[derive(Debug, Deserialize)]
struct MpdTrack {
    pos: Option<i64>,
    artist_name: Option<String>,
    artist_uri: Option<String>,
    track_name: Option<String>,
    track_uri: Option<String>,
    album_name: Option<String>,
    album_uri: Option<String>,
    duration_ms: Option<i64>,
}

/// An entry checked: ids from its URIs.
struct Entry {
    track_id: String,
    track_name: Option<String>,
    artist_id: String,
    artist_name: String,
    album_id: String,
    album_name: Option<String>,
    duration_ms: i32,
}

/// Checks and adds one playlist; `false` when the writer has stopped.
fn take_playlist(
    file: &str,
    index: usize,
    raw: &RawValue,
    reading: &mut Reading<'_>,
    seen: &mut Seen,
) -> Result<bool> {
    let place = |pid: Option<i64>| match pid {
        Some(pid) => format!("{file}: playlists[{index}] (pid {pid})"),
        None => format!("{file}: playlists[{index}]"),
    };
    let reject =
        |reading: &mut Reading<'_>, at: String, column: &str, value: &str, reason: String| {
            reading.reject(Reject {
                line: 0,
                at: Some(at),
                column: column.to_owned(),
                value: Reject::shown(value),
                reason,
            })
        };
    let playlist: MpdPlaylist = match serde_json::from_str(raw.get()) {
        Ok(p) => p,
        Err(e) => {
            reading.count_read(1);
            reject(
                reading,
                place(None),
                "",
                "",
                format!("not a playlist of the dataset's shape: {e}"),
            )?;
            return Ok(reading.unit_done());
        }
    };
    let Some(pid) = playlist.pid.filter(|p| *p >= 0) else {
        let n = playlist.tracks.len().max(1) as u64;
        reading.count_read(n);
        let value = playlist.pid.map(|p| p.to_string()).unwrap_or_default();
        reject(
            reading,
            place(None),
            "pid",
            &value,
            "missing or negative playlist id".into(),
        )?;
        return Ok(reading.unit_done());
    };
    let at = place(Some(pid));
    if let Some(name) = playlist
        .name
        .as_deref()
        .filter(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        reading.count_read(playlist.tracks.len().max(1) as u64);
        reject(
            reading,
            at,
            "name",
            name,
            format!("longer than {MAX_NAME_CHARS} characters"),
        )?;
        return Ok(reading.unit_done());
    }
    let mut entries = Vec::with_capacity(playlist.tracks.len());
    for (i, t) in playlist.tracks.into_iter().enumerate() {
        reading.count_read(1);
        match check_entry(i, t) {
            Ok(entry) => entries.push((i, entry)),
            Err((column, value, reason)) => {
                reject(reading, format!("{at} tracks[{i}]"), column, &value, reason)?;
            }
        }
    }
    let Some(batch) = reading.batch() else {
        return Ok(true);
    };
    let id = format!("mpd-{pid}");
    batch.add_playlist(
        &id,
        PlaylistValues {
            name: playlist.name.clone(),
            source: PLAYLIST_SOURCE,
            description: playlist.description.filter(|d| !d.trim().is_empty()),
            followers: playlist.num_followers,
            owner: None,
        },
    );
    batch.count_rows(entries.len());
    for (i, e) in entries {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        batch.add_playlist_entry(
            PlaylistRef {
                id: id.clone(),
                name: playlist.name.clone(),
            },
            PLAYLIST_SOURCE,
            position,
            (&e.track_id, None),
            true,
        );
        if !seen.0.insert(e.track_id.as_str().into()) {
            continue;
        }
        batch.add_artist(
            &e.artist_id,
            ArtistValues {
                spotify_url: Some(format!("https://open.spotify.com/artist/{}", e.artist_id)),
                name: e.artist_name,
                ..Default::default()
            },
        );
        batch.add_album(
            &e.album_id,
            AlbumValues {
                name: e.album_name,
                ..Default::default()
            },
        );
        batch.add_track(
            &e.track_id,
            TrackValues {
                name: e.track_name,
                album_id: Some(e.album_id),
                duration_ms: e.duration_ms,
                popularity: None,
                explicit: None,
                track_number: None,
                isrc: None,
                features: None,
            },
        );
        batch.credit(&e.track_id, &e.artist_id, 0);
    }
    Ok(reading.unit_done())
}

/// A rejected field: its name, value and the reason.
type Bad = (&'static str, String, String);

fn check_entry(index: usize, t: MpdTrack) -> std::result::Result<Entry, Bad> {
    if let Some(pos) = t.pos
        && usize::try_from(pos).ok() != Some(index)
    {
        return Err((
            "pos",
            pos.to_string(),
            format!("does not match its place, {index}"),
        ));
    }
    for (field, name) in [
        ("track_name", &t.track_name),
        ("artist_name", &t.artist_name),
        ("album_name", &t.album_name),
    ] {
        if let Some(n) = name
            .as_deref()
            .filter(|n| n.chars().count() > MAX_NAME_CHARS)
        {
            return Err((
                field,
                n.to_owned(),
                format!("longer than {MAX_NAME_CHARS} characters"),
            ));
        }
    }
    let track_id = spotify_id(t.track_uri.as_deref(), "track", "track_uri")?;
    let artist_id = spotify_id(t.artist_uri.as_deref(), "artist", "artist_uri")?;
    let album_id = spotify_id(t.album_uri.as_deref(), "album", "album_uri")?;
    let artist_name = t
        .artist_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ("artist_name", String::new(), "missing".to_owned()))?;
    let duration_ms = match t.duration_ms {
        Some(d) => i32::try_from(d).ok().filter(|d| *d >= 0).ok_or_else(|| {
            (
                "duration_ms",
                d.to_string(),
                "not a duration in ms".to_owned(),
            )
        })?,
        None => return Err(("duration_ms", String::new(), "missing".to_owned())),
    };
    Ok(Entry {
        track_id,
        track_name: t.track_name.filter(|n| !n.trim().is_empty()),
        artist_id,
        artist_name,
        album_id,
        album_name: t.album_name.filter(|n| !n.trim().is_empty()),
        duration_ms,
    })
}

/// The id of `spotify:<kind>:<id>`.
fn spotify_id(
    uri: Option<&str>,
    kind: &str,
    field: &'static str,
) -> std::result::Result<String, Bad> {
    let uri = uri.ok_or_else(|| (field, String::new(), "missing".to_owned()))?;
    let id = uri
        .strip_prefix("spotify:")
        .and_then(|rest| rest.strip_prefix(kind))
        .and_then(|rest| rest.strip_prefix(':'))
        .filter(|id| id.len() == SPOTIFY_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    id.map(str::to_owned).ok_or_else(|| {
        (
            field,
            uri.to_owned(),
            format!("not a Spotify {kind} URI (spotify:{kind}:<22 letters and digits>)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_give_ids_and_anything_else_is_named() {
        let id = "0UaMYEvWZi0ZqiDOoHU3YI";
        assert_eq!(
            spotify_id(Some(&format!("spotify:track:{id}")), "track", "track_uri"),
            Ok(id.to_owned())
        );
        for bad in [
            format!("spotify:album:{id}"),
            "spotify:track:short".to_owned(),
            format!("https://open.spotify.com/track/{id}"),
            format!("spotify:track:{}-", &id[..21]),
        ] {
            let err = spotify_id(Some(&bad), "track", "track_uri").expect_err(&bad);
            assert_eq!(err.0, "track_uri");
        }
        assert_eq!(
            spotify_id(None, "track", "track_uri").map_err(|e| e.2),
            Err("missing".into())
        );
    }

    #[test]
    fn slices_are_ordered_by_their_first_playlist() {
        let mut names = [
            "mpd.slice.1000-1999.json",
            "mpd.slice.0-999.json",
            "mpd.slice.x.json",
        ];
        names.sort_by_key(|n| slice_start(n));
        assert_eq!(
            names,
            [
                "mpd.slice.0-999.json",
                "mpd.slice.1000-1999.json",
                "mpd.slice.x.json"
            ]
        );
    }
}
