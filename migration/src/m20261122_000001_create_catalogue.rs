//! The catalogue: artists, genres, albums, tracks, their links, audio features, top tracks and
//! load runs, with the keys and indexes the API's lists, filters and orderings use.
//!
//! Secondary indexes are those that `EXPLAIN` shows the API's queries use: popularity orderings,
//! release-year ranges, the album of a track, and the reverse side of every link table. Orderings
//! by an audio feature or a release date sort after an outer join, and name search matches
//! anywhere in a name, so indexes on those columns would cost every load and serve no query.
//!
//! On MySQL/MariaDB every table is InnoDB in `utf8mb4` with the binary collation: Spotify ids
//! are case-sensitive, and binary comparison matches SQLite's default, so both backends sort
//! and compare alike. Case- and accent-insensitive matching goes through the `search_key`
//! columns, which the loader fills with folded names.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Long enough for any Spotify or derived id.
const ID_LEN: u32 = 64;
/// Names and search keys: 512 characters keep a utf8mb4 index under InnoDB's 3072-byte limit.
const NAME_LEN: u32 = 512;
const URL_LEN: u32 = 1024;

#[derive(DeriveIden)]
enum Artists {
    Table,
    Id,
    Name,
    SearchKey,
    Popularity,
    Followers,
    ImageUrl,
    SpotifyUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Genres {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum ArtistGenres {
    Table,
    ArtistId,
    GenreId,
}

#[derive(DeriveIden)]
enum Albums {
    Table,
    Id,
    Name,
    AlbumType,
    ReleaseDate,
    ReleaseYear,
    ReleaseDatePrecision,
    TotalTracks,
    ImageUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tracks {
    Table,
    Id,
    Name,
    SearchKey,
    AlbumId,
    DurationMs,
    Explicit,
    Popularity,
    TrackNumber,
    Isrc,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TrackArtists {
    Table,
    TrackId,
    ArtistId,
    Position,
}

#[derive(DeriveIden)]
enum TrackGenres {
    Table,
    TrackId,
    GenreId,
}

#[derive(DeriveIden)]
enum AudioFeatures {
    Table,
    TrackId,
    Danceability,
    Energy,
    Key,
    Loudness,
    Mode,
    Speechiness,
    Acousticness,
    Instrumentalness,
    Liveness,
    Valence,
    Tempo,
    TimeSignature,
}

#[derive(DeriveIden)]
enum ArtistTopTracks {
    Table,
    ArtistId,
    Market,
    Rank,
    TrackId,
}

#[derive(DeriveIden)]
enum LoadRuns {
    Table,
    Id,
    Source,
    StartedAt,
    FinishedAt,
    Status,
    RowsRead,
    RowsWritten,
    RowsRejected,
    Error,
}

pub(crate) fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string_len(ID_LEN).not_null().to_owned()
}

pub(crate) fn name(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).string_len(NAME_LEN).to_owned()
}

pub(crate) fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp().not_null().to_owned()
}

pub(crate) fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A new table, set up for the backend: InnoDB, utf8mb4 and binary collation on MySQL.
pub(crate) fn table(backend: DatabaseBackend, name: impl IntoTableRef) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(name);
    if backend == DatabaseBackend::MySql {
        t.engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_bin");
    }
    t
}

