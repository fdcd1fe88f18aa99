//! Keeping one API instance current: every poll interval it reads the data version (the id of
//! the latest succeeded load run). When the version changed, it drops its caches at once (new
//! data is served from then on), rebuilds the index (recommendations and search) in the background, swaps it
//! in, and drops the caches again (responses computed during the rebuild used the old index).
//! Replicas need nothing else to agree: each follows the database on its own.

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tracing::{info, warn};

use crate::cache::Caches;
use crate::recommend::IndexStore;

/// Follows the data version until the runtime stops. The first pass runs at once and builds
/// the first index.
pub fn follow(
    db: DatabaseConnection,
    interval: Duration,
    index: IndexStore,
    caches: Caches,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(crate::stats::background(async move {
        loop {
            match crate::service::data_version(&db).await {
                Ok(version) => {
                    if caches.version() != Some(version) {
                        if caches.version().is_some() {
                            info!(version, "data version changed; caches dropped");
                        }
                        caches.invalidate(version);
                    }
                    if index.version() != Some(version) {
                        match rebuild(&db, &index).await {
                            Ok(()) => caches.invalidate(version),
                            Err(e) => warn!(
                                error = %e,
                                "could not build the index; keeping the current one"
                            ),
                        }
                    }
                }
                Err(e) => warn!(error = %e, "could not read the data version"),
            }
            tokio::time::sleep(interval).await;
        }
    }))
}

/// Builds an index from the database now and swaps it in; the current one serves queries
/// meanwhile, and stays when the build fails.
async fn rebuild(db: &DatabaseConnection, store: &IndexStore) -> Result<(), sea_orm::DbErr> {
    let started = Instant::now();
    let version = crate::service::data_version(db).await?;
    let mut index = crate::service::recommend::load_index(db).await?;
    index.set_search(crate::service::search::load_search_index(db).await?);
    index.version = version;
    info!(
        version,
        tracks = index.track_count(),
        artists = index.artist_count(),
        artist_names = index.search().artists.len(),
        track_names = index.search().tracks.len(),
        heap_bytes = index.heap_bytes(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "index built"
    );
    store.swap(index);
    Ok(())
}
