//! `tracks`: a recording on an album, credited to artists in order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tracks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Missing when the source has no name for the track (the `NA` rows of some datasets).
    pub name: Option<String>,
    /// The name folded for search; empty when the name is missing.
    pub search_key: String,
    pub album_id: Option<String>,
    pub duration_ms: i32,
    pub explicit: Option<bool>,
    pub popularity: Option<i32>,
    pub track_number: Option<i32>,
    pub isrc: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::album::Entity",
        from = "Column::AlbumId",
        to = "super::album::Column::Id",
        on_delete = "SetNull"
    )]
    Album,
    #[sea_orm(has_many = "super::track_artist::Entity")]
    TrackArtist,
    #[sea_orm(has_many = "super::track_genre::Entity")]
    TrackGenre,
    #[sea_orm(has_one = "super::audio_features::Entity")]
    AudioFeatures,
}

impl Related<super::album::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Album.def()
    }
}

impl Related<super::track_artist::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackArtist.def()
    }
}

impl Related<super::track_genre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackGenre.def()
    }
}

impl Related<super::audio_features::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AudioFeatures.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
