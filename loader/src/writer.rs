//! The upsert writer: merges a batch of rows into the catalog in one transaction.
//!
//! Every statement is a multi-row upsert keyed on the table's primary key, so writing the same
//! batch twice leaves the same rows, and a batch either lands whole or not at all. Rows are
//! written in key order, which keeps lock order stable when several loaders run at once.
//!
//! Sources differ in what they know: a CSV file has no followers, a Spotify track credit has an
//! artist's id and name only. Optional columns are therefore filled, never blanked: a NULL from
//! one source leaves the value another source stored.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Utc};
use entity::normalize::{derived_artist_id, genre_id, search_key};
use entity::{
    Feature, FeatureSource, TrackFeatures, album, artist, artist_alias, artist_genre,
    artist_top_track, audio_features, genre, playlist, playlist_track, track, track_artist,
    track_genre,
};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, Iden,
    TransactionTrait, Value,
};
use tracing::Instrument as _;

use crate::csv_source::{PlaylistRef, ReleaseDate, TrackRow};
use crate::error::{LoaderError, Result};

/// Bound on bind parameters per statement, under SQLite's 32766 and MySQL's 65535.
const MAX_PARAMS: usize = 16_000;

/// An artist. Optional fields a source does not know are `None`, and `None` never overwrites a
/// value already stored: a track's credit (id and name only) leaves the popularity and
/// followers another load gave the artist as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArtistValues {
    pub name: String,
    pub popularity: Option<i32>,
    pub followers: Option<i64>,
    pub image_url: Option<String>,
    pub spotify_url: Option<String>,
}

/// An album; `None` fields never overwrite stored values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlbumValues {
    pub name: Option<String>,
    /// `album`, `single` or `compilation`.
    pub album_type: Option<String>,
    pub release: Option<ReleaseDate>,
    pub total_tracks: Option<i32>,
    pub image_url: Option<String>,
}

/// An alias of an artist, as a source gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasValues {
    /// The alias as written (cleaned).
    pub name: String,
    pub is_primary: bool,
    /// The source's word for the kind of name (`Search hint`, …).
    pub kind: Option<String>,
}

/// Where an alias is stored: artist, source, locale (empty for none) and search key.
type AliasKey = (String, &'static str, String, String);

/// A playlist entry: the track, and when it was added where the source says.
type Entry = (String, Option<DateTime<Utc>>);

/// A playlist; `None` fields never overwrite stored values.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaylistValues {
    pub name: Option<String>,
    /// `csv`, `mpd` or `spotify`.
    pub source: &'static str,
    pub description: Option<String>,
    pub followers: Option<i64>,
    pub owner: Option<String>,
}

/// A track's audio features and where they came from.
#[derive(Clone, Debug, PartialEq)]
pub struct SourcedFeatures {
    pub features: TrackFeatures,
    pub source: FeatureSource,
}

/// A track and its audio features; `None` fields never overwrite stored values.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackValues {
    pub name: Option<String>,
    pub album_id: Option<String>,
    pub duration_ms: i32,
    pub popularity: Option<i32>,
    pub explicit: Option<bool>,
    pub track_number: Option<i32>,
    pub isrc: Option<String>,
    pub features: Option<SourcedFeatures>,
}

fn merge_artist(old: &mut ArtistValues, new: ArtistValues) {
    old.name = new.name;
    old.popularity = new.popularity.or(old.popularity);
    old.followers = new.followers.or(old.followers);
    old.image_url = new.image_url.or(old.image_url.take());
    old.spotify_url = new.spotify_url.or(old.spotify_url.take());
}

fn merge_album(old: &mut AlbumValues, new: AlbumValues) {
    old.name = new.name.or(old.name.take());
    old.album_type = new.album_type.or(old.album_type.take());
    old.release = new.release.or(old.release);
    old.total_tracks = new.total_tracks.or(old.total_tracks);
    old.image_url = new.image_url.or(old.image_url.take());
}

fn merge_track(old: &mut TrackValues, new: TrackValues) {
    old.name = new.name.or(old.name.take());
    old.album_id = new.album_id.or(old.album_id.take());
    old.duration_ms = new.duration_ms;
    old.popularity = new.popularity.or(old.popularity);
    old.explicit = new.explicit.or(old.explicit);
    old.track_number = new.track_number.or(old.track_number);
    old.isrc = new.isrc.or(old.isrc.take());
}

