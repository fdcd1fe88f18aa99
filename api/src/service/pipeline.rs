//! The load pipeline's state as `load_runs` records it, for `/metrics`: runs by kind and
//! status, and per kind the latest succeeded run's end, the latest finished run's status and
//! rows, and when the oldest run still `running` started (a run killed midway stays so).

use std::collections::BTreeMap;

use entity::{RunKind, RunStatus, load_run};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveEnum as _, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait as _,
};

/// What one kind of run stands at.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KindFigures {
    /// Runs by status (`succeeded`).
    pub runs: BTreeMap<String, i64>,
    /// When the latest succeeded run ended, in seconds since the epoch.
    pub last_success: Option<f64>,
    /// The latest finished run's status and rows read, written and rejected.
    pub latest: Option<(RunStatus, [i64; 3])>,
    /// When the oldest run still `running` started, in seconds since the epoch.
    pub running_since: Option<f64>,
}

/// Every kind of run that has one, with its figures.
pub type Pipeline = BTreeMap<RunKind, KindFigures>;

/// The pipeline's figures: two statements, whatever the number of runs.
pub async fn figures(db: &impl ConnectionTrait) -> Result<Pipeline, DbErr> {
    use load_run::Column as C;
    let mut pipeline = Pipeline::new();
    type Time = Option<chrono::DateTime<chrono::Utc>>;
    let seconds = |t: Time| t.map(|t| t.timestamp_millis() as f64 / 1000.0);
    let grouped: Vec<(RunKind, RunStatus, i64, Time, Time)> = load_run::Entity::find()
        .select_only()
        .column(C::Kind)
        .column(C::Status)
        .column_as(Expr::col(C::Id).count(), "runs")
        .column_as(Expr::col(C::FinishedAt).max(), "last_finished")
        .column_as(Expr::col(C::StartedAt).min(), "first_started")
        .group_by(C::Kind)
        .group_by(C::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (kind, status, runs, last_finished, first_started) in grouped {
        let k = pipeline.entry(kind).or_default();
        k.runs.insert(status.to_value(), runs);
        match status {
            RunStatus::Succeeded => k.last_success = seconds(last_finished),
            RunStatus::Running => k.running_since = seconds(first_started),
            RunStatus::Failed | RunStatus::Cancelled => {}
        }
    }
    let latest_ids = load_run::Entity::find()
        .select_only()
        .column_as(Expr::col(C::Id).max(), "id")
        .filter(C::Status.ne(RunStatus::Running))
        .group_by(C::Kind)
        .into_query();
    let latest = load_run::Entity::find()
        .filter(C::Id.in_subquery(latest_ids))
        .all(db)
        .await?;
    for run in latest {
        pipeline.entry(run.kind).or_default().latest = Some((
            run.status,
            [run.rows_read, run.rows_written, run.rows_rejected],
        ));
    }
    Ok(pipeline)
}
