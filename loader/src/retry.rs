//! Which database errors pass, and retrying work that met one.
//!
//! A connection can die under a statement (a node of a Galera cluster killed, a rolling
//! restart, a proxy failing over), a Galera node outside the primary component refuses work
//! until it rejoins, and a transaction can lose Galera's certification to a conflicting one
//! committed on another node (`ER_LOCK_DEADLOCK`). None of these says the work is wrong: done
//! again on a new connection, a moment later, it succeeds. Work retried here must be safe to
//! apply twice, since a commit whose connection died may or may not have landed: the writer's
//! batches are upserts keyed on primary keys, and the summary refresh rebuilds from scratch.

use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBuilder};
use entity::telemetry::error_chain;
use sea_orm::sqlx::Error as Sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// How long work keeps being retried: long enough for a proxy to fail over to another node
/// (seconds) or a single server to restart (tens of seconds).
pub const PATIENCE: Duration = Duration::from_secs(120);

/// MariaDB/MySQL error numbers that say the server, not the work, is the trouble.
mod number {
    /// `ER_UNKNOWN_COM_ERROR`: what a Galera node outside the primary component answers
    /// ("WSREP has not yet prepared node for application use").
    pub const NODE_NOT_READY: u16 = 1047;
    /// `ER_SERVER_SHUTDOWN`.
    pub const SHUTTING_DOWN: u16 = 1053;
    /// `ER_CONNECTION_KILLED`.
    pub const CONNECTION_KILLED: u16 = 1927;
    /// `CR_SERVER_GONE_ERROR` and `CR_SERVER_LOST`, should a driver report them as server
    /// errors.
    pub const GONE: u16 = 2006;
    pub const LOST: u16 = 2013;
    /// `ER_LOCK_DEADLOCK`: a deadlock, or on Galera a certification conflict.
    pub const DEADLOCK: u16 = 1213;
    /// `ER_LOCK_WAIT_TIMEOUT`.
    pub const LOCK_WAIT_TIMEOUT: u16 = 1205;
    /// `ER_QUERY_INTERRUPTED`: a Galera transaction aborted by a conflicting replicated one.
    pub const INTERRUPTED: u16 = 1317;
}

fn sqlx_error(e: &DbErr) -> Option<&Sqlx> {
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        _ => None,
    }
}

fn server_number(e: &DbErr) -> Option<u16> {
    match sqlx_error(e)? {
        Sqlx::Database(e) => e
            .try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>()
            .map(|e| e.number()),
        _ => None,
    }
}

/// Whether `e` says the database cannot be reached or cannot serve now (no connection to be
/// had, one lost mid-statement, a server shutting down, a Galera node outside the primary
/// component) rather than that a statement is wrong.
pub fn unreachable(e: &DbErr) -> bool {
    if matches!(e, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    if let Some(
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed | Sqlx::Tls(_),
    ) = sqlx_error(e)
    {
        return true;
    }
    matches!(
        server_number(e),
        Some(
            number::NODE_NOT_READY
                | number::SHUTTING_DOWN
                | number::CONNECTION_KILLED
                | number::GONE
                | number::LOST
        )
    )
}

/// Whether `e` says the transaction lost to a concurrent one (a deadlock, a lock wait that
/// timed out, a Galera certification conflict): done again, it goes through.
pub fn conflict(e: &DbErr) -> bool {
    matches!(
        server_number(e),
        Some(number::DEADLOCK | number::LOCK_WAIT_TIMEOUT | number::INTERRUPTED)
    )
}

/// Whether the work that met `e` is worth doing again.
pub fn transient(e: &DbErr) -> bool {
    unreachable(e) || conflict(e)
}

/// Runs `work` until it succeeds, fails for a reason that does not pass, or [`PATIENCE`] is
/// spent, waiting longer each time (from 100 ms up to 5 s, with jitter so that two loaders
/// that conflicted do not meet again). `what` names the work in the log.
pub async fn transiently<T, F, Fut>(what: &'static str, mut work: F) -> Result<T, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbErr>>,
{
    let mut delays = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(5))
        .with_jitter()
        .with_total_delay(Some(PATIENCE))
        .without_max_times()
        .build();
    let mut attempt = 1u32;
    loop {
        match work().await {
            Ok(done) => {
                if attempt > 1 {
                    tracing::info!(work = what, attempt, "succeeded after a retry");
                }
                return Ok(done);
            }
            Err(e) if transient(&e) => match delays.next() {
                Some(delay) => {
                    tracing::warn!(
                        work = what,
                        attempt,
                        conflict = conflict(&e),
                        error = %error_chain(&e),
                        retry_in_ms = delay.as_millis() as u64,
                        "database work failed for a passing reason; retrying"
                    );
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_pool_or_connection_passes_and_a_wrong_statement_does_not() {
        assert!(unreachable(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
        let io = DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(Sqlx::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        ))));
        assert!(unreachable(&io) && transient(&io) && !conflict(&io));
        let wrong = DbErr::Exec(RuntimeErr::Internal("syntax".into()));
        assert!(!transient(&wrong));
        assert!(!transient(&DbErr::RecordNotFound("x".into())));
    }

    #[tokio::test]
    async fn work_that_keeps_failing_for_good_reason_is_not_retried() {
        let mut calls = 0;
        let out: Result<(), DbErr> = transiently("test", || {
            calls += 1;
            async { Err(DbErr::Custom("wrong".into())) }
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test]
    async fn work_that_fails_for_a_passing_reason_is_done_again() {
        let mut calls = 0;
        let out = transiently("test", || {
            calls += 1;
            let fail = calls < 3;
            async move {
                if fail {
                    Err(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))
                } else {
                    Ok(calls)
                }
            }
        })
        .await;
        assert_eq!(out.ok(), Some(3));
    }
}
