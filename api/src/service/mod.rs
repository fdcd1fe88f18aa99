//! Database access for the API: functions that take a connection and return domain values
//! (entity models, pages, counts), with no GraphQL types. Everything here only reads.

pub mod analytics;
pub mod catalog;
pub mod page;
pub mod pipeline;
pub mod recommend;
pub mod relations;
pub mod search;
pub mod track_stats;

use entity::{RunStatus, load_run};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// A column as a qualified expression (`table.column`), for statements that join.
pub(crate) fn col<C: ColumnTrait>(c: C) -> Expr {
    Expr::col((c.entity_name(), c))
}

/// One value per audio feature from the columns of a result named as the features, in
/// [`entity::Feature::ALL`] order.
pub(crate) fn feature_values<T: sea_orm::TryGetable + Default + Copy>(
    res: &sea_orm::QueryResult,
    pre: &str,
) -> Result<[T; entity::Feature::COUNT], DbErr> {
    let mut values = [T::default(); entity::Feature::COUNT];
    for f in entity::Feature::ALL {
        values[f.index()] = res.try_get(pre, f.name())?;
    }
    Ok(values)
}

/// The latest load runs, newest first.
pub async fn load_runs(
    db: &impl ConnectionTrait,
    status: Option<RunStatus>,
    first: u64,
) -> Result<Vec<load_run::Model>, DbErr> {
    let mut q = load_run::Entity::find();
    if let Some(status) = status {
        q = q.filter(load_run::Column::Status.eq(status));
    }
    q.order_by_desc(load_run::Column::Id)
        .limit(first)
        .all(db)
        .await
}

/// The data version: the id of the latest load run that ended at a batch boundary (succeeded,
/// or cancelled on request), if any; exports, which write nothing to the catalog, do not count.
pub async fn data_version(db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    Ok(load_run::Entity::find()
        .filter(load_run::Column::Status.is_in([RunStatus::Succeeded, RunStatus::Cancelled]))
        .filter(load_run::Column::Kind.ne(entity::RunKind::Export))
        .order_by_desc(load_run::Column::Id)
        .one(db)
        .await?
        .map(|r| r.id))
}

/// Whether the catalog holds no track at all.
pub async fn catalog_is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(entity::track::Entity::find().count(db).await? == 0)
}

/// Whether a load run from `source` ever succeeded.
pub async fn loaded_from(db: &impl ConnectionTrait, source: &str) -> Result<bool, DbErr> {
    Ok(load_run::Entity::find()
        .filter(load_run::Column::Source.eq(source))
        .filter(load_run::Column::Status.eq(RunStatus::Succeeded))
        .count(db)
        .await?
        > 0)
}
