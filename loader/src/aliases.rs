//! Artist aliases from operators' lists: `import-aliases`, a CSV file (plain or gzip) with the
//! header `artist_id,alias,locale` and an optional fourth column `primary` (`true`/`false`),
//! through the import pipeline. The bundled sample's aliases are such a list.
//!
//! A list is the truth for the artists it names: the first time a run meets an artist, the
//! aliases earlier lists gave it are replaced by this list's, so a corrected list imported again
//! mends the stored one (a run cut off and re-run gives the same result). Without a `primary`
//! column, the first alias of an artist in a locale is the artist's primary name there; an
//! alias without a locale is never primary. A row naming an artist the catalog does not hold, an
//! empty or over-long alias, or a malformed locale is rejected with its line.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entity::alias::{self, Source as AliasSource};
use entity::normalize::{clean_name, search_key};
use sea_orm::DatabaseConnection;

use crate::csv_source::{MAX_NAME_CHARS, Reject};
use crate::error::{LoaderError, Result};
use crate::import::{CsvInput, Reading, Source};
use crate::writer::AliasValues;

/// The catalog's artists, for linking aliases to them: every id, and each search key's artist
/// when exactly one artist has it.
#[derive(Debug, Default)]
pub struct ArtistDirectory {
    ids: HashSet<Box<str>>,
    /// A search key's artist; `None` when several artists fold to it.
    by_key: HashMap<Box<str>, Option<Box<str>>>,
}

impl ArtistDirectory {
    /// Reads every artist's id and search key.
    pub async fn load(db: &DatabaseConnection) -> Result<Self> {
        let rows = crate::writer::artist_keys(db)
            .await
            .map_err(LoaderError::db("reading the catalog's artists"))?;
        let mut directory = Self::default();
        for (id, key) in rows {
            directory
                .by_key
                .entry(key.into_boxed_str())
                .and_modify(|found| *found = None)
                .or_insert_with(|| Some(id.clone().into_boxed_str()));
            directory.ids.insert(id.into_boxed_str());
        }
        Ok(directory)
    }

    /// Whether the catalog holds an artist with this id.
    pub fn has(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The one artist whose name folds like `name`; `None` when none or several do.
    pub fn unique_by_name(&self, name: &str) -> Option<&str> {
        self.by_key.get(search_key(name).as_str())?.as_deref()
    }
}

/// An alias list to import.
#[derive(Clone, Debug)]
pub struct AliasList {
    pub input: CsvInput,
    pub directory: Arc<ArtistDirectory>,
}

const COLUMNS: [&str; 4] = ["artist_id", "alias", "locale", "primary"];

impl Source for AliasList {
    fn label(&self) -> String {
        self.input.label()
    }

    fn kind(&self) -> entity::RunKind {
        entity::RunKind::Aliases
    }

    fn read(&self, reading: &mut Reading<'_>) -> Result<()> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(self.input.open(reading.progress())?);
        let header = reader
            .headers()
            .map_err(|source| LoaderError::Read { line: 1, source })?
            .clone();
        let names: Vec<&str> = header.iter().map(str::trim).collect();
        if names != COLUMNS[..3] && names != COLUMNS {
            return Err(LoaderError::AliasListHeader {
                expected: format!("{} (and optionally {})", COLUMNS[..3].join(","), COLUMNS[3]),
                found: names.join(","),
            });
        }
        let has_primary = names.len() == 4;
        // Artists met in this run, and the (artist, locale) pairs that have their primary name.
        let mut met: HashSet<String> = HashSet::new();
        let mut primaries: HashSet<(String, String)> = HashSet::new();
        let mut record = csv::StringRecord::new();
        loop {
            let line = reader.position().line() + 1;
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(source) if matches!(source.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(LoaderError::Read { line, source });
                }
                Err(source) => {
                    reading.count_read(1);
                    reading.reject(reject(
                        line,
                        "",
                        "",
                        format!("malformed CSV record: {source}"),
                    ))?;
                    continue;
                }
            }
            reading.count_read(1);
            let line = record.position().map_or(line, |p| p.line());
            let row = match parse(&record, line, has_primary, &self.directory) {
                Ok(row) => row,
                Err(r) => {
                    reading.reject(r)?;
                    continue;
                }
            };
            let Some(batch) = reading.batch() else {
                continue;
            };
            if met.insert(row.artist_id.clone()) {
                batch.replace_aliases(&row.artist_id, AliasSource::List);
            }
            let is_primary = match (row.primary, &row.locale) {
                (_, None) => false,
                (Some(p), Some(_)) => p,
                (None, Some(l)) => primaries.insert((row.artist_id.clone(), l.clone())),
            };
            batch.add_alias(
                &row.artist_id,
                AliasSource::List,
                row.locale.as_deref(),
                AliasValues {
                    name: row.alias,
                    is_primary,
                    kind: None,
                },
            );
            batch.count_rows(1);
            if !reading.unit_done() {
                return Ok(());
            }
        }
        Ok(())
    }
}

struct Row {
    artist_id: String,
    alias: String,
    locale: Option<String>,
    primary: Option<bool>,
}

fn reject(line: u64, column: &str, value: &str, reason: impl Into<String>) -> Reject {
    Reject {
        line,
        at: None,
        column: column.to_owned(),
        value: Reject::shown(value),
        reason: reason.into(),
    }
}

fn parse(
    record: &csv::StringRecord,
    line: u64,
    has_primary: bool,
    directory: &ArtistDirectory,
) -> std::result::Result<Row, Reject> {
    let expected = if has_primary { 4 } else { 3 };
    if record.len() != expected {
        return Err(reject(
            line,
            "",
            "",
            format!("expected {expected} fields, found {}", record.len()),
        ));
    }
    let artist_id = record[0].trim();
    if !directory.has(artist_id) {
        return Err(reject(
            line,
            "artist_id",
            artist_id,
            "no such artist in the catalog",
        ));
    }
    let alias = clean_name(&record[1]);
    if search_key(&alias).is_empty() {
        return Err(reject(line, "alias", &alias, "empty"));
    }
    if alias.chars().count() > MAX_NAME_CHARS {
        return Err(reject(
            line,
            "alias",
            &alias,
            format!("longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    let raw_locale = record[2].trim();
    let locale = if raw_locale.is_empty() {
        None
    } else {
        Some(alias::locale(raw_locale).ok_or_else(|| {
            reject(
                line,
                "locale",
                raw_locale,
                "not a locale such as ko, en_US or zh_Hant",
            )
        })?)
    };
    let primary = if has_primary {
        match record[3].trim().to_ascii_lowercase().as_str() {
            "" => None,
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            other => {
                return Err(reject(line, "primary", other, "not true or false"));
            }
        }
    } else {
        None
    };
    Ok(Row {
        artist_id: artist_id.to_owned(),
        alias,
        locale,
        primary,
    })
}