/// What one batch writes, merged: an item met several times (a track on several playlist rows,
/// an album met through its artist and through a track) is written once, later non-null values
/// winning; links are unions.
#[derive(Debug, Default)]
pub struct Batch {
    rows: usize,
    genres: BTreeMap<String, String>,
    artists: BTreeMap<String, ArtistValues>,
    albums: BTreeMap<String, AlbumValues>,
    tracks: BTreeMap<String, TrackValues>,
    track_artists: BTreeMap<(String, String), i32>,
    track_genres: BTreeSet<(String, String)>,
    artist_genres: BTreeSet<(String, String)>,
    top_tracks: BTreeMap<(String, String), Vec<String>>,
    spotify_loaded: BTreeSet<String>,
    /// Playlists by id.
    playlists: BTreeMap<String, PlaylistValues>,
    /// Playlist entries by (playlist, position): the track and when it was added.
    playlist_tracks: BTreeMap<(String, i32), Entry>,
    /// Playlists whose stored track list this batch replaces (it holds their first entries).
    replaced_playlists: BTreeSet<String>,
    aliases: BTreeMap<AliasKey, AliasValues>,
    /// (artist, source) pairs whose stored aliases this batch replaces.
    replaced_aliases: BTreeSet<(String, &'static str)>,
    /// Audio features by track: those of the batch's tracks, or of stored tracks.
    features: BTreeMap<String, SourcedFeatures>,
}

impl Batch {
    /// How many source rows the batch holds (CSV rows, playlist entries).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether the batch would write nothing.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
            && self.artists.is_empty()
            && self.albums.is_empty()
            && self.tracks.is_empty()
            && self.playlists.is_empty()
            && self.top_tracks.is_empty()
            && self.aliases.is_empty()
            && self.replaced_aliases.is_empty()
            && self.features.is_empty()
    }

    /// Counts source rows added by other means than [`Batch::add`].
    pub fn count_rows(&mut self, n: usize) {
        self.rows += n;
    }

    /// How many distinct tracks the batch writes.
    pub fn track_count(&self) -> usize {
        self.tracks.len()
    }

    /// Adds one CSV row: its track, album, artists (ids derived from their names) and genres,
    /// which the artists of the track are given too.
    pub fn add(&mut self, row: TrackRow) {
        self.rows += 1;
        let mut artist_ids = Vec::with_capacity(row.artists.len());
        for (position, name) in row.artists.into_iter().enumerate() {
            let artist_id = derived_artist_id(&name);
            self.credit(&row.track_id, &artist_id, position);
            self.add_artist(
                &artist_id,
                ArtistValues {
                    name,
                    ..Default::default()
                },
            );
            artist_ids.push(artist_id);
        }
        for label in &row.genres {
            self.tag_track(&row.track_id, label);
            for a in &artist_ids {
                self.tag_artist(a, label);
            }
        }
        let album_id = row.album.map(|a| {
            self.add_album(
                &a.id,
                AlbumValues {
                    name: a.name,
                    release: a.release,
                    ..Default::default()
                },
            );
            a.id
        });
        self.add_track(
            &row.track_id,
            TrackValues {
                name: row.name,
                album_id,
                duration_ms: row.duration_ms,
                popularity: row.popularity,
                explicit: row.explicit,
                track_number: None,
                isrc: None,
                features: Some(SourcedFeatures {
                    features: row.features,
                    source: FeatureSource::Csv,
                }),
            },
        );
    }

    pub fn add_artist(&mut self, id: &str, values: ArtistValues) {
        match self.artists.get_mut(id) {
            Some(old) => merge_artist(old, values),
            None => {
                self.artists.insert(id.to_owned(), values);
            }
        }
    }

    pub fn add_album(&mut self, id: &str, values: AlbumValues) {
        match self.albums.get_mut(id) {
            Some(old) => merge_album(old, values),
            None => {
                self.albums.insert(id.to_owned(), values);
            }
        }
    }

    /// Adds a track; its album must be added to the batch too, or already be stored.
    pub fn add_track(&mut self, id: &str, mut values: TrackValues) {
        if let Some(features) = values.features.take() {
            self.add_features(id, features);
        }
        match self.tracks.get_mut(id) {
            Some(old) => merge_track(old, values),
            None => {
                self.tracks.insert(id.to_owned(), values);
            }
        }
    }

