//! `playlists`: a list of tracks someone put together, from a dataset or a streaming service.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playlists")]
pub struct Model {
    /// The source's id (Spotify's for the datasets drawn from Spotify).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: Option<String>,
    /// Where the playlist came from: `csv`, …
    pub source: String,
    pub description: Option<String>,
    pub followers: Option<i64>,
    pub owner: Option<String>,
    /// The folded name (`normalize::search_key`).
    pub search_key: String,
    /// Entries in the playlist (a track listed twice counts twice).
    pub track_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::playlist_track::Entity")]
    PlaylistTrack,
}

impl Related<super::playlist_track::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PlaylistTrack.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
