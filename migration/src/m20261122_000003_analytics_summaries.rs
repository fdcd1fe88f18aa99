//! Summaries for the BI aggregates: per genre, per release year (of the whole catalogue and of
//! each genre), each artist's track count, and the catalogue's counts.
//!
//! The loader recomputes them in the database (`INSERT … SELECT … GROUP BY`) at the end of each
//! load run that wrote rows, before the run is recorded, so that they change together with the
//! data version the API follows. Aggregating a million tracks on every dashboard query would
//! take seconds; reading a summary takes a millisecond. No foreign keys: a summary is rebuilt
//! whole and read by joins that tolerate a missing row.

use sea_orm_migration::prelude::*;

use crate::m20261122_000001_create_catalogue::{id, table, timestamp};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum GenreSummaries {
    Table,
    GenreId,
    Tracks,
    Artists,
}

#[derive(DeriveIden)]
enum YearSummaries {
    Table,
    GenreId,
    ReleaseYear,
    Tracks,
}

#[derive(DeriveIden)]
enum ArtistTrackCounts {
    Table,
    ArtistId,
    Tracks,
}

#[derive(DeriveIden)]
enum CatalogSummary {
    Table,
    Id,
    Artists,
    Tracks,
    Albums,
    Genres,
    TracksWithFeatures,
    RefreshedAt,
}

/// The columns every per-genre and per-year row carries after its track count: the average
/// popularity and the average of each audio feature, as the API's `FeatureMeans` reads them.
/// Spelled out here rather than taken from `entity`: a migration must create the same columns
/// whatever the code becomes later.
const AVERAGES: [&str; 10] = [
    "avg_popularity",
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

fn count(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn with_averages(mut t: TableCreateStatement) -> TableCreateStatement {
    for name in AVERAGES {
        t.col(ColumnDef::new(Alias::new(name)).double());
    }
    t
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(with_averages(
                table(b, GenreSummaries::Table)
                    .col(id(GenreSummaries::GenreId).primary_key())
                    .col(count(GenreSummaries::Tracks))
                    .col(count(GenreSummaries::Artists))
                    .to_owned(),
            ))
            .await?;
        manager
            .create_table(with_averages(
                table(b, YearSummaries::Table)
                    // The empty string stands for the whole catalogue.
                    .col(id(YearSummaries::GenreId))
                    .col(
                        ColumnDef::new(YearSummaries::ReleaseYear)
                            .integer()
                            .not_null(),
                    )
                    .col(count(YearSummaries::Tracks))
                    .primary_key(
                        Index::create()
                            .col(YearSummaries::GenreId)
                            .col(YearSummaries::ReleaseYear),
                    )
                    .to_owned(),
            ))
            .await?;
        manager
            .create_table(
                table(b, ArtistTrackCounts::Table)
                    .col(id(ArtistTrackCounts::ArtistId).primary_key())
                    .col(count(ArtistTrackCounts::Tracks))
                    .to_owned(),
            )
            .await?;
        // The ranking by track count reads this index in order: most tracks first, ties to the
        // smaller id.
        manager
            .create_index(
                Index::create()
                    .name("idx_artist_track_counts_rank")
                    .table(ArtistTrackCounts::Table)
                    .col((ArtistTrackCounts::Tracks, IndexOrder::Desc))
                    .col(ArtistTrackCounts::ArtistId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(b, CatalogSummary::Table)
                    .col(
                        ColumnDef::new(CatalogSummary::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(count(CatalogSummary::Artists))
                    .col(count(CatalogSummary::Tracks))
                    .col(count(CatalogSummary::Albums))
                    .col(count(CatalogSummary::Genres))
                    .col(count(CatalogSummary::TracksWithFeatures))
                    .col(timestamp(CatalogSummary::RefreshedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CatalogSummary::Table.into_iden(),
            ArtistTrackCounts::Table.into_iden(),
            YearSummaries::Table.into_iden(),
            GenreSummaries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
