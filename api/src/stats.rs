//! Counting the SQL statements the API runs for requests, for tests that bound them and for
//! metrics. Background work (following the data version, building the recommendation index)
//! runs inside [`background`] and is not counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;

/// A shared count of executed statements.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Counts every statement run through `db` and through clones made after this call.
    pub fn install(db: &mut DatabaseConnection) -> Self {
        let counter = Self::default();
        let inner = counter.0.clone();
        db.set_metric_callback(move |_info| {
            if BACKGROUND.try_with(|_| ()).is_err() {
                inner.fetch_add(1, Ordering::Relaxed);
            }
        });
        counter
    }

    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `work` as background work: its statements are not counted as requests' statements.
pub async fn background<F: std::future::Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}
