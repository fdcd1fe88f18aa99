//! SeaORM entities of the Sixpotify catalog: one module per table, with their relations; and
//! the vocabulary the loader and the API share: the audio features ([`feature`]), search keys
//! and derived ids ([`normalize`]), the summary a load run records ([`run_summary`]), what the
//! binaries log ([`telemetry`]) and the dimensions and measures of grouped aggregates
//! ([`track_facts`]).
//!
//! This crate is the shared leaf: it knows nothing of GraphQL or HTTP and holds no client of a
//! source. The DDL that creates these tables lives in the `migration` crate; the two are kept in
//! step by the tests, which migrate a fresh database and then read and write every entity.

pub mod album;
pub mod alias;
pub mod artist;
pub mod artist_alias;
pub mod artist_genre;
pub mod artist_top_track;
pub mod audio_features;
pub mod feature;
pub mod genre;
pub mod load_run;
pub mod normalize;
pub mod playlist;
pub mod playlist_track;
pub mod run_summary;
pub mod telemetry;
pub mod track;
pub mod track_artist;
pub mod track_facts;
pub mod track_genre;

pub use feature::{Feature, FeatureSource, TrackFeatures};
pub use load_run::{RunKind, RunStatus};
