//! The Sixpotify loader: brings catalog data into the database.
//!
//! Sources are read into normalised rows ([`csv_source`]), merged into batches and written by
//! the upsert [`writer`] in transactions; every run is recorded in `load_runs`
//! ([`load_run`]), which also refreshes the BI [`summary`] tables. [`import`] ties them together
//! for files: CSV catalogs, the Million Playlist Dataset ([`mpd`]), alias lists ([`aliases`])
//! and MusicBrainz dumps ([`musicbrainz`]). [`export`] writes the catalog out as Parquet. The
//! API uses the same library to seed an empty database from its bundled sample.

pub mod aliases;
pub mod cli;
pub mod csv_source;
pub mod db;
pub mod error;
pub mod export;
pub mod galera;
pub mod import;
pub mod load_run;
pub mod lock;
pub mod monitor;
pub mod mpd;
pub mod musicbrainz;
pub mod reccobeats;
pub mod retry;
pub mod shutdown;
pub mod spotify;
pub mod summary;
pub mod web_api;
pub mod writer;

pub use aliases::{AliasList, ArtistDirectory};
pub use error::{LoaderError, Result};
pub use import::{CsvInput, ImportOptions, ImportReport, import, import_csv};
pub use mpd::MpdInput;
pub use musicbrainz::MusicBrainzInput;
