//! What search is built from: every artist's name, every alias (with its artist's popularity)
//! and every track's name, streamed into a [`SearchIndexBuilder`]. Three plain selects; the
//! search itself runs in memory ([`crate::search`]).

use entity::{artist, artist_alias, track};
use futures_util::TryStreamExt;
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, JoinType, QuerySelect, RelationTrait, StreamTrait,
};

use crate::search::{SearchIndex, SearchIndexBuilder};

/// Reads the catalog's names and builds the search index (the sorting off the async threads).
pub async fn load_search_index<C>(db: &C) -> Result<SearchIndex, DbErr>
where
    C: ConnectionTrait + StreamTrait,
{
    let mut builder = SearchIndexBuilder::default();
    {
        let mut rows = artist::Entity::find()
            .select_only()
            .column(artist::Column::Id)
            .column(artist::Column::Name)
            .column(artist::Column::Popularity)
            .into_tuple::<(String, String, Option<i32>)>()
            .stream(db)
            .await?;
        while let Some((id, name, popularity)) = rows.try_next().await? {
            builder.artist(&id, &name, popularity);
        }
    }
    {
        let mut rows = artist_alias::Entity::find()
            .select_only()
            .column(artist_alias::Column::ArtistId)
            .column(artist_alias::Column::Name)
            .column(artist::Column::Popularity)
            .join(JoinType::InnerJoin, artist_alias::Relation::Artist.def())
            .into_tuple::<(String, String, Option<i32>)>()
            .stream(db)
            .await?;
        while let Some((id, name, popularity)) = rows.try_next().await? {
            builder.alias(&id, &name, popularity);
        }
    }
    {
        let mut rows = track::Entity::find()
            .select_only()
            .column(track::Column::Id)
            .column(track::Column::Name)
            .column(track::Column::Popularity)
            .into_tuple::<(String, Option<String>, Option<i32>)>()
            .stream(db)
            .await?;
        while let Some((id, name, popularity)) = rows.try_next().await? {
            if let Some(name) = name {
                builder.track(&id, &name, popularity);
            }
        }
    }
    tokio::task::spawn_blocking(move || builder.build())
        .await
        .map_err(|e| DbErr::Custom(format!("building the search index: {e}")))
}
