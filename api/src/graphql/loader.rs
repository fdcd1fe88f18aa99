//! The DataLoader behind every relation: it gathers the keys that the resolvers of one request
//! ask for in the same tick and answers them with one statement per relation.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{album, artist, artist_alias, audio_features, genre, playlist, playlist_track, track};
use sea_orm::{DatabaseConnection, DbErr};
use tracing::Instrument as _;

use crate::cache::Caches;
use crate::service::page::{Page, PageArgs};
use crate::service::relations::{self, CountOf};

/// Loads relations for batches of keys. Each key type is one relation. What is loaded by one
/// id goes through the entity caches first.
#[derive(Clone, Debug)]
pub struct CatalogLoader {
    pub db: DatabaseConnection,
    pub caches: Caches,
}

/// The error a whole batch shares.
pub type LoadError = Arc<DbErr>;

macro_rules! key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub String);
    };
}

key!(/// An album by id.
    AlbumKey);
key!(/// An artist by id.
    ArtistKey);
key!(/// A track by id.
    TrackKey);
key!(/// A playlist by id.
    PlaylistKey);
key!(/// A genre by id.
    GenreKey);
key!(/// The audio features of a track.
    FeaturesKey);
key!(/// The genres of an artist.
    ArtistGenresKey);
key!(/// The genres of a track.
    TrackGenresKey);
key!(/// The aliases of an artist.
    ArtistAliasesKey);
key!(/// The credited artists of a track.
    TrackArtistsKey);
key!(/// The artists of an album.
    AlbumArtistsKey);

/// One page of a paged relation of one parent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PagedKey {
    pub id: String,
    pub args: PageArgs,
}

/// A page of an artist's tracks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArtistTracksKey(pub PagedKey);
/// A page of an album's tracks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AlbumTracksKey(pub PagedKey);
/// A page of an artist's albums.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArtistAlbumsKey(pub PagedKey);

/// A page of a playlist's entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlaylistTracksKey(pub PagedKey);
/// A page of a track's playlists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TrackPlaylistsKey(pub PagedKey);
/// A page of an artist's playlists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArtistPlaylistsKey(pub PagedKey);

/// A count of a relation of one parent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CountKey {
    pub of: CountOf,
    pub id: String,
}

fn ids<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut ids: Vec<String> = keys.into_iter().cloned().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn rekey<K: Clone + Eq + std::hash::Hash, V>(
    keys: &[K],
    id: impl Fn(&K) -> &String,
    mut found: HashMap<String, V>,
) -> HashMap<K, V> {
    keys.iter()
        .filter_map(|k| found.remove(id(k)).map(|v| (k.clone(), v)))
        .collect()
}

/// One statement of a batch, in a `dataloader.batch` span naming the relation and how many
/// keys it loads (a child of the execution that started the batch, when traces are exported).
fn statement<F: std::future::Future>(
    relation: &'static str,
    keys: usize,
    load: F,
) -> tracing::instrument::Instrumented<F> {
    load.instrument(tracing::debug_span!("dataloader.batch", relation, keys))
}

/// What a by-id relation gives for an id the database has nothing for: nothing for an
/// entity (it does not exist), an empty list for a list (it is empty). Empty lists are cached
/// like any other answer.
trait Absent: Sized {
    fn absent() -> Option<Self>;
}

impl<T> Absent for Vec<T> {
    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
}

macro_rules! no_absent {
    ($($t:ty),*) => {
        $(impl Absent for $t {
            fn absent() -> Option<Self> {
                None
            }
        })*
    };
}

no_absent!(
    album::Model,
    artist::Model,
    track::Model,
    audio_features::Model,
    genre::Model,
    playlist::Model
);

/// A key of a by-id relation, whose value the entity caches may hold. Resolvers look there
/// first and go to the DataLoader only for what is missing, so that a cached value never waits
/// for a batch to gather.
pub trait ById: Clone + Eq + std::hash::Hash + Send + Sync + 'static {
    type Value: Clone + Send + Sync + 'static;

    /// The cached value, if any; a hit is counted, a miss is left for the loader to count.
    fn cached(&self, caches: &Caches) -> Option<Self::Value>;
}

macro_rules! by_id_loader {
    ($key:ty, $value:ty, $cache:ident, $fetch:path) => {
        impl ById for $key {
            type Value = $value;

            fn cached(&self, caches: &Caches) -> Option<$value> {
                caches.entities.$cache.get(&self.0)
            }
        }

        impl Loader<$key> for CatalogLoader {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                let generation = self.caches.generation();
                let cache = &self.caches.entities.$cache;
                let (mut found, missing) = cache.get_many(ids(keys.iter().map(|k| &k.0)));
                if !missing.is_empty() {
                    let mut fetched = statement(
                        stringify!($fetch),
                        missing.len(),
                        $fetch(&self.db, &missing),
                    )
                    .await?;
                    if let Some(empty) = <$value as Absent>::absent() {
                        for id in missing {
                            fetched.entry(id).or_insert_with(|| empty.clone());
                        }
                    }
                    cache.put_many(generation, self.caches.generation_counter(), &fetched);
                    found.extend(fetched);
                }
                Ok(rekey(keys, |k| &k.0, found))
            }
        }
    };
}

