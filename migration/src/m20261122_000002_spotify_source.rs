//! What the Spotify source needs beyond the catalogue: when each artist was last loaded in full
//! from Spotify (so that `--max-age` can skip fresh ones), and a JSON summary per load run
//! (requests, retries, 429s, failures and unavailable endpoints, names that did not resolve).
//!
//! One column per `ALTER TABLE`, as SQLite requires.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Artists {
    Table,
    SpotifyLoadedAt,
}

#[derive(DeriveIden)]
enum LoadRuns {
    Table,
    Summary,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Artists::Table)
                    .add_column(ColumnDef::new(Artists::SpotifyLoadedAt).timestamp())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoadRuns::Table)
                    .add_column(ColumnDef::new(LoadRuns::Summary).text())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoadRuns::Table)
                    .drop_column(LoadRuns::Summary)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Artists::Table)
                    .drop_column(Artists::SpotifyLoadedAt)
                    .to_owned(),
            )
            .await
    }
}
