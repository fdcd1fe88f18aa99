//! What a load run met on the way, stored as JSON in `load_runs.summary` by the loader and read
//! back by the API's `LoadRun.endpoints` and `LoadRun.summary`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A name or id that did not lead to an artist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmatched {
    pub seed: String,
    pub reason: String,
}

/// A name that matched several artists, or none exactly, and the one chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ambiguous {
    pub name: String,
    pub chosen_id: String,
    pub chosen_name: String,
    /// `"exact"` when several artists have the name, `"inexact"` when none has it exactly.
    pub matched: String,
    /// The other candidates, as `name (id)`.
    pub others: Vec<String>,
}

/// What a Spotify run met on the way; stored as JSON in `load_runs.summary`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub seeds: u64,
    /// Artists loaded in full (artist, discography, top tracks).
    pub artists_loaded: u64,
    /// Seeds skipped because they were loaded more recently than `--max-age`.
    pub artists_fresh: u64,
    /// Related artists added as seeds.
    pub related_followed: u64,
    pub albums: u64,
    pub tracks: u64,
    pub audio_features: u64,
    /// Tracks asked of ReccoBeats that it does not know (they stay without features).
    #[serde(default)]
    pub audio_features_unknown: u64,
    /// Why audio features from ReccoBeats stopped short in a Spotify run, if they did.
    #[serde(default)]
    pub audio_features_error: Option<String>,
    pub top_tracks: u64,
    pub unmatched: Vec<Unmatched>,
    pub ambiguous: Vec<Ambiguous>,
    /// Artists written with an incomplete discography, and why; tried again next run.
    pub incomplete: Vec<Unmatched>,
    /// Items skipped as malformed (the first few; `endpoints` has the counts).
    pub skipped: Vec<SkippedItem>,
    /// Requests, retries, 429s, failures, skipped items and availability per endpoint.
    pub endpoints: BTreeMap<String, EndpointStats>,
    /// Time spent waiting for `Retry-After`.
    pub rate_limit_wait_ms: u64,
    /// The run stopped on request before its last batch.
    pub stopped_early: bool,
    /// Playlists loaded (`spotify --my-playlists`).
    #[serde(default)]
    pub playlists: u64,
    /// Playlists left out, and why (followed only, items refused).
    #[serde(default)]
    pub playlists_skipped: Vec<Unmatched>,
}

impl RunSummary {
    /// Requests sent, all endpoints together (token requests included).
    pub fn requests(&self) -> u64 {
        self.endpoints.values().map(|e| e.requests).sum()
    }

    /// Items skipped as malformed, all endpoints together.
    pub fn skipped_items(&self) -> u64 {
        self.endpoints.values().map(|e| e.skipped).sum()
    }
}

/// What one endpoint cost and how it behaved in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointStats {
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub failures: u64,
    /// Items skipped because their payload did not have the documented shape.
    pub skipped: u64,
    /// The endpoint answered 403 or 404 as not available to this app.
    pub unavailable: bool,
}

/// An item left out of a run because Spotify sent it in an unexpected shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    pub endpoint: String,
    pub item: String,
    pub reason: String,
}
