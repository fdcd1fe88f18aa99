//! The upsert writer: merges a batch of rows into the catalogue in one transaction.
//!
//! Every statement is a multi-row upsert keyed on the table's primary key, so writing the same
//! batch twice leaves the same rows, and a batch either lands whole or not at all. Rows are
//! written in key order, which keeps lock order stable when several loaders run at once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Utc};
use entity::{
    album, artist, artist_genre, audio_features, genre, track, track_artist, track_genre,
};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait, Value};

use crate::csv_source::{AlbumRow, Features, TrackRow};
use crate::error::{LoaderError, Result};
use crate::normalize::{derived_artist_id, genre_id, search_key};

/// Bound on bind parameters per statement, under SQLite's 32766 and MySQL's 65535.
const MAX_PARAMS: usize = 16_000;

/// Which optional columns a source provides. Columns a source lacks are left out of its upserts,
/// so that loading one source never blanks what another one filled.
#[derive(Clone, Copy, Debug, Default)]
pub struct SourceColumns {
    pub explicit: bool,
    pub time_signature: bool,
}

#[derive(Debug)]
struct TrackValues {
    name: Option<String>,
    album_id: Option<String>,
    popularity: Option<i32>,
    duration_ms: i32,
    explicit: Option<bool>,
    features: Features,
}

/// Rows of one batch, merged: a track that appears on several rows (one per playlist, say) is
/// one track with the union of their genres; other fields come from its last row.
#[derive(Debug, Default)]
pub struct Batch {
    rows: usize,
    genres: BTreeMap<String, String>,
    artists: BTreeMap<String, String>,
    albums: BTreeMap<String, AlbumRow>,
    tracks: BTreeMap<String, TrackValues>,
    track_artists: BTreeMap<(String, String), i32>,
    track_genres: BTreeSet<(String, String)>,
    artist_genres: BTreeSet<(String, String)>,
}

impl Batch {
    /// How many source rows the batch holds.
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn add(&mut self, row: TrackRow) {
        self.rows += 1;
        let genre_ids: Vec<String> = row
            .genres
            .iter()
            .map(|label| {
                let id = genre_id(label);
                self.genres
                    .entry(id.clone())
                    .or_insert_with(|| label.clone());
                id
            })
            .collect();
        for (position, name) in row.artists.iter().enumerate() {
            let artist_id = derived_artist_id(name);
            self.artists.insert(artist_id.clone(), name.clone());
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            self.track_artists
                .insert((row.track_id.clone(), artist_id.clone()), position);
            for g in &genre_ids {
                self.artist_genres.insert((artist_id.clone(), g.clone()));
            }
        }
        for g in genre_ids {
            self.track_genres.insert((row.track_id.clone(), g));
        }
        let album_id = row.album.as_ref().map(|a| a.id.clone());
        if let Some(album) = row.album {
            self.albums.insert(album.id.clone(), album);
        }
        self.tracks.insert(
            row.track_id,
            TrackValues {
                name: row.name,
                album_id,
                popularity: row.popularity,
                duration_ms: row.duration_ms,
                explicit: row.explicit,
                features: row.features,
            },
        );
    }

    /// Writes the batch in one transaction.
    pub async fn write(
        &self,
        db: &DatabaseConnection,
        cols: SourceColumns,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = db
            .begin()
            .await
            .map_err(LoaderError::db("starting a batch transaction"))?;
        self.write_in(&txn, cols, now)
            .await
            .map_err(LoaderError::db("writing a batch"))?;
        txn.commit()
            .await
            .map_err(LoaderError::db("committing a batch"))
    }

