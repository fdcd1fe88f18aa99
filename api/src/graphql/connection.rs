//! What the object types and query roots share: the context's database and DataLoader, loads
//! by id that take the entity caches first, and Relay connections with their lazy totals.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, OutputType, Result};
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::SelectStatement;

use super::loader::{ById, CatalogLoader, CountKey, LoadError, PagedKey};
use crate::error::ApiError;
use crate::service::page::{Ordering, Page, PageArgs, count};
use crate::service::relations::CountOf;

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> &'a DataLoader<CatalogLoader> {
    ctx.data_unchecked::<DataLoader<CatalogLoader>>()
}

/// The value of a by-id key: from the entity caches when they hold it, else through the
/// DataLoader, batched with the other lookups of the moment.
pub(crate) async fn load_by_id<K>(ctx: &Context<'_>, key: K) -> Result<Option<K::Value>>
where
    K: ById,
    CatalogLoader: Loader<K, Value = K::Value, Error = LoadError>,
{
    let loader = loader(ctx);
    if let Some(v) = key.cached(&loader.loader().caches) {
        return Ok(Some(v));
    }
    Ok(loader.load_one(key).await.map_err(ApiError::from)?)
}

/// Loads `items`' entities by key, in the items' order; an item whose entity is gone (deleted
/// since the index was built) is left out. Cached entities are taken at once; the rest come
/// through the DataLoader in one batch.
pub(crate) async fn load_in_order<T, K, R>(
    ctx: &Context<'_>,
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
    make: impl Fn(T, K::Value) -> R,
) -> Result<Vec<R>>
where
    K: ById,
    CatalogLoader: Loader<K, Value = K::Value, Error = LoadError>,
{
    let loader = loader(ctx);
    let caches = &loader.loader().caches;
    let mut found = HashMap::new();
    let mut missing = Vec::new();
    let items: Vec<(T, K)> = items
        .into_iter()
        .map(|item| {
            let k = key(&item);
            match k.cached(caches) {
                Some(v) => {
                    found.insert(k.clone(), v);
                }
                None => missing.push(k.clone()),
            }
            (item, k)
        })
        .collect();
    if !missing.is_empty() {
        found.extend(loader.load_many(missing).await.map_err(ApiError::from)?);
    }
    Ok(items
        .into_iter()
        .filter_map(|(item, k)| found.remove(&k).map(|v| make(item, v)))
        .collect())
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// A list's total, computed only when the client asks for it.
pub enum Total {
    /// The rows of a filtered top-level list.
    Query(Box<SelectStatement>),
    /// A relation of one parent, counted in a batch with its siblings.
    Relation(CountKey),
}

#[Object]
impl Total {
    /// How many items the whole list holds, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match self {
            Self::Query(stmt) => Ok(count(db(ctx), stmt).await.map_err(ApiError::from)?),
            Self::Relation(key) => Ok(loader(ctx)
                .load_one(key.clone())
                .await
                .map_err(ApiError::from)?
                .unwrap_or(0)),
        }
    }
}

/// A Relay connection whose edges hold `N`.
pub type Conn<N> = Connection<String, N, Total>;

/// Turns a page into a connection.
pub fn connection<M, N: OutputType>(
    page: Page<M>,
    after_given: bool,
    total: Total,
    node: impl Fn(M) -> N,
) -> Conn<N> {
    let mut conn = Connection::with_additional_fields(after_given, page.has_next, total);
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|(m, cursor)| Edge::new(cursor, node(m))),
    );
    conn
}

/// One page of a paged relation of one parent, loaded in a batch with its siblings.
pub(crate) async fn nested<K, M, N: OutputType>(
    ctx: &Context<'_>,
    key: impl FnOnce(PagedKey) -> K,
    (id, of): (&str, CountOf),
    (first, after): (i32, Option<String>),
    ordering: &Ordering,
    node: impl Fn(M) -> N,
) -> Result<Conn<N>>
where
    K: Clone + Eq + std::hash::Hash + Send + Sync + 'static,
    CatalogLoader: Loader<K, Value = Page<M>, Error = LoadError>,
    M: Clone + Send + Sync + 'static,
{
    let paged = PagedKey {
        id: id.to_owned(),
        args: PageArgs::new(first, super::page_limit(ctx), after.as_deref(), ordering)?,
    };
    let page = loader(ctx)
        .load_one(key(paged))
        .await
        .map_err(ApiError::from)?
        .unwrap_or_default();
    let total = Total::Relation(CountKey {
        of,
        id: id.to_owned(),
    });
    Ok(connection(page, after.is_some(), total, node))
}
