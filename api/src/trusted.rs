//! Trusted documents: with `--trusted-documents FILE`, only the documents of a manifest run.
//!
//! The manifest maps the SHA-256 of each document to its text, in either format clients'
//! tooling emits: GraphQL Code Generator's client preset (`persisted-documents.json`, an
//! object `{ "<sha256>": "<document>" }`) or Apollo's persisted query manifest (`{ "format":
//! "apollo-persisted-query-manifest", "operations": [{ "id", "body", … }] }`). A request names
//! its document by hash (`documentId`, as `sha256:<hex>` or bare, or Apollo's
//! `extensions.persistedQuery.sha256Hash`) or sends its full text, which must hash to one of
//! them. Anything else is refused before it is parsed: an unknown hash with
//! `PERSISTED_QUERY_NOT_FOUND`, a text not in the manifest with `PERSISTED_QUERY_NOT_IN_LIST`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_graphql::Value;

use crate::cache::persisted::sha256_hex;
use crate::codes;
use crate::error::ApiError;

/// The extension under which a request's `documentId` travels from the protocol layer.
pub const DOCUMENT_ID: &str = "documentId";

/// The documents of a manifest, by the lower-case hex SHA-256 of their text.
#[derive(Clone, Debug, Default)]
pub struct TrustedDocuments {
    by_hash: HashMap<String, Arc<str>>,
}

/// Why a request is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A hash the manifest does not hold.
    #[error("no trusted document has this hash")]
    UnknownHash,
    /// A document whose hash the manifest does not hold.
    #[error("only trusted documents run on this server, and this one is not among them")]
    NotInList,
    /// A request that names neither a hash nor a document.
    #[error("a request names a trusted document by `documentId` or sends its text as `query`")]
    Missing,
}

impl Refusal {
    /// The code in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownHash => codes::PERSISTED_QUERY_NOT_FOUND,
            Self::NotInList | Self::Missing => codes::PERSISTED_QUERY_NOT_IN_LIST,
        }
    }
}

/// A hash as a request may write it: `sha256:<hex>` or bare hex, any case.
fn hash_of(id: &str) -> Option<String> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

impl TrustedDocuments {
    /// Reads a manifest, in either format; every hash must be its document's.
    pub fn load(path: &Path) -> Result<Self, ApiError> {
        let text = std::fs::read_to_string(path).map_err(|source| ApiError::Io {
            action: "read the trusted documents manifest",
            target: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|e| ApiError::Config(format!("{}: {e}", path.display())))
    }

    /// A manifest from its JSON text.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let pairs: Vec<(String, String)> = match &value {
            serde_json::Value::Object(o) if o.contains_key("operations") => o["operations"]
                .as_array()
                .ok_or("`operations` is not a list")?
                .iter()
                .map(|op| match (op["id"].as_str(), op["body"].as_str()) {
                    (Some(id), Some(body)) => Ok((id.to_owned(), body.to_owned())),
                    _ => Err("an operation without a string `id` and `body`".to_owned()),
                })
                .collect::<Result<_, _>>()?,
            serde_json::Value::Object(o) => o
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(doc) => Ok((k.clone(), doc.to_owned())),
                    None => Err(format!("the document of {k} is not a string")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("expected an object of hashes to documents".into()),
        };
        let mut by_hash = HashMap::with_capacity(pairs.len());
        for (id, doc) in pairs {
            let hash = hash_of(&id).ok_or_else(|| format!("{id} is not a SHA-256 hash"))?;
            if sha256_hex(&doc) != hash {
                return Err(format!("{id} is not the SHA-256 of its document"));
            }
            by_hash.insert(hash, Arc::from(doc.as_str()));
        }
        Ok(Self { by_hash })
    }

