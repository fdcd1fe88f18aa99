//! What the recommendation index is built from: every track with audio features, its credits
//! and popularity, every artist with its popularity, genres and top tracks, and every playlist
//! entry with its track's main artist (streamed, in playlist order). Six plain selects.

use std::collections::HashMap;

use entity::Feature;
use entity::{
    artist, artist_genre, artist_top_track, audio_features, playlist_track, track, track_artist,
};
use futures_util::TryStreamExt as _;
use sea_orm::sea_query::{Alias, ExprTrait as _, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult, StreamTrait};

use super::col;
use crate::recommend::{ArtistInput, DIMS, Index, PlaylistsBuilder, TrackInput, WEIGHTING};

/// The nine feature values of a row, selected under their column names.
struct FeatureValues([f64; DIMS]);

impl FromQueryResult for FeatureValues {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        super::feature_values(res, pre).map(Self)
    }
}

#[derive(FromQueryResult)]
struct TrackRow {
    id: String,
    popularity: Option<i32>,
    #[sea_orm(nested)]
    features: FeatureValues,
}

#[derive(FromQueryResult)]
struct Pair {
    a: String,
    b: String,
}

#[derive(FromQueryResult)]
struct ArtistRow {
    id: String,
    popularity: Option<i32>,
}

/// Streams the rows of a select of two string columns named `a` and `b` into `each`. The reads
/// of the index are streamed, never collected as rows: a row as a driver holds it takes many
/// times the memory of its values (ten times over SQLite), which at 10,000,000 tracks is more
/// than the machine has.
async fn for_each_pair<C: ConnectionTrait + StreamTrait>(
    db: &C,
    stmt: &sea_orm::sea_query::SelectStatement,
    mut each: impl FnMut(Pair),
) -> Result<(), DbErr> {
    let mut rows = Pair::find_by_statement(ConnectionTrait::get_database_backend(db).build(stmt))
        .stream(db)
        .await?;
    while let Some(pair) = rows.try_next().await? {
        each(pair);
    }
    Ok(())
}

/// Streams the rows of a select into models, collected.
async fn collect<C: ConnectionTrait + StreamTrait, M: FromQueryResult + Send + Sync>(
    db: &C,
    stmt: &sea_orm::sea_query::SelectStatement,
) -> Result<Vec<M>, DbErr> {
    M::find_by_statement(ConnectionTrait::get_database_backend(db).build(stmt))
        .stream(db)
        .await?
        .try_collect()
        .await
}

/// Reads the catalog and builds the index with the model's weights and playlists.
pub async fn load_index<C: ConnectionTrait + StreamTrait>(db: &C) -> Result<Index, DbErr> {
    let (tracks, artists) = load_inputs(db).await?;
    let mut index = Index::build_weighted(tracks, artists, crate::recommend::model_weights());
    let playlists = load_playlists(db).await?;
    index.set_playlists(playlists, WEIGHTING);
    Ok(index)
}

#[derive(FromQueryResult)]
struct EntryRow {
    playlist_id: String,
    track_id: String,
}

/// Reads every playlist entry in playlist order (the primary key's order: no sort), then the
/// main artist of every credited track (in its primary key's order too), one row at a time
/// into a [`PlaylistsBuilder`].
pub async fn load_playlists<C: ConnectionTrait + StreamTrait>(
    db: &C,
) -> Result<PlaylistsBuilder, DbErr> {
    use playlist_track::Column as P;
    use track_artist::Column as Ta;
    let backend = ConnectionTrait::get_database_backend(db);
    let entries = Query::select()
        .expr_as(col(P::PlaylistId), Alias::new("playlist_id"))
        .expr_as(col(P::TrackId), Alias::new("track_id"))
        .from(playlist_track::Entity)
        .order_by(P::PlaylistId, sea_orm::Order::Asc)
        .order_by(P::Position, sea_orm::Order::Asc)
        .to_owned();
    let mut builder = PlaylistsBuilder::default();
    let mut rows = EntryRow::find_by_statement(backend.build(&entries))
        .stream(db)
        .await?;
    while let Some(row) = rows.try_next().await? {
        builder.push(&row.playlist_id, &row.track_id);
    }
    drop(rows);
    let mains = Query::select()
        .expr_as(col(Ta::TrackId), Alias::new("a"))
        .expr_as(col(Ta::ArtistId), Alias::new("b"))
        .from(track_artist::Entity)
        .and_where(col(Ta::Position).eq(0))
        .order_by(Ta::TrackId, sea_orm::Order::Asc)
        .order_by(Ta::ArtistId, sea_orm::Order::Asc)
        .to_owned();
    let mut rows = Pair::find_by_statement(backend.build(&mains))
        .stream(db)
        .await?;
    while let Some(row) = rows.try_next().await? {
        builder.main_artist(&row.a, &row.b);
    }
    Ok(builder)
}

