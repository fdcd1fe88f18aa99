//! The catalog's lists and lookups: filters and orderings of artists, tracks, genres and
//! playlists.

use entity::{
    Feature, album, artist, artist_genre, audio_features, genre, playlist, playlist_track, track,
    track_artist, track_genre,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryTrait};

use super::col;
use super::page::{Ordering, SortKind};

/// An inclusive range; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range<T> {
    pub min: Option<T>,
    pub max: Option<T>,
}

impl<T: Into<sea_orm::Value> + Copy> Range<T> {
    fn apply(&self, stmt: &mut SelectStatement, expr: Expr) {
        if let Some(min) = self.min {
            stmt.and_where(expr.clone().gte(min));
        }
        if let Some(max) = self.max {
            stmt.and_where(expr.lte(max));
        }
    }

    fn is_set(&self) -> bool {
        self.min.is_some() || self.max.is_some()
    }
}

/// `LIKE '%text%'` on a folded column, with the wildcards in `text` escaped.
fn contains(col: Expr, folded: &str) -> Expr {
    col.like(LikeExpr::new(format!("%{}%", escape_like(folded))).escape('!'))
}

/// Escapes `%`, `_` and the escape character itself for `LIKE … ESCAPE '!'`.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

/// A scalar subquery as an expression.
fn scalar(select: SelectStatement) -> Expr {
    Expr::SubQuery(None, Box::new(select.into()))
}

/// Filters of the `tracks` list. Names are matched on folded keys.
#[derive(Clone, Debug, Default)]
pub struct TrackFilter {
    pub name_contains: Option<String>,
    pub genre_id: Option<String>,
    pub artist_id: Option<String>,
    pub playlist_id: Option<String>,
    pub popularity: Range<i32>,
    pub release_year: Range<i32>,
    pub features: Vec<(Feature, Range<f64>)>,
}

/// Orderings of the `tracks` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackSort {
    Popularity,
    Name,
    ReleaseDate,
    Duration,
    Feature(Feature),
}

fn sort_token(list: &str, sort: &impl std::fmt::Debug, desc: bool) -> String {
    format!("{list}:{sort:?}:{}", if desc { "DESC" } else { "ASC" })
}

pub fn track_ordering(sort: TrackSort, desc: bool) -> Ordering {
    let (expr, kind) = match sort {
        TrackSort::Popularity => (col(track::Column::Popularity), SortKind::Int),
        TrackSort::Name => (col(track::Column::SearchKey), SortKind::Text),
        TrackSort::ReleaseDate => (col(album::Column::ReleaseDate), SortKind::Date),
        TrackSort::Duration => (col(track::Column::DurationMs), SortKind::Int),
        TrackSort::Feature(f) => (col(f.column()), SortKind::Float),
    };
    Ordering {
        token: sort_token("tracks", &sort, desc),
        sort: expr,
        kind,
        id: col(track::Column::Id),
        desc,
    }
}

/// The filtered select of tracks, joined to what the filter and the ordering need.
pub fn tracks_query(filter: &TrackFilter, sort: TrackSort) -> SelectStatement {
    let mut q = track::Entity::find().into_query();
    if filter.release_year.is_set() || sort == TrackSort::ReleaseDate {
        q.left_join(
            album::Entity,
            col(album::Column::Id).equals((track::Entity, track::Column::AlbumId)),
        );
    }
    if !filter.features.is_empty() || matches!(sort, TrackSort::Feature(_)) {
        q.left_join(
            audio_features::Entity,
            col(audio_features::Column::TrackId).equals((track::Entity, track::Column::Id)),
        );
    }
    if let Some(name) = &filter.name_contains {
        q.and_where(contains(col(track::Column::SearchKey), name));
    }
    if let Some(genre) = &filter.genre_id {
        q.and_where(Expr::exists(
            Query::select()
                .expr(Expr::cust("1"))
                .from(track_genre::Entity)
                .and_where(
                    col(track_genre::Column::TrackId).equals((track::Entity, track::Column::Id)),
                )
                .and_where(col(track_genre::Column::GenreId).eq(genre.clone()))
                .to_owned(),
        ));
    }
    if let Some(artist) = &filter.artist_id {
        q.and_where(Expr::exists(
            Query::select()
                .expr(Expr::cust("1"))
                .from(entity::track_artist::Entity)
                .and_where(
                    col(entity::track_artist::Column::TrackId)
                        .equals((track::Entity, track::Column::Id)),
                )
                .and_where(col(entity::track_artist::Column::ArtistId).eq(artist.clone()))
                .to_owned(),
        ));
    }
    if let Some(playlist) = &filter.playlist_id {
        q.and_where(Expr::exists(
            Query::select()
                .expr(Expr::cust("1"))
                .from(playlist_track::Entity)
                .and_where(
                    col(playlist_track::Column::TrackId).equals((track::Entity, track::Column::Id)),
                )
                .and_where(col(playlist_track::Column::PlaylistId).eq(playlist.clone()))
                .to_owned(),
        ));
    }
    filter
        .popularity
        .apply(&mut q, col(track::Column::Popularity));
    filter
        .release_year
        .apply(&mut q, col(album::Column::ReleaseYear));
    for (feature, range) in &filter.features {
        range.apply(&mut q, col(feature.column()));
    }
    q
}

/// Filters of the `artists` list.
#[derive(Clone, Debug, Default)]
pub struct ArtistFilter {
    pub name_contains: Option<String>,
    pub genre_id: Option<String>,
    pub popularity: Range<i32>,
    pub followers: Range<i64>,
}

/// Orderings of the `artists` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArtistSort {
    Popularity,
    Name,
    Followers,
}

