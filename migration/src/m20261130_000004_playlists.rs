//! Playlists and their tracks in order: what listeners put together, from the datasets'
//! playlist columns and other playlist sources. A playlist's track list is replaced whole when
//! the playlist is loaded again.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_catalogue::{fk, id, index, name, table, timestamp};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Playlists {
    Table,
    Id,
    Name,
    Source,
    Description,
    Followers,
    Owner,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlaylistTracks {
    Table,
    PlaylistId,
    Position,
    TrackId,
    AddedAt,
}

#[derive(DeriveIden)]
enum Tracks {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                table(b, Playlists::Table)
                    .col(id(Playlists::Id).primary_key())
                    .col(name(Playlists::Name))
                    .col(ColumnDef::new(Playlists::Source).string_len(32).not_null())
                    .col(ColumnDef::new(Playlists::Description).text())
                    .col(ColumnDef::new(Playlists::Followers).big_integer())
                    .col(name(Playlists::Owner))
                    .col(timestamp(Playlists::CreatedAt))
                    .col(timestamp(Playlists::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(b, PlaylistTracks::Table)
                    .col(id(PlaylistTracks::PlaylistId))
                    .col(
                        ColumnDef::new(PlaylistTracks::Position)
                            .integer()
                            .not_null(),
                    )
                    .col(id(PlaylistTracks::TrackId))
                    .col(ColumnDef::new(PlaylistTracks::AddedAt).timestamp())
                    .primary_key(
                        Index::create()
                            .col(PlaylistTracks::PlaylistId)
                            .col(PlaylistTracks::Position),
                    )
                    .foreign_key(&mut fk(
                        (PlaylistTracks::Table, PlaylistTracks::PlaylistId),
                        (Playlists::Table, Playlists::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (PlaylistTracks::Table, PlaylistTracks::TrackId),
                        (Tracks::Table, Tracks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // A track's playlists, and the co-occurrence of tracks in playlists, start from the track.
        index(
            manager,
            "idx_playlist_tracks_track",
            PlaylistTracks::Table,
            [PlaylistTracks::TrackId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlaylistTracks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Playlists::Table).to_owned())
            .await
    }
}