    async fn write_in(
        &self,
        txn: &impl ConnectionTrait,
        cols: SourceColumns,
        now: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        let now_v = || Value::from(now);

        upsert::<genre::Entity>(
            txn,
            &[genre::Column::Id, genre::Column::Name],
            &[genre::Column::Id],
            &[],
            self.genres
                .iter()
                .map(|(id, name)| vec![id.clone().into(), name.clone().into()])
                .collect(),
        )
        .await?;

        upsert::<artist::Entity>(
            txn,
            &[
                artist::Column::Id,
                artist::Column::Name,
                artist::Column::SearchKey,
                artist::Column::CreatedAt,
                artist::Column::UpdatedAt,
            ],
            &[artist::Column::Id],
            &[
                artist::Column::Name,
                artist::Column::SearchKey,
                artist::Column::UpdatedAt,
            ],
            self.artists
                .iter()
                .map(|(id, name)| {
                    vec![
                        id.clone().into(),
                        name.clone().into(),
                        search_key(name).into(),
                        now_v(),
                        now_v(),
                    ]
                })
                .collect(),
        )
        .await?;

        upsert::<album::Entity>(
            txn,
            &[
                album::Column::Id,
                album::Column::Name,
                album::Column::ReleaseDate,
                album::Column::ReleaseYear,
                album::Column::ReleaseDatePrecision,
                album::Column::CreatedAt,
                album::Column::UpdatedAt,
            ],
            &[album::Column::Id],
            &[
                album::Column::Name,
                album::Column::ReleaseDate,
                album::Column::ReleaseYear,
                album::Column::ReleaseDatePrecision,
                album::Column::UpdatedAt,
            ],
            self.albums
                .values()
                .map(|a| {
                    vec![
                        a.id.clone().into(),
                        a.name.clone().into(),
                        a.release.map(|r| r.date).into(),
                        a.release.map(|r| r.date.year()).into(),
                        a.release.map(|r| r.precision.as_str().to_owned()).into(),
                        now_v(),
                        now_v(),
                    ]
                })
                .collect(),
        )
        .await?;

        let mut track_cols = vec![
            track::Column::Id,
            track::Column::Name,
            track::Column::SearchKey,
            track::Column::AlbumId,
            track::Column::DurationMs,
            track::Column::Popularity,
            track::Column::CreatedAt,
            track::Column::UpdatedAt,
        ];
        if cols.explicit {
            track_cols.push(track::Column::Explicit);
        }
        let track_update: Vec<_> = track_cols
            .iter()
            .copied()
            .filter(|c| !matches!(c, track::Column::Id | track::Column::CreatedAt))
            .collect();
        upsert::<track::Entity>(
            txn,
            &track_cols,
            &[track::Column::Id],
            &track_update,
            self.tracks
                .iter()
                .map(|(id, t)| {
                    let mut v = vec![
                        id.clone().into(),
                        t.name.clone().into(),
                        t.name.as_deref().map(search_key).unwrap_or_default().into(),
                        t.album_id.clone().into(),
                        t.duration_ms.into(),
                        t.popularity.into(),
                        now_v(),
                        now_v(),
                    ];
                    if cols.explicit {
                        v.push(t.explicit.into());
                    }
                    v
                })
                .collect(),
        )
        .await?;

        upsert::<track_artist::Entity>(
            txn,
            &[
                track_artist::Column::TrackId,
                track_artist::Column::ArtistId,
                track_artist::Column::Position,
            ],
            &[
                track_artist::Column::TrackId,
                track_artist::Column::ArtistId,
            ],
            &[track_artist::Column::Position],
            self.track_artists
                .iter()
                .map(|((t, a), pos)| vec![t.clone().into(), a.clone().into(), (*pos).into()])
                .collect(),
        )
        .await?;

        upsert::<track_genre::Entity>(
            txn,
            &[track_genre::Column::TrackId, track_genre::Column::GenreId],
            &[track_genre::Column::TrackId, track_genre::Column::GenreId],
            &[],
            self.track_genres
                .iter()
                .map(|(t, g)| vec![t.clone().into(), g.clone().into()])
                .collect(),
        )
        .await?;

        upsert::<artist_genre::Entity>(
            txn,
            &[
                artist_genre::Column::ArtistId,
                artist_genre::Column::GenreId,
            ],
            &[
                artist_genre::Column::ArtistId,
                artist_genre::Column::GenreId,
            ],
            &[],
            self.artist_genres
                .iter()
                .map(|(a, g)| vec![a.clone().into(), g.clone().into()])
                .collect(),
        )
        .await?;

        use audio_features::Column as F;
        let mut feature_cols = vec![
            F::TrackId,
            F::Danceability,
            F::Energy,
            F::Key,
            F::Loudness,
            F::Mode,
            F::Speechiness,
            F::Acousticness,
            F::Instrumentalness,
            F::Liveness,
            F::Valence,
            F::Tempo,
        ];
        if cols.time_signature {
            feature_cols.push(F::TimeSignature);
        }
        upsert::<audio_features::Entity>(
            txn,
            &feature_cols,
            &[F::TrackId],
            &feature_cols[1..],
            self.tracks
                .iter()
                .map(|(id, t)| {
                    let f = &t.features;
                    let mut v: Vec<Value> = vec![
                        id.clone().into(),
                        f.danceability.into(),
                        f.energy.into(),
                        f.key.into(),
                        f.loudness.into(),
                        f.mode.into(),
                        f.speechiness.into(),
                        f.acousticness.into(),
                        f.instrumentalness.into(),
                        f.liveness.into(),
                        f.valence.into(),
                        f.tempo.into(),
                    ];
                    if cols.time_signature {
                        v.push(f.time_signature.into());
                    }
                    v
                })
                .collect(),
        )
        .await?;
        Ok(())
    }
}

/// Inserts rows, updating `update` columns of rows whose key exists (or leaving them as they are
/// when `update` is empty), in as few statements as the bind-parameter limit allows.
async fn upsert<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    columns: &[E::Column],
    key: &[E::Column],
    update: &[E::Column],
    rows: Vec<Vec<Value>>,
) -> Result<(), sea_orm::DbErr> {
    let per_statement = (MAX_PARAMS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut stmt = Query::insert();
        stmt.into_table(E::default())
            .columns(columns.iter().copied());
        for row in rows.by_ref().take(per_statement) {
            stmt.values(row.into_iter().map(Expr::val))
                .map_err(|e| sea_orm::DbErr::Custom(format!("building an upsert: {e}")))?;
        }
        let mut on_conflict = OnConflict::columns(key.iter().copied());
        if update.is_empty() {
            on_conflict.do_nothing_on(key.iter().copied());
        } else {
            on_conflict.update_columns(update.iter().copied());
        }
        stmt.on_conflict(on_conflict);
        conn.execute(&stmt).await?;
    }
    Ok(())
}
