//! Relay's global object identification: `Node`, `node`, `nodes`, and global ids accepted
//! wherever a catalog id is.

use anyhow::{Result, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample, strings};

/// The global id of `catalog_id` as the README describes it: base64 of `<Type>:<catalog id>`.
fn global(type_name: &str, catalog_id: &str) -> String {
    STANDARD.encode(format!("{type_name}:{catalog_id}"))
}

async fn sample_app(db: &TestDb) -> Result<TestApp> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(db).await?;
    app.ready().await?;
    Ok(app)
}

const ONE_OF_EACH: &str = "{
  artists(first: 1) { nodes { __typename id catalogId } }
  tracks(first: 1) { nodes { __typename id catalogId album { __typename id catalogId } } }
  genres(first: 1) { nodes { __typename id catalogId } }
  playlists(first: 1) { nodes { __typename id catalogId } }
}";

async fn every_node_type_is_found_again_by_its_global_id_which_names_its_type(
    db: TestDb,
) -> Result<()> {
    let app = sample_app(&db).await?;
    let data = app.data(ONE_OF_EACH).await?;
    let objects = [
        &data["artists"]["nodes"][0],
        &data["tracks"]["nodes"][0],
        &data["tracks"]["nodes"][0]["album"],
        &data["genres"]["nodes"][0],
        &data["playlists"]["nodes"][0],
    ];
    for object in objects {
        let (type_name, id, catalog) = (
            object["__typename"].as_str().unwrap_or_default(),
            object["id"].as_str().unwrap_or_default(),
            object["catalogId"].as_str().unwrap_or_default(),
        );
        ensure!(!catalog.is_empty(), "no catalogId in {object}");
        assert_eq!(id, global(type_name, catalog), "{object}");
        let found = app
            .query_with(
                "query ($id: ID!) { node(id: $id) { __typename id ... on Artist { catalogId } ... on Track { catalogId } ... on Album { catalogId } ... on Genre { catalogId } ... on Playlist { catalogId } } }",
                json!({ "id": id }),
            )
            .await?;
        let expected = json!({ "__typename": type_name, "id": id, "catalogId": catalog });
        assert_eq!(found["data"]["node"], expected, "{found}");
    }
    Ok(())
}

async fn lookups_filters_and_seeds_take_global_ids_and_catalog_ids_alike(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    let data = app.data(ONE_OF_EACH).await?;
    let artist = data["artists"]["nodes"][0].clone();
    let track = data["tracks"]["nodes"][0].clone();
    let album = data["tracks"]["nodes"][0]["album"].clone();
    let genre = data["genres"]["nodes"][0].clone();
    let playlist = data["playlists"]["nodes"][0].clone();
    let query = "query ($artist: ID!, $track: ID!, $album: ID!, $playlist: ID!, $genre: String!, $genreId: ID!) {
      artist(id: $artist) { catalogId }
      track(id: $track) { catalogId }
      album(id: $album) { catalogId }
      playlist(id: $playlist) { catalogId }
      byArtist: tracks(first: 5, filter: { artistId: $artist }) { totalCount nodes { catalogId } }
      inPlaylist: tracks(first: 5, filter: { playlistId: $playlist, genre: $genre }) { totalCount }
      holding: playlists(first: 5, filter: { trackId: $track, artistId: $artist }) { totalCount }
      releaseYearStats(genre: $genreId) { year tracks }
      topArtists(by: POPULARITY, genre: $genreId, first: 3) { artist { catalogId } }
      recommendations(seedArtists: [$artist], seedTracks: [$track], seedGenres: [$genre], limit: 5) { track { catalogId } }
    }";
    let with = |key: &str| {
        json!({
            "artist": artist[key], "track": track[key], "album": album[key],
            "playlist": playlist[key], "genre": genre[key], "genreId": genre[key],
        })
    };
    let by_catalog = app.query_with(query, with("catalogId")).await?;
    let by_global = app.query_with(query, with("id")).await?;
    ensure!(by_catalog.get("errors").is_none(), "{by_catalog}");
    assert_eq!(by_global, by_catalog);
    let data = &by_catalog["data"];
    assert_eq!(data["artist"]["catalogId"], artist["catalogId"]);
    assert_eq!(data["track"]["catalogId"], track["catalogId"]);
    assert_eq!(data["album"]["catalogId"], album["catalogId"]);
    assert_eq!(data["playlist"]["catalogId"], playlist["catalogId"]);
    ensure!(data["byArtist"]["totalCount"].as_u64() > Some(0), "{data}");
    ensure!(
        data["recommendations"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{data}"
    );
    // A global id of another type names nothing of this one.
    let crossed = app
        .data(&format!(
            "{{ artist(id: \"{}\") {{ name }} node(id: \"{}\") {{ id }} }}",
            track["id"].as_str().unwrap_or_default(),
            global("Artist", track["catalogId"].as_str().unwrap_or_default()),
        ))
        .await?;
    assert_eq!(crossed, json!({ "artist": null, "node": null }));
    Ok(())
}

