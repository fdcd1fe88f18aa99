//! ReccoBeats as a source of audio features: `GET /audio-features?ids=…` takes up to 40
//! Spotify track ids a call and answers `{"content": [...]}`, one object per track it knows,
//! naming the track by its Spotify URL (`href`) and giving the features on Spotify's scales.
//!
//! Used after a Spotify load (whose own audio-features endpoints answer 403 for apps created
//! since November 2024) for the run's tracks that have none, and by `sixpotify-loader
//! audio-features --missing` for every track that has none. Requests follow the shared
//! [`ApiClient`] policies; a track ReccoBeats does not know stays without features and is
//! counted; values out of range are rejected and counted, never stored.

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::Utc;
use entity::run_summary::RunSummary;
use entity::telemetry::error_chain;
use entity::{FeatureSource, RunKind, TrackFeatures};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use sea_orm::DatabaseConnection;
use serde::Deserialize as _;
use serde_json::Value;
use tracing::{Instrument as _, info, warn};

use crate::error::{LoaderError, Result};
use crate::load_run::{self, Ending, RunCounts};
use crate::shutdown::Shutdown;
use crate::web_api::{ApiClient, ClientPolicy, NoAuth};
use crate::writer::{self, Batch, SourcedFeatures};

/// The service's name in logs, errors and the run summary's endpoints.
pub const SERVICE: &str = "ReccoBeats";

/// The public API.
pub const DEFAULT_URL: &str = "https://api.reccobeats.com/v1";

/// What `load_runs.source` says for an `audio-features` run.
pub const SOURCE: &str = "reccobeats";

const ENDPOINT: &str = "GET /audio-features";

/// The most ids ReccoBeats takes in one call.
pub const MAX_IDS: usize = 40;

/// Tracks looked up and written together, in one transaction.
const TRACKS_PER_BATCH: usize = 1000;

/// The Spotify track URL ReccoBeats names a track by.
const TRACK_URL: &str = "https://open.spotify.com/track/";

/// A ReccoBeats client: the shared [`ApiClient`], no key.
#[derive(Debug)]
pub struct ReccoBeatsClient {
    api: ApiClient,
}

impl std::ops::Deref for ReccoBeatsClient {
    type Target = ApiClient;

    /// The policies, counts and availability of the endpoint.
    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

/// What a lookup found.
#[derive(Debug, Default)]
pub struct Lookup {
    /// Features by Spotify track id, checked.
    pub found: Vec<(String, TrackFeatures)>,
    /// Tracks asked for that ReccoBeats does not know.
    pub unknown: u64,
    /// Tracks whose features were rejected (out of range, malformed).
    pub rejected: u64,
}

impl ReccoBeatsClient {
    /// A client of the API at `api_url` (`https://api.reccobeats.com/v1`).
    pub fn new(api_url: &str, policy: ClientPolicy) -> Result<Self> {
        Ok(Self {
            api: ApiClient::new(SERVICE, api_url, policy)?,
        })
    }

    /// Requests, retries, 429s and failures per endpoint so far, named for a run's summary
    /// (`ReccoBeats GET /audio-features`), beside Spotify's.
    pub fn summary_endpoints(
        &self,
    ) -> impl Iterator<Item = (String, entity::run_summary::EndpointStats)> {
        self.api
            .stats()
            .into_iter()
            .map(|(endpoint, stats)| (summary_name(&endpoint), stats))
    }

    /// Items skipped so far, their endpoints named for a run's summary.
    pub fn summary_skipped(&self) -> Vec<entity::run_summary::SkippedItem> {
        let mut skipped = self.api.skipped();
        for s in &mut skipped {
            s.endpoint = summary_name(&s.endpoint);
        }
        skipped
    }

    /// Probes first, with one request, the endpoints an earlier run's summary named
    /// unavailable (`ReccoBeats GET /audio-features`).
    pub fn probe_first_of(&self, summary_endpoints: &[String]) {
        let prefix = summary_name("");
        self.api.probe_first(
            summary_endpoints
                .iter()
                .filter_map(|e| e.strip_prefix(prefix.as_str())),
        );
    }

