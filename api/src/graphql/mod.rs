//! The GraphQL schema: types, inputs, the query root and the DataLoader behind relations.
//! [`build_schema`] needs no HTTP, so tests can execute queries directly.

pub mod inputs;
pub mod loader;
pub mod query;
pub mod types;

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use self::loader::CatalogLoader;
use self::query::QueryRoot;

/// The schema type.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Keys one loader batch may hold: enough for a full page of parents each with a full page of
/// children (100 × 100), so that such a query is still one statement per relation.
const MAX_BATCH: usize = 10_000;

/// Builds the schema over a database connection.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    let loader = DataLoader::new(CatalogLoader { db: db.clone() }, tokio::spawn)
        .max_batch_size(MAX_BATCH)
        .delay(Duration::from_millis(1));
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .data(db)
        .data(loader)
        .finish()
}
