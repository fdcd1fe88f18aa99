//! Processes that start together on a new database: each applies the migrations or waits for
//! the one that does, the sample is seeded once, and a lock left by a process that died is
//! taken over.

use std::time::Duration;

use anyhow::{Context as _, Result};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sixpotify_tests::{TestDb, backend_tests, scalar};

async fn connect(db: &TestDb) -> Result<DatabaseConnection> {
    Ok(sixpotify_loader::db::connect_with(&db.url, Duration::from_secs(30)).await?)
}

async fn processes_started_together_on_a_new_database_migrate_and_seed_it_once(
    db: TestDb,
) -> Result<()> {
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move {
                sixpotify_loader::db::connect_with(&url, Duration::from_secs(30)).await
            })
        })
        .collect();
    let mut conns = Vec::new();
    for start in starts {
        conns.push(start.await?.context("a process failed to start")?);
    }
    let conn = &conns[0];
    assert_eq!(
        scalar(conn, "SELECT COUNT(*) FROM seaql_migrations").await?,
        Migrator::migrations().len() as i64,
        "every migration applied once"
    );

    let seeds: Vec<_> = conns
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { sixpotify_api::seed::seed_if_empty(&c).await })
        })
        .collect();
    let mut seeded = 0;
    for s in seeds {
        if s.await?? {
            seeded += 1;
        }
    }
    assert_eq!(seeded, 1, "one process seeds, the others find it seeded");
    assert_eq!(
        scalar(conn, "SELECT COUNT(*) FROM load_runs WHERE kind = 'sample'").await?,
        1
    );
    assert_eq!(
        scalar(conn, "SELECT COUNT(*) FROM schema_locks").await?,
        0,
        "every lock released"
    );
    Ok(())
}

async fn a_lock_waits_for_a_live_holder_and_takes_over_from_a_dead_one(db: TestDb) -> Result<()> {
    let conn = connect(&db).await?;
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    };
    // A live holder: the next process waits until it lets go.
    conn.execute_unprepared(&format!(
        "INSERT INTO schema_locks (name, holder, heartbeat) VALUES ('migrate', 'other', {})",
        now_ms()
    ))
    .await?;
    let url = db.url.clone();
    let waiting = tokio::spawn(async move {
        sixpotify_loader::db::connect_with(&url, Duration::from_secs(30)).await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "it waits while the holder lives");
    conn.execute_unprepared("DELETE FROM schema_locks WHERE holder = 'other'")
        .await?;
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .context("it starts once the lock is free")???;

    // A holder that died mid-migration: its heartbeat stopped long ago.
    conn.execute_unprepared(
        "INSERT INTO schema_locks (name, holder, heartbeat) VALUES ('migrate', 'dead', 0)",
    )
    .await?;
    tokio::time::timeout(Duration::from_secs(10), connect(&db))
        .await
        .context("it takes the lock over")??;
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM schema_locks").await?, 0);
    Ok(())
}

backend_tests!(
    processes_started_together_on_a_new_database_migrate_and_seed_it_once,
    a_lock_waits_for_a_live_holder_and_takes_over_from_a_dead_one
);