    /// The audio features of `ids` (Spotify track ids), [`MAX_IDS`] a call, as many calls at
    /// once as the policy allows.
    pub async fn audio_features(&self, ids: &[String]) -> Result<Lookup> {
        let answers: Vec<Lookup> = stream::iter(ids.chunks(MAX_IDS))
            .map(|chunk| self.chunk(chunk))
            .buffered(self.api.policy().concurrency)
            .try_collect()
            .await?;
        let mut all = Lookup::default();
        for a in answers {
            all.found.extend(a.found);
            all.unknown += a.unknown;
            all.rejected += a.rejected;
        }
        Ok(all)
    }

    async fn chunk(&self, chunk: &[String]) -> Result<Lookup> {
        let what = format!("{} tracks from {}", chunk.len(), chunk[0]);
        let query = [("ids", chunk.join(","))];
        let answer: Value = self
            .api
            .get_with(&NoAuth, ENDPOINT, "/audio-features", &query, &what)
            .await?;
        let Some(Value::Array(items)) = answer.get("content") else {
            return Err(LoaderError::ApiMalformed {
                service: SERVICE,
                endpoint: ENDPOINT.into(),
                item: what,
                source: serde::de::Error::custom("no `content` array"),
            });
        };
        let asked: BTreeSet<&str> = chunk.iter().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        let mut out = Lookup::default();
        for (i, item) in items.iter().enumerate() {
            let Some(id) = spotify_id(item).filter(|id| asked.contains(id)) else {
                let name = format!("item {i} of {what}");
                self.api
                    .skip(ENDPOINT, &name, &"no `href` naming a track asked for");
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            let checked = TrackFeatures::deserialize(item)
                .map_err(|e| e.to_string())
                .and_then(TrackFeatures::checked);
            match checked {
                Ok(features) => out.found.push((id.to_owned(), features)),
                Err(why) => {
                    self.api.skip(ENDPOINT, id, &why);
                    out.rejected += 1;
                }
            }
        }
        out.unknown = (asked.len() - seen.len()) as u64;
        Ok(out)
    }
}

/// Whether an endpoint named in a run's summary is ReccoBeats'.
pub fn names_its_endpoint(summary_endpoint: &str) -> bool {
    summary_endpoint.starts_with(&summary_name(""))
}

/// An endpoint's name in a run's summary, where Spotify's are named bare.
fn summary_name(endpoint: &str) -> String {
    format!("{SERVICE} {endpoint}")
}

/// The Spotify track id of a ReccoBeats item, from its `href`
/// (`https://open.spotify.com/track/<id>`, maybe with a query).
fn spotify_id(item: &Value) -> Option<&str> {
    let rest = item.get("href")?.as_str()?.strip_prefix(TRACK_URL)?;
    let id = rest.split(['?', '/', '#']).next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(id)
}

/// What a fill did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FillCounts {
    /// Tracks looked up.
    pub asked: u64,
    /// Tracks given features.
    pub written: u64,
    /// Tracks ReccoBeats does not know.
    pub unknown: u64,
    /// Tracks whose features were rejected.
    pub rejected: u64,
}

impl FillCounts {
    fn add(&mut self, lookup: &Lookup, asked: usize) {
        self.asked += asked as u64;
        self.written += lookup.found.len() as u64;
        self.unknown += lookup.unknown;
        self.rejected += lookup.rejected;
    }

