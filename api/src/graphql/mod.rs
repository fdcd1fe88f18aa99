//! The GraphQL schema: types, inputs, the query root and the DataLoader behind relations.
//! [`build_schema`] needs no HTTP, so tests can execute queries directly.

pub mod analytics;
pub mod codes;
pub mod connection;
pub mod features;
pub mod inputs;
pub mod limits;
pub mod load_run;
pub mod loader;
pub mod node;
pub mod query;
pub mod ranges;
pub mod recommend;
pub mod traces;
pub mod track_stats;
pub mod types;

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;
use tracing::Instrument as _;

use self::connection::Conn;
use self::loader::CatalogLoader;
use self::query::QueryRoot;
use self::track_stats::GroupConn;
use self::types::{Album, Artist, Genre, Playlist, PlaylistEntry, Track};

/// The schema type.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Keys one loader batch may hold: enough for a full page of parents each with a full page of
/// children at the default page size (100 × 100), so that such a query is still one statement
/// per relation.
const MAX_BATCH: usize = 10_000;

/// How many times a batch lets the executor run other tasks before it loads.
///
/// Resolvers of a list register their keys over several executor turns (a large list yields
/// every few dozen items), so a batch that fired on a timer would catch some keys and leave the
/// rest to a second statement, depending on machine speed. Instead, a batch waits a number of
/// turns: each `yield_now` lets the requesting task register another slice of keys, and once it
/// waits on the batch, the remaining turns pass at once on an idle executor. The number of
/// statements then depends on the query's shape only.
///
/// On a busy executor every turn waits for the other requests' tasks, so turns cost latency
/// under load: 32 turns put the p99 of a lookup by id at about 100 ms with 64 connections. One
/// turn already suffices for the foundation's nested query at `first: 100`; four leave a margin.
const SETTLE_TURNS: usize = 4;

/// What the schema enforces itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchemaOptions {
    /// The largest `first` of a list.
    pub max_page_size: i32,
    /// Whether introspection queries are answered.
    pub introspection: bool,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            max_page_size: 100,
            introspection: true,
        }
    }
}

/// The largest page a list may return, as the resolvers read it from the schema's data.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageLimit(pub i32);

/// The page limit of the schema `ctx` runs in.
pub(crate) fn page_limit(ctx: &async_graphql::Context<'_>) -> i32 {
    ctx.data_opt::<PageLimit>()
        .map_or(SchemaOptions::default().max_page_size, |l| l.0)
}

/// The description of the connection type of a list of `$items`.
macro_rules! page_of {
    ($items:literal) => {
        concat!(
            "A page of ",
            $items,
            ": `edges` (each with its cursor) or `nodes`, `pageInfo` to fetch the next page, \
             and `totalCount` across all pages."
        )
    };
}

/// The schema's builder, with descriptions of the types async-graphql generates without one
/// (the connections).
fn schema_builder() -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
        .override_output_type_description::<Conn<Album>>(page_of!("albums"))
        .override_output_type_description::<Conn<Artist>>(page_of!("artists"))
        .override_output_type_description::<Conn<Genre>>(page_of!("genres"))
        .override_output_type_description::<Conn<Playlist>>(page_of!("playlists"))
        .override_output_type_description::<Conn<PlaylistEntry>>(page_of!("playlist entries"))
        .override_output_type_description::<Conn<Track>>(page_of!("tracks"))
        .override_output_type_description::<GroupConn>(page_of!("track groups"))
}

/// The schema in GraphQL's SDL, as `api/schema.graphql` holds it (`sixpotify-api schema`
/// prints it; a test compares the two).
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The schema over `db`, answering recommendations from the index in `index`, loading
/// entities through `caches`.
pub fn build_schema(
    db: DatabaseConnection,
    index: crate::recommend::IndexStore,
    caches: crate::cache::Caches,
    options: SchemaOptions,
) -> AppSchema {
    // While spans are exported, a batch runs in the span of the field that started it, so that
    // its statements' spans (see `loader`) are children of the request's execution.
    let spawn_settled = |batch: futures_util::future::BoxFuture<'static, ()>| {
        let settled = async move {
            for _ in 0..SETTLE_TURNS {
                tokio::task::yield_now().await;
            }
            batch.await;
        };
        if entity::telemetry::exporting() {
            tokio::spawn(settled.instrument(tracing::Span::current()))
        } else {
            tokio::spawn(settled)
        }
    };
    let loader = DataLoader::new(
        CatalogLoader {
            db: db.clone(),
            caches,
        },
        spawn_settled,
    )
    .max_batch_size(MAX_BATCH)
    .delay(Duration::ZERO);
    let builder = schema_builder()
        .data(db)
        .data(loader)
        .data(index)
        .data(PageLimit(options.max_page_size));
    // Validation and execution get spans of their own ([`traces`]) only while spans are
    // exported: the engine's hooks cost every field a slower path.
    let builder = if entity::telemetry::exporting() {
        builder.extension(traces::Stages)
    } else {
        builder
    };
    if options.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}