    /// How many documents the manifest holds.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the manifest holds no document.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Fills in `request.query` from the manifest when the request names a document by hash,
    /// and accepts a full text only when its hash is in the manifest.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), Refusal> {
        let named = request
            .extensions
            .get(DOCUMENT_ID)
            .map(|v| match v {
                Value::String(id) => hash_of(id),
                _ => None,
            })
            .or_else(|| {
                request.extensions.get("persistedQuery").map(|pq| match pq {
                    Value::Object(o) => match o.get("sha256Hash") {
                        Some(Value::String(h)) => hash_of(h),
                        _ => None,
                    },
                    _ => None,
                })
            });
        match named {
            Some(Some(hash)) => {
                let doc = self.by_hash.get(&hash).ok_or(Refusal::UnknownHash)?;
                if request.query.is_empty() {
                    request.query = doc.to_string();
                } else if **doc != *request.query {
                    return Err(Refusal::NotInList);
                }
                Ok(())
            }
            Some(None) => Err(Refusal::UnknownHash),
            None if request.query.is_empty() => Err(Refusal::Missing),
            None if self.by_hash.contains_key(&sha256_hex(&request.query)) => Ok(()),
            None => Err(Refusal::NotInList),
        }
    }

    /// The manifest of `documents`, in the client preset's format, keys sorted.
    pub fn manifest<'a>(documents: impl IntoIterator<Item = &'a str>) -> String {
        let map: std::collections::BTreeMap<String, &str> =
            documents.into_iter().map(|d| (sha256_hex(d), d)).collect();
        let mut out = serde_json::to_string_pretty(&map).unwrap_or_default();
        out.push('\n');
        out
    }
}

/// The manifest the project ships as `api/trusted-documents.json`: every document the
/// dashboard sends and the chatbot webhook's query (`sixpotify-api trusted-documents` prints
/// it; a test compares the two).
pub fn shipped_manifest() -> String {
    let dashboard = crate::dashboard::documents();
    TrustedDocuments::manifest(
        dashboard
            .values()
            .map(String::as_str)
            .chain([crate::chatbot::lookup::QUERY]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{ catalogStats { tracks } }";

    fn request(query: &str, ext: &[(&str, Value)]) -> async_graphql::Request {
        let mut r = async_graphql::Request::new(query);
        for (k, v) in ext {
            r.extensions.insert((*k).to_owned(), v.clone());
        }
        r
    }

    #[test]
    fn a_listed_document_runs_by_hash_or_by_text_and_nothing_else_does() {
        let trusted = TrustedDocuments::parse(&TrustedDocuments::manifest([DOC])).unwrap();
        let hash = sha256_hex(DOC);
        let mut by_id = request(
            "",
            &[(DOCUMENT_ID, Value::String(format!("sha256:{hash}")))],
        );
        assert_eq!(trusted.resolve(&mut by_id), Ok(()));
        assert_eq!(by_id.query, DOC);
        let mut by_text = request(DOC, &[]);
        assert_eq!(trusted.resolve(&mut by_text), Ok(()));
        let mut apq = request(
            "",
            &[(
                "persistedQuery",
                Value::from_json(serde_json::json!({ "version": 1, "sha256Hash": hash })).unwrap(),
            )],
        );
        assert_eq!(trusted.resolve(&mut apq), Ok(()));
        assert_eq!(apq.query, DOC);

        let mut other = request("{ catalogStats { artists } }", &[]);
        assert_eq!(trusted.resolve(&mut other), Err(Refusal::NotInList));
        let unknown = sha256_hex("{ x }");
        let mut unknown = request("", &[(DOCUMENT_ID, Value::String(unknown))]);
        assert_eq!(trusted.resolve(&mut unknown), Err(Refusal::UnknownHash));
        // A known hash with another text is not a way in.
        let mut swapped = request("{ x }", &[(DOCUMENT_ID, Value::String(hash))]);
        assert_eq!(trusted.resolve(&mut swapped), Err(Refusal::NotInList));
    }

    #[test]
    fn apollo_manifests_are_read_and_wrong_hashes_refused() {
        let apollo = serde_json::json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": sha256_hex(DOC), "name": "Stats", "type": "query", "body": DOC }],
        });
        assert_eq!(
            TrustedDocuments::parse(&apollo.to_string()).unwrap().len(),
            1
        );
        let wrong = serde_json::json!({ sha256_hex("{ x }"): DOC });
        assert!(TrustedDocuments::parse(&wrong.to_string()).is_err());
        assert!(TrustedDocuments::parse("[]").is_err());
    }
}
