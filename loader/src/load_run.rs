//! Recording loader runs in `load_runs`: [`start`] when a run begins, [`conclude`] when it ends,
//! the same for every source.

use chrono::{DateTime, Utc};
use entity::run_summary::RunSummary;
use entity::telemetry::error_chain;
use entity::{RunKind, RunStatus, load_run};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::error::{LoaderError, Result};

/// The status a run ends with: failed, else cancelled (stopped on request), else succeeded.
pub fn status_of(failed: bool, cancelled: bool) -> RunStatus {
    match (failed, cancelled) {
        (true, _) => RunStatus::Failed,
        (false, true) => RunStatus::Cancelled,
        (false, false) => RunStatus::Succeeded,
    }
}

/// Counts a run reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub read: u64,
    pub written: u64,
    pub rejected: u64,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Inserts a `running` row and returns its id.
pub async fn start(
    db: &DatabaseConnection,
    kind: RunKind,
    source: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let run = load_run::ActiveModel {
        source: Set(source.chars().take(1024).collect()),
        kind: Set(kind),
        started_at: Set(at),
        status: Set(RunStatus::Running),
        rows_read: Set(0),
        rows_written: Set(0),
        rows_rejected: Set(0),
        ..Default::default()
    };
    let inserted = load_run::Entity::insert(run)
        .exec(db)
        .await
        .map_err(LoaderError::db("recording the start of the load run"))?;
    Ok(inserted.last_insert_id)
}

/// Endpoints the latest finished runs of `kinds` (those that use the same services) found, or
/// still knew, unavailable to the app, as their summaries name them: the next run probes each
/// with one request before relying on it. A summary that cannot be read counts as none.
pub async fn endpoints_found_unavailable(
    db: &DatabaseConnection,
    kinds: &[RunKind],
) -> Result<Vec<String>> {
    let mut found = std::collections::BTreeSet::new();
    for &kind in kinds {
        let latest = load_run::Entity::find()
            .filter(load_run::Column::Kind.eq(kind))
            .filter(load_run::Column::Summary.is_not_null())
            .order_by_desc(load_run::Column::Id)
            .one(db)
            .await
            .map_err(LoaderError::db("reading the previous run's summary"))?;
        let summary = latest
            .and_then(|run| run.summary)
            .and_then(|json| serde_json::from_str::<RunSummary>(&json).ok());
        found.extend(summary.into_iter().flat_map(|s| {
            s.endpoints
                .into_iter()
                .filter(|(_, e)| e.unavailable)
                .map(|(name, _)| name)
        }));
    }
    Ok(found.into_iter().collect())
}

/// How a run ended, besides its error.
#[derive(Debug, Default)]
pub struct Ending {
    pub counts: RunCounts,
    /// The run stopped on request between two batches.
    pub cancelled: bool,
    /// A JSON object with what the run met on the way.
    pub summary: Option<String>,
}

/// Ends run `id`: refreshes the BI summaries when it wrote rows ([`crate::summary`]), so that
/// they are current by the time the API sees a new data version, then records the run with its
/// counts, its summary and, when it failed, the reason; gives the run's error.
///
/// The error is the run's own (`error`); else a failed refresh (the data is in, and a re-run
/// refreshes the summaries); else a failure to record the end, since a run whose end is not
/// recorded has not moved the data version. Recording is retried with backoff for up to two
/// minutes, so that a run cut off from its database still ends up `failed`, not `running`,
/// once the database answers again.
pub async fn conclude(
    db: &DatabaseConnection,
    id: i64,
    ending: Ending,
    mut error: Option<LoaderError>,
) -> Option<LoaderError> {
    if ending.counts.written > 0
        && let Err(e) = crate::summary::refresh(db).await
    {
        tracing::warn!(run_id = id, error = %error_chain(&e), "could not refresh the BI summaries");
        error.get_or_insert(e);
    }
    let reason = error.as_ref().map(|e| error_chain(e));
    match record_end(db, id, &ending, reason).await {
        Ok(()) => error,
        Err(e) => {
            tracing::warn!(
                run_id = id,
                error = %error_chain(&e),
                "could not record the end of the load run"
            );
            error.or(Some(e))
        }
    }
}

/// Records the end of run `id`, retrying while the database cannot be reached
/// ([`crate::retry::PATIENCE`]): a run that failed because the database went away is still
/// recorded as failed once it is back, if it is back within that time.
async fn record_end(
    db: &DatabaseConnection,
    id: i64,
    ending: &Ending,
    reason: Option<String>,
) -> Result<()> {
    crate::retry::transiently("recording the end of the load run", || {
        record_once(db, id, ending, reason.clone())
    })
    .await
    .map_err(LoaderError::db("recording the end of the load run"))
}

async fn record_once(
    db: &DatabaseConnection,
    id: i64,
    ending: &Ending,
    reason: Option<String>,
) -> Result<(), sea_orm::DbErr> {
    let status = status_of(reason.is_some(), ending.cancelled);
    let run = load_run::ActiveModel {
        id: Set(id),
        finished_at: Set(Some(Utc::now())),
        status: Set(status),
        rows_read: Set(count(ending.counts.read)),
        rows_written: Set(count(ending.counts.written)),
        rows_rejected: Set(count(ending.counts.rejected)),
        error: Set(reason),
        summary: Set(ending.summary.clone()),
        ..Default::default()
    };
    run.update(db).await.map(drop)
}
