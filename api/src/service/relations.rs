//! Relations loaded for many parents at once: one statement per relation, whatever the number
//! of parents. The DataLoaders of the GraphQL layer call these with the ids of a whole batch.

use std::collections::HashMap;

use entity::{
    album, artist, artist_alias, artist_genre, artist_top_track, audio_features, genre, playlist,
    playlist_track, track, track_artist, track_genre,
};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, IntoTableRef, JoinType, Order, Query, SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryTrait,
};

use super::col;
use super::page::{Ordering, Page, PageArgs, SortKind, fetch_pages_by_parent};

const PARENT: &str = "parent_id";

/// Runs a select of `M`'s columns plus a `parent_id` column and groups the rows by parent.
async fn grouped<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    stmt: &SelectStatement,
) -> Result<HashMap<String, Vec<M>>, DbErr> {
    let mut out: HashMap<String, Vec<M>> = HashMap::new();
    for row in db.query_all(stmt).await? {
        let parent: String = row.try_get("", PARENT)?;
        out.entry(parent)
            .or_default()
            .push(M::from_query_result(&row, "")?);
    }
    Ok(out)
}

/// `ids` for an `IN (…)` list, padded with its last id to the next power of two.
///
/// Every length of a list is a statement of its own to the MySQL driver, which keeps 100
/// prepared statements per connection and closes the least recently used beyond that. Batches
/// of every length from 1 to 64 over a few relations made it evict every few requests, and a
/// `COM_STMT_CLOSE` sent just before the next command stalls that command about 40 ms: the
/// close has no answer, so the server delays its ACK, and Nagle's algorithm (the driver does
/// not set `TCP_NODELAY`) holds the command back until the ACK comes. Powers of two keep a
/// relation to 15 statements up to 10,000 ids; an id repeated changes nothing an `IN` selects.
pub(crate) fn padded(ids: &[String]) -> impl Iterator<Item = String> + '_ {
    let pad = ids.len().next_power_of_two() - ids.len();
    ids.iter()
        .chain(ids.last().into_iter().cycle().take(pad))
        .cloned()
}

async fn keyed<E: EntityTrait>(
    db: &impl ConnectionTrait,
    key: E::Column,
    ids: &[String],
) -> Result<HashMap<String, E::Model>, DbErr> {
    let mut stmt = E::find().into_query();
    stmt.and_where(col(key).is_in(padded(ids)))
        .expr_as(col(key), Alias::new(PARENT));
    Ok(grouped::<E::Model>(db, &stmt)
        .await?
        .into_iter()
        .filter_map(|(k, mut v)| v.pop().map(|m| (k, m)))
        .collect())
}

pub async fn tracks_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, track::Model>, DbErr> {
    keyed::<track::Entity>(db, track::Column::Id, ids).await
}

pub async fn artists_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, artist::Model>, DbErr> {
    keyed::<artist::Entity>(db, artist::Column::Id, ids).await
}

pub async fn albums_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, album::Model>, DbErr> {
    keyed::<album::Entity>(db, album::Column::Id, ids).await
}

pub async fn playlists_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, playlist::Model>, DbErr> {
    keyed::<playlist::Entity>(db, playlist::Column::Id, ids).await
}

pub async fn genres_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, genre::Model>, DbErr> {
    keyed::<genre::Entity>(db, genre::Column::Id, ids).await
}

