//! `sixpotify-loader spotify --my-playlists`: the playlists of the user who logged in.
//!
//! Since 2026 a playlist's items are readable only by its owner and its collaborators, with a
//! user's token (`spotify login`). The run reads `GET /me`, then `GET /me/playlists` page by
//! page, and for each playlist the user owns or collaborates on, `GET /playlists/{id}/items`;
//! playlists the user only follows are recorded as skipped, as are playlists whose items
//! Spotify still refuses. Each playlist is written in a transaction of its own, its list
//! replacing what an earlier run stored: entries keep their positions, with when they were
//! added; tracks with their album and artists. Local files, episodes and items no longer
//! available keep their place empty and are counted.

use chrono::{DateTime, Utc};
use entity::run_summary::{RunSummary, Unmatched};
use entity::telemetry::error_chain;
use sea_orm::DatabaseConnection;
use serde_json::Value;
use tracing::{Instrument as _, info, warn};

use super::client::SpotifyClient;
use super::load::rows::add_track_object;
use super::model::{PlaylistItem, PlaylistRef, Track};
use crate::csv_source::PlaylistRef as Listed;
use crate::error::{LoaderError, Result};
use crate::load_run::{self, Ending, RunCounts};
use crate::shutdown::Shutdown;
use crate::writer::{Batch, PlaylistValues};

/// What `load_runs.source` and `playlists.source` say for these runs.
pub const SOURCE: &str = "spotify";

/// What a run did. `error` is set when the run failed after it was recorded.
#[derive(Debug)]
pub struct PlaylistsReport {
    pub run_id: i64,
    pub counts: RunCounts,
    pub summary: RunSummary,
    pub error: Option<LoaderError>,
}

impl PlaylistsReport {
    /// The one-line summary printed at the end of a run.
    pub fn summary_line(&self) -> String {
        let outcome = match &self.error {
            None => "succeeded".to_owned(),
            Some(e) => format!("FAILED: {}", error_chain(e)),
        };
        format!(
            "spotify --my-playlists {outcome}: {} playlists, {} entries written, {} items skipped, {} playlists skipped, {} requests, load run #{}",
            self.summary.playlists,
            self.counts.written,
            self.counts.rejected,
            self.summary.playlists_skipped.len(),
            self.summary.requests(),
            self.run_id
        )
    }
}

/// Loads the user's own and collaborative playlists, recording a load run.
///
/// Returns `Err` only when the run could not even be recorded.
pub async fn load_my_playlists(
    db: &DatabaseConnection,
    client: &SpotifyClient,
    shutdown: &Shutdown,
) -> Result<PlaylistsReport> {
    let now = Utc::now();
    let run_id = load_run::start(
        db,
        entity::RunKind::SpotifyPlaylists,
        "spotify:my-playlists",
        now,
    )
    .await?;
    let span = tracing::info_span!("spotify_playlists", run_id);
    async move {
        let mut counts = RunCounts::default();
        let mut summary = RunSummary::default();
        let outcome = run(db, client, shutdown, now, &mut counts, &mut summary).await;
        summary.endpoints = client.stats();
        summary.skipped = client.skipped();
        summary.rate_limit_wait_ms = client.rate_limit_wait().as_millis() as u64;
        let cancelled = matches!(outcome, Ok(false));
        summary.stopped_early = cancelled;
        let error = load_run::conclude(
            db,
            run_id,
            Ending {
                counts,
                cancelled,
                summary: serde_json::to_string(&summary).ok(),
            },
            outcome.err(),
        )
        .await;
        match &error {
            None => info!(
                playlists = summary.playlists,
                entries = counts.written,
                "playlists loaded"
            ),
            Some(e) => warn!(error = %error_chain(e), "loading the playlists failed"),
        }
        Ok(PlaylistsReport {
            run_id,
            counts,
            summary,
            error,
        })
    }
    .instrument(span)
    .await
}

/// The run; `Ok(false)` when a stop was asked for before the last playlist.
async fn run(
    db: &DatabaseConnection,
    client: &SpotifyClient,
    shutdown: &Shutdown,
    now: DateTime<Utc>,
    counts: &mut RunCounts,
    summary: &mut RunSummary,
) -> Result<bool> {
    let me = client.me().await?;
    let playlists = client.my_playlists().await?;
    info!(user = %me.id, playlists = playlists.len(), "the user's playlists listed");
    for p in playlists {
        if shutdown.is_requested() {
            return Ok(false);
        }
        if p.owner.id != me.id && !p.collaborative {
            summary.playlists_skipped.push(Unmatched {
                seed: p.id.clone(),
                reason: "followed, not owned or collaborative: its items are not readable".into(),
            });
            continue;
        }
        let items = match client.playlist_items(&p.id).await {
            Ok(items) => items,
            Err(LoaderError::ApiUnavailable { status, .. }) => {
                summary.playlists_skipped.push(Unmatched {
                    seed: p.id.clone(),
                    reason: format!("Spotify refused its items (HTTP {status})"),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let batch = playlist_batch(&p, &items, counts);
        batch.write(db, now).await?;
        counts.written += batch.rows() as u64;
        summary.playlists += 1;
        summary.tracks += batch.track_count() as u64;
    }
    Ok(true)
}

/// One playlist as rows: the playlist, its entries in place, their tracks.
fn playlist_batch(p: &PlaylistRef, items: &[Value], counts: &mut RunCounts) -> Batch {
    let mut batch = Batch::default();
    let owner = p
        .owner
        .display_name
        .clone()
        .unwrap_or_else(|| p.owner.id.clone());
    batch.add_playlist(
        &p.id,
        PlaylistValues {
            name: p.name.clone(),
            source: SOURCE,
            description: p.description.clone().filter(|d| !d.trim().is_empty()),
            followers: None,
            owner: Some(owner),
        },
    );
    for (i, raw) in items.iter().enumerate() {
        counts.read += 1;
        let Some((track, added_at)) = track_of(raw) else {
            counts.rejected += 1;
            continue;
        };
        add_track_object(&mut batch, &track);
        batch.add_playlist_entry(
            Listed {
                id: p.id.clone(),
                name: p.name.clone(),
            },
            SOURCE,
            i32::try_from(i + 1).unwrap_or(i32::MAX),
            (&track.id, added_at),
            true,
        );
        batch.count_rows(1);
    }
    batch
}

/// The track of an entry and when it was added; `None` for local files, episodes and items no
/// longer available.
fn track_of(raw: &Value) -> Option<(Track, Option<DateTime<Utc>>)> {
    let item: PlaylistItem = serde_json::from_value(raw.clone()).ok()?;
    if item.is_local {
        return None;
    }
    let object = item.item.or(item.track)?;
    if object.get("type").and_then(Value::as_str) != Some("track") {
        return None;
    }
    let track: Track = serde_json::from_value(object).ok()?;
    // A `TIMESTAMP` column holds 1970-01-01 00:00:01 to 2038-01-19 on MySQL; outside that the
    // time is left unknown rather than failing the playlist.
    let added_at = item
        .added_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| (86_400..2_147_483_647).contains(&t.timestamp()));
    Some((track, added_at))
}
