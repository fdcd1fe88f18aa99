//! `import-musicbrainz`: artist names and aliases from MusicBrainz's JSON dump, through the
//! import pipeline.
//!
//! The input is the dump's `artist.tar.xz` (its `mbdump/artist` member is read), or that
//! member on its own, plain, gzip or xz. It is one JSON object per line: `id`, `name`,
//! `sort-name`, `aliases` (`name`, `locale`, `primary`, `type`, …) and `relations` (a URL
//! relation's `url.resource`). Lines are streamed (the real file has about 2.5 million, each
//! parsed alone), with a progress bar over the compressed bytes.
//!
//! A line links to the catalog by its Spotify relations (`https://open.spotify.com/artist/<id>`)
//! when the catalog holds one of those artists. Otherwise it links by its name, folded, when
//! exactly one catalog artist has that name and that artist is not a different Spotify artist
//! (one whose id the line's relations do not list; artists a dataset names without an id
//! qualify). A linked artist gets the line's name and every alias as its MusicBrainz aliases,
//! replacing what an earlier dump gave it; "Search hint" aliases are kept for search. Lines
//! that link to nothing are counted, not stored. A line that is not an artist object is
//! rejected with its line number; `--strict` writes nothing when any was.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use entity::alias::{self, Source as AliasSource};
use entity::normalize::clean_name;
use serde::Deserialize;

use crate::aliases::ArtistDirectory;
use crate::csv_source::{MAX_NAME_CHARS, Reject};
use crate::error::{LoaderError, Result};
use crate::import::{Reading, Source};
use crate::writer::AliasValues;

/// The member of the dump's archive that holds the artists.
const ARTIST_MEMBER: &str = "mbdump/artist";

/// Where a Spotify artist's page lives; its id follows.
const SPOTIFY_ARTIST_URL: &str = "https://open.spotify.com/artist/";

/// What the report counts for lines that link to no catalog artist.
pub const UNLINKED: &str = "lines linked to no catalog artist";
const BY_SPOTIFY: &str = "lines linked by Spotify URL";
const BY_NAME: &str = "lines linked by name";

/// A MusicBrainz artist dump to import.
#[derive(Clone, Debug)]
pub struct MusicBrainzInput {
    pub path: PathBuf,
    pub directory: Arc<ArtistDirectory>,
}

#[derive(Deserialize)]
struct Artist {
    /// Required, as every artist has one, though only the links are used.
    #[serde(rename = "id")]
    _id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<Alias>,
    #[serde(default)]
    relations: Vec<Relation>,
}

#[derive(Deserialize)]
struct Alias {
    name: Option<String>,
    locale: Option<String>,
    #[serde(default)]
    primary: Option<bool>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Relation {
    url: Option<Url>,
}

#[derive(Deserialize)]
struct Url {
    resource: String,
}

/// The Spotify artist id a URL names, if it is a Spotify artist page.
fn spotify_id(resource: &str) -> Option<&str> {
    let rest = resource
        .strip_prefix(SPOTIFY_ARTIST_URL)
        .or_else(|| resource.strip_prefix("http://open.spotify.com/artist/"))?;
    let id = rest.split(['?', '/', '#']).next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(id)
}

fn is_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Undoes gzip or xz compression, recognised by their magic bytes.
fn decompressed(reader: impl Read + Send + 'static, path: &Path) -> Result<Box<dyn Read + Send>> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let head = reader.fill_buf().map_err(|source| LoaderError::File {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Box::new(liblzma::read::XzDecoder::new_multi_decoder(reader))
    } else {
        Box::new(reader)
    })
}

impl Source for MusicBrainzInput {
    fn label(&self) -> String {
        self.path.display().to_string()
    }

    fn kind(&self) -> entity::RunKind {
        entity::RunKind::MusicBrainz
    }

    fn read(&self, reading: &mut Reading<'_>) -> Result<()> {
        let path = &self.path;
        let io = |action: &'static str| {
            move |source| LoaderError::File {
                action,
                path: path.clone(),
                source,
            }
        };
        let file = File::open(path).map_err(io("open"))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        reading.progress().set_length(len);
        reading.progress().set_position(0);
        let raw = decompressed(reading.progress().wrap_read(file), path)?;
        if !is_archive(path) {
            return self.read_lines(BufReader::with_capacity(256 * 1024, raw), reading);
        }
        let mut archive = tar::Archive::new(raw);
        for entry in archive.entries().map_err(io("read the archive"))? {
            let entry = entry.map_err(io("read the archive"))?;
            let is_artists = entry
                .path()
                .map(|p| p.to_string_lossy().trim_start_matches("./") == ARTIST_MEMBER)
                .unwrap_or(false);
            if is_artists {
                return self.read_lines(BufReader::with_capacity(256 * 1024, entry), reading);
            }
        }
        Err(LoaderError::File {
            action: "find mbdump/artist in",
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such member"),
        })
    }
}

