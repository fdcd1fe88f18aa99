//! Connecting to the catalog database and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::{LoaderError, Result};

/// Connects to `url` (`mysql://…` or `sqlite://…`), applies pending migrations and fills the
/// BI summaries if they have never been computed, holding the `migrate` lock ([`crate::lock`])
/// meanwhile.
///
/// SQLite files are created when missing and opened in WAL mode with a busy timeout, so that an
/// API can read while a loader writes. Connections to a Galera node read causally
/// ([`crate::galera::causal_reads`]). A pooled connection is checked before it is handed out,
/// so that connections a dead server or a failed-over proxy left behind are replaced.
pub async fn connect(url: &str) -> Result<DatabaseConnection> {
    connect_with(url, Duration::from_secs(10)).await
}

/// [`connect`], with statements waiting at most `acquire_timeout` for a connection: a server
/// that must answer fast when the database is gone gives a short one.
pub async fn connect_with(url: &str, acquire_timeout: Duration) -> Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(sqlite_create_mode(url)?);
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(acquire_timeout)
        .max_connections(if url.starts_with("sqlite:") { 4 } else { 16 })
        .map_sqlx_mysql_pool_opts(|o| {
            o.after_connect(|conn, _| Box::pin(crate::galera::causal_reads(conn)))
        })
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let db = Database::connect(opts)
        .await
        .map_err(LoaderError::db("connecting to the database"))?;
    // One process at a time, so that processes started together on a new database do not
    // both create its tables.
    crate::lock::exclusively(&db, "migrate", || async {
        Migrator::up(&db, None)
            .await
            .map_err(LoaderError::db("applying migrations"))?;
        crate::summary::ensure(&db).await
    })
    .await?;
    Ok(db)
}

/// SQLite URLs without a `mode` get `mode=rwc`, so that a missing file is created.
fn sqlite_create_mode(url: &str) -> Result<String> {
    if !url.starts_with("sqlite:") {
        if url.starts_with("mysql:") || url.starts_with("mariadb:") {
            return Ok(url.replacen("mariadb:", "mysql:", 1));
        }
        return Err(LoaderError::DatabaseUrl(
            "expected a mysql:// or sqlite:// URL".into(),
        ));
    }
    if url.contains("mode=") {
        return Ok(url.to_owned());
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}mode=rwc"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_are_created_when_missing() {
        assert_eq!(
            sqlite_create_mode("sqlite://x.db").ok(),
            Some("sqlite://x.db?mode=rwc".to_owned())
        );
        assert_eq!(
            sqlite_create_mode("sqlite::memory:?cache=shared").ok(),
            Some("sqlite::memory:?cache=shared&mode=rwc".to_owned())
        );
        assert!(sqlite_create_mode("postgres://x").is_err());
    }
}
