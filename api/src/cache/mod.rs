//! Caches across requests, all bounded, all dropped when the data version changes:
//!
//! - [`EntityCaches`]: what the DataLoader fetches by id (artists, albums, tracks, audio
//!   features, and the genre and credit lists of one id), bounded by entries, with a TTL;
//! - [`responses::ResponseCache`]: whole responses of queries, by normalised document,
//!   operation name and variables, bounded by bytes;
//! - [`persisted::PersistedQueries`]: documents registered by Apollo's automatic persisted
//!   queries, by SHA-256, bounded by bytes;
//! - [`documents::Documents`]: parsed documents by their text, so that a query sent again with
//!   other variables is not parsed again.
//!
//! Invalidation goes by generation: [`Caches::invalidate`] bumps it and clears everything. A
//! response computed under an older generation is stored under that generation's key, which no
//! request asks for any more; an entity fetched under an older generation is not stored.

pub mod documents;
pub mod normalize;
pub mod persisted;
pub mod responses;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use entity::{album, artist, artist_alias, audio_features, genre, playlist, track};
use moka::sync::Cache;

/// Sizes and lifetimes of the caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSettings {
    /// Entries each entity cache holds at most; 0 turns entity caching off.
    pub entity_entries: u64,
    /// How long an entity stays cached at most, data version or not.
    pub entity_ttl: Duration,
    /// Bytes of response bodies the response cache holds at most; 0 turns it off.
    pub response_bytes: u64,
    /// How long a response stays cached at most.
    pub response_ttl: Duration,
    /// Bytes of persisted query documents held at most.
    pub persisted_bytes: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            entity_entries: 100_000,
            entity_ttl: Duration::from_secs(600),
            response_bytes: 64 << 20,
            response_ttl: Duration::from_secs(600),
            persisted_bytes: 8 << 20,
        }
    }
}

/// Hits and misses of one cache.
#[derive(Debug, Default)]
pub struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counts {
    pub fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

/// What a cache reports for metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheFigures {
    pub name: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub entries: u64,
    /// Weighted size: bytes for byte-bounded caches, entries otherwise.
    pub bytes: u64,
}

/// One entity cache: a bounded moka cache with hit and miss counts.
#[derive(Clone)]
pub struct EntityCache<V> {
    name: &'static str,
    cache: Cache<String, V>,
    counts: Arc<Counts>,
}

impl<V> std::fmt::Debug for EntityCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityCache")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<V: Clone + Send + Sync + 'static> EntityCache<V> {
    fn new(name: &'static str, settings: &CacheSettings) -> Self {
        Self {
            name,
            cache: Cache::builder()
                .max_capacity(settings.entity_entries)
                .time_to_live(settings.entity_ttl)
                .build(),
            counts: Arc::default(),
        }
    }

    /// The cached value of `id`. Only a hit is counted: the caller is to look again with
    /// [`get_many`](Self::get_many) before fetching, which counts the miss.
    pub fn get(&self, id: &str) -> Option<V> {
        let found = self.cache.get(id);
        if found.is_some() {
            self.counts.hit();
        }
        found
    }

    /// The cached values of `ids`, and the ids not cached.
    pub fn get_many(
        &self,
        ids: Vec<String>,
    ) -> (std::collections::HashMap<String, V>, Vec<String>) {
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.cache.get(&id) {
                Some(v) => {
                    self.counts.hit();
                    found.insert(id, v);
                }
                None => {
                    self.counts.miss();
                    missing.push(id);
                }
            }
        }
        (found, missing)
    }

    /// Stores values fetched under `generation`, unless the caches were invalidated since.
    pub fn put_many<'a>(
        &self,
        generation: u64,
        current: &AtomicU64,
        values: impl IntoIterator<Item = (&'a String, &'a V)>,
    ) where
        V: 'a,
    {
        for (id, v) in values {
            if current.load(Ordering::Acquire) != generation {
                return;
            }
            self.cache.insert(id.clone(), v.clone());
        }
    }

    fn figures(&self) -> CacheFigures {
        self.cache.run_pending_tasks();
        CacheFigures {
            name: self.name,
            hits: self.counts.hits(),
            misses: self.counts.misses(),
            entries: self.cache.entry_count(),
            bytes: self.cache.weighted_size(),
        }
    }
}