pub(crate) async fn index<C: IntoIndexColumn>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoTableRef,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    manager.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();

        manager
            .create_table(
                table(b, Artists::Table)
                    .col(id(Artists::Id).primary_key())
                    .col(name(Artists::Name).not_null())
                    .col(name(Artists::SearchKey).not_null())
                    .col(ColumnDef::new(Artists::Popularity).integer())
                    .col(ColumnDef::new(Artists::Followers).big_integer())
                    .col(ColumnDef::new(Artists::ImageUrl).string_len(URL_LEN))
                    .col(ColumnDef::new(Artists::SpotifyUrl).string_len(URL_LEN))
                    .col(timestamp(Artists::CreatedAt))
                    .col(timestamp(Artists::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_artists_popularity",
            Artists::Table,
            [Artists::Popularity, Artists::Id],
        )
        .await?;

        manager
            .create_table(
                table(b, Genres::Table)
                    .col(id(Genres::Id).primary_key())
                    .col(name(Genres::Name).not_null().unique_key())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(b, ArtistGenres::Table)
                    .col(id(ArtistGenres::ArtistId))
                    .col(id(ArtistGenres::GenreId))
                    .primary_key(
                        Index::create()
                            .col(ArtistGenres::ArtistId)
                            .col(ArtistGenres::GenreId),
                    )
                    .foreign_key(&mut fk(
                        (ArtistGenres::Table, ArtistGenres::ArtistId),
                        (Artists::Table, Artists::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (ArtistGenres::Table, ArtistGenres::GenreId),
                        (Genres::Table, Genres::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_artist_genres_genre",
            ArtistGenres::Table,
            [ArtistGenres::GenreId, ArtistGenres::ArtistId],
        )
        .await?;

        manager
            .create_table(
                table(b, Albums::Table)
                    .col(id(Albums::Id).primary_key())
                    .col(name(Albums::Name))
                    .col(ColumnDef::new(Albums::AlbumType).string_len(32))
                    .col(ColumnDef::new(Albums::ReleaseDate).date())
                    .col(ColumnDef::new(Albums::ReleaseYear).integer())
                    .col(ColumnDef::new(Albums::ReleaseDatePrecision).string_len(8))
                    .col(ColumnDef::new(Albums::TotalTracks).integer())
                    .col(ColumnDef::new(Albums::ImageUrl).string_len(URL_LEN))
                    .col(timestamp(Albums::CreatedAt))
                    .col(timestamp(Albums::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_albums_release_year",
            Albums::Table,
            [Albums::ReleaseYear],
        )
        .await?;

        manager
            .create_table(
                table(b, Tracks::Table)
                    .col(id(Tracks::Id).primary_key())
                    .col(name(Tracks::Name))
                    .col(name(Tracks::SearchKey).not_null())
                    .col(ColumnDef::new(Tracks::AlbumId).string_len(ID_LEN))
                    .col(ColumnDef::new(Tracks::DurationMs).integer().not_null())
                    .col(ColumnDef::new(Tracks::Explicit).boolean())
                    .col(ColumnDef::new(Tracks::Popularity).integer())
                    .col(ColumnDef::new(Tracks::TrackNumber).integer())
                    .col(ColumnDef::new(Tracks::Isrc).string_len(16))
                    .col(timestamp(Tracks::CreatedAt))
                    .col(timestamp(Tracks::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Tracks::Table, Tracks::AlbumId),
                        (Albums::Table, Albums::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_tracks_album",
            Tracks::Table,
            [Tracks::AlbumId],
        )
        .await?;
        index(
            manager,
            "idx_tracks_popularity",
            Tracks::Table,
            [Tracks::Popularity, Tracks::Id],
        )
        .await?;

        manager
            .create_table(
                table(b, TrackArtists::Table)
                    .col(id(TrackArtists::TrackId))
                    .col(id(TrackArtists::ArtistId))
                    .col(ColumnDef::new(TrackArtists::Position).integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(TrackArtists::TrackId)
                            .col(TrackArtists::ArtistId),
                    )
                    .foreign_key(&mut fk(
                        (TrackArtists::Table, TrackArtists::TrackId),
                        (Tracks::Table, Tracks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (TrackArtists::Table, TrackArtists::ArtistId),
                        (Artists::Table, Artists::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_track_artists_artist",
            TrackArtists::Table,
            [TrackArtists::ArtistId, TrackArtists::TrackId],
        )
        .await?;

        manager
            .create_table(
                table(b, TrackGenres::Table)
                    .col(id(TrackGenres::TrackId))
                    .col(id(TrackGenres::GenreId))
                    .primary_key(
                        Index::create()
                            .col(TrackGenres::TrackId)
                            .col(TrackGenres::GenreId),
                    )
                    .foreign_key(&mut fk(
                        (TrackGenres::Table, TrackGenres::TrackId),
                        (Tracks::Table, Tracks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (TrackGenres::Table, TrackGenres::GenreId),
                        (Genres::Table, Genres::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_track_genres_genre",
            TrackGenres::Table,
            [TrackGenres::GenreId, TrackGenres::TrackId],
        )
        .await?;

        let feature = |c: AudioFeatures| ColumnDef::new(c).double().not_null().to_owned();
        manager
            .create_table(
                table(b, AudioFeatures::Table)
                    .col(id(AudioFeatures::TrackId).primary_key())
                    .col(feature(AudioFeatures::Danceability))
                    .col(feature(AudioFeatures::Energy))
                    .col(ColumnDef::new(AudioFeatures::Key).integer().not_null())
                    .col(feature(AudioFeatures::Loudness))
                    .col(ColumnDef::new(AudioFeatures::Mode).integer().not_null())
                    .col(feature(AudioFeatures::Speechiness))
                    .col(feature(AudioFeatures::Acousticness))
                    .col(feature(AudioFeatures::Instrumentalness))
                    .col(feature(AudioFeatures::Liveness))
                    .col(feature(AudioFeatures::Valence))
                    .col(feature(AudioFeatures::Tempo))
                    .col(ColumnDef::new(AudioFeatures::TimeSignature).integer())
                    .foreign_key(&mut fk(
                        (AudioFeatures::Table, AudioFeatures::TrackId),
                        (Tracks::Table, Tracks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(b, ArtistTopTracks::Table)
                    .col(id(ArtistTopTracks::ArtistId))
                    .col(
                        ColumnDef::new(ArtistTopTracks::Market)
                            .string_len(2)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ArtistTopTracks::Rank).integer().not_null())
                    .col(id(ArtistTopTracks::TrackId))
                    .primary_key(
                        Index::create()
                            .col(ArtistTopTracks::ArtistId)
                            .col(ArtistTopTracks::Market)
                            .col(ArtistTopTracks::Rank),
                    )
                    .foreign_key(&mut fk(
                        (ArtistTopTracks::Table, ArtistTopTracks::ArtistId),
                        (Artists::Table, Artists::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        (ArtistTopTracks::Table, ArtistTopTracks::TrackId),
                        (Tracks::Table, Tracks::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_artist_top_tracks_track",
            ArtistTopTracks::Table,
            [ArtistTopTracks::TrackId],
        )
        .await?;

        manager
            .create_table(
                table(b, LoadRuns::Table)
                    .col(
                        ColumnDef::new(LoadRuns::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(LoadRuns::Source)
                            .string_len(URL_LEN)
                            .not_null(),
                    )
                    .col(timestamp(LoadRuns::StartedAt))
                    .col(ColumnDef::new(LoadRuns::FinishedAt).timestamp())
                    .col(ColumnDef::new(LoadRuns::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(LoadRuns::RowsRead)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(LoadRuns::RowsWritten)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(LoadRuns::RowsRejected)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(LoadRuns::Error).text())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_load_runs_status",
            LoadRuns::Table,
            [LoadRuns::Status, LoadRuns::Id],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LoadRuns::Table.into_iden(),
            ArtistTopTracks::Table.into_iden(),
            AudioFeatures::Table.into_iden(),
            TrackGenres::Table.into_iden(),
            TrackArtists::Table.into_iden(),
            Tracks::Table.into_iden(),
            Albums::Table.into_iden(),
            ArtistGenres::Table.into_iden(),
            Genres::Table.into_iden(),
            Artists::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