    /// Records the counts in a run's summary.
    pub fn record(&self, summary: &mut RunSummary) {
        summary.audio_features += self.written;
        summary.audio_features_unknown += self.unknown;
    }
}

/// Looks `ids` up and writes what is found, [`TRACKS_PER_BATCH`] tracks a transaction, adding
/// to `counts` as it goes (so that a failure midway still reports what was written). A stop
/// request is honoured between batches; whether one cut it short.
pub async fn fill(
    db: &DatabaseConnection,
    client: &ReccoBeatsClient,
    ids: &[String],
    counts: &mut FillCounts,
    shutdown: &Shutdown,
) -> Result<bool> {
    for chunk in ids.chunks(TRACKS_PER_BATCH) {
        if shutdown.is_requested() {
            return Ok(true);
        }
        let lookup = client.audio_features(chunk).await?;
        let mut batch = Batch::default();
        for (id, features) in &lookup.found {
            batch.add_features(
                id,
                SourcedFeatures {
                    features: features.clone(),
                    source: FeatureSource::ReccoBeats,
                },
            );
        }
        batch.write(db, Utc::now()).await?;
        counts.add(&lookup, chunk.len());
    }
    Ok(false)
}

/// What an `audio-features --missing` run did.
#[derive(Debug)]
pub struct FeaturesReport {
    pub run_id: i64,
    pub counts: FillCounts,
    /// What `load_runs` records: tracks looked up, given features, and rejected.
    pub run_counts: RunCounts,
    pub summary: RunSummary,
    pub elapsed: std::time::Duration,
    pub stopped_early: bool,
    /// Set when the run failed, or its end could not be recorded.
    pub error: Option<LoaderError>,
}

impl FeaturesReport {
    /// One line for the operator.
    pub fn summary_line(&self) -> String {
        let outcome = match (&self.error, self.stopped_early) {
            (Some(e), _) => format!("FAILED: {}", error_chain(e)),
            (None, true) => "stopped on request".into(),
            (None, false) => "succeeded".into(),
        };
        let c = &self.counts;
        format!(
            "audio-features run {} {outcome}: {} tracks without features looked up, {} given \
             features, {} unknown to ReccoBeats, {} rejected; {} requests in {:.1} s",
            self.run_id,
            c.asked,
            c.written,
            c.unknown,
            c.rejected,
            self.summary.requests(),
            self.elapsed.as_secs_f64(),
        )
    }
}

/// `audio-features --missing`: looks up every track that has no audio features, a page of
/// track ids at a time (in id order, so that tracks ReccoBeats does not know are passed once),
/// and records the run (kind `reccobeats`).
pub async fn fill_missing(
    db: &DatabaseConnection,
    client: &ReccoBeatsClient,
    shutdown: &Shutdown,
) -> Result<FeaturesReport> {
    let started = Instant::now();
    let unavailable =
        load_run::endpoints_found_unavailable(db, &[RunKind::ReccoBeats, RunKind::Spotify]).await?;
    client.probe_first_of(&unavailable);
    let run_id = load_run::start(db, RunKind::ReccoBeats, SOURCE, Utc::now()).await?;
    let mut counts = FillCounts::default();
    let mut stopped_early = false;
    let work = async {
        let mut after: Option<String> = None;
        loop {
            if shutdown.is_requested() {
                stopped_early = true;
                break;
            }
            let page = writer::tracks_without_features(db, after.as_deref(), 10_000).await?;
            let Some(last) = page.last().cloned() else {
                break;
            };
            if fill(db, client, &page, &mut counts, shutdown).await? {
                stopped_early = true;
                break;
            }
            info!(
                looked_up = counts.asked,
                written = counts.written,
                unknown = counts.unknown,
                "audio features so far"
            );
            after = Some(last);
        }
        Ok::<(), LoaderError>(())
    };
    let error = work
        .instrument(tracing::info_span!("audio_features_run", run_id))
        .await
        .err();
    let mut summary = RunSummary {
        stopped_early,
        ..Default::default()
    };
    counts.record(&mut summary);
    summary.endpoints.extend(client.summary_endpoints());
    summary.skipped = client.summary_skipped();
    summary.rate_limit_wait_ms = u64::try_from(client.rate_limit_wait().as_millis()).unwrap_or(0);
    let run_counts = RunCounts {
        read: counts.asked,
        written: counts.written,
        rejected: summary.skipped_items(),
    };
    let ending = Ending {
        counts: run_counts,
        cancelled: stopped_early,
        summary: serde_json::to_string(&summary).ok(),
    };
    let error = load_run::conclude(db, run_id, ending, error).await;
    if let Some(e) = &error {
        warn!(run_id, error = %error_chain(e), "audio-features run failed");
    }
    Ok(FeaturesReport {
        run_id,
        counts,
        run_counts,
        summary,
        elapsed: started.elapsed(),
        stopped_early,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_is_named_by_its_spotify_url() {
        let item = |href: &str| serde_json::json!({ "href": href });
        assert_eq!(
            spotify_id(&item(
                "https://open.spotify.com/track/0eGsygTp906u18L0Oimnem"
            )),
            Some("0eGsygTp906u18L0Oimnem")
        );
        assert_eq!(
            spotify_id(&item(
                "https://open.spotify.com/track/0eGsygTp906u18L0Oimnem?si=x"
            )),
            Some("0eGsygTp906u18L0Oimnem")
        );
        assert_eq!(
            spotify_id(&item("https://open.spotify.com/artist/abc")),
            None
        );
        assert_eq!(spotify_id(&item("https://open.spotify.com/track/")), None);
        assert_eq!(spotify_id(&serde_json::json!({ "id": "x" })), None);
    }
}
