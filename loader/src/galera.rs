//! What the code does differently on a MariaDB Galera cluster.
//!
//! Galera replicates a transaction when it commits: the other nodes certify it at once but
//! apply it a moment later. So a connection to another node reads the state before the
//! commit for that moment, and a transaction of millions of rows is one write-set that every
//! node holds in memory. Connections to a Galera node therefore read causally
//! (`wsrep_sync_wait`, [`causal_reads`]: a read waits until its node has applied every
//! transaction the cluster committed before it), and the summary refresh streams its
//! transaction in fragments ([`STREAM_LARGE_TRANSACTION`]). On a single server none of this
//! applies.

use sea_orm::sqlx::mysql::MySqlConnection;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// 1 on a Galera node, 0 on a MariaDB server without Galera; an error on MySQL.
const WSREP_ON: &str = "SELECT @@wsrep_on";

/// Whether `db` is a MariaDB server with Galera replication on; `false` on SQLite, on a
/// server without Galera, or when it cannot be told.
pub async fn detect(db: &DatabaseConnection) -> bool {
    if db.get_database_backend() != DatabaseBackend::MySql {
        return false;
    }
    let row = db
        .query_one_raw(Statement::from_string(DatabaseBackend::MySql, WSREP_ON))
        .await;
    matches!(row, Ok(Some(r)) if r.try_get_by_index::<i64>(0).is_ok_and(|on| on == 1))
}

/// Makes every read of a new connection causal when its server is a Galera node: the
/// statement waits until the node has applied what the cluster committed before it
/// (`wsrep_sync_wait = 1`: reads and `BEGIN`). The data version a replica polls, the index it
/// rebuilds after, the responses it caches and the summary a loader computes after writing
/// through another node then all see the latest commits. A server without Galera (or MySQL,
/// which has no such variable) is left as it is.
pub async fn causal_reads(conn: &mut MySqlConnection) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Executor as _;
    let on: Result<i64, _> = sea_orm::sqlx::query_scalar(WSREP_ON)
        .fetch_one(&mut *conn)
        .await;
    if matches!(on, Ok(1)) {
        conn.execute("SET SESSION wsrep_sync_wait = 1").await?;
    }
    Ok(())
}

/// Streaming replication for the transaction that follows on this session: the transaction is
/// replicated in fragments of 50,000 rows as it is written, so that rebuilding the summaries
/// of millions of tracks stays within Galera's write-set limits (`wsrep_max_ws_size`, 2 GiB,
/// held in memory on every node) and no node applies it all at once. Set on the transaction's
/// connection as its first statement; [`STREAM_NONE`] sets it back before it commits.
pub const STREAM_LARGE_TRANSACTION: &str =
    "SET SESSION wsrep_trx_fragment_unit = 'rows', wsrep_trx_fragment_size = 50000";

/// Back to replicating each transaction whole at commit (Galera's default).
pub const STREAM_NONE: &str = "SET SESSION wsrep_trx_fragment_size = 0";
