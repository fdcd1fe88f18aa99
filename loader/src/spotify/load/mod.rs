//! `sixpotify-loader spotify`: loads artists, their discographies, track details, top tracks,
//! audio features and, optionally, related artists from the Spotify Web API into the catalog.
//!
//! Seeds (names or ids) are taken a batch of artists at a time. For each batch the fetcher
//! resolves names by search, then reads discographies, albums with their tracks, track details,
//! top tracks and audio features, every endpoint that takes several ids asked in batches, all
//! of it as many requests at once as the client allows. The batch then goes to the upsert
//! writer, which commits it in one transaction while the fetcher reads the next batch, so that
//! requests keep flowing at the client's cap.
//!
//! An endpoint that is not available to the app is recorded and left out (or replaced by its
//! one-id sibling); an item in an unexpected shape is skipped and counted; an artist whose
//! discography could not be read completely is written with what was read but not marked
//! loaded, so that the next run tries it again. A stop request is honoured between batches.

mod fetch;
mod resolve;
pub(crate) mod rows;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::RunKind;
use entity::run_summary::RunSummary;
use entity::telemetry::error_chain;
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use tracing::{Instrument as _, info, warn};

use super::client::SpotifyClient;
use super::model::Artist;
use crate::error::{LoaderError, Result};
use crate::load_run::{self, Ending, RunCounts};
use crate::reccobeats::{self, FillCounts, ReccoBeatsClient};
use crate::shutdown::Shutdown;
use crate::writer::Batch;

/// What `load_runs.source` says for a Spotify run.
pub const SOURCE: &str = "spotify";

/// Where to start: an artist by name (resolved by search) or by Spotify id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seed {
    Name(String),
    Id(String),
}

impl Seed {
    /// Seeds from an artists file: one name per line; blank lines and surrounding white space
    /// are ignored, a byte-order mark too.
    pub fn from_lines(text: &str) -> Vec<Self> {
        text.trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| Self::Name(l.to_owned()))
            .collect()
    }
}

/// How a Spotify load behaves.
#[derive(Clone, Debug)]
pub struct SpotifyLoadOptions {
    pub seeds: Vec<Seed>,
    /// The market of top tracks, ISO 3166-1 alpha-2.
    pub market: String,
    /// Albums a page of an artist's discography, 1 to 10.
    pub album_page_size: u32,
    /// Tracks a page of an album's track list, 1 to 50.
    pub track_page_size: u32,
    /// Search results considered when resolving a name, 1 to 10.
    pub search_limit: u32,
    /// Related artists of each seed loaded too (one level deep); 0 for none.
    pub follow_related: usize,
    /// Skip artists loaded from Spotify more recently than this.
    pub max_age: Option<Duration>,
    /// Artists fetched and written together, in one transaction.
    pub artists_per_batch: usize,
}

impl SpotifyLoadOptions {
    /// Defaults for the given seeds.
    pub fn new(seeds: Vec<Seed>) -> Self {
        Self {
            seeds,
            market: "KR".into(),
            album_page_size: 10,
            track_page_size: 50,
            search_limit: 10,
            follow_related: 0,
            max_age: None,
            artists_per_batch: 20,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(LoaderError::SpotifyConfig(m));
        if self.market.len() != 2 || !self.market.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(format!(
                "the market must be an ISO 3166-1 alpha-2 code such as KR, not {:?}",
                self.market
            ));
        }
        if !(1..=10).contains(&self.album_page_size) {
            return bad("the album page size must be 1 to 10".into());
        }
        if !(1..=50).contains(&self.track_page_size) {
            return bad("the track page size must be 1 to 50".into());
        }
        if !(1..=10).contains(&self.search_limit) {
            return bad("the search limit must be 1 to 10".into());
        }
        if self.artists_per_batch == 0 {
            return bad("a batch needs at least one artist".into());
        }
        Ok(())
    }
}

/// What a Spotify run did.
#[derive(Debug)]
pub struct SpotifyReport {
    pub run_id: i64,
    pub summary: RunSummary,
    pub counts: RunCounts,
    pub elapsed: Duration,
    /// Set when the run failed after it was recorded, its BI summaries could not be refreshed,
    /// or its end could not be recorded.
    pub error: Option<LoaderError>,
}

