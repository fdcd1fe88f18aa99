//! `genres`: a genre label. Its id is the folded name, so the same label from any source is one
//! genre.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "genres")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::artist_genre::Entity")]
    ArtistGenre,
    #[sea_orm(has_many = "super::track_genre::Entity")]
    TrackGenre,
}

impl Related<super::artist_genre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ArtistGenre.def()
    }
}

impl Related<super::track_genre::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrackGenre.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
