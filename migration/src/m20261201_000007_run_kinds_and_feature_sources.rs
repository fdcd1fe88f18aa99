//! Where audio features came from (`audio_features.source`: `csv`, `spotify`, `reccobeats`;
//! NULL for features stored before), and the kind of each load run (`load_runs.kind`, a small
//! fixed set for metrics' labels). Runs recorded before get the kind their source names, else
//! `file` (an import of a file).
//!
//! One column per `ALTER TABLE`, as SQLite requires.

use sea_orm_migration::prelude::*;

use entity::RunKind;
use sea_orm_migration::sea_orm::ActiveEnum as _;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AudioFeatures {
    Table,
    Source,
}

#[derive(DeriveIden)]
enum LoadRuns {
    Table,
    Source,
    Kind,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AudioFeatures::Table)
                    .add_column(ColumnDef::new(AudioFeatures::Source).string_len(16).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoadRuns::Table)
                    .add_column(
                        ColumnDef::new(LoadRuns::Kind)
                            .string_len(32)
                            .not_null()
                            .default(RunKind::File.to_value()),
                    )
                    .to_owned(),
            )
            .await?;
        // What older runs' sources say of their kind.
        for (source, kind) in [
            ("spotify", RunKind::Spotify),
            ("spotify:my-playlists", RunKind::SpotifyPlaylists),
            ("bundled-sample", RunKind::Sample),
            ("bundled-sample-aliases", RunKind::Aliases),
        ] {
            manager
                .exec_stmt(
                    Query::update()
                        .table(LoadRuns::Table)
                        .value(LoadRuns::Kind, kind.to_value())
                        .and_where(Expr::col(LoadRuns::Source).eq(source))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_load_runs_kind")
                    .table(LoadRuns::Table)
                    .col(LoadRuns::Kind)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_load_runs_kind")
                    .table(LoadRuns::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoadRuns::Table)
                    .drop_column(LoadRuns::Kind)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AudioFeatures::Table)
                    .drop_column(AudioFeatures::Source)
                    .to_owned(),
            )
            .await
    }
}