impl SpotifyReport {
    /// One line for the operator.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let secs = self.elapsed.as_secs_f64();
        let outcome = match (&self.error, s.stopped_early) {
            (Some(e), _) => format!("FAILED: {}", error_chain(e)),
            (None, true) => "stopped on request".into(),
            (None, false) => "succeeded".into(),
        };
        format!(
            "spotify run {} {outcome}: {} artists loaded, {} fresh, {} unmatched, {} ambiguous; \
             {} albums, {} tracks, {} audio features ({} tracks unknown to ReccoBeats); {} requests in {secs:.1} s ({:.1}/s), {} items skipped",
            self.run_id,
            s.artists_loaded,
            s.artists_fresh,
            s.unmatched.len(),
            s.ambiguous.len(),
            s.albums,
            s.tracks,
            s.audio_features,
            s.audio_features_unknown,
            s.requests(),
            s.requests() as f64 / secs.max(1e-9),
            s.skipped_items(),
        )
    }
}

/// A seed on its way: as given, or already an artist object (a related artist).
#[derive(Clone, Debug)]
enum Pending {
    Seed(Seed),
    Artist(Box<Artist>),
}

/// What the fetcher keeps across batches.
struct Run<'a> {
    db: &'a DatabaseConnection,
    client: &'a SpotifyClient,
    opts: &'a SpotifyLoadOptions,
    summary: RunSummary,
    /// Artists loaded in this run, so that none is loaded twice.
    seen: BTreeSet<String>,
    /// Related artists queued, so that none is queued twice.
    queued: BTreeSet<String>,
    /// Names seeds gave artists that Spotify names otherwise ("방탄소년단" for BTS), stored as
    /// their aliases with the artist.
    seed_names: BTreeMap<String, Vec<String>>,
    fetched_tracks: u64,
    /// Every track the run read, for the audio features other sources give.
    track_ids: BTreeSet<String>,
}

/// Runs one Spotify load: records it in `load_runs`, loads every seed (and related artists)
/// batch by batch, gives the run's tracks that have no audio features those of `features`
/// (ReccoBeats) when given, and records how it went. Errors before the run is recorded are
/// returned; later ones are in the report.
pub async fn load_spotify(
    db: &DatabaseConnection,
    client: &SpotifyClient,
    features: Option<&ReccoBeatsClient>,
    opts: &SpotifyLoadOptions,
    shutdown: &Shutdown,
) -> Result<SpotifyReport> {
    opts.validate()?;
    let started = Instant::now();
    let unavailable =
        load_run::endpoints_found_unavailable(db, &[RunKind::Spotify, RunKind::ReccoBeats]).await?;
    client.probe_first(
        unavailable
            .iter()
            .filter(|e| !reccobeats::names_its_endpoint(e))
            .map(String::as_str),
    );
    if let Some(features) = features {
        features.probe_first_of(&unavailable);
    }
    let run_id = load_run::start(db, RunKind::Spotify, SOURCE, Utc::now()).await?;
    let span = tracing::info_span!("spotify_run", run_id);
    let mut run = Run {
        db,
        client,
        opts,
        summary: RunSummary {
            seeds: opts.seeds.len() as u64,
            ..Default::default()
        },
        seen: BTreeSet::new(),
        queued: BTreeSet::new(),
        seed_names: BTreeMap::new(),
        fetched_tracks: 0,
        track_ids: BTreeSet::new(),
    };
    let (tx, rx) = mpsc::channel::<Batch>(1);
    let (fetched, written) = tokio::join!(
        run.fetch_all(tx, shutdown).instrument(span.clone()),
        write_all(db, rx).instrument(span.clone()),
    );
    let (written, write_error) = written;
    let mut error = match (fetched, write_error) {
        (_, Some(e)) => Some(e),
        (Err(e), None) => Some(e),
        (Ok(()), None) => None,
    };
    let mut summary = run.summary;
    if let (Some(features), None) = (features, &error) {
        let track_ids: Vec<String> = run.track_ids.into_iter().collect();
        // Features written count in `audio_features`, not as rows: their tracks are counted.
        let filled = fill_features(db, features, &track_ids, &mut summary, shutdown)
            .instrument(span.clone())
            .await;
        match filled {
            Ok(stopped) => summary.stopped_early |= stopped,
            // The catalog is written; features that did not come are a gap the next run or
            // `audio-features --missing` fills, not a failed run.
            Err(e) if e.is_web_api() => {
                warn!(error = %error_chain(&e), "audio features from ReccoBeats stopped short");
                summary.audio_features_error = Some(error_chain(&e));
            }
            Err(e) => error = Some(e),
        }
    }
    summary.endpoints = client.stats();
    summary.skipped = client.skipped();
    if let Some(features) = features {
        summary.endpoints.extend(features.summary_endpoints());
        summary.skipped.extend(features.summary_skipped());
    }
    let waited =
        client.rate_limit_wait() + features.map(|f| f.rate_limit_wait()).unwrap_or_default();
    summary.rate_limit_wait_ms = u64::try_from(waited.as_millis()).unwrap_or(0);
    let counts = RunCounts {
        read: run.fetched_tracks,
        written,
        rejected: summary.skipped_items(),
    };
    let ending = Ending {
        counts,
        cancelled: summary.stopped_early,
        summary: serde_json::to_string(&summary).ok(),
    };
    let error = load_run::conclude(db, run_id, ending, error).await;
    let report = SpotifyReport {
        run_id,
        summary,
        counts,
        elapsed: started.elapsed(),
        error,
    };
    match &report.error {
        None => info!(
            run_id,
            requests = report.summary.requests(),
            tracks = written,
            elapsed_s = report.elapsed.as_secs_f64(),
            "spotify run finished"
        ),
        Some(e) => warn!(run_id, error = %error_chain(e), "spotify run failed"),
    }
    Ok(report)
}

