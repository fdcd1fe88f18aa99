//! Whole responses of queries, as the bytes sent to clients. A hit skips parsing, validation,
//! execution and serialisation.

use std::sync::Arc;

use actix_web::web::Bytes;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::normalize::normalize;
use super::{CacheFigures, CacheSettings, Counts};

/// What identifies a request's answer: the SHA-256 of the generation, the normalised document,
/// the operation name and the variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResponseKey(pub [u8; 32]);

impl ResponseKey {
    /// The key of a request in a generation of the caches.
    pub fn new(
        generation: u64,
        query: &str,
        operation_name: Option<&str>,
        variables: &[u8],
    ) -> Self {
        Self::of(&[
            &generation.to_le_bytes(),
            normalize(query).as_bytes(),
            operation_name.unwrap_or("").as_bytes(),
            variables,
        ])
    }

    /// SHA-256 over length-prefixed parts, so that no two lists of parts collide by
    /// concatenation.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        Self(h.finalize().into())
    }

    /// The first `n` bytes as lower-case hex.
    pub fn hex(&self, n: usize) -> String {
        self.0[..n.min(32)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A response as cached.
#[derive(Debug)]
pub struct CachedResponse {
    /// The serialised JSON body.
    pub body: Bytes,
    /// The `Cache-Control` value the response was sent with.
    pub cache_control: Option<String>,
    /// The operation name metrics count a hit under.
    pub operation: Option<String>,
}

/// The response cache, bounded by the bytes of the bodies it holds.
#[derive(Clone, Debug)]
pub struct ResponseCache {
    cache: Option<Cache<ResponseKey, Arc<CachedResponse>>>,
    counts: Arc<Counts>,
}

impl ResponseCache {
    pub fn new(settings: &CacheSettings) -> Self {
        let cache = (settings.response_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(settings.response_bytes)
                .weigher(|_k, v: &Arc<CachedResponse>| {
                    u32::try_from(v.body.len() + 64).unwrap_or(u32::MAX)
                })
                .time_to_live(settings.response_ttl)
                .build()
        });
        Self {
            cache,
            counts: Arc::default(),
        }
    }

    /// Whether responses are cached at all.
    pub fn enabled(&self) -> bool {
        self.cache.is_some()
    }

    pub fn get(&self, key: &ResponseKey) -> Option<Arc<CachedResponse>> {
        let found = match &self.cache {
            Some(c) => c.get(key),
            None => None,
        };
        if found.is_some() {
            self.counts.hit();
        } else {
            self.counts.miss();
        }
        found
    }

    /// Looks up a key that is only a shortcut to another (the raw bytes of a request): a hit
    /// counts, a miss does not, since the request is then looked up by its real key.
    pub fn peek(&self, key: &ResponseKey) -> Option<Arc<CachedResponse>> {
        let found = self.cache.as_ref().and_then(|c| c.get(key));
        if found.is_some() {
            self.counts.hit();
        }
        found
    }

    /// Stores a response under its key and, when given, under the raw bytes of the request
    /// too. A response reached by two keys counts twice against the bound.
    pub fn put(&self, key: ResponseKey, raw: Option<ResponseKey>, response: CachedResponse) {
        if let Some(c) = &self.cache {
            let response = Arc::new(response);
            if let Some(raw) = raw {
                c.insert(raw, response.clone());
            }
            c.insert(key, response);
        }
    }

    /// Makes `raw` a shortcut to a response already cached under its real key.
    pub fn alias(&self, raw: ResponseKey, response: Arc<CachedResponse>) {
        if let Some(c) = &self.cache {
            c.insert(raw, response);
        }
    }

    pub(super) fn invalidate_all(&self) {
        if let Some(c) = &self.cache {
            c.invalidate_all();
        }
    }

    pub(super) fn figures(&self) -> CacheFigures {
        if let Some(c) = &self.cache {
            c.run_pending_tasks();
        }
        CacheFigures {
            name: "responses",
            hits: self.counts.hits(),
            misses: self.counts.misses(),
            entries: self.cache.as_ref().map_or(0, Cache::entry_count),
            bytes: self.cache.as_ref().map_or(0, Cache::weighted_size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_generation_operation_and_variables_but_not_by_spacing() {
        let k = |g, q, op, v: &str| ResponseKey::new(g, q, op, v.as_bytes());
        let base = k(1, "{ a }", None, "{}");
        assert_eq!(base, k(1, "{a}", None, "{}"));
        assert_ne!(base, k(2, "{ a }", None, "{}"));
        assert_ne!(base, k(1, "{ a }", Some("A"), "{}"));
        assert_ne!(base, k(1, "{ a }", None, r#"{"x":1}"#));
        assert_ne!(
            ResponseKey::of(&[b"ab", b"c"]),
            ResponseKey::of(&[b"a", b"bc"])
        );
    }
}
