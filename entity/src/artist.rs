//! `artists`: a performer, keyed by its Spotify id or, where a source gives only a name, by an id
//! derived from that name.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artists")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// The name folded for search: lower case, no accents, full-width forms made narrow.
    pub search_key: String,
    pub popularity: Option<i32>,
    pub followers: Option<i64>,
    pub image_url: Option<String>,
    pub spotify_url: Option<String>,
    /// When the artist, its discography and its top tracks were last loaded in full from
    /// Spotify; `None` for artists only seen in a CSV file or credited on someone else's track.
    pub spotify_loaded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::track_artist::Entity")]
    TrackArtist,
    #[sea_orm(has_many = "super::artist_genre::Entity")]
    ArtistGenre,
    #[sea_orm(has_many = "super::artist_top_track::Entity")]
    ArtistTopTrack,
}

impl Related<super::track_artist::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackArtist.def()
    }
}

impl Related<super::artist_genre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ArtistGenre.def()
    }
}

impl Related<super::track::Entity> for Entity {
    fn to() -> RelationDef {
        super::track_artist::Relation::Track.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::track_artist::Relation::Artist.def().rev())
    }
}

impl Related<super::genre::Entity> for Entity {
    fn to() -> RelationDef {
        super::artist_genre::Relation::Genre.def()
    }
    fn via() -> Option<RelationDef> {
        Some(super::artist_genre::Relation::Artist.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
