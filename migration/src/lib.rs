//! Every DDL statement of Sixpotify, as ordered sea-orm-migration steps that run unchanged on
//! MySQL/MariaDB and SQLite.
//!
//! The binaries apply pending migrations at start (`Migrator::up(db, None)`), so a fresh
//! database needs no separate step; operators who prefer to migrate ahead of a rollout can run
//! the same `Migrator` from their own tooling.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_catalogue;
mod m20261122_000002_spotify_source;
mod m20261122_000003_analytics_summaries;
mod m20261130_000004_playlists;
mod m20261130_000005_playlist_lists;
mod m20261130_000006_artist_aliases;
mod m20261201_000007_run_kinds_and_feature_sources;
mod m20261202_000008_track_facts;

/// The ordered list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_catalogue::Migration),
            Box::new(m20261122_000002_spotify_source::Migration),
            Box::new(m20261122_000003_analytics_summaries::Migration),
            Box::new(m20261130_000004_playlists::Migration),
            Box::new(m20261130_000005_playlist_lists::Migration),
            Box::new(m20261130_000006_artist_aliases::Migration),
            Box::new(m20261201_000007_run_kinds_and_feature_sources::Migration),
            Box::new(m20261202_000008_track_facts::Migration),
        ]
    }
}

/// The table behind the named locks of processes that start together (`schema_locks`: a lock's
/// name, its holder and when the holder last said it was alive), created if missing. It lives
/// outside the migrations because the lock must be taken before they run.
pub async fn ensure_lock_table(
    db: &sea_orm_migration::sea_orm::DatabaseConnection,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::ConnectionTrait;
    let mut table = Table::create();
    table
        .table(Alias::new("schema_locks"))
        .if_not_exists()
        .col(
            ColumnDef::new(Alias::new("name"))
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Alias::new("holder"))
                .string_len(64)
                .not_null(),
        )
        .col(
            ColumnDef::new(Alias::new("heartbeat"))
                .big_integer()
                .not_null(),
        );
    db.execute(&table).await.map(drop)
}