    /// Sets the audio features of a track, of this batch or already stored; later ones win.
    pub fn add_features(&mut self, track_id: &str, features: SourcedFeatures) {
        self.features.insert(track_id.to_owned(), features);
    }

    /// How many tracks the batch gives audio features.
    pub fn features_count(&self) -> usize {
        self.features.len()
    }

    /// Credits an artist on a track, at a position (0 for the main artist).
    pub fn credit(&mut self, track_id: &str, artist_id: &str, position: usize) {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        self.track_artists
            .insert((track_id.to_owned(), artist_id.to_owned()), position);
    }

    fn genre(&mut self, label: &str) -> String {
        let id = genre_id(label);
        self.genres
            .entry(id.clone())
            .or_insert_with(|| label.to_owned());
        id
    }

    /// Gives a track a genre (by its label).
    pub fn tag_track(&mut self, track_id: &str, label: &str) {
        let g = self.genre(label);
        self.track_genres.insert((track_id.to_owned(), g));
    }

    /// Gives an artist a genre (by its label).
    pub fn tag_artist(&mut self, artist_id: &str, label: &str) {
        let g = self.genre(label);
        self.artist_genres.insert((artist_id.to_owned(), g));
    }

    /// Replaces an artist's top tracks in a market, best first. The tracks must be in the
    /// batch or already stored.
    pub fn set_top_tracks(&mut self, artist_id: &str, market: &str, track_ids: Vec<String>) {
        self.top_tracks
            .insert((artist_id.to_owned(), market.to_owned()), track_ids);
    }

    /// Puts a track (and when it was added, where the source says) at `position` (1 for the
    /// first) of a playlist from `source`. With
    /// `replace`, the playlist's stored track list is dropped first: a source gives a whole
    /// playlist in one run, so its first entry of the run replaces what an earlier run stored.
    pub fn add_playlist_entry(
        &mut self,
        playlist: PlaylistRef,
        source: &'static str,
        position: i32,
        (track_id, added_at): (&str, Option<DateTime<Utc>>),
        replace: bool,
    ) {
        if replace {
            self.replaced_playlists.insert(playlist.id.clone());
        }
        self.playlist_tracks.insert(
            (playlist.id.clone(), position),
            (track_id.to_owned(), added_at),
        );
        let entry = self
            .playlists
            .entry(playlist.id)
            .or_insert_with(|| PlaylistValues {
                name: None,
                source,
                description: None,
                followers: None,
                owner: None,
            });
        if playlist.name.is_some() {
            entry.name = playlist.name;
        }
    }

    /// Adds a playlist a source gives whole (its entries come through
    /// [`Batch::add_playlist_entry`]): its stored track list is replaced, by nothing when the
    /// source lists no entry. Later non-null values win.
    pub fn add_playlist(&mut self, id: &str, values: PlaylistValues) {
        self.replaced_playlists.insert(id.to_owned());
        match self.playlists.get_mut(id) {
            Some(old) => {
                old.source = values.source;
                old.name = values.name.or(old.name.take());
                old.description = values.description.or(old.description.take());
                old.followers = values.followers.or(old.followers);
                old.owner = values.owner.or(old.owner.take());
            }
            None => {
                self.playlists.insert(id.to_owned(), values);
            }
        }
    }

    /// Adds an alias of an artist the catalog holds (or this batch writes). An alias that
    /// folds to the same key in the same locale from the same source is one alias; the later
    /// one wins, and a primary one stays primary.
    pub fn add_alias(
        &mut self,
        artist_id: &str,
        source: entity::alias::Source,
        locale: Option<&str>,
        values: AliasValues,
    ) {
        let key = search_key(&values.name);
        if key.is_empty() {
            return;
        }
        let at = (
            artist_id.to_owned(),
            source.as_str(),
            locale.unwrap_or_default().to_owned(),
            key,
        );
        let primary = values.is_primary || self.aliases.get(&at).is_some_and(|a| a.is_primary);
        self.aliases.insert(
            at,
            AliasValues {
                is_primary: primary,
                ..values
            },
        );
    }

