//! SeaORM entities of the Sixpotify catalogue: one module per table, with their relations.
//!
//! This crate is a leaf: it knows nothing of GraphQL, HTTP or Spotify. The DDL that creates
//! these tables lives in the `migration` crate; the two are kept in step by the tests, which
//! migrate a fresh database and then read and write every entity.

pub mod album;
pub mod artist;
pub mod artist_genre;
pub mod artist_top_track;
pub mod audio_features;
pub mod genre;
pub mod load_run;
pub mod track;
pub mod track_artist;
pub mod track_genre;

pub use load_run::RunStatus;
