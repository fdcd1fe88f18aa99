//! Search by name: case-, accent-, width-, spacing- and punctuation-insensitive, through the
//! folded `search_key` columns the loader fills. Exact matches rank first, then prefixes, then
//! other substrings; within a rank, the more popular and the shorter name first.

use entity::normalize::search_key;
use entity::{artist, track};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Order, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryOrder, QuerySelect,
    QueryTrait,
};

use super::catalog::escape_like;

fn ranked(
    mut stmt: SelectStatement,
    key: impl ColumnTrait,
    popularity: impl ColumnTrait,
    id: impl ColumnTrait,
    folded: &str,
    first: u64,
) -> SelectStatement {
    let key = Expr::col((key.entity_name(), key));
    let escaped = escape_like(folded);
    let rank = Expr::case(key.clone().eq(folded.to_owned()), 0)
        .case(
            key.clone()
                .like(LikeExpr::new(format!("{escaped}%")).escape('!')),
            1,
        )
        .finally(2);
    let length = Func::char_length(key.clone());
    stmt.and_where(key.like(LikeExpr::new(format!("%{escaped}%")).escape('!')))
        .order_by_expr(rank.into(), Order::Asc)
        .order_by_expr(
            Expr::col((popularity.entity_name(), popularity)),
            Order::Desc,
        )
        .order_by_expr(length.into(), Order::Asc)
        .order_by_expr(Expr::col((id.entity_name(), id)), Order::Asc)
        .limit(first);
    stmt
}

async fn run<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    stmt: &SelectStatement,
) -> Result<Vec<M>, DbErr> {
    db.query_all(stmt)
        .await?
        .iter()
        .map(|row| M::from_query_result(row, ""))
        .collect()
}

/// Artists whose name matches `query`, best first. A query that folds to nothing finds nothing.
pub async fn search_artists(
    db: &impl ConnectionTrait,
    query: &str,
    first: u64,
) -> Result<Vec<artist::Model>, DbErr> {
    let folded = search_key(query);
    if folded.is_empty() || first == 0 {
        return Ok(Vec::new());
    }
    let stmt = ranked(
        artist::Entity::find().into_query(),
        artist::Column::SearchKey,
        artist::Column::Popularity,
        artist::Column::Id,
        &folded,
        first,
    );
    run(db, &stmt).await
}

/// Tracks whose name matches `query`, best first.
pub async fn search_tracks(
    db: &impl ConnectionTrait,
    query: &str,
    first: u64,
) -> Result<Vec<track::Model>, DbErr> {
    let folded = search_key(query);
    if folded.is_empty() || first == 0 {
        return Ok(Vec::new());
    }
    let stmt = ranked(
        track::Entity::find().into_query(),
        track::Column::SearchKey,
        track::Column::Popularity,
        track::Column::Id,
        &folded,
        first,
    );
    run(db, &stmt).await
}

/// Every artist's search key and display name, most popular first (ties by id): what the
/// chatbot suggests names from.
pub async fn artist_names(db: &impl ConnectionTrait) -> Result<Vec<(String, String)>, DbErr> {
    #[derive(FromQueryResult)]
    struct Name {
        search_key: String,
        name: String,
    }
    let rows = artist::Entity::find()
        .select_only()
        .column(artist::Column::SearchKey)
        .column(artist::Column::Name)
        .order_by_desc(artist::Column::Popularity)
        .order_by_asc(artist::Column::Id)
        .into_model::<Name>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.search_key, r.name)).collect())
}