    /// Makes the batch replace every alias `source` gave the artist before: the ones it adds
    /// stay, the others go.
    pub fn replace_aliases(&mut self, artist_id: &str, source: entity::alias::Source) {
        self.replaced_aliases
            .insert((artist_id.to_owned(), source.as_str()));
    }

    /// Records that the artist was loaded in full from Spotify by this batch.
    pub fn mark_spotify_loaded(&mut self, artist_id: &str) {
        self.spotify_loaded.insert(artist_id.to_owned());
    }

    /// Writes the batch in one transaction, done again on a new connection when the
    /// connection dies or the transaction loses a conflict ([`crate::retry`]): the batch is
    /// upserts, so a second write of one that did land changes nothing.
    pub async fn write(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<()> {
        let span = tracing::debug_span!(
            "batch",
            rows = self.rows,
            artists = self.artists.len(),
            tracks = self.tracks.len(),
            playlist_entries = self.playlist_tracks.len(),
        );
        crate::retry::transiently("writing a batch", || async {
            let txn = db.begin().await?;
            self.write_in(&txn, now).await?;
            txn.commit().await
        })
        .instrument(span)
        .await
        .map_err(LoaderError::db("writing a batch"))
    }

    async fn write_in(
        &self,
        txn: &impl ConnectionTrait,
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

        {
            use artist::Column as A;
            upsert::<artist::Entity>(
                txn,
                &[
                    A::Id,
                    A::Name,
                    A::SearchKey,
                    A::Popularity,
                    A::Followers,
                    A::ImageUrl,
                    A::SpotifyUrl,
                    A::CreatedAt,
                    A::UpdatedAt,
                ],
                &[A::Id],
                &[
                    Update::Set(A::Name),
                    Update::Set(A::SearchKey),
                    Update::Set(A::UpdatedAt),
                    Update::Fill(A::Popularity),
                    Update::Fill(A::Followers),
                    Update::Fill(A::ImageUrl),
                    Update::Fill(A::SpotifyUrl),
                ],
                self.artists
                    .iter()
                    .map(|(id, a)| {
                        vec![
                            id.clone().into(),
                            a.name.clone().into(),
                            search_key(&a.name).into(),
                            a.popularity.into(),
                            a.followers.into(),
                            a.image_url.clone().into(),
                            a.spotify_url.clone().into(),
                            now_v(),
                            now_v(),
                        ]
                    })
                    .collect(),
            )
            .await?;
        }

        {
            use album::Column as Al;
            upsert::<album::Entity>(
                txn,
                &[
                    Al::Id,
                    Al::Name,
                    Al::AlbumType,
                    Al::ReleaseDate,
                    Al::ReleaseYear,
                    Al::ReleaseDatePrecision,
                    Al::TotalTracks,
                    Al::ImageUrl,
                    Al::CreatedAt,
                    Al::UpdatedAt,
                ],
                &[Al::Id],
                &[
                    Update::Set(Al::UpdatedAt),
                    Update::Fill(Al::Name),
                    Update::Fill(Al::AlbumType),
                    Update::Fill(Al::ReleaseDate),
                    Update::Fill(Al::ReleaseYear),
                    Update::Fill(Al::ReleaseDatePrecision),
                    Update::Fill(Al::TotalTracks),
                    Update::Fill(Al::ImageUrl),
                ],
                self.albums
                    .iter()
                    .map(|(id, a)| {
                        vec![
                            id.clone().into(),
                            a.name.clone().into(),
                            a.album_type.clone().into(),
                            a.release.map(|r| r.date).into(),
                            a.release.map(|r| r.date.year()).into(),
                            a.release.map(|r| r.precision.as_str().to_owned()).into(),
                            a.total_tracks.into(),
                            a.image_url.clone().into(),
                            now_v(),
                            now_v(),
                        ]
                    })
                    .collect(),
            )
            .await?;
        }

        {
            use track::Column as T;
            upsert::<track::Entity>(
                txn,
                &[
                    T::Id,
                    T::Name,
                    T::SearchKey,
                    T::AlbumId,
                    T::DurationMs,
                    T::Popularity,
                    T::Explicit,
                    T::TrackNumber,
                    T::Isrc,
                    T::CreatedAt,
                    T::UpdatedAt,
                ],
                &[T::Id],
                &[
                    Update::Set(T::DurationMs),
                    Update::Set(T::UpdatedAt),
                    Update::Fill(T::Name),
                    Update::FillIf(T::SearchKey, T::Name),
                    Update::Fill(T::AlbumId),
                    Update::Fill(T::Popularity),
                    Update::Fill(T::Explicit),
                    Update::Fill(T::TrackNumber),
                    Update::Fill(T::Isrc),
                ],
                self.tracks
                    .iter()
                    .map(|(id, t)| {
                        vec![
                            id.clone().into(),
                            t.name.clone().into(),
                            t.name.as_deref().map(search_key).unwrap_or_default().into(),
                            t.album_id.clone().into(),
                            t.duration_ms.into(),
                            t.popularity.into(),
                            t.explicit.into(),
                            t.track_number.into(),
                            t.isrc.clone().into(),
                            now_v(),
                            now_v(),
                        ]
                    })
                    .collect(),
            )
            .await?;
        }

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
            &[Update::Set(track_artist::Column::Position)],
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

        {
            use audio_features::Column as F;
            let feature_cols: Vec<F> = std::iter::once(F::TrackId)
                .chain(Feature::ALL.map(Feature::column))
                .chain([F::Key, F::Mode, F::TimeSignature, F::Source])
                .collect();
            upsert::<audio_features::Entity>(
                txn,
                &feature_cols,
                &[F::TrackId],
                &feature_cols[1..]
                    .iter()
                    .map(|&c| match c {
                        F::TimeSignature => Update::Fill(c),
                        _ => Update::Set(c),
                    })
                    .collect::<Vec<_>>(),
                self.features
                    .iter()
                    .map(|(id, sourced)| {
                        let f = &sourced.features;
                        let mut row = vec![id.clone().into()];
                        row.extend(f.values.map(sea_orm::Value::from));
                        row.extend([
                            f.key.into(),
                            f.mode.into(),
                            f.time_signature.into(),
                            sea_orm::ActiveEnum::to_value(&sourced.source).into(),
                        ]);
                        row
                    })
                    .collect(),
            )
            .await?;
        }

        self.write_top_tracks(txn).await?;
        self.write_playlists(txn, now_v()).await?;
        self.write_aliases(txn).await?;

        if !self.spotify_loaded.is_empty() {
            for ids in self
                .spotify_loaded
                .iter()
                .collect::<Vec<_>>()
                .chunks(MAX_PARAMS)
            {
                let stmt = Query::update()
                    .table(artist::Entity)
                    .value(artist::Column::SpotifyLoadedAt, now)
                    .and_where(artist::Column::Id.is_in(ids.iter().map(|s| s.as_str())))
                    .to_owned();
                txn.execute(&stmt).await?;
            }
        }
        Ok(())
    }

    /// Upserts the batch's playlists, drops the stored track lists it replaces, and writes its
    /// entries.
    async fn write_playlists(
        &self,
        txn: &impl ConnectionTrait,
        now: Value,
    ) -> Result<(), sea_orm::DbErr> {
        use playlist::Column as P;
        use playlist_track::Column as Pt;
        upsert::<playlist::Entity>(
            txn,
            &[
                P::Id,
                P::Name,
                P::SearchKey,
                P::Source,
                P::Description,
                P::Followers,
                P::Owner,
                P::CreatedAt,
                P::UpdatedAt,
            ],
            &[P::Id],
            &[
                Update::Fill(P::Name),
                Update::FillIf(P::SearchKey, P::Name),
                Update::Set(P::Source),
                Update::Fill(P::Description),
                Update::Fill(P::Followers),
                Update::Fill(P::Owner),
                Update::Set(P::UpdatedAt),
            ],
            self.playlists
                .iter()
                .map(|(id, p)| {
                    vec![
                        id.clone().into(),
                        p.name.clone().into(),
                        search_key(p.name.as_deref().unwrap_or_default()).into(),
                        p.source.into(),
                        p.description.clone().into(),
                        p.followers.into(),
                        p.owner.clone().into(),
                        now.clone(),
                        now.clone(),
                    ]
                })
                .collect(),
        )
        .await?;
        let replaced: Vec<&String> = self.replaced_playlists.iter().collect();
        for ids in replaced.chunks(MAX_PARAMS) {
            let stmt = Query::delete()
                .from_table(playlist_track::Entity)
                .cond_where(Pt::PlaylistId.is_in(ids.iter().map(|id| id.as_str())))
                .to_owned();
            txn.execute(&stmt).await?;
        }
        upsert::<playlist_track::Entity>(
            txn,
            &[Pt::PlaylistId, Pt::Position, Pt::TrackId, Pt::AddedAt],
            &[Pt::PlaylistId, Pt::Position],
            &[Update::Set(Pt::TrackId), Update::Set(Pt::AddedAt)],
            self.playlist_tracks
                .iter()
                .map(|((playlist_id, position), (track_id, added_at))| {
                    vec![
                        playlist_id.clone().into(),
                        (*position).into(),
                        track_id.clone().into(),
                        (*added_at).into(),
                    ]
                })
                .collect(),
        )
        .await?;
        // Each touched playlist's entries, counted again.
        let touched: Vec<&String> = self.playlists.keys().collect();
        for ids in touched.chunks(MAX_PARAMS) {
            let count = Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(playlist_track::Entity)
                .and_where(
                    Expr::col((playlist_track::Entity, Pt::PlaylistId))
                        .equals((playlist::Entity, P::Id)),
                )
                .to_owned();
            let stmt = Query::update()
                .table(playlist::Entity)
                .value(P::TrackCount, Expr::SubQuery(None, Box::new(count.into())))
                .cond_where(P::Id.is_in(ids.iter().map(|id| id.as_str())))
                .to_owned();
            txn.execute(&stmt).await?;
        }
        Ok(())
    }

    /// Drops the aliases the batch replaces, then upserts its aliases.
    async fn write_aliases(&self, txn: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        use artist_alias::Column as Al;
        let pairs = self
            .replaced_aliases
            .iter()
            .map(|(artist_id, source)| (*source, artist_id.as_str()));
        delete_pairs::<artist_alias::Entity>(txn, Al::Source, Al::ArtistId, pairs).await?;
        upsert::<artist_alias::Entity>(
            txn,
            &[
                Al::ArtistId,
                Al::Source,
                Al::Locale,
                Al::SearchKey,
                Al::Name,
                Al::IsPrimary,
                Al::Kind,
            ],
            &[Al::ArtistId, Al::Source, Al::Locale, Al::SearchKey],
            &[
                Update::Set(Al::Name),
                Update::Set(Al::IsPrimary),
                Update::Set(Al::Kind),
            ],
            self.aliases
                .iter()
                .map(|((artist_id, source, locale, key), a)| {
                    vec![
                        artist_id.clone().into(),
                        (*source).into(),
                        locale.clone().into(),
                        key.clone().into(),
                        a.name.clone().into(),
                        a.is_primary.into(),
                        a.kind.clone().into(),
                    ]
                })
                .collect(),
        )
        .await
    }

    /// Replaces the top tracks of every (artist, market) in the batch: rank by rank, with the
    /// ranks a shorter new list no longer has removed.
    async fn write_top_tracks(&self, txn: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
        use artist_top_track::Column as Top;
        let pairs = self
            .top_tracks
            .keys()
            .map(|(artist_id, market)| (market.as_str(), artist_id.as_str()));
        delete_pairs::<artist_top_track::Entity>(txn, Top::Market, Top::ArtistId, pairs).await?;
        upsert::<artist_top_track::Entity>(
            txn,
            &[Top::ArtistId, Top::Market, Top::Rank, Top::TrackId],
            &[Top::ArtistId, Top::Market, Top::Rank],
            &[Update::Set(Top::TrackId)],
            self.top_tracks
                .iter()
                .flat_map(|((artist_id, market), tracks)| {
                    tracks.iter().enumerate().map(move |(rank, track_id)| {
                        vec![
                            artist_id.clone().into(),
                            market.clone().into(),
                            i32::try_from(rank + 1).unwrap_or(i32::MAX).into(),
                            track_id.clone().into(),
                        ]
                    })
                })
                .collect(),
        )
        .await
    }
}

/// Deletes the rows whose (`group`, `id`) is one of `pairs`: one statement per group and chunk
/// of ids, each an `IN` list, where a disjunction of pairs would be an expression SQLite refuses
/// past a depth of 1000.
async fn delete_pairs<'a, E: EntityTrait>(
    txn: &impl ConnectionTrait,
    group: E::Column,
    id: E::Column,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), sea_orm::DbErr> {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (g, i) in pairs {
        grouped.entry(g).or_default().push(i);
    }
    for (g, ids) in grouped {
        for chunk in ids.chunks(MAX_PARAMS) {
            let stmt = Query::delete()
                .from_table(E::default())
                .cond_where(group.eq(g).and(id.is_in(chunk.iter().copied())))
                .to_owned();
            txn.execute(&stmt).await?;
        }
    }
    Ok(())
}