/// Gives the run's tracks that have no audio features those ReccoBeats knows, counting them in
/// `summary` as it goes; whether a stop request cut it short.
async fn fill_features(
    db: &DatabaseConnection,
    features: &ReccoBeatsClient,
    track_ids: &[String],
    summary: &mut RunSummary,
    shutdown: &Shutdown,
) -> Result<bool> {
    let missing = crate::writer::without_features(db, track_ids).await?;
    if missing.is_empty() {
        return Ok(false);
    }
    info!(
        tracks = missing.len(),
        "asking ReccoBeats for the audio features of tracks that have none"
    );
    let mut counts = FillCounts::default();
    let filled = reccobeats::fill(db, features, &missing, &mut counts, shutdown).await;
    counts.record(summary);
    filled
}

/// Writes batches as they come; returns the tracks written and the error that stopped it.
async fn write_all(
    db: &DatabaseConnection,
    mut rx: mpsc::Receiver<Batch>,
) -> (u64, Option<LoaderError>) {
    let mut written = 0;
    while let Some(batch) = rx.recv().await {
        if let Err(e) = batch.write(db, Utc::now()).await {
            return (written, Some(e));
        }
        written += batch.track_count() as u64;
    }
    (written, None)
}

impl Run<'_> {
    fn concurrency(&self) -> usize {
        self.client.policy().concurrency
    }

    async fn fetch_all(&mut self, tx: mpsc::Sender<Batch>, shutdown: &Shutdown) -> Result<()> {
        let mut queue: VecDeque<Pending> = self
            .opts
            .seeds
            .iter()
            .map(|s| Pending::Seed(s.clone()))
            .collect();
        let mut batch_no = 0;
        while !queue.is_empty() {
            if shutdown.is_requested() {
                self.summary.stopped_early = true;
                info!(
                    left = queue.len(),
                    "stopping on request before the next batch"
                );
                break;
            }
            batch_no += 1;
            let take = self.opts.artists_per_batch.min(queue.len());
            let pending: Vec<_> = queue.drain(..take).collect();
            // Related artists are followed for seeds only: one level deep.
            let related_here: BTreeSet<String> = pending
                .iter()
                .filter_map(|p| match p {
                    Pending::Artist(a) => Some(a.id.clone()),
                    Pending::Seed(_) => None,
                })
                .collect();
            let artists = self.resolve(pending).await?;
            if artists.is_empty() {
                continue;
            }
            let fetched = self.fetch(artists, &related_here).await?;
            for a in &fetched.related {
                if !self.seen.contains(&a.id) && self.queued.insert(a.id.clone()) {
                    self.summary.related_followed += 1;
                    queue.push_back(Pending::Artist(Box::new(a.clone())));
                }
            }
            let batch = self.rows(fetched);
            info!(batch = batch_no, tracks = batch.track_count(), "batch read");
            if tx.send(batch).await.is_err() {
                // The writer stopped; its error is the run's.
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artists_file_skips_blank_lines_and_keeps_korean_names() {
        let seeds = Seed::from_lines("\u{feff}BTS\n\n  아이유  \r\n\t\n블랙핑크\n");
        assert_eq!(
            seeds,
            [
                Seed::Name("BTS".into()),
                Seed::Name("아이유".into()),
                Seed::Name("블랙핑크".into())
            ]
        );
    }

    #[test]
    fn a_market_must_be_two_capital_letters() {
        let mut opts = SpotifyLoadOptions::new(vec![]);
        assert!(opts.validate().is_ok());
        opts.market = "kor".into();
        assert!(opts.validate().is_err());
    }
}