/// Reads what the index is built from: tracks with features and credits, artists with top
/// tracks.
pub async fn load_inputs<C: ConnectionTrait + StreamTrait>(
    db: &C,
) -> Result<(Vec<TrackInput>, Vec<ArtistInput>), DbErr> {
    use audio_features::Column as F;
    let mut stmt = Query::select();
    stmt.expr_as(col(track::Column::Id), Alias::new("id"))
        .expr_as(col(track::Column::Popularity), Alias::new("popularity"));
    for f in Feature::ALL {
        stmt.expr(col(f.column()));
    }
    stmt.from(track::Entity).inner_join(
        audio_features::Entity,
        col(F::TrackId).equals((track::Entity, track::Column::Id)),
    );
    let rows: Vec<TrackRow> = collect(db, &stmt).await?;

    let credits_stmt = Query::select()
        .expr_as(col(track_artist::Column::TrackId), Alias::new("a"))
        .expr_as(col(track_artist::Column::ArtistId), Alias::new("b"))
        .from(track_artist::Entity)
        .order_by(track_artist::Column::TrackId, sea_orm::Order::Asc)
        .order_by(track_artist::Column::Position, sea_orm::Order::Asc)
        .to_owned();
    let mut credits: HashMap<String, Vec<String>> = HashMap::new();
    for_each_pair(db, &credits_stmt, |p| {
        credits.entry(p.a).or_default().push(p.b)
    })
    .await?;

    let top_stmt = Query::select()
        .expr_as(col(artist_top_track::Column::ArtistId), Alias::new("a"))
        .expr_as(col(artist_top_track::Column::TrackId), Alias::new("b"))
        .from(artist_top_track::Entity)
        .order_by(artist_top_track::Column::ArtistId, sea_orm::Order::Asc)
        .order_by(artist_top_track::Column::Market, sea_orm::Order::Asc)
        .order_by(artist_top_track::Column::Rank, sea_orm::Order::Asc)
        .to_owned();
    let mut tops: HashMap<String, Vec<String>> = HashMap::new();
    for_each_pair(db, &top_stmt, |p| {
        let list = tops.entry(p.a).or_default();
        if !list.contains(&p.b) {
            list.push(p.b);
        }
    })
    .await?;

    let genres_stmt = Query::select()
        .expr_as(col(artist_genre::Column::ArtistId), Alias::new("a"))
        .expr_as(col(artist_genre::Column::GenreId), Alias::new("b"))
        .from(artist_genre::Entity)
        .to_owned();
    let mut genres: HashMap<String, Vec<String>> = HashMap::new();
    for_each_pair(db, &genres_stmt, |p| {
        genres.entry(p.a).or_default().push(p.b)
    })
    .await?;

    let artists_stmt = Query::select()
        .column(artist::Column::Id)
        .column(artist::Column::Popularity)
        .from(artist::Entity)
        .to_owned();
    let artists = collect::<_, ArtistRow>(db, &artists_stmt)
        .await?
        .into_iter()
        .map(|a| ArtistInput {
            top_tracks: tops.remove(&a.id).unwrap_or_default(),
            genres: genres.remove(&a.id).unwrap_or_default(),
            id: a.id,
            popularity: a.popularity,
        })
        .collect();

    let tracks = rows
        .into_iter()
        .map(|r| {
            let features = r.features.0;
            TrackInput {
                artist_ids: credits.remove(&r.id).unwrap_or_default(),
                id: r.id,
                popularity: r.popularity,
                features,
            }
        })
        .collect();
    Ok((tracks, artists))
}

#[derive(FromQueryResult)]
struct CentroidRow {
    genre_id: String,
    #[sea_orm(nested)]
    features: FeatureValues,
}

/// The mean raw audio features of the tracks of each genre, by genre id; genres without tracks
/// with features are absent. One `GROUP BY` in the database.
pub async fn genre_centroids(
    db: &impl ConnectionTrait,
    genre_ids: &[String],
) -> Result<HashMap<String, [f64; DIMS]>, DbErr> {
    use audio_features::Column as F;
    use entity::track_genre;
    use sea_orm::sea_query::Func;
    let mut stmt = Query::select();
    stmt.expr_as(col(track_genre::Column::GenreId), Alias::new("genre_id"));
    for f in Feature::ALL {
        stmt.expr_as(Func::avg(col(f.column())), Alias::new(f.name()));
    }
    stmt.from(track_genre::Entity)
        .inner_join(
            audio_features::Entity,
            col(F::TrackId).equals((track_genre::Entity, track_genre::Column::TrackId)),
        )
        .and_where(col(track_genre::Column::GenreId).is_in(genre_ids.iter().cloned()))
        .group_by_col((track_genre::Entity, track_genre::Column::GenreId));
    let rows = CentroidRow::find_by_statement(db.get_database_backend().build(&stmt))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.genre_id, r.features.0))
        .collect())
}
