//! `trackStats`: groups over filters, checked against figures computed here from the raw rows of
//! the catalog, on both backends.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context as _, Result};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample, scalar};

/// One track as the raw tables give it.
#[derive(Clone, Debug)]
struct Raw {
    popularity: Option<i32>,
    duration_ms: i32,
    release_year: Option<i32>,
    mode: Option<i32>,
    energy: Option<f64>,
    main_artist: Option<String>,
    genres: Vec<String>,
}

/// Every track of the catalog with what the checks group and measure, read table by table.
async fn raw_tracks(db: &DatabaseConnection) -> Result<HashMap<String, Raw>> {
    let albums: HashMap<String, entity::album::Model> = entity::album::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let features: HashMap<String, entity::audio_features::Model> =
        entity::audio_features::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|f| (f.track_id.clone(), f))
            .collect();
    let mut credits: HashMap<String, Vec<(i32, String)>> = HashMap::new();
    for c in entity::track_artist::Entity::find().all(db).await? {
        credits
            .entry(c.track_id)
            .or_default()
            .push((c.position, c.artist_id));
    }
    let mut genres: HashMap<String, Vec<String>> = HashMap::new();
    for g in entity::track_genre::Entity::find().all(db).await? {
        genres.entry(g.track_id).or_default().push(g.genre_id);
    }
    let mut out = HashMap::new();
    for t in entity::track::Entity::find().all(db).await? {
        let album = t.album_id.as_ref().and_then(|a| albums.get(a));
        let f = features.get(&t.id);
        out.insert(
            t.id.clone(),
            Raw {
                popularity: t.popularity,
                duration_ms: t.duration_ms,
                release_year: album.and_then(|a| a.release_year),
                mode: f.map(|f| f.mode),
                energy: f.map(|f| f.energy),
                main_artist: credits
                    .get(&t.id)
                    .and_then(|c| c.iter().min().map(|(_, a)| a.clone())),
                genres: genres.remove(&t.id).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// Count, mean, min, max and population standard deviation.
fn stats(values: &[f64]) -> Option<(usize, f64, f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((values.len(), mean, min, max, var.sqrt()))
}

fn close(got: &Value, want: f64) -> bool {
    got.as_f64()
        .is_some_and(|g| (g - want).abs() <= 1e-9 * want.abs().max(1.0))
}

/// Checks one measure's figures against the values of the group's tracks.
fn check_measure(node: &Value, field: &str, values: &[f64]) {
    let got = &node[field];
    match stats(values) {
        None => {
            assert_eq!(got["count"], 0, "{field}: {node}");
            assert!(got["mean"].is_null() && got["stddev"].is_null(), "{node}");
        }
        Some((n, mean, min, max, sd)) => {
            assert_eq!(got["count"].as_u64(), Some(n as u64), "{field}: {node}");
            assert!(close(&got["mean"], mean), "{field} mean {mean}: {node}");
            assert!(close(&got["min"], min), "{field} min {min}: {node}");
            assert!(close(&got["max"], max), "{field} max {max}: {node}");
            assert!(close(&got["stddev"], sd), "{field} stddev {sd}: {node}");
        }
    }
}

const ALL_STATS: &str = "{ count mean min max stddev }";

async fn groups_by_decade_and_mode_agree_with_the_raw_rows(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let raw = raw_tracks(&conn).await?;
    let app = TestApp::spawn_with(&db, |s| {
        s.poll_interval = std::time::Duration::from_secs(3600)
    })
    .await?;
    app.ready().await?;
    let before = app.statements.get();
    let data = app
        .data(&format!(
            "{{ trackStats(groupBy: [DECADE, MODE], first: 100, orderBy: {{ by: KEY }}) {{
                totalCount
                edges {{ node {{ key {{ decade mode releaseYear genre {{ catalogId }} }} count artists
                  energy {ALL_STATS} popularity {ALL_STATS} durationMs {ALL_STATS} }} }} }} }}"
        ))
        .await?;
    assert_eq!(
        app.statements.get() - before,
        1,
        "one statement, computed by the database"
    );
    let mut expected: BTreeMap<(Option<i32>, Option<i32>), Vec<&Raw>> = BTreeMap::new();
    for t in raw.values() {
        let decade = t.release_year.map(|y| y - y.rem_euclid(10));
        expected.entry((decade, t.mode)).or_default().push(t);
    }
    let edges = data["trackStats"]["edges"]
        .as_array()
        .context("edges")?
        .clone();
    assert_eq!(data["trackStats"]["totalCount"], expected.len());
    assert_eq!(edges.len(), expected.len(), "every group on one page");
    let keys: Vec<(Option<i64>, Option<i64>)> = edges
        .iter()
        .map(|e| {
            let k = &e["node"]["key"];
            (k["decade"].as_i64(), k["mode"].as_i64())
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by decade, then mode");
    for e in &edges {
        let node = &e["node"];
        assert!(node["key"]["releaseYear"].is_null() && node["key"]["genre"].is_null());
        let key = (
            node["key"]["decade"].as_i64().map(|v| v as i32),
            node["key"]["mode"].as_i64().map(|v| v as i32),
        );
        let tracks = expected.get(&key).context("a group the raw rows lack")?;
        assert_eq!(node["count"].as_u64(), Some(tracks.len() as u64), "{node}");
        let artists: BTreeSet<_> = tracks
            .iter()
            .filter_map(|t| t.main_artist.clone())
            .collect();
        assert_eq!(
            node["artists"].as_u64(),
            Some(artists.len() as u64),
            "{node}"
        );
        let energy: Vec<f64> = tracks.iter().filter_map(|t| t.energy).collect();
        check_measure(node, "energy", &energy);
        let popularity: Vec<f64> = tracks
            .iter()
            .filter_map(|t| t.popularity.map(f64::from))
            .collect();
        check_measure(node, "popularity", &popularity);
        let duration: Vec<f64> = tracks.iter().map(|t| f64::from(t.duration_ms)).collect();
        check_measure(node, "durationMs", &duration);
    }
    Ok(())
}

async fn a_track_counts_in_each_of_its_genres(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let raw = raw_tracks(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data("{ trackStats(groupBy: [GENRE], first: 100) { totalCount edges { node { key { genre { catalogId name } } count } } } }")
        .await?;
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for t in raw.values() {
        if t.genres.is_empty() {
            *expected.entry(String::new()).or_default() += 1;
        }
        for g in &t.genres {
            *expected.entry(g.clone()).or_default() += 1;
        }
    }
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for e in data["trackStats"]["edges"].as_array().context("edges")? {
        let node = &e["node"];
        let id = node["key"]["genre"]["catalogId"]
            .as_str()
            .unwrap_or_default();
        if !id.is_empty() {
            assert!(node["key"]["genre"]["name"].is_string(), "{node}");
        }
        got.insert(id.to_owned(), node["count"].as_u64().unwrap_or(0));
    }
    assert_eq!(got, expected);
    let counts: Vec<u64> = got.values().copied().collect();
    assert!(
        counts.iter().sum::<u64>() > raw.len() as u64,
        "some track has several genres"
    );

    // Filtered to one genre, the other genres of its tracks still form groups.
    let genre = expected
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .max_by_key(|(_, n)| **n)
        .map(|(g, _)| g.clone())
        .context("a genre")?;
    let filtered = app
        .query_with(
            "query($g: String!) { trackStats(groupBy: [GENRE], filter: { genre: $g }, first: 100) { edges { node { key { genre { catalogId } } count } } } }",
            json!({ "g": genre }),
        )
        .await?;
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for t in raw.values().filter(|t| t.genres.contains(&genre)) {
        for g in &t.genres {
            *want.entry(g.clone()).or_default() += 1;
        }
    }
    let got: BTreeMap<String, u64> = filtered["data"]["trackStats"]["edges"]
        .as_array()
        .context("edges")?
        .iter()
        .map(|e| {
            (
                e["node"]["key"]["genre"]["catalogId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["node"]["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(got, want);
    Ok(())
}

async fn filters_select_the_same_tracks_as_the_tracks_list(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let artist: String = sixpotify_tests::strings(
        &conn,
        "SELECT artist_id FROM track_artists GROUP BY artist_id ORDER BY COUNT(*) DESC, artist_id LIMIT 1",
    )
    .await?
    .remove(0);
    let playlist: String = sixpotify_tests::strings(
        &conn,
        "SELECT playlist_id FROM playlist_tracks GROUP BY playlist_id ORDER BY COUNT(*) DESC, playlist_id LIMIT 1",
    )
    .await?
    .remove(0);
    let genre: String = sixpotify_tests::strings(
        &conn,
        "SELECT genre_id FROM track_genres GROUP BY genre_id ORDER BY COUNT(*) DESC, genre_id LIMIT 1",
    )
    .await?
    .remove(0);
    let filters = [
        json!({}),
        json!({ "popularity": { "min": 60 } }),
        json!({ "releaseYear": { "min": 2010, "max": 2015 }, "audioFeatures": { "energy": { "min": 0.5 } } }),
        json!({ "genre": genre }),
        json!({ "artistId": artist }),
        json!({ "playlistId": playlist }),
        json!({ "nameContains": "love" }),
    ];
    for filter in filters {
        let body = app
            .query_with(
                "query($f: TrackFilterInput) { tracks(filter: $f, first: 1) { totalCount } trackStats(filter: $f) { totalCount edges { node { count } } } }",
                json!({ "f": filter }),
            )
            .await?;
        let data = &body["data"];
        let tracks = data["tracks"]["totalCount"]
            .as_u64()
            .context("totalCount")?;
        assert!(tracks > 0, "{filter} selects tracks");
        assert_eq!(data["trackStats"]["totalCount"], 1, "one group: {body}");
        assert_eq!(
            data["trackStats"]["edges"][0]["node"]["count"].as_u64(),
            Some(tracks),
            "{filter}: {body}"
        );
    }
    Ok(())
}

async fn groups_are_ordered_by_a_figure_bounded_and_paged(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let query = "query($after: String, $first: Int!) { trackStats(groupBy: [ARTIST], minCount: 5, first: $first, after: $after,
        orderBy: { by: MEAN, measure: ENERGY }) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { key { artist { catalogId name } } count energy { mean } } } } }";
    let all = app.query_with(query, json!({ "first": 100 })).await?;
    let all_nodes: Vec<Value> = all["data"]["trackStats"]["edges"]
        .as_array()
        .context("edges")?
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let expected_groups = scalar(
        &conn,
        "SELECT COUNT(*) FROM (SELECT artist_no FROM track_facts \
         GROUP BY artist_no HAVING COUNT(*) >= 5) g",
    )
    .await?;
    assert!(
        expected_groups > 3,
        "the sample has artists with five tracks"
    );
    assert_eq!(all["data"]["trackStats"]["totalCount"], expected_groups);
    assert!(all_nodes.iter().all(|n| n["count"].as_i64() >= Some(5)));
    assert!(
        all_nodes
            .iter()
            .all(|n| n["key"]["artist"]["name"].is_string())
    );
    let means: Vec<f64> = all_nodes
        .iter()
        .filter_map(|n| n["energy"]["mean"].as_f64())
        .collect();
    assert!(
        means.windows(2).all(|w| w[0] >= w[1]),
        "most energetic first"
    );

    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .query_with(query, json!({ "first": 3, "after": after }))
            .await?;
        let conn = &page["data"]["trackStats"];
        assert_eq!(conn["totalCount"], expected_groups, "{page}");
        for e in conn["edges"].as_array().context("edges")? {
            paged.push(e["node"].clone());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, all_nodes, "pages follow one another");

    // A cursor belongs to its grouping and ordering.
    let other = app
        .query_with(
            "query($after: String) { trackStats(groupBy: [ARTIST], after: $after) { totalCount } }",
            json!({ "after": after }),
        )
        .await?;
    assert_eq!(
        other["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{other}"
    );
    Ok(())
}

async fn requests_the_grouping_cannot_answer_are_refused_with_a_code(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    for (args, code) in [
        ("groupBy: [GENRE, DECADE, MODE, KEY]", "BAD_USER_INPUT"),
        ("groupBy: [GENRE, GENRE]", "BAD_USER_INPUT"),
        ("orderBy: { by: KEY }", "BAD_USER_INPUT"),
        (
            "groupBy: [MODE], orderBy: { by: KEY, dimension: DECADE }",
            "BAD_USER_INPUT",
        ),
        ("orderBy: { by: MEAN }", "BAD_USER_INPUT"),
        ("orderBy: { by: COUNT, measure: ENERGY }", "BAD_USER_INPUT"),
        ("minCount: -1", "BAD_USER_INPUT"),
        (
            "filter: { popularity: { min: 90, max: 10 } }",
            "BAD_USER_INPUT",
        ),
        ("first: 100000", "PAGE_TOO_LARGE"),
        ("after: \"nonsense\"", "BAD_USER_INPUT"),
    ] {
        let body = app
            .query(&format!("{{ trackStats({args}) {{ totalCount }} }}"))
            .await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{args}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("SELECT"),
            "no SQL to the client: {message}"
        );
    }
    // With no dimension, the whole catalog is one group.
    let data = app
        .data("{ trackStats { totalCount edges { node { count key { genre { catalogId } decade } } } } }")
        .await?;
    assert_eq!(data["trackStats"]["totalCount"], 1);
    let tracks = scalar(&conn, "SELECT COUNT(*) FROM tracks").await?;
    assert_eq!(data["trackStats"]["edges"][0]["node"]["count"], tracks);
    Ok(())
}

async fn edge_pages_empty_selections_and_the_nodes_shortcut_are_counted_right(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let groups = scalar(
        &conn,
        "SELECT COUNT(*) FROM (SELECT `key` FROM track_facts GROUP BY `key`) g",
    )
    .await?;
    // No page at all, and a page past the end: the count still comes.
    let data = app
        .data("{ empty: trackStats(groupBy: [KEY], first: 0) { totalCount edges { cursor } } }")
        .await?;
    assert_eq!(data["empty"]["totalCount"], groups);
    assert_eq!(data["empty"]["edges"], json!([]));
    let first = app
        .data("{ trackStats(groupBy: [KEY], first: 1) { pageInfo { endCursor } } }")
        .await?;
    let mut cursor = first["trackStats"]["pageInfo"]["endCursor"].clone();
    loop {
        let page = app
            .query_with(
                "query($a: String) { trackStats(groupBy: [KEY], first: 100, after: $a) { totalCount edges { cursor } pageInfo { hasNextPage } } }",
                json!({ "a": cursor }),
            )
            .await?;
        let conn_ = &page["data"]["trackStats"];
        assert_eq!(conn_["totalCount"], groups, "{page}");
        match conn_["edges"].as_array().and_then(|e| e.last()) {
            Some(last) => cursor = last["cursor"].clone(),
            None => break,
        }
    }
    // A filter that selects nothing: no group, with or without a grouping, as `tracks` says.
    for args in ["", "groupBy: [MODE], "] {
        let data = app
            .data(&format!(
                "{{ trackStats({args}filter: {{ popularity: {{ min: 101 }} }}) {{ totalCount edges {{ node {{ count }} }} }}
                   tracks(filter: {{ popularity: {{ min: 101 }} }}) {{ totalCount }} }}"
            ))
            .await?;
        assert_eq!(data["tracks"]["totalCount"], 0);
        assert_eq!(data["trackStats"]["totalCount"], 0, "{args}: {data}");
        assert_eq!(data["trackStats"]["edges"], json!([]), "{args}");
    }
    let data = app
        .data("{ trackStats(filter: { genre: \"\" }) { totalCount } tracks(filter: { genre: \"\" }) { totalCount } }")
        .await?;
    assert_eq!(data["trackStats"]["totalCount"], 0, "{data}");
    assert_eq!(data["tracks"]["totalCount"], 0);
    // `nodes` is the same as `edges { node }`, figures included.
    let data = app
        .data(
            "{ trackStats(groupBy: [MODE], orderBy: { by: STDDEV, measure: TEMPO }) {
            nodes { key { mode } artists tempo { stddev } }
            edges { node { key { mode } artists tempo { stddev } } } } }",
        )
        .await?;
    let nodes = data["trackStats"]["nodes"].as_array().context("nodes")?;
    let edges: Vec<Value> = data["trackStats"]["edges"]
        .as_array()
        .context("edges")?
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(nodes, &edges);
    let sds: Vec<f64> = nodes
        .iter()
        .filter_map(|n| n["tempo"]["stddev"].as_f64())
        .collect();
    assert!(
        sds.len() >= 2 && sds.windows(2).all(|w| w[0] >= w[1]),
        "widest tempo spread first: {sds:?}"
    );
    Ok(())
}

backend_tests!(
    edge_pages_empty_selections_and_the_nodes_shortcut_are_counted_right,
    groups_by_decade_and_mode_agree_with_the_raw_rows,
    a_track_counts_in_each_of_its_genres,
    filters_select_the_same_tracks_as_the_tracks_list,
    groups_are_ordered_by_a_figure_bounded_and_paged,
    requests_the_grouping_cannot_answer_are_refused_with_a_code
);