/// How an upsert treats a column of a row whose key exists.
#[derive(Clone, Copy, Debug)]
enum Update<C> {
    /// Takes the new value.
    Set(C),
    /// Takes the new value unless it is NULL.
    Fill(C),
    /// Takes the new value unless the new value of the second column is NULL.
    FillIf(C, C),
}

/// The SQL of a `Fill`/`FillIf` assignment for the backend.
fn fill_expr(backend: DatabaseBackend, table: &str, col: &str, guard: &str) -> Expr {
    Expr::cust(match backend {
        DatabaseBackend::MySql => format!(
            "CASE WHEN VALUES(`{guard}`) IS NULL THEN `{table}`.`{col}` ELSE VALUES(`{col}`) END"
        ),
        _ => format!(
            "CASE WHEN excluded.\"{guard}\" IS NULL THEN \"{table}\".\"{col}\" ELSE excluded.\"{col}\" END"
        ),
    })
}

/// Inserts rows, updating the rows whose key exists as `update` says (or leaving them as they
/// are when it is empty), in as few statements as the bind-parameter limit allows.
async fn upsert<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    columns: &[E::Column],
    key: &[E::Column],
    update: &[Update<E::Column>],
    rows: Vec<Vec<Value>>,
) -> Result<(), sea_orm::DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let table = E::default().to_string();
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
        }
        for u in update {
            match *u {
                Update::Set(c) => on_conflict.update_column(c),
                Update::Fill(c) => on_conflict.value(
                    c,
                    fill_expr(backend, &table, &c.to_string(), &c.to_string()),
                ),
                Update::FillIf(c, guard) => on_conflict.value(
                    c,
                    fill_expr(backend, &table, &c.to_string(), &guard.to_string()),
                ),
            };
        }
        stmt.on_conflict(on_conflict);
        conn.execute(&stmt).await?;
    }
    Ok(())
}

