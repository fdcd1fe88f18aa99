//! The query root, split by domain and merged.

use async_graphql::{Context, ID, MergedObject, Object, OutputType, Result};
use sea_orm::FromQueryResult;
use sea_orm::sea_query::SelectStatement;

use super::connection::{Conn, Total, connection, db, load_by_id, load_in_order};
use super::inputs::{
    ArtistFilterInput, ArtistOrder, GenreOrder, PlaylistFilterInput, PlaylistOrder,
    TrackFilterInput, TrackOrder,
};
use super::load_run::{LoadRun, RunStatus};
use super::loader::{AlbumKey, ArtistKey, PlaylistKey, TrackKey};
use super::node::NodeType;
use super::types::{Album, Artist, Genre, Playlist, Track};
use crate::error::ApiError;
use crate::recommend::IndexStore;
use crate::service::page::{Ordering, PageArgs, check_first, fetch_page};
use crate::service::{self, catalog};

/// Every query Sixpotify answers.
#[derive(Default, MergedObject)]
pub struct QueryRoot(
    CatalogQuery,
    super::node::NodeQuery,
    SearchQuery,
    super::recommend::RecommendQuery,
    super::analytics::AnalyticsQuery,
    super::track_stats::TrackStatsQuery,
    OpsQuery,
);

/// Lookups and lists of the catalog.
#[derive(Default)]
pub struct CatalogQuery;

/// Lookups by id go through the DataLoader, and so through the entity caches.
#[Object]
impl CatalogQuery {
    /// An artist by id; null when there is none.
    async fn artist(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The artist's global id or `catalogId`.")] id: ID,
    ) -> Result<Option<Artist>> {
        let found = load_by_id(ctx, ArtistKey(NodeType::Artist.catalog_id(&id))).await?;
        Ok(found.map(Artist::new))
    }

    /// A track by id; null when there is none.
    async fn track(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The track's global id or `catalogId`.")] id: ID,
    ) -> Result<Option<Track>> {
        let found = load_by_id(ctx, TrackKey(NodeType::Track.catalog_id(&id))).await?;
        Ok(found.map(Track::new))
    }

    /// An album by id; null when there is none.
    async fn album(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The album's global id or `catalogId`.")] id: ID,
    ) -> Result<Option<Album>> {
        let found = load_by_id(ctx, AlbumKey(NodeType::Album.catalog_id(&id))).await?;
        Ok(found.map(Album))
    }

    /// A playlist by id; null when there is none.
    async fn playlist(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The playlist's global id or `catalogId`.")] id: ID,
    ) -> Result<Option<Playlist>> {
        let found = load_by_id(ctx, PlaylistKey(NodeType::Playlist.catalog_id(&id))).await?;
        Ok(found.map(Playlist))
    }

    /// Playlists, filtered and ordered (by name by default), a page at a time.
    async fn playlists(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Which playlists to list (by name, source, track, artist, entries or \
                    followers); every playlist when null."
        )]
        filter: Option<PlaylistFilterInput>,
        #[graphql(desc = "The order of the list; when null, by name, ascending (ties by id).")]
        order_by: Option<PlaylistOrder>,
    ) -> Result<Conn<Playlist>> {
        let (sort, desc) = PlaylistOrder::resolve(order_by);
        let ordering = catalog::playlist_ordering(sort, desc);
        let query = catalog::playlists_query(&filter.unwrap_or_default().check()?);
        list(ctx, query, &ordering, first, after, Playlist).await
    }

    /// Artists, filtered and ordered (most popular first by default), a page at a time.
    async fn artists(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Which artists to list (by name, genre, popularity or followers); every \
                    artist when null."
        )]
        filter: Option<ArtistFilterInput>,
        #[graphql(
            desc = "The order of the list; when null, by popularity, most popular first \
                    (ties by id)."
        )]
        order_by: Option<ArtistOrder>,
    ) -> Result<Conn<Artist>> {
        let (sort, desc) = ArtistOrder::resolve(order_by);
        let ordering = catalog::artist_ordering(sort, desc);
        let query = catalog::artists_query(&filter.unwrap_or_default().check()?);
        list(ctx, query, &ordering, first, after, Artist::new).await
    }

    /// Tracks, filtered and ordered (most popular first by default), a page at a time.
    async fn tracks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Which tracks to list (by name, genre, artist, playlist, popularity, \
                    release year or audio features); every track when null."
        )]
        filter: Option<TrackFilterInput>,
        #[graphql(
            desc = "The order of the list; when null, by popularity, most popular first \
                    (ties by id)."
        )]
        order_by: Option<TrackOrder>,
    ) -> Result<Conn<Track>> {
        let (sort, desc) = TrackOrder::resolve(order_by);
        let ordering = catalog::track_ordering(sort, desc);
        let query = catalog::tracks_query(&filter.unwrap_or_default().check()?, sort);
        list(ctx, query, &ordering, first, after, Track::new).await
    }

    /// Genres, by name unless ordered otherwise, a page at a time.
    async fn genres(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 50,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
        #[graphql(
            desc = "Part of the genre's id (its folded label), matched ignoring case and accents."
        )]
        name_contains: Option<String>,
        #[graphql(desc = "The order of the list; when null, by name, ascending (ties by id).")]
        order_by: Option<GenreOrder>,
    ) -> Result<Conn<Genre>> {
        let (sort, desc) = GenreOrder::resolve(order_by);
        let ordering = catalog::genre_ordering(sort, desc);
        let folded = name_contains.map(|n| entity::normalize::genre_id(&n));
        let query = catalog::genres_query(folded.as_deref());
        list(ctx, query, &ordering, first, after, Genre).await
    }
}

