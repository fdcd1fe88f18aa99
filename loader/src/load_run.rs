//! Recording loader runs in `load_runs`.

use chrono::{DateTime, Utc};
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

/// Marks the run finished, with its counts and, when it failed, the reason.
pub async fn finish(
    db: &DatabaseConnection,
    id: i64,
    counts: RunCounts,
    error: Option<String>,
) -> Result<()> {
    let run = load_run::ActiveModel {
        id: Set(id),
        finished_at: Set(Some(Utc::now())),
        status: Set(if error.is_some() {
            RunStatus::Failed
        } else {
            RunStatus::Succeeded
        }),
        rows_read: Set(count(counts.read)),
        rows_written: Set(count(counts.written)),
        rows_rejected: Set(count(counts.rejected)),
        error: Set(error),
        ..Default::default()
    };
    run.update(db)
        .await
        .map_err(LoaderError::db("recording the end of the load run"))?;
    Ok(())
}
