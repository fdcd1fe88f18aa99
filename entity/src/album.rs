//! `albums`: a release. A release date may be known to the year, the month or the day; the
//! precision says which, and `release_year` is kept apart so that year ranges use an index.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "albums")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: Option<String>,
    pub album_type: Option<String>,
    /// The first day of the period the precision names (`2012` is stored as 2012-01-01).
    pub release_date: Option<Date>,
    pub release_year: Option<i32>,
    /// `year`, `month` or `day`.
    pub release_date_precision: Option<String>,
    pub total_tracks: Option<i32>,
    pub image_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::track::Entity")]
    Track,
}

impl Related<super::track::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Track.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