pub fn artist_ordering(sort: ArtistSort, desc: bool) -> Ordering {
    let (expr, kind) = match sort {
        ArtistSort::Popularity => (col(artist::Column::Popularity), SortKind::Int),
        ArtistSort::Name => (col(artist::Column::SearchKey), SortKind::Text),
        ArtistSort::Followers => (col(artist::Column::Followers), SortKind::Int),
    };
    Ordering {
        token: sort_token("artists", &sort, desc),
        sort: expr,
        kind,
        id: col(artist::Column::Id),
        desc,
    }
}

pub fn artists_query(filter: &ArtistFilter) -> SelectStatement {
    let mut q = artist::Entity::find().into_query();
    if let Some(name) = &filter.name_contains {
        q.and_where(contains(col(artist::Column::SearchKey), name));
    }
    if let Some(genre) = &filter.genre_id {
        q.and_where(Expr::exists(
            Query::select()
                .expr(Expr::cust("1"))
                .from(artist_genre::Entity)
                .and_where(
                    col(artist_genre::Column::ArtistId)
                        .equals((artist::Entity, artist::Column::Id)),
                )
                .and_where(col(artist_genre::Column::GenreId).eq(genre.clone()))
                .to_owned(),
        ));
    }
    filter
        .popularity
        .apply(&mut q, col(artist::Column::Popularity));
    filter
        .followers
        .apply(&mut q, col(artist::Column::Followers));
    q
}

/// Orderings of the `genres` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenreSort {
    Name,
    TrackCount,
    ArtistCount,
}

/// How many rows of a link table name the genre of the outer query, as an expression.
fn links_to_genre(genre_column: impl ColumnTrait) -> Expr {
    scalar(
        Query::select()
            .expr(Func::count(Expr::cust("*")))
            .from(genre_column.entity_name())
            .and_where(col(genre_column).equals((genre::Entity, genre::Column::Id)))
            .to_owned(),
    )
}

pub fn genre_ordering(sort: GenreSort, desc: bool) -> Ordering {
    let (expr, kind) = match sort {
        GenreSort::Name => (col(genre::Column::Id), SortKind::Text),
        GenreSort::TrackCount => (links_to_genre(track_genre::Column::GenreId), SortKind::Int),
        GenreSort::ArtistCount => (links_to_genre(artist_genre::Column::GenreId), SortKind::Int),
    };
    Ordering {
        token: sort_token("genres", &sort, desc),
        sort: expr,
        kind,
        id: col(genre::Column::Id),
        desc,
    }
}

pub fn genres_query(name_contains: Option<&str>) -> SelectStatement {
    let mut q = genre::Entity::find().into_query();
    if let Some(name) = name_contains {
        q.and_where(contains(col(genre::Column::Id), name));
    }
    q
}

/// Filters of the `playlists` list. Names are matched on folded keys.
#[derive(Clone, Debug, Default)]
pub struct PlaylistFilter {
    pub name_contains: Option<String>,
    pub source: Option<String>,
    /// Playlists holding this track.
    pub track_id: Option<String>,
    /// Playlists holding a track credited to this artist.
    pub artist_id: Option<String>,
    pub track_count: Range<i32>,
    pub followers: Range<i64>,
}

/// Orderings of the `playlists` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaylistSort {
    Name,
    TrackCount,
    Followers,
}

pub fn playlist_ordering(sort: PlaylistSort, desc: bool) -> Ordering {
    let (expr, kind) = match sort {
        PlaylistSort::Name => (col(playlist::Column::SearchKey), SortKind::Text),
        PlaylistSort::TrackCount => (col(playlist::Column::TrackCount), SortKind::Int),
        PlaylistSort::Followers => (col(playlist::Column::Followers), SortKind::Int),
    };
    Ordering {
        token: sort_token("playlists", &sort, desc),
        sort: expr,
        kind,
        id: col(playlist::Column::Id),
        desc,
    }
}

/// An entry of the outer query's playlist, narrowed by `condition`, exists.
fn has_entry(condition: impl FnOnce(&mut SelectStatement)) -> Expr {
    let mut q = Query::select()
        .expr(Expr::cust("1"))
        .from(playlist_track::Entity)
        .and_where(
            col(playlist_track::Column::PlaylistId)
                .equals((playlist::Entity, playlist::Column::Id)),
        )
        .to_owned();
    condition(&mut q);
    Expr::exists(q)
}

pub fn playlists_query(filter: &PlaylistFilter) -> SelectStatement {
    let mut q = playlist::Entity::find().into_query();
    if let Some(name) = &filter.name_contains {
        q.and_where(contains(col(playlist::Column::SearchKey), name));
    }
    if let Some(source) = &filter.source {
        q.and_where(col(playlist::Column::Source).eq(source.clone()));
    }
    if let Some(track) = &filter.track_id {
        q.and_where(has_entry(|e| {
            e.and_where(col(playlist_track::Column::TrackId).eq(track.clone()));
        }));
    }
    if let Some(artist) = &filter.artist_id {
        q.and_where(has_entry(|e| {
            e.inner_join(
                track_artist::Entity,
                col(track_artist::Column::TrackId)
                    .equals((playlist_track::Entity, playlist_track::Column::TrackId)),
            )
            .and_where(col(track_artist::Column::ArtistId).eq(artist.clone()));
        }));
    }
    filter
        .track_count
        .apply(&mut q, col(playlist::Column::TrackCount));
    filter
        .followers
        .apply(&mut q, col(playlist::Column::Followers));
    q
}

/// Looks one entity up by id; `None` when there is none.
pub async fn by_id<E: EntityTrait>(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<E::Model>, DbErr>
where
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<String>,
{
    E::find_by_id(id.to_owned()).one(db).await
}
