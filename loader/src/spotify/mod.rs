//! The Spotify Web API as a source: a resilient client ([`client`]), the payloads it reads
//! ([`model`]), typed, batched reads of the catalog ([`catalog`]) and the load that writes
//! them into the catalog ([`load`]).

pub mod catalog;
pub mod client;
pub mod load;
pub mod model;

pub use client::{Secret, SpotifyClient, SpotifyConfig};
pub use load::{Seed, SpotifyLoadOptions, SpotifyReport, load_spotify};
