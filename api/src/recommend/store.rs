//! The index the API answers from. A new index is built in the background (by
//! [`crate::freshness`]) and swapped in whole; queries keep the one they started with and never
//! wait for a rebuild. Only before the first build has finished do they wait, a bounded time.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::Index;
use crate::error::ApiError;

/// How long a query waits for the very first index before it is told to retry.
const FIRST_BUILD_WAIT: Duration = Duration::from_secs(10);

/// A shared handle on the current index. Cheap to clone.
#[derive(Clone, Debug)]
pub struct IndexStore {
    tx: Arc<watch::Sender<Option<Arc<Index>>>>,
}

impl Default for IndexStore {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::channel(None).0),
        }
    }
}

impl IndexStore {
    /// A store already holding `index`.
    pub fn with(index: Index) -> Self {
        let store = Self::default();
        store.swap(index);
        store
    }

    /// Makes `index` the current one.
    pub fn swap(&self, index: Index) {
        self.tx.send_replace(Some(Arc::new(index)));
    }

    /// Whether an index has been built.
    pub fn is_ready(&self) -> bool {
        self.tx.borrow().is_some()
    }

    /// The data version the current index was built from.
    pub fn version(&self) -> Option<Option<i64>> {
        self.tx.borrow().as_ref().map(|i| i.version)
    }

    /// The data version of the current index (-1 before the first build, 0 for none) and its
    /// tracks, for metrics.
    pub fn figures(&self) -> (i64, i64) {
        match self.tx.borrow().as_ref() {
            Some(i) => (
                i.version.unwrap_or(0),
                i64::try_from(i.track_count()).unwrap_or(i64::MAX),
            ),
            None => (-1, 0),
        }
    }

    /// The current index; before the first build, waits for it a bounded time.
    pub async fn current(&self) -> Result<Arc<Index>, ApiError> {
        if let Some(index) = self.tx.borrow().clone() {
            return Ok(index);
        }
        let mut rx = self.tx.subscribe();
        let ready = tokio::time::timeout(FIRST_BUILD_WAIT, rx.wait_for(Option::is_some)).await;
        match ready {
            Ok(Ok(index)) => index.clone().ok_or_else(not_ready),
            _ => Err(not_ready()),
        }
    }
}

fn not_ready() -> ApiError {
    ApiError::Unavailable(
        "the index of recommendations and names is still being built; retry in a few seconds"
            .into(),
    )
}
