//! `artist_aliases`: another name of an artist, in a locale, from a source.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "artist_aliases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub artist_id: String,
    /// Which source gave the alias ([`crate::alias::Source`]).
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: String,
    /// The alias's locale (`ko`, `ja`, `en`, `zh_Hant`, …); empty when the source gave none.
    #[sea_orm(primary_key, auto_increment = false)]
    pub locale: String,
    /// The folded name (`normalize::search_key`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub search_key: String,
    /// The alias as written (`normalize::clean_name`).
    pub name: String,
    /// Whether this is the artist's primary name in the locale.
    pub is_primary: bool,
    /// What kind of name it is, in the source's words (MusicBrainz's alias types: `Artist name`,
    /// `Legal name`, `Search hint`); null when the source does not say.
    pub kind: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::artist::Entity",
        from = "Column::ArtistId",
        to = "super::artist::Column::Id",
        on_delete = "Cascade"
    )]
    Artist,
}

impl Related<super::artist::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Artist.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
