//! Recording loader runs in `load_runs`: [`start`] when a run begins, [`conclude`] (or
//! [`finish`]) when it ends, the same for every source.

use chrono::{DateTime, Utc};
use entity::telemetry::error_chain;
use entity::{RunStatus, load_run};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::error::{LoaderError, Result};

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
pub async fn start(db: &DatabaseConnection, source: &str, at: DateTime<Utc>) -> Result<i64> {
    let run = load_run::ActiveModel {
        source: Set(source.chars().take(1024).collect()),
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

/// How a run ended.
#[derive(Debug, Default)]
pub struct Ending {
    pub counts: RunCounts,
    /// Set when the run failed: why, in words fit for an operator.
    pub error: Option<String>,
    /// The run stopped on request between two batches.
    pub cancelled: bool,
    /// A JSON object with what the run met on the way.
    pub summary: Option<String>,
}

/// How long [`finish`] keeps trying to record a run's end while the database cannot be
/// reached: a run that failed because the database went away is still recorded as failed
/// once it is back, if it is back within this time.
const FINISH_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Marks the run finished, with its counts, its summary and, when it failed, the reason.
///
/// A run that wrote rows first refreshes the BI summaries ([`crate::summary`]), so that they
/// are current by the time the run is recorded and the API sees a new data version. A
/// successful run whose refresh fails is recorded as failed, with the reason: its data is in,
/// and a re-run refreshes them.
///
/// Retries with backoff for up to two minutes when the statement fails, so that a run cut off
/// from its database still ends up `failed`, not `running`, once the database answers again.
pub async fn finish(db: &DatabaseConnection, id: i64, mut ending: Ending) -> Result<()> {
    if ending.counts.written > 0
        && let Err(e) = crate::summary::refresh(db).await
    {
        let reason = error_chain(&e);
        tracing::warn!(run_id = id, error = %reason, "could not refresh the BI summaries");
        ending.error.get_or_insert(reason);
    }
    use backon::{BackoffBuilder as _, ExponentialBuilder};
    let mut delays = ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(200))
        .with_max_delay(std::time::Duration::from_secs(10))
        .with_total_delay(Some(FINISH_PATIENCE))
        .without_max_times()
        .build();
    loop {
        match finish_once(db, id, &ending).await {
            Ok(()) => return Ok(()),
            Err(e) => match delays.next() {
                Some(delay) => {
                    tracing::warn!(
                        run_id = id,
                        error = %error_chain(&e),
                        retry_in_ms = delay.as_millis() as u64,
                        "could not record the end of the load run; retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                None => return Err(e),
            },
        }
    }
}

/// Records how run `id` ended, with `error` as its reason when it failed, and gives the run's
/// error: its own, or else the failure to record its end. A run whose end is not recorded has
/// not moved the data version, so it is not reported as a success.
pub async fn conclude(
    db: &DatabaseConnection,
    id: i64,
    mut ending: Ending,
    error: Option<LoaderError>,
) -> Option<LoaderError> {
    ending.error = error.as_ref().map(|e| error_chain(e));
    match finish(db, id, ending).await {
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

async fn finish_once(db: &DatabaseConnection, id: i64, ending: &Ending) -> Result<()> {
    let ending = Ending {
        counts: ending.counts,
        error: ending.error.clone(),
        cancelled: ending.cancelled,
        summary: ending.summary.clone(),
    };
    let status = match (&ending.error, ending.cancelled) {
        (Some(_), _) => RunStatus::Failed,
        (None, true) => RunStatus::Cancelled,
        (None, false) => RunStatus::Succeeded,
    };
    let run = load_run::ActiveModel {
        id: Set(id),
        finished_at: Set(Some(Utc::now())),
        status: Set(status),
        rows_read: Set(count(ending.counts.read)),
        rows_written: Set(count(ending.counts.written)),
        rows_rejected: Set(count(ending.counts.rejected)),
        error: Set(ending.error),
        summary: Set(ending.summary),
        ..Default::default()
    };
    run.update(db)
        .await
        .map_err(LoaderError::db("recording the end of the load run"))?;
    Ok(())
}
