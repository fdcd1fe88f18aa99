//! Parsed documents by the SHA-256 of their text. Dashboards and chatbots send a few documents
//! with many variables; parsing is a good part of executing a small query, and a parsed
//! document does not depend on the data, so these are never dropped for a new data version.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use moka::sync::Cache;

use super::responses::ResponseKey;
use super::{CacheFigures, Counts};

/// Documents kept at most.
const DOCUMENTS: u64 = 10_000;

/// The parsed-document cache.
#[derive(Clone)]
pub struct Documents {
    cache: Cache<ResponseKey, Arc<ExecutableDocument>>,
    counts: Arc<Counts>,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents").finish_non_exhaustive()
    }
}

impl Documents {
    pub fn new() -> Self {
        Self {
            cache: Cache::new(DOCUMENTS),
            counts: Arc::default(),
        }
    }

    /// Gives `request` its parsed document, from the cache or parsed now and cached. A document
    /// that does not parse is left for execution to report.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        let key = ResponseKey::of(&[request.query.as_bytes()]);
        if let Some(doc) = self.cache.get(&key) {
            self.counts.hit();
            request.set_parsed_query((*doc).clone());
            return;
        }
        self.counts.miss();
        if let Ok(doc) = request.parsed_query() {
            self.cache.insert(key, Arc::new(doc.clone()));
        }
    }

    pub(super) fn figures(&self) -> CacheFigures {
        self.cache.run_pending_tasks();
        CacheFigures {
            name: "documents",
            hits: self.counts.hits(),
            misses: self.counts.misses(),
            entries: self.cache.entry_count(),
            bytes: self.cache.weighted_size(),
        }
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new()
    }
}