async fn malformed_and_unknown_global_ids_give_null_not_an_error(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    let ids = [
        "not base64 at all!".to_owned(),
        "".to_owned(),
        STANDARD.encode("no separator"),
        STANDARD.encode("User:1"),
        STANDARD.encode("Artist:"),
        global("Artist", "no-such-artist"),
        global("Genre", "no such genre"),
        STANDARD.encode([0xff, 0xfe, 0x3a]),
    ];
    for id in &ids {
        let body = app
            .query_with(
                "query ($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await?;
        assert_eq!(body, json!({ "data": { "node": null } }), "{id}");
    }
    let body = app
        .query_with(
            "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await?;
    assert_eq!(
        body,
        json!({ "data": { "nodes": vec![Value::Null; ids.len()] } })
    );
    Ok(())
}

async fn nodes_keep_the_order_asked_and_load_each_type_in_one_statement(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    app.ready().await?;
    // Ids straight from the database, so that nothing is in the entity caches yet.
    let mut wanted = Vec::new();
    for (type_name, sql) in [
        ("Track", "SELECT id FROM tracks ORDER BY id LIMIT 40"),
        ("Artist", "SELECT id FROM artists ORDER BY id LIMIT 30"),
        ("Album", "SELECT id FROM albums ORDER BY id LIMIT 10"),
        ("Genre", "SELECT id FROM genres ORDER BY id LIMIT 10"),
        ("Playlist", "SELECT id FROM playlists ORDER BY id LIMIT 5"),
    ] {
        let ids = strings(&conn, sql).await?;
        ensure!(!ids.is_empty(), "no {type_name} in the sample");
        wanted.extend(ids.iter().map(|id| (type_name, id.clone())));
    }
    // Interleave the types and add ids naming nothing.
    wanted.sort_by(|a, b| a.1.cmp(&b.1));
    wanted.insert(3, ("Track", "no-such-track".to_owned()));
    let ids: Vec<String> = wanted.iter().map(|(t, id)| global(t, id)).collect();
    let query = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Artist { catalogId } ... on Track { catalogId } ... on Album { catalogId } ... on Genre { catalogId } ... on Playlist { catalogId } } }";
    let before = app.statements.get();
    let body = app.query_with(query, json!({ "ids": ids })).await?;
    let statements = app.statements.get() - before;
    ensure!(body.get("errors").is_none(), "{body}");
    let expected: Vec<Value> = wanted
        .iter()
        .zip(&ids)
        .map(|((t, catalog), id)| {
            if catalog == "no-such-track" {
                Value::Null
            } else {
                json!({ "__typename": t, "id": id, "catalogId": catalog })
            }
        })
        .collect();
    assert_eq!(body["data"]["nodes"], json!(expected));
    assert_eq!(statements, 5, "one statement per type");
    // A second time every object comes from the entity caches.
    let before = app.statements.get();
    let again = app.query_with(query, json!({ "ids": ids })).await?;
    assert_eq!(again, body);
    assert_eq!(app.statements.get() - before, 0);
    // More ids than a page holds is refused with the page's code.
    let too_many = vec![global("Track", "x"); 101];
    let refused = app.query_with(query, json!({ "ids": too_many })).await?;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "PAGE_TOO_LARGE",
        "{refused}"
    );
    Ok(())
}

backend_tests!(
    every_node_type_is_found_again_by_its_global_id_which_names_its_type,
    lookups_filters_and_seeds_take_global_ids_and_catalog_ids_alike,
    malformed_and_unknown_global_ids_give_null_not_an_error,
    nodes_keep_the_order_asked_and_load_each_type_in_one_statement,
);