/// Every artist's id and search key, for linking what other sources name to the catalog.
pub async fn artist_keys(db: &DatabaseConnection) -> Result<Vec<(String, String)>, sea_orm::DbErr> {
    use sea_orm::QuerySelect;
    artist::Entity::find()
        .select_only()
        .column(artist::Column::Id)
        .column(artist::Column::SearchKey)
        .into_tuple()
        .all(db)
        .await
}

/// Up to `limit` ids of tracks with no audio features, in id order, after `after`.
pub async fn tracks_without_features(
    db: &DatabaseConnection,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<String>> {
    use sea_orm::{QueryFilter, QueryOrder, QuerySelect, RelationTrait};
    let mut query = track::Entity::find()
        .select_only()
        .column(track::Column::Id)
        .join(
            sea_orm::JoinType::LeftJoin,
            track::Relation::AudioFeatures.def(),
        )
        .filter(audio_features::Column::TrackId.is_null());
    if let Some(after) = after {
        query = query.filter(track::Column::Id.gt(after));
    }
    query
        .order_by_asc(track::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
        .map_err(LoaderError::db("listing tracks without audio features"))
}

/// Which of `ids` are tracks without audio features.
pub async fn without_features(db: &DatabaseConnection, ids: &[String]) -> Result<Vec<String>> {
    use sea_orm::{QueryFilter, QuerySelect};
    let mut have = BTreeSet::new();
    for chunk in ids.chunks(500) {
        let found: Vec<String> = audio_features::Entity::find()
            .select_only()
            .column(audio_features::Column::TrackId)
            .filter(audio_features::Column::TrackId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await
            .map_err(LoaderError::db("reading which tracks have audio features"))?;
        have.extend(found);
    }
    Ok(ids
        .iter()
        .filter(|id| !have.contains(*id))
        .cloned()
        .collect())
}
