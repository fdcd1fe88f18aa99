//! The Spotify Web API as a source: a resilient client ([`client`]) that the loader's Spotify
//! command drives.

pub mod client;

pub use client::{EndpointStats, Secret, SpotifyClient, SpotifyConfig};