by_id_loader!(AlbumKey, album::Model, albums, relations::albums_by_id);
by_id_loader!(ArtistKey, artist::Model, artists, relations::artists_by_id);
by_id_loader!(TrackKey, track::Model, tracks, relations::tracks_by_id);
by_id_loader!(
    PlaylistKey,
    playlist::Model,
    playlists,
    relations::playlists_by_id
);
by_id_loader!(GenreKey, genre::Model, genres, relations::genres_by_id);
by_id_loader!(
    FeaturesKey,
    audio_features::Model,
    features,
    relations::features_of_tracks
);
by_id_loader!(
    ArtistGenresKey,
    Vec<genre::Model>,
    artist_genres,
    relations::genres_of_artists
);
by_id_loader!(
    ArtistAliasesKey,
    Vec<artist_alias::Model>,
    artist_aliases,
    relations::aliases_of_artists
);
by_id_loader!(
    TrackGenresKey,
    Vec<genre::Model>,
    track_genres,
    relations::genres_of_tracks
);
by_id_loader!(
    TrackArtistsKey,
    Vec<artist::Model>,
    track_artists,
    relations::artists_of_tracks
);
by_id_loader!(
    AlbumArtistsKey,
    Vec<artist::Model>,
    album_artists,
    relations::artists_of_albums
);

/// An artist's top tracks in a market.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopTracksKey {
    pub id: String,
    pub market: String,
}

impl Loader<TopTracksKey> for CatalogLoader {
    type Value = Vec<track::Model>;
    type Error = LoadError;

    /// One statement per market asked for in the batch.
    async fn load(
        &self,
        keys: &[TopTracksKey],
    ) -> Result<HashMap<TopTracksKey, Vec<track::Model>>, LoadError> {
        let mut by_market: HashMap<&str, Vec<&String>> = HashMap::new();
        for k in keys {
            by_market.entry(k.market.as_str()).or_default().push(&k.id);
        }
        let mut out = HashMap::new();
        for (market, artist_ids) in by_market {
            let artist_ids = ids(artist_ids);
            let mut found = statement(
                "relations::top_tracks_of_artists",
                artist_ids.len(),
                relations::top_tracks_of_artists(&self.db, market, &artist_ids),
            )
            .await?;
            for k in keys.iter().filter(|k| k.market == market) {
                if let Some(tracks) = found.remove(&k.id) {
                    out.insert(k.clone(), tracks);
                }
            }
        }
        Ok(out)
    }
}

/// Groups paged keys by their page arguments: one statement per distinct (first, after).
fn by_args<'a>(keys: impl Iterator<Item = &'a PagedKey>) -> HashMap<PageArgs, Vec<String>> {
    let mut groups: HashMap<PageArgs, Vec<String>> = HashMap::new();
    for k in keys {
        groups.entry(k.args.clone()).or_default().push(k.id.clone());
    }
    groups
}

macro_rules! paged_loader {
    ($key:ident, $value:ty, $fetch:path) => {
        impl Loader<$key> for CatalogLoader {
            type Value = Page<$value>;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Page<$value>>, LoadError> {
                let mut out = HashMap::new();
                for (args, ids) in by_args(keys.iter().map(|k| &k.0)) {
                    let mut pages =
                        statement(stringify!($fetch), ids.len(), $fetch(&self.db, &ids, &args))
                            .await?;
                    for id in ids {
                        let page = pages.remove(&id).unwrap_or_default();
                        out.insert(
                            $key(PagedKey {
                                id,
                                args: args.clone(),
                            }),
                            page,
                        );
                    }
                }
                Ok(out)
            }
        }
    };
}

paged_loader!(ArtistTracksKey, track::Model, relations::tracks_of_artists);
paged_loader!(AlbumTracksKey, track::Model, relations::tracks_of_albums);
paged_loader!(ArtistAlbumsKey, album::Model, relations::albums_of_artists);
paged_loader!(
    PlaylistTracksKey,
    playlist_track::Model,
    relations::entries_of_playlists
);
paged_loader!(
    TrackPlaylistsKey,
    playlist::Model,
    relations::playlists_of_tracks
);
paged_loader!(
    ArtistPlaylistsKey,
    playlist::Model,
    relations::playlists_of_artists
);

impl Loader<CountKey> for CatalogLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[CountKey]) -> Result<HashMap<CountKey, u64>, LoadError> {
        let mut groups: HashMap<CountOf, Vec<String>> = HashMap::new();
        for k in keys {
            groups.entry(k.of).or_default().push(k.id.clone());
        }
        let mut out = HashMap::new();
        for (of, ids) in groups {
            let counts = statement(
                "relations::counts",
                ids.len(),
                relations::counts(&self.db, of, &ids),
            )
            .await?;
            for id in ids {
                let n = counts.get(&id).copied().unwrap_or(0);
                out.insert(CountKey { of, id }, n);
            }
        }
        Ok(out)
    }
}