impl MusicBrainzInput {
    fn read_lines(&self, mut input: impl BufRead, reading: &mut Reading<'_>) -> Result<()> {
        let mut line = Vec::new();
        let mut number = 0u64;
        // Catalog artists whose MusicBrainz aliases this run has replaced.
        let mut met: HashSet<String> = HashSet::new();
        loop {
            line.clear();
            let read = input
                .read_until(b'\n', &mut line)
                .map_err(|source| LoaderError::File {
                    action: "read",
                    path: self.path.clone(),
                    source,
                })?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            reading.count_read(1);
            let artist: Artist = match serde_json::from_slice(&line) {
                Ok(a) => a,
                Err(e) => {
                    reading.reject(Reject {
                        line: number,
                        at: None,
                        column: String::new(),
                        value: Reject::shown(String::from_utf8_lossy(&line).trim_end()),
                        reason: format!("not a MusicBrainz artist: {e}"),
                    })?;
                    continue;
                }
            };
            let targets = self.link(&artist, reading);
            if targets.is_empty() {
                continue;
            }
            let Some(batch) = reading.batch() else {
                continue;
            };
            let names = aliases_of(&artist);
            for target in targets {
                if met.insert(target.clone()) {
                    batch.replace_aliases(&target, AliasSource::MusicBrainz);
                }
                for (locale, values) in &names {
                    batch.add_alias(
                        &target,
                        AliasSource::MusicBrainz,
                        locale.as_deref(),
                        values.clone(),
                    );
                }
                batch.count_rows(1);
            }
            if !reading.unit_done() {
                return Ok(());
            }
        }
    }

    /// The catalog artists a line links to, counted by how it links.
    fn link(&self, artist: &Artist, reading: &mut Reading<'_>) -> Vec<String> {
        let spotify: Vec<&str> = artist
            .relations
            .iter()
            .filter_map(|r| spotify_id(&r.url.as_ref()?.resource))
            .collect();
        let mut targets: Vec<String> = spotify
            .iter()
            .filter(|id| self.directory.has(id))
            .map(|id| (*id).to_owned())
            .collect();
        targets.sort();
        targets.dedup();
        if !targets.is_empty() {
            reading.note(BY_SPOTIFY);
            return targets;
        }
        let by_name = self
            .directory
            .unique_by_name(&artist.name)
            .filter(|id| spotify.is_empty() || entity::normalize::is_derived_id(id));
        match by_name {
            Some(id) => {
                reading.note(BY_NAME);
                vec![id.to_owned()]
            }
            None => {
                reading.note(UNLINKED);
                Vec::new()
            }
        }
    }
}

/// The names a line gives: its own name (no locale, not primary), then its aliases (a
/// malformed locale is dropped, and the alias with it is not primary). Empty and over-long
/// names are left out.
fn aliases_of(artist: &Artist) -> Vec<(Option<String>, AliasValues)> {
    let own = (artist.name.as_str(), None, None, None);
    let others = artist.aliases.iter().filter_map(|a| {
        Some((
            a.name.as_deref()?,
            a.locale.as_deref(),
            a.primary,
            a.kind.as_deref(),
        ))
    });
    std::iter::once(own)
        .chain(others)
        .filter_map(|(name, locale, primary, kind)| {
            let name = clean_name(name);
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                return None;
            }
            let locale = locale.and_then(alias::locale);
            let is_primary = locale.is_some() && primary == Some(true);
            let values = AliasValues {
                name,
                is_primary,
                kind: kind.map(str::to_owned),
            };
            Some((locale, values))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spotify_artist_pages_give_their_ids() {
        assert_eq!(
            spotify_id("https://open.spotify.com/artist/3Nrfpe0tUJi4K4DXYWgMUX"),
            Some("3Nrfpe0tUJi4K4DXYWgMUX")
        );
        assert_eq!(
            spotify_id("https://open.spotify.com/artist/3Nrfpe0tUJi4K4DXYWgMUX?si=x"),
            Some("3Nrfpe0tUJi4K4DXYWgMUX")
        );
        assert_eq!(spotify_id("https://open.spotify.com/album/abc"), None);
        assert_eq!(spotify_id("https://www.youtube.com/channel/x"), None);
    }

    #[test]
    fn archives_are_known_by_their_names() {
        assert!(is_archive(Path::new("/dumps/artist.tar.xz")));
        assert!(!is_archive(Path::new("/dumps/mbdump/artist")));
        assert!(!is_archive(Path::new("artist.gz")));
    }
}