pub async fn features_of_tracks(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, audio_features::Model>, DbErr> {
    keyed::<audio_features::Entity>(db, audio_features::Column::TrackId, ids).await
}

/// The genres linked to each parent through a link table (`parent` and `genre` are its
/// columns), by genre id.
async fn genres_through<L: ColumnTrait>(
    db: &impl ConnectionTrait,
    parent: L,
    genre: L,
    ids: &[String],
) -> Result<HashMap<String, Vec<genre::Model>>, DbErr> {
    let mut stmt = genre::Entity::find().into_query();
    stmt.inner_join(
        parent.entity_name(),
        col(genre).equals((genre::Entity, genre::Column::Id)),
    )
    .and_where(col(parent).is_in(padded(ids)))
    .expr_as(col(parent), Alias::new(PARENT))
    .order_by((genre::Entity, genre::Column::Id), Order::Asc);
    grouped(db, &stmt).await
}

pub async fn genres_of_artists(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Vec<genre::Model>>, DbErr> {
    use artist_genre::Column as C;
    genres_through(db, C::ArtistId, C::GenreId, ids).await
}

pub async fn genres_of_tracks(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Vec<genre::Model>>, DbErr> {
    use track_genre::Column as C;
    genres_through(db, C::TrackId, C::GenreId, ids).await
}

/// The aliases of each artist, search hints included, in no particular order (`Artist.aliases`
/// orders what it shows).
pub async fn aliases_of_artists(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Vec<artist_alias::Model>>, DbErr> {
    let rows = artist_alias::Entity::find()
        .filter(artist_alias::Column::ArtistId.is_in(padded(ids)))
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<artist_alias::Model>> = HashMap::new();
    for alias in rows {
        out.entry(alias.artist_id.clone()).or_default().push(alias);
    }
    Ok(out)
}

/// Credited artists of each track, in credit order.
pub async fn artists_of_tracks(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Vec<artist::Model>>, DbErr> {
    let mut stmt = artist::Entity::find().into_query();
    stmt.inner_join(
        track_artist::Entity,
        col(track_artist::Column::ArtistId).equals((artist::Entity, artist::Column::Id)),
    )
    .and_where(col(track_artist::Column::TrackId).is_in(padded(ids)))
    .expr_as(col(track_artist::Column::TrackId), Alias::new(PARENT))
    .order_by(
        (track_artist::Entity, track_artist::Column::Position),
        Order::Asc,
    )
    .order_by((artist::Entity, artist::Column::Id), Order::Asc);
    grouped(db, &stmt).await
}

/// The top tracks of each artist in `market`, best first.
pub async fn top_tracks_of_artists(
    db: &impl ConnectionTrait,
    market: &str,
    ids: &[String],
) -> Result<HashMap<String, Vec<track::Model>>, DbErr> {
    let mut stmt = track::Entity::find().into_query();
    stmt.inner_join(
        artist_top_track::Entity,
        col(artist_top_track::Column::TrackId).equals((track::Entity, track::Column::Id)),
    )
    .and_where(col(artist_top_track::Column::ArtistId).is_in(padded(ids)))
    .and_where(col(artist_top_track::Column::Market).eq(market))
    .expr_as(col(artist_top_track::Column::ArtistId), Alias::new(PARENT))
    .order_by(
        (artist_top_track::Entity, artist_top_track::Column::Rank),
        Order::Asc,
    );
    grouped(db, &stmt).await
}

/// Artists credited on any track of each album, main artists first.
pub async fn artists_of_albums(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Vec<artist::Model>>, DbErr> {
    let credits = Query::select()
        .expr_as(col(track::Column::AlbumId), Alias::new(PARENT))
        .expr_as(
            col(track_artist::Column::ArtistId),
            Alias::new("credited_id"),
        )
        .expr_as(
            Func::min(col(track_artist::Column::Position)),
            Alias::new("best_position"),
        )
        .from(track_artist::Entity)
        .inner_join(
            track::Entity,
            col(track::Column::Id).equals((track_artist::Entity, track_artist::Column::TrackId)),
        )
        .and_where(col(track::Column::AlbumId).is_in(padded(ids)))
        .group_by_col((track::Entity, track::Column::AlbumId))
        .group_by_col((track_artist::Entity, track_artist::Column::ArtistId))
        .to_owned();
    let credits_alias = Alias::new("credits");
    let mut stmt = artist::Entity::find().into_query();
    stmt.join_subquery(
        JoinType::InnerJoin,
        credits,
        credits_alias.clone(),
        Expr::col((credits_alias.clone(), Alias::new("credited_id")))
            .equals((artist::Entity, artist::Column::Id)),
    )
    .expr_as(
        Expr::col((credits_alias.clone(), Alias::new(PARENT))),
        Alias::new(PARENT),
    )
    .order_by((credits_alias, Alias::new("best_position")), Order::Asc)
    .order_by((artist::Entity, artist::Column::SearchKey), Order::Asc)
    .order_by((artist::Entity, artist::Column::Id), Order::Asc);
    grouped(db, &stmt).await
}

/// Tracks of an artist, most popular first.
pub fn artist_tracks_ordering() -> Ordering {
    super::catalog::track_ordering(super::catalog::TrackSort::Popularity, true)
}

pub async fn tracks_of_artists(
    db: &impl ConnectionTrait,
    ids: &[String],
    args: &PageArgs,
) -> Result<HashMap<String, Page<track::Model>>, DbErr> {
    let mut stmt = track::Entity::find().into_query();
    stmt.inner_join(
        track_artist::Entity,
        col(track_artist::Column::TrackId).equals((track::Entity, track::Column::Id)),
    )
    .and_where(col(track_artist::Column::ArtistId).is_in(padded(ids)));
    fetch_pages_by_parent(
        db,
        stmt,
        col(track_artist::Column::ArtistId),
        &artist_tracks_ordering(),
        args,
    )
    .await
}

/// Tracks of an album, in track-number order.
pub fn album_tracks_ordering() -> Ordering {
    Ordering {
        token: "album.tracks".into(),
        sort: col(track::Column::TrackNumber),
        kind: SortKind::Int,
        id: col(track::Column::Id),
        desc: false,
    }
}

pub async fn tracks_of_albums(
    db: &impl ConnectionTrait,
    ids: &[String],
    args: &PageArgs,
) -> Result<HashMap<String, Page<track::Model>>, DbErr> {
    let mut stmt = track::Entity::find().into_query();
    stmt.and_where(col(track::Column::AlbumId).is_in(padded(ids)));
    fetch_pages_by_parent(
        db,
        stmt,
        col(track::Column::AlbumId),
        &album_tracks_ordering(),
        args,
    )
    .await
}

/// Albums of an artist, newest first.
pub fn artist_albums_ordering() -> Ordering {
    Ordering {
        token: "artist.albums".into(),
        sort: col(album::Column::ReleaseDate),
        kind: SortKind::Date,
        id: col(album::Column::Id),
        desc: true,
    }
}

fn artist_album_pairs(ids: &[String]) -> SelectStatement {
    Query::select()
        .distinct()
        .expr_as(col(track_artist::Column::ArtistId), Alias::new("artist_id"))
        .expr_as(col(track::Column::AlbumId), Alias::new("album_id"))
        .from(track_artist::Entity)
        .inner_join(
            track::Entity,
            col(track::Column::Id).equals((track_artist::Entity, track_artist::Column::TrackId)),
        )
        .and_where(col(track_artist::Column::ArtistId).is_in(padded(ids)))
        .and_where(col(track::Column::AlbumId).is_not_null())
        .to_owned()
}

pub async fn albums_of_artists(
    db: &impl ConnectionTrait,
    ids: &[String],
    args: &PageArgs,
) -> Result<HashMap<String, Page<album::Model>>, DbErr> {
    let pairs = Alias::new("pairs");
    let mut stmt = album::Entity::find().into_query();
    stmt.join_subquery(
        JoinType::InnerJoin,
        artist_album_pairs(ids),
        pairs.clone(),
        Expr::col((pairs.clone(), Alias::new("album_id")))
            .equals((album::Entity, album::Column::Id)),
    );
    fetch_pages_by_parent(
        db,
        stmt,
        Expr::col((pairs, Alias::new("artist_id"))),
        &artist_albums_ordering(),
        args,
    )
    .await
}

/// Entries of a playlist, in playlist order.
pub fn playlist_tracks_ordering() -> Ordering {
    Ordering {
        token: "playlist.tracks".into(),
        sort: col(playlist_track::Column::Position),
        kind: SortKind::Int,
        id: col(playlist_track::Column::TrackId),
        desc: false,
    }
}

pub async fn entries_of_playlists(
    db: &impl ConnectionTrait,
    ids: &[String],
    args: &PageArgs,
) -> Result<HashMap<String, Page<playlist_track::Model>>, DbErr> {
    let mut stmt = playlist_track::Entity::find().into_query();
    stmt.and_where(col(playlist_track::Column::PlaylistId).is_in(padded(ids)));
    fetch_pages_by_parent(
        db,
        stmt,
        col(playlist_track::Column::PlaylistId),
        &playlist_tracks_ordering(),
        args,
    )
    .await
}

/// Playlists of a track or an artist, by name.
pub fn playlists_of_ordering() -> Ordering {
    super::catalog::playlist_ordering(super::catalog::PlaylistSort::Name, false)
}

/// Distinct (track, playlist) pairs of the tracks `ids`, as `owner_id`, `playlist_id`.
fn track_playlist_pairs(ids: &[String]) -> SelectStatement {
    Query::select()
        .distinct()
        .expr_as(col(playlist_track::Column::TrackId), Alias::new("owner_id"))
        .expr_as(
            col(playlist_track::Column::PlaylistId),
            Alias::new("playlist_id"),
        )
        .from(playlist_track::Entity)
        .and_where(col(playlist_track::Column::TrackId).is_in(padded(ids)))
        .to_owned()
}

/// Distinct (artist, playlist) pairs of the artists `ids` (any credit), as `owner_id`,
/// `playlist_id`.
fn artist_playlist_pairs(ids: &[String]) -> SelectStatement {
    Query::select()
        .distinct()
        .expr_as(col(track_artist::Column::ArtistId), Alias::new("owner_id"))
        .expr_as(
            col(playlist_track::Column::PlaylistId),
            Alias::new("playlist_id"),
        )
        .from(track_artist::Entity)
        .inner_join(
            playlist_track::Entity,
            col(playlist_track::Column::TrackId)
                .equals((track_artist::Entity, track_artist::Column::TrackId)),
        )
        .and_where(col(track_artist::Column::ArtistId).is_in(padded(ids)))
        .to_owned()
}

/// A page of the playlists of each owner the pairs name.
async fn playlists_through(
    db: &impl ConnectionTrait,
    pairs_stmt: SelectStatement,
    args: &PageArgs,
) -> Result<HashMap<String, Page<playlist::Model>>, DbErr> {
    let pairs = Alias::new("pairs");
    let mut stmt = playlist::Entity::find().into_query();
    stmt.join_subquery(
        JoinType::InnerJoin,
        pairs_stmt,
        pairs.clone(),
        Expr::col((pairs.clone(), Alias::new("playlist_id")))
            .equals((playlist::Entity, playlist::Column::Id)),
    );
    fetch_pages_by_parent(
        db,
        stmt,
        Expr::col((pairs, Alias::new("owner_id"))),
        &playlists_of_ordering(),
        args,
    )
    .await
}

pub async fn playlists_of_tracks(
    db: &impl ConnectionTrait,
    ids: &[String],
    args: &PageArgs,
) -> Result<HashMap<String, Page<playlist::Model>>, DbErr> {
    playlists_through(db, track_playlist_pairs(ids), args).await
}

pub async fn playlists_of_artists(
    db: &impl ConnectionTrait,
    ids: &[String],
    args: &PageArgs,
) -> Result<HashMap<String, Page<playlist::Model>>, DbErr> {
    playlists_through(db, artist_playlist_pairs(ids), args).await
}

/// Which count of which parents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountOf {
    ArtistTracks,
    ArtistAlbums,
    AlbumTracks,
    GenreTracks,
    GenreArtists,
    PlaylistTracks,
    TrackPlaylists,
    ArtistPlaylists,
}

/// Counts a relation for many parents in one `GROUP BY` statement. Parents with nothing are
/// absent from the map.
pub async fn counts(
    db: &impl ConnectionTrait,
    of: CountOf,
    ids: &[String],
) -> Result<HashMap<String, u64>, DbErr> {
    let rows_of = |table: sea_orm::sea_query::TableRef, parent: Expr| {
        let stmt = Query::select()
            .from(table)
            .and_where(parent.clone().is_in(padded(ids)))
            .to_owned();
        (stmt, parent)
    };
    let (stmt, parent) = match of {
        CountOf::ArtistTracks => rows_of(
            track_artist::Entity.into_table_ref(),
            col(track_artist::Column::ArtistId),
        ),
        CountOf::AlbumTracks => {
            rows_of(track::Entity.into_table_ref(), col(track::Column::AlbumId))
        }
        CountOf::GenreTracks => rows_of(
            track_genre::Entity.into_table_ref(),
            col(track_genre::Column::GenreId),
        ),
        CountOf::GenreArtists => rows_of(
            artist_genre::Entity.into_table_ref(),
            col(artist_genre::Column::GenreId),
        ),
        CountOf::ArtistAlbums => {
            let pairs = Alias::new("pairs");
            let stmt = Query::select()
                .from_subquery(artist_album_pairs(ids), pairs.clone())
                .to_owned();
            (stmt, Expr::col((pairs, Alias::new("artist_id"))))
        }
        CountOf::PlaylistTracks => rows_of(
            playlist_track::Entity.into_table_ref(),
            col(playlist_track::Column::PlaylistId),
        ),
        CountOf::TrackPlaylists | CountOf::ArtistPlaylists => {
            let pairs = Alias::new("pairs");
            let of = if of == CountOf::TrackPlaylists {
                track_playlist_pairs(ids)
            } else {
                artist_playlist_pairs(ids)
            };
            let stmt = Query::select().from_subquery(of, pairs.clone()).to_owned();
            (stmt, Expr::col((pairs, Alias::new("owner_id"))))
        }
    };
    let mut stmt = stmt;
    stmt.expr_as(Func::count(Expr::cust("*")), Alias::new("n"))
        .expr_as(parent.clone(), Alias::new(PARENT))
        .add_group_by([parent]);
    let mut out = HashMap::new();
    for row in db.query_all(&stmt).await? {
        let parent: String = row.try_get("", PARENT)?;
        let n: i64 = row.try_get("", "n")?;
        out.insert(parent, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::padded;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn an_in_list_is_padded_with_its_last_id_to_the_next_power_of_two() {
        for (n, len) in [
            (1, 1),
            (2, 2),
            (3, 4),
            (5, 8),
            (64, 64),
            (65, 128),
            (10_000, 16_384),
        ] {
            let list: Vec<String> = padded(&ids(n)).collect();
            assert_eq!(list.len(), len, "{n} ids");
            assert_eq!(list[..n], ids(n)[..]);
            assert!(list[n..].iter().all(|id| *id == (n - 1).to_string()));
        }
        assert_eq!(padded(&[]).count(), 0);
    }
}
