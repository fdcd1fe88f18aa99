//! The Spotify Web API as a source: a resilient client ([`client`]), the payloads it reads
//! ([`model`]) and typed, batched reads of the catalogue ([`catalog`]).

pub mod catalog;
pub mod client;
pub mod model;

pub use client::{EndpointStats, Secret, SpotifyClient, SpotifyConfig};
