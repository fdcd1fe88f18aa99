//! The statements the DataLoader's relations send: their text depends on a batch's size only
//! through its next power of two, so that the MySQL driver's per-connection cache of prepared
//! statements holds every one of them and never closes one before the next command (which
//! stalls that command about 40 ms).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use sea_orm::DatabaseConnection;
use sixpotify_api::service::page::PageArgs;
use sixpotify_api::service::relations::{self as r, CountOf};
use sixpotify_tests::{TestDb, backend_tests};

/// Every relation of `service::relations`, each over the first `n` of `ids`.
async fn every_relation(db: &DatabaseConnection, ids: &[String]) -> Result<()> {
    let page = PageArgs {
        first: 10,
        after: None,
    };
    r::tracks_by_id(db, ids).await?;
    r::artists_by_id(db, ids).await?;
    r::albums_by_id(db, ids).await?;
    r::playlists_by_id(db, ids).await?;
    r::genres_by_id(db, ids).await?;
    r::features_of_tracks(db, ids).await?;
    r::genres_of_artists(db, ids).await?;
    r::genres_of_tracks(db, ids).await?;
    r::aliases_of_artists(db, ids).await?;
    r::artists_of_tracks(db, ids).await?;
    r::top_tracks_of_artists(db, "KR", ids).await?;
    r::artists_of_albums(db, ids).await?;
    r::tracks_of_artists(db, ids, &page).await?;
    r::tracks_of_albums(db, ids, &page).await?;
    r::albums_of_artists(db, ids, &page).await?;
    r::entries_of_playlists(db, ids, &page).await?;
    r::playlists_of_tracks(db, ids, &page).await?;
    r::playlists_of_artists(db, ids, &page).await?;
    for of in [
        CountOf::ArtistTracks,
        CountOf::ArtistAlbums,
        CountOf::AlbumTracks,
        CountOf::GenreTracks,
        CountOf::GenreArtists,
        CountOf::PlaylistTracks,
        CountOf::TrackPlaylists,
        CountOf::ArtistPlaylists,
    ] {
        r::counts(db, of, ids).await?;
    }
    Ok(())
}

async fn a_batch_of_any_size_sends_the_statement_of_its_next_power_of_two(
    db: TestDb,
) -> Result<()> {
    let mut conn = db.connect().await?;
    let texts = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = texts.clone();
    conn.set_metric_callback(move |info| {
        if let Ok(mut texts) = seen.lock() {
            texts.insert(info.statement.sql.clone());
        }
    });
    let ids: Vec<String> = (0..64).map(|i| format!("id-{i}")).collect();
    let take = |texts: &Arc<Mutex<BTreeSet<String>>>| -> BTreeSet<String> {
        texts
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default()
    };

    // The statements of batches whose sizes are powers of two: 1, 2, 4, … 64.
    for n in (0..7).map(|k| 1 << k) {
        every_relation(&conn, &ids[..n]).await?;
    }
    let powers = take(&texts);
    assert!(
        powers.len() >= 7 * 26,
        "each of the 26 relations sends a statement per size: {} texts",
        powers.len()
    );

    // Every size from 1 to 64 sends only those.
    for n in 1..=ids.len() {
        every_relation(&conn, &ids[..n]).await?;
    }
    let every = take(&texts);
    let new: Vec<&String> = every.difference(&powers).collect();
    assert!(
        new.is_empty(),
        "{} statements not sent for a power of two, the first: {}",
        new.len(),
        new[0]
    );
    Ok(())
}

backend_tests!(a_batch_of_any_size_sends_the_statement_of_its_next_power_of_two);