/// The entity caches, one per relation the DataLoader loads by a single id.
#[derive(Clone, Debug)]
pub struct EntityCaches {
    pub albums: EntityCache<album::Model>,
    pub artists: EntityCache<artist::Model>,
    pub tracks: EntityCache<track::Model>,
    pub features: EntityCache<audio_features::Model>,
    pub artist_genres: EntityCache<Vec<genre::Model>>,
    pub artist_aliases: EntityCache<Vec<artist_alias::Model>>,
    pub track_genres: EntityCache<Vec<genre::Model>>,
    pub track_artists: EntityCache<Vec<artist::Model>>,
    pub album_artists: EntityCache<Vec<artist::Model>>,
    pub playlists: EntityCache<playlist::Model>,
    pub genres: EntityCache<genre::Model>,
}

impl EntityCaches {
    fn new(s: &CacheSettings) -> Self {
        Self {
            albums: EntityCache::new("albums", s),
            artists: EntityCache::new("artists", s),
            tracks: EntityCache::new("tracks", s),
            features: EntityCache::new("audio_features", s),
            artist_genres: EntityCache::new("artist_genres", s),
            artist_aliases: EntityCache::new("artist_aliases", s),
            track_genres: EntityCache::new("track_genres", s),
            track_artists: EntityCache::new("track_artists", s),
            album_artists: EntityCache::new("album_artists", s),
            playlists: EntityCache::new("playlists", s),
            genres: EntityCache::new("genres", s),
        }
    }

    fn invalidate_all(&self) {
        self.albums.cache.invalidate_all();
        self.artists.cache.invalidate_all();
        self.tracks.cache.invalidate_all();
        self.features.cache.invalidate_all();
        self.artist_genres.cache.invalidate_all();
        self.artist_aliases.cache.invalidate_all();
        self.track_genres.cache.invalidate_all();
        self.track_artists.cache.invalidate_all();
        self.album_artists.cache.invalidate_all();
        self.playlists.cache.invalidate_all();
        self.genres.cache.invalidate_all();
    }

    fn figures(&self) -> Vec<CacheFigures> {
        vec![
            self.albums.figures(),
            self.artists.figures(),
            self.tracks.figures(),
            self.features.figures(),
            self.artist_genres.figures(),
            self.artist_aliases.figures(),
            self.track_genres.figures(),
            self.track_artists.figures(),
            self.album_artists.figures(),
            self.playlists.figures(),
            self.genres.figures(),
        ]
    }
}

/// Every cache of one API instance and the generation they belong to. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Caches {
    pub entities: EntityCaches,
    pub responses: responses::ResponseCache,
    pub persisted: persisted::PersistedQueries,
    pub documents: documents::Documents,
    generation: Arc<AtomicU64>,
    /// The data version the caches hold data of; `i64::MIN` before the first check.
    version: Arc<AtomicI64>,
}

impl Caches {
    pub fn new(settings: &CacheSettings) -> Self {
        Self {
            entities: EntityCaches::new(settings),
            responses: responses::ResponseCache::new(settings),
            persisted: persisted::PersistedQueries::new(settings),
            documents: documents::Documents::new(),
            generation: Arc::default(),
            version: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    /// The current generation; data fetched now belongs to it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The generation counter, for [`EntityCache::put_many`].
    pub fn generation_counter(&self) -> &AtomicU64 {
        &self.generation
    }

    /// The data version the caches were last invalidated for: `None` before the first check,
    /// `Some(None)` for a database without a succeeded load run.
    pub fn version(&self) -> Option<Option<i64>> {
        match self.version.load(Ordering::Acquire) {
            i64::MIN => None,
            -1 => Some(None),
            v => Some(Some(v)),
        }
    }

    /// Starts a new generation for data version `version` and drops every cached entity and
    /// response. Persisted documents stay: a document does not depend on the data.
    pub fn invalidate(&self, version: Option<i64>) {
        self.version.store(version.unwrap_or(-1), Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entities.invalidate_all();
        self.responses.invalidate_all();
    }

    /// Figures of every cache, for metrics.
    pub fn figures(&self) -> Vec<CacheFigures> {
        let mut all = self.entities.figures();
        all.push(self.responses.figures());
        all.push(self.persisted.figures());
        all.push(self.documents.figures());
        all
    }
}