/// One page of a top-level list; its total is counted only when asked for.
async fn list<M: FromQueryResult, N: OutputType>(
    ctx: &Context<'_>,
    query: SelectStatement,
    ordering: &Ordering,
    first: i32,
    after: Option<String>,
    node: impl Fn(M) -> N,
) -> Result<Conn<N>> {
    let args = PageArgs::new(first, super::page_limit(ctx), after.as_deref(), ordering)?;
    let page = fetch_page(db(ctx), query.clone(), ordering, &args)
        .await
        .map_err(ApiError::from)?;
    Ok(connection(
        page,
        after.is_some(),
        Total::Query(Box::new(query)),
        node,
    ))
}

/// The longest search string, in characters: longer than any name in the catalog.
const MAX_SEARCH_CHARS: usize = 200;

fn check_search(query: &str) -> Result<()> {
    let chars = query.chars().count();
    if chars > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_input(format!(
            "`query` may be at most {MAX_SEARCH_CHARS} characters, not {chars}"
        ))
        .into());
    }
    Ok(())
}

/// Search by name.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Artists by name or alias, in any language: case, accents, width, spacing and punctuation
    /// do not matter ("black pink" finds BLACKPINK, "방탄소년단" finds BTS through its alias).
    /// Ranked: the exact name or alias, then names that start with the query (a partly typed
    /// Hangul syllable counts: "방탄소년다"), then names with a later word that does ("swift"),
    /// then names one typo away (queries of five letters or more: "blakpink", "방탄소년딘");
    /// within each, the more popular first. Korean initial consonants alone ("ㅂㅌㅅㄴㄷ") match
    /// Korean names. `matchedName` says which name matched.
    async fn search_artists(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The name to look for, at most 200 characters.")] query: String,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
    ) -> Result<Vec<Artist>> {
        let first = check_first(first, super::page_limit(ctx))?;
        check_search(&query)?;
        let index = ctx.data_unchecked::<IndexStore>().current().await?;
        let found = index.search().artists(&query, first as usize);
        drop(index);
        load_in_order(
            ctx,
            found,
            |m| ArtistKey(m.id.clone()),
            |m, model: entity::artist::Model| {
                let matched = m.alias.unwrap_or_else(|| model.name.clone());
                Artist(model, Some(matched))
            },
        )
        .await
    }

    /// Tracks by name, ranked like `searchArtists`.
    async fn search_tracks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The name to look for, at most 200 characters.")] query: String,
        #[graphql(
            default = 10,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
    ) -> Result<Vec<Track>> {
        let first = check_first(first, super::page_limit(ctx))?;
        check_search(&query)?;
        let index = ctx.data_unchecked::<IndexStore>().current().await?;
        let found = index.search().tracks(&query, first as usize);
        drop(index);
        load_in_order(
            ctx,
            found,
            |m| TrackKey(m.id.clone()),
            |_, model: entity::track::Model| {
                let matched = model.name.clone();
                Track(model, matched)
            },
        )
        .await
    }
}

/// What was loaded and when.
#[derive(Default)]
pub struct OpsQuery;

#[Object]
impl OpsQuery {
    /// Loader runs, newest first. Never cached: a run's record changes while it runs.
    #[graphql(cache_control(no_cache))]
    async fn load_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(desc = "Only runs with this status; runs of every status when null.")]
        status: Option<RunStatus>,
    ) -> Result<Vec<LoadRun>> {
        let first = check_first(first, super::page_limit(ctx))?;
        let runs = service::load_runs(db(ctx), status.map(Into::into), first)
            .await
            .map_err(ApiError::from)?;
        Ok(runs.into_iter().map(LoadRun).collect())
    }

    /// The id of the latest load run that succeeded (or was cancelled between batches): it
    /// changes whenever new data lands. Never cached: it is what clients poll to see changes.
    #[graphql(cache_control(no_cache))]
    async fn data_version(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        let v = service::data_version(db(ctx))
            .await
            .map_err(ApiError::from)?;
        Ok(v.map(|v| ID(v.to_string())))
    }
}
