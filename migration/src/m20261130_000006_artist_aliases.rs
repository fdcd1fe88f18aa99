//! `artist_aliases`: the other names of an artist (in other scripts and languages, former
//! names, common misspellings), each with its folded search key, its locale, whether it is the
//! primary name for that locale, what kind of name it is and which source gave it. Keyed by
//! artist, source, locale and search key, so a source can replace its own aliases of an artist
//! without touching another's.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_catalogue::{fk, id, table};

/// The longest alias stored, in characters, as for every other name.
const NAME_LEN: u32 = 512;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ArtistAliases {
    Table,
    ArtistId,
    Source,
    Locale,
    SearchKey,
    Name,
    IsPrimary,
    Kind,
}

#[derive(DeriveIden)]
enum Artists {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                table(b, ArtistAliases::Table)
                    .col(id(ArtistAliases::ArtistId))
                    .col(
                        ColumnDef::new(ArtistAliases::Source)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtistAliases::Locale)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtistAliases::SearchKey)
                            .string_len(NAME_LEN)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtistAliases::Name)
                            .string_len(NAME_LEN)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ArtistAliases::IsPrimary)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ArtistAliases::Kind).string_len(32))
                    .primary_key(
                        Index::create()
                            .col(ArtistAliases::ArtistId)
                            .col(ArtistAliases::Source)
                            .col(ArtistAliases::Locale)
                            .col(ArtistAliases::SearchKey),
                    )
                    .foreign_key(&mut fk(
                        (ArtistAliases::Table, ArtistAliases::ArtistId),
                        (Artists::Table, Artists::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ArtistAliases::Table).to_owned())
            .await
    }
}
