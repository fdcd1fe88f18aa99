//! Apollo's automatic persisted queries: a client sends
//! `extensions.persistedQuery = { version: 1, sha256Hash }` without the document; if the
//! server knows the hash it runs the document, otherwise it answers
//! `PERSISTED_QUERY_NOT_FOUND` and the client sends the document with the hash once, which
//! registers it.

use std::sync::Arc;

use async_graphql::Value;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::{CacheFigures, CacheSettings, Counts};

/// Why a persisted query cannot be run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PersistedError {
    /// The hash is unknown: send the document with it.
    #[error("PersistedQueryNotFound")]
    NotFound,
    /// The document sent does not have the hash sent with it.
    #[error("persistedQuery.sha256Hash does not match the SHA-256 of the query")]
    HashMismatch,
    #[error("persistedQuery must be {{ version: 1, sha256Hash: \"<64 hex digits>\" }}")]
    Malformed,
}

impl PersistedError {
    /// The code in `extensions.code`, as Apollo clients expect it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => crate::codes::PERSISTED_QUERY_NOT_FOUND,
            Self::HashMismatch | Self::Malformed => crate::codes::BAD_USER_INPUT,
        }
    }
}

/// Documents by the lower-case hex SHA-256 of their text, bounded by bytes.
#[derive(Clone, Debug)]
pub struct PersistedQueries {
    cache: Cache<String, Arc<str>>,
    counts: Arc<Counts>,
}

impl PersistedQueries {
    pub fn new(settings: &CacheSettings) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(settings.persisted_bytes)
                .weigher(|k: &String, v: &Arc<str>| {
                    u32::try_from(k.len() + v.len()).unwrap_or(u32::MAX)
                })
                .build(),
            counts: Arc::default(),
        }
    }

    /// Fills in `request.query` from the store when the request names a persisted query
    /// without its document, and registers the document when it comes with its hash. A
    /// request without `persistedQuery` is left alone.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), PersistedError> {
        let Some(pq) = request.extensions.get("persistedQuery") else {
            return Ok(());
        };
        let hash = match pq {
            Value::Object(o) => {
                let version_ok =
                    matches!(o.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
                match o.get("sha256Hash") {
                    Some(Value::String(h))
                        if version_ok
                            && h.len() == 64
                            && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        h.to_ascii_lowercase()
                    }
                    _ => return Err(PersistedError::Malformed),
                }
            }
            _ => return Err(PersistedError::Malformed),
        };
        if request.query.is_empty() {
            match self.cache.get(&hash) {
                Some(doc) => {
                    self.counts.hit();
                    request.query = doc.to_string();
                    Ok(())
                }
                None => {
                    self.counts.miss();
                    Err(PersistedError::NotFound)
                }
            }
        } else if sha256_hex(&request.query) == hash {
            self.cache.insert(hash, Arc::from(request.query.as_str()));
            Ok(())
        } else {
            Err(PersistedError::HashMismatch)
        }
    }

    pub(super) fn figures(&self) -> CacheFigures {
        self.cache.run_pending_tasks();
        CacheFigures {
            name: "persisted_queries",
            hits: self.counts.hits(),
            misses: self.counts.misses(),
            entries: self.cache.entry_count(),
            bytes: self.cache.weighted_size(),
        }
    }
}

/// The lower-case hex SHA-256 of a document, as APQ clients compute it.
pub fn sha256_hex(doc: &str) -> String {
    Sha256::digest(doc.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
