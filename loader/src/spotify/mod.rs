//! The Spotify Web API as a source: a resilient client ([`client`]), acting for a user
//! ([`auth`]: login with PKCE and the refresh token), the payloads it reads ([`model`]), typed,
//! batched reads of the catalog ([`catalog`]), the load that writes them into the catalog
//! ([`load`]), and the user's own playlists ([`playlists`]).

pub mod auth;
pub mod catalog;
pub mod client;
pub mod load;
pub mod model;
pub mod playlists;

pub use client::{Secret, SpotifyClient, SpotifyConfig};
pub use load::{Seed, SpotifyLoadOptions, SpotifyReport, load_spotify};
