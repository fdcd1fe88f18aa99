//! What lists of playlists need: each playlist's folded name (`search_key`, for `nameContains`
//! and ordering by name) and its number of entries (`track_count`, for ordering and bounds),
//! both kept by the loader, with an index each. Playlists loaded before this step get both
//! filled here.
//!
//! One column per `ALTER TABLE`, as SQLite requires.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait};

use crate::m20261122_000001_create_catalogue::{index, name};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Playlists {
    Table,
    Id,
    Name,
    SearchKey,
    TrackCount,
}

#[derive(DeriveIden)]
enum PlaylistTracks {
    Table,
    PlaylistId,
}

#[derive(FromQueryResult)]
struct Named {
    id: String,
    name: Option<String>,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Playlists::Table)
                    .add_column(name(Playlists::SearchKey).not_null().default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Playlists::Table)
                    .add_column(
                        ColumnDef::new(Playlists::TrackCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let txn = db.begin().await?;
        let named = Named::find_by_statement(
            backend.build(
                Query::select()
                    .columns([Playlists::Id, Playlists::Name])
                    .from(Playlists::Table),
            ),
        )
        .all(&txn)
        .await?;
        for p in named {
            let key = entity::normalize::search_key(p.name.as_deref().unwrap_or_default());
            txn.execute(
                &Query::update()
                    .table(Playlists::Table)
                    .value(Playlists::SearchKey, key)
                    .and_where(Expr::col(Playlists::Id).eq(p.id))
                    .to_owned(),
            )
            .await?;
        }
        let count = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(PlaylistTracks::Table)
            .and_where(
                Expr::col((PlaylistTracks::Table, PlaylistTracks::PlaylistId))
                    .equals((Playlists::Table, Playlists::Id)),
            )
            .to_owned();
        txn.execute(
            &Query::update()
                .table(Playlists::Table)
                .value(
                    Playlists::TrackCount,
                    Expr::SubQuery(None, Box::new(count.into())),
                )
                .to_owned(),
        )
        .await?;
        txn.commit().await?;
        index(
            manager,
            "idx_playlists_search_key",
            Playlists::Table,
            [Playlists::SearchKey],
        )
        .await?;
        index(
            manager,
            "idx_playlists_track_count",
            Playlists::Table,
            [Playlists::TrackCount],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for idx in ["idx_playlists_track_count", "idx_playlists_search_key"] {
            manager
                .drop_index(Index::drop().name(idx).table(Playlists::Table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Playlists::Table)
                    .drop_column(Playlists::TrackCount)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Playlists::Table)
                    .drop_column(Playlists::SearchKey)
                    .to_owned(),
            )
            .await
    }
}
