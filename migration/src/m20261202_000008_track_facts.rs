//! The catalogue flattened for group-by aggregates (`trackStats`): `track_facts` holds one row per
//! track with every dimension and measure a group can be cut by or computed over (the album's
//! release year and type, the main artist, explicitness, popularity, duration, key, mode, time
//! signature and the audio features); `track_genre_facts` holds the same row once per genre of
//! the track (once under the empty genre id for a track without one), for groupings by genre.
//! `fact_artists` numbers the artists, so that the main artist is an integer in the facts:
//! grouping a million rows by a 64-character key overflowed MariaDB's in-memory temporary table
//! and took 2.9 s; by an integer, 0.25 s.
//!
//! The loader rebuilds all three with the other BI summaries at the end of each load run that
//! wrote rows. Grouping a million tracks over the joined catalogue takes seconds (every row looks
//! its album, features and artist up by key); one scan of these tables takes a fraction of that.
//! Two tables rather than one with a "first genre" flag: a grouping that counts each track once
//! then reads one row per track, and a grouping by genre reads its table in genre order (the
//! primary key starts with the genre), so that MariaDB aggregates it without a temporary table.
//! The index on the track id of the genre table serves filters by artist and playlist.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::m20261122_000001_create_catalogue::{id, index, table};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum FactArtists {
    Table,
    No,
    ArtistId,
}

#[derive(DeriveIden)]
enum TrackFacts {
    Table,
}

#[derive(DeriveIden)]
enum TrackGenreFacts {
    Table,
}

#[derive(DeriveIden)]
enum Facts {
    GenreId,
    TrackId,
    ReleaseYear,
    AlbumType,
    ArtistNo,
    Explicit,
    Popularity,
    DurationMs,
    Key,
    Mode,
    TimeSignature,
}

/// The audio features' columns, spelled out rather than taken from `entity`: a migration must
/// create the same columns whatever the code becomes later.
const FEATURES: [&str; 9] = [
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
];

/// A facts table: the genre first when `by_genre`, then the track and every fact.
fn facts_table(
    b: DatabaseBackend,
    name: impl IntoTableRef,
    by_genre: bool,
) -> TableCreateStatement {
    let mut t = table(b, name);
    if by_genre {
        t.col(id(Facts::GenreId));
    }
    t.col(id(Facts::TrackId))
        .col(ColumnDef::new(Facts::ReleaseYear).integer())
        .col(ColumnDef::new(Facts::AlbumType).string_len(32))
        .col(ColumnDef::new(Facts::ArtistNo).integer())
        .col(ColumnDef::new(Facts::Explicit).boolean())
        .col(ColumnDef::new(Facts::Popularity).integer())
        .col(ColumnDef::new(Facts::DurationMs).integer().not_null())
        .col(ColumnDef::new(Facts::Key).integer())
        .col(ColumnDef::new(Facts::Mode).integer())
        .col(ColumnDef::new(Facts::TimeSignature).integer());
    for name in FEATURES {
        t.col(ColumnDef::new(Alias::new(name)).double());
    }
    let mut key = Index::create();
    if by_genre {
        key.col(Facts::GenreId);
    }
    key.col(Facts::TrackId);
    t.primary_key(&mut key);
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(facts_table(b, TrackFacts::Table, false))
            .await?;
        manager
            .create_table(facts_table(b, TrackGenreFacts::Table, true))
            .await?;
        index(
            manager,
            "idx_track_genre_facts_track",
            TrackGenreFacts::Table,
            [Facts::TrackId],
        )
        .await?;
        manager
            .create_table(
                table(b, FactArtists::Table)
                    .col(
                        ColumnDef::new(FactArtists::No)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(id(FactArtists::ArtistId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_fact_artists_artist")
                    .table(FactArtists::Table)
                    .col(FactArtists::ArtistId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            TrackFacts::Table.into_table_ref(),
            TrackGenreFacts::Table.into_table_ref(),
            FactArtists::Table.into_table_ref(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
