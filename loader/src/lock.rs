//! Named locks in the database itself, for work that processes started together must not do
//! at once: applying migrations (two loaders, or three API replicas, on a new database would
//! otherwise both create `artists`, and one fail with `1050 Table 'artists' already exists`)
//! and seeding the sample.
//!
//! `GET_LOCK` would do on one MariaDB server, but Galera does not replicate it and SQLite has
//! none, so a lock is a row of `schema_locks`: inserted by its holder (the primary key lets one
//! insert win; on Galera a concurrent insert on another node fails certification), refreshed
//! every few seconds while the work runs, and deleted when it ends. A row whose heartbeat is
//! older than [`LEASE`] belongs to a holder that died (killed mid-migration): it is taken over.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};

use crate::error::{LoaderError, Result};

/// How long a lock stands without a heartbeat before another process takes it over.
pub const LEASE: Duration = Duration::from_secs(30);

/// How often a holder says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// How long a process waits for a lock before it gives up.
const PATIENCE: Duration = Duration::from_secs(15 * 60);

/// How long a waiter sleeps between two tries.
const RETRY: Duration = Duration::from_millis(100);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn holder_id() -> String {
    let mut bytes = [0u8; 12];
    // A clock-derived id is unique enough should the system's random source fail.
    if getrandom::fill(&mut bytes).is_err() {
        bytes[..8].copy_from_slice(&now().to_le_bytes());
    }
    let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{random}", std::process::id())
}

async fn exec(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, sea_orm::DbErr> {
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    Ok(db.execute_raw(stmt).await?.rows_affected())
}

/// Runs `work` while holding the lock `name`, waiting for it as long as another live process
/// holds it. The lock is released when `work` ends, whatever its outcome.
pub async fn exclusively<T, E, F, Fut>(db: &DatabaseConnection, name: &str, work: F) -> Result<T, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: From<LoaderError>,
{
    migration::ensure_lock_table(db)
        .await
        .map_err(LoaderError::db("creating the lock table"))?;
    let holder = holder_id();
    acquire(db, name, &holder).await?;
    let beating = {
        let (db, name, holder) = (db.clone(), name.to_owned(), holder.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let beat = exec(
                    &db,
                    "UPDATE schema_locks SET heartbeat = ? WHERE name = ? AND holder = ?",
                    vec![now().into(), name.clone().into(), holder.clone().into()],
                )
                .await;
                if let Err(e) = beat {
                    tracing::warn!(lock = %name, error = %e, "could not renew a lock");
                }
            }
        })
    };
    let outcome = work().await;
    beating.abort();
    let released = exec(
        db,
        "DELETE FROM schema_locks WHERE name = ? AND holder = ?",
        vec![name.into(), holder.into()],
    )
    .await;
    if let Err(e) = released {
        // The lease frees it soon enough; the work itself is what counts.
        tracing::warn!(lock = name, error = %e, "could not release a lock");
    }
    outcome
}

async fn acquire(db: &DatabaseConnection, name: &str, holder: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut waited = false;
    loop {
        let inserted = exec(
            db,
            "INSERT INTO schema_locks (name, holder, heartbeat) VALUES (?, ?, ?)",
            vec![name.into(), holder.into(), now().into()],
        )
        .await;
        let error = match inserted {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        // Taken: by a live holder (wait), or by one whose heartbeat stopped (take it over).
        let row = crate::retry::transiently("reading a lock", || {
            db.query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT holder, heartbeat FROM schema_locks WHERE name = ?",
                vec![name.into()],
            ))
        })
        .await
        .map_err(LoaderError::db("reading a lock"))?;
        if let Some(row) = row {
            let (other, beat): (String, i64) = (
                row.try_get("", "holder")
                    .map_err(LoaderError::db("reading a lock"))?,
                row.try_get("", "heartbeat")
                    .map_err(LoaderError::db("reading a lock"))?,
            );
            if now() - beat > i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX) {
                tracing::warn!(lock = name, holder = %other, "taking over a lock whose holder stopped");
                exec(
                    db,
                    "DELETE FROM schema_locks WHERE name = ? AND holder = ? AND heartbeat = ?",
                    vec![name.into(), other.into(), beat.into()],
                )
                .await
                .map_err(LoaderError::db("taking over a lock"))?;
                continue;
            }
            if !waited {
                tracing::info!(lock = name, holder = %other, "waiting for another process");
                waited = true;
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(LoaderError::db("waiting for a lock")(error));
        }
        tokio::time::sleep(RETRY).await;
    }
}
