//! Playlists through the API over the bundled sample, on SQLite and MariaDB: lookups, lists,
//! entries in order, and the playlists of tracks and artists, against counts from the database.

use anyhow::Result;
use serde_json::Value;
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample, scalar};

/// "K-Party Dance Mix", one of the sample's playlists.
const KPARTY: &str = "37i9dQZF1DX4RDXswvP6Mj";

fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["node"].clone())
        .collect()
}

async fn a_playlist_lists_its_tracks_in_order_a_page_at_a_time(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let page = |after: &str| {
        format!(
            "{{ playlist(id: \"{KPARTY}\") {{ catalogId name source trackCount tracks(first: 5{after}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ position track {{ catalogId name }} }} }} }} }} }}"
        )
    };
    let data = app.data(&page("")).await?;
    let playlist = &data["playlist"];
    assert_eq!(playlist["name"], "K-Party Dance Mix");
    assert_eq!(playlist["source"], "csv");
    let entries = scalar(
        &conn,
        &format!("SELECT COUNT(*) FROM playlist_tracks WHERE playlist_id = '{KPARTY}'"),
    )
    .await?;
    assert_eq!(playlist["trackCount"], entries);
    assert_eq!(playlist["tracks"]["totalCount"], entries);
    let first = nodes(&playlist["tracks"]);
    let positions: Vec<i64> = first
        .iter()
        .filter_map(|n| n["position"].as_i64())
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    for n in &first {
        let id = n["track"]["catalogId"].as_str().unwrap_or_default();
        let at = scalar(
            &conn,
            &format!(
                "SELECT position FROM playlist_tracks WHERE playlist_id = '{KPARTY}' AND track_id = '{id}' ORDER BY position LIMIT 1"
            ),
        )
        .await?;
        assert_eq!(n["position"], at, "{n}");
    }
    let cursor = playlist["tracks"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap_or_default();
    let next = app.data(&page(&format!(", after: \"{cursor}\""))).await?;
    let positions: Vec<i64> = nodes(&next["playlist"]["tracks"])
        .iter()
        .filter_map(|n| n["position"].as_i64())
        .collect();
    assert_eq!(positions, [6, 7, 8, 9, 10]);

    let unknown = app
        .data("{ playlist(id: \"no-such-playlist\") { catalogId } }")
        .await?;
    assert_eq!(unknown["playlist"], Value::Null);
    Ok(())
}

async fn playlists_are_filtered_ordered_and_counted_like_the_database(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let total = scalar(&conn, "SELECT COUNT(*) FROM playlists").await?;
    let data = app
        .data("{ playlists(first: 50, orderBy: { field: TRACK_COUNT }) { totalCount edges { node { catalogId trackCount } } } }")
        .await?;
    assert_eq!(data["playlists"]["totalCount"], total);
    let counts: Vec<i64> = nodes(&data["playlists"])
        .iter()
        .filter_map(|n| n["trackCount"].as_i64())
        .collect();
    assert_eq!(counts.len(), 50);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");

    let named = app
        .data("{ playlists(filter: { nameContains: \"k party\" }) { edges { node { catalogId name } } } }")
        .await?;
    let ids: Vec<Value> = nodes(&named["playlists"])
        .iter()
        .map(|n| n["catalogId"].clone())
        .collect();
    assert!(ids.contains(&Value::from(KPARTY)), "{named}");

    let bts = app.data("{ searchArtists(query: \"BTS\", first: 1) { catalogId playlists(first: 100) { totalCount edges { node { catalogId } } } tracks(first: 1) { edges { node { catalogId playlists { totalCount } } } } } }").await?;
    let bts = &bts["searchArtists"][0];
    let id = bts["catalogId"].as_str().unwrap_or_default();
    let holding = scalar(
        &conn,
        &format!(
            "SELECT COUNT(DISTINCT pt.playlist_id) FROM playlist_tracks pt JOIN track_artists ta ON ta.track_id = pt.track_id WHERE ta.artist_id = '{id}'"
        ),
    )
    .await?;
    assert!(holding >= 2, "BTS is in several of the sample's playlists");
    assert_eq!(bts["playlists"]["totalCount"], holding);
    let filtered = app
        .data(&format!(
            "{{ playlists(first: 100, filter: {{ artistId: \"{id}\" }}) {{ totalCount edges {{ node {{ catalogId }} }} }} }}"
        ))
        .await?;
    assert_eq!(filtered["playlists"]["totalCount"], holding);
    let mut by_filter: Vec<Value> = nodes(&filtered["playlists"])
        .iter()
        .map(|n| n["catalogId"].clone())
        .collect();
    let mut by_artist: Vec<Value> = nodes(&bts["playlists"])
        .iter()
        .map(|n| n["catalogId"].clone())
        .collect();
    by_filter.sort_by_key(|v| v.to_string());
    by_artist.sort_by_key(|v| v.to_string());
    assert_eq!(by_filter, by_artist);

    let track = &bts["tracks"]["edges"][0]["node"];
    let track_id = track["catalogId"].as_str().unwrap_or_default();
    let of_track = scalar(
        &conn,
        &format!(
            "SELECT COUNT(DISTINCT playlist_id) FROM playlist_tracks WHERE track_id = '{track_id}'"
        ),
    )
    .await?;
    assert_eq!(track["playlists"]["totalCount"], of_track);

    let bad = app
        .query("{ playlists(filter: { trackCount: { min: 10, max: 5 } }) { totalCount } }")
        .await?;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );
    Ok(())
}

backend_tests!(
    a_playlist_lists_its_tracks_in_order_a_page_at_a_time,
    playlists_are_filtered_ordered_and_counted_like_the_database
);

async fn nested_playlists_run_a_fixed_number_of_statements_whatever_first_is(
    db: TestDb,
) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let query = "query($first: Int!) { playlists(first: $first) { totalCount edges { node { name tracks(first: 5) { totalCount edges { node { position track { name artists { name } playlists(first: 2) { totalCount } } } } } } } } }";
    let mut counts = Vec::new();
    for first in [10, 50, 100] {
        let before = app.statements.get();
        let body = app
            .query_with(query, serde_json::json!({ "first": first }))
            .await?;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(nodes(&body["data"]["playlists"]).len(), first);
        counts.push(app.statements.get() - before);
    }
    // Bounded by the query's shape, not by `first`: eight loads (playlists, their count, the
    // entries, their counts, tracks, artists, the tracks' playlist counts and the artists' rows),
    // each in one batch, or two when cached rows let some resolvers ask before the rest
    // (measured 8 to 11). One statement per playlist or track would be over 100 at `first: 100`.
    assert!(
        counts.iter().all(|&n| n <= 16),
        "statements per query: {counts:?}"
    );
    Ok(())
}

backend_tests!(nested_playlists_run_a_fixed_number_of_statements_whatever_first_is);
