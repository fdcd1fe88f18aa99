//! The GraphQL API over real HTTP, on a server started on port 0.

use std::collections::HashSet;

use anyhow::{Result, ensure};
use sea_orm::ConnectionTrait as _;
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, backend_tests, fixture, import, import_sample, scalar};

/// The nested query whose statement count must not depend on `first`.
const NESTED: &str = "query ($first: Int!) { artists(first: $first) { edges { node { name genres { name } tracks(first: 10) { edges { node { name album { name } artists { name } audioFeatures { energy valence } } } } } } } }";

async fn sample_app(db: &TestDb) -> Result<TestApp> {
    import_sample(&db.connect().await?).await?;
    TestApp::spawn(db).await
}

fn ids(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| {
                    e["node"]["catalogId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn the_nested_artists_query_runs_a_fixed_number_of_statements_whatever_first_is(
    db: TestDb,
) -> Result<()> {
    let app = sample_app(&db).await?;
    let mut counts = Vec::new();
    for first in [1, 10, 50, 100] {
        let before = app.statements.get();
        let body = app.query_with(NESTED, json!({ "first": first })).await?;
        ensure!(body.get("errors").is_none(), "{body}");
        let artists = body["data"]["artists"]["edges"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(artists, first as usize);
        counts.push(app.statements.get() - before);
    }
    eprintln!("statements per nested query for first = 1, 10, 50, 100: {counts:?}");
    assert!(
        counts.iter().all(|&n| n <= 8),
        "statements per query: {counts:?}"
    );
    assert!(
        counts.windows(2).all(|w| w[0] == w[1]),
        "statements per query: {counts:?}"
    );
    Ok(())
}

async fn first_above_the_page_size_limit_is_an_error_not_a_clamp(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    for (query, code) in [
        ("{ tracks(first: 101) { totalCount } }", "PAGE_TOO_LARGE"),
        ("{ artists(first: -1) { totalCount } }", "BAD_USER_INPUT"),
        (
            "{ searchArtists(query: \"bts\", first: 1000) { name } }",
            "PAGE_TOO_LARGE",
        ),
        (
            "{ artists(first: 1) { edges { node { tracks(first: 500) { totalCount } } } } }",
            "PAGE_TOO_LARGE",
        ),
    ] {
        let body = app.query(query).await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{query}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("`first` must be between 0 and 100"),
            "{body}"
        );
    }
    Ok(())
}

async fn unknown_ids_give_null_not_an_error(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    let body = app.query("{ artist(id: \"nope\") { name } track(id: \"nope\") { name } album(id: \"nope\") { name } }").await?;
    assert_eq!(
        body,
        json!({ "data": { "artist": null, "track": null, "album": null } })
    );
    Ok(())
}

async fn a_track_shows_its_album_artists_features_and_genres(db: TestDb) -> Result<()> {
    import(&db.connect().await?, fixture("quirks.csv")).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app.data("{ track(id: \"5KawlOMHjWeUjQtnuRs22c\") { name popularity durationMs album { name releaseDate releaseDatePrecision releaseYear tracks { totalCount } artists { name } } artists { name } audioFeatures { danceability key mode tempo } genres { catalogId } } }").await?;
    assert_eq!(
        data,
        json!({ "track": {
            "name": "Boy With Luv (feat. Halsey)", "popularity": 85, "durationMs": 229773,
            "album": { "name": "MAP OF THE SOUL : PERSONA", "releaseDate": "2019-04-12", "releaseDatePrecision": "DAY", "releaseYear": 2019, "tracks": { "totalCount": 1 }, "artists": [{ "name": "BTS" }] },
            "artists": [{ "name": "BTS" }],
            "audioFeatures": { "danceability": 0.645, "key": 4, "mode": 1, "tempo": 119.991 },
            "genres": [{ "catalogId": "dance pop" }, { "catalogId": "hip pop" }, { "catalogId": "pop" }, { "catalogId": "post-teen pop" }, { "catalogId": "r&b" }]
        }})
    );
    let data = app.data("{ album(id: \"23Y5wdyP5byMFktZf8AcWU\") { releaseDate releaseDatePrecision } a2: album(id: \"0Xq6Qz6M2B3Qk3q3gQeU2A\") { releaseDate releaseDatePrecision tracks { edges { node { name } } } } }").await?;
    assert_eq!(
        data["album"],
        json!({ "releaseDate": "2008", "releaseDatePrecision": "YEAR" })
    );
    assert_eq!(data["a2"]["releaseDate"], "2010-07");
    assert_eq!(
        data["a2"]["tracks"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    Ok(())
}

async fn an_artist_shows_its_tracks_albums_and_genres_with_totals(db: TestDb) -> Result<()> {
    import(&db.connect().await?, fixture("quirks.csv")).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app.data("{ searchArtists(query: \"bts\", first: 1) { genres { catalogId } tracks(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { name popularity } } } albums { totalCount edges { node { name releaseDate } } } } }").await?;
    let bts = &data["searchArtists"][0];
    assert_eq!(bts["tracks"]["totalCount"], 3);
    assert_eq!(bts["tracks"]["pageInfo"]["hasNextPage"], true);
    let names: Vec<&str> = bts["tracks"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["Boy With Luv (feat. Halsey)", "불타오르네 FIRE"],
        "most popular first"
    );
    let cursor = bts["tracks"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let next = app.query_with("query ($after: String) { searchArtists(query: \"bts\", first: 1) { tracks(first: 2, after: $after) { pageInfo { hasNextPage } edges { node { name } } } } }", json!({ "after": cursor })).await?;
    assert_eq!(
        next["data"]["searchArtists"][0]["tracks"],
        json!({ "pageInfo": { "hasNextPage": false }, "edges": [{ "node": { "name": "Lovesick" } }] })
    );
    assert_eq!(bts["albums"]["totalCount"], 3);
    assert_eq!(
        bts["albums"]["edges"][0]["node"]["releaseDate"], "2019-04-12",
        "newest album first"
    );
    Ok(())
}

async fn keyset_pages_walk_every_track_exactly_once_in_every_ordering(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    let conn = db.connect().await?;
    let total = scalar(&conn, "SELECT COUNT(*) FROM tracks").await? as usize;
    for order in [
        "{field: RELEASE_DATE, direction: ASC}",
        "{field: POPULARITY}",
        "{field: NAME}",
        "{field: DANCEABILITY, direction: ASC}",
        "{field: TEMPO}",
    ] {
        let query = format!(
            "query ($after: String) {{ tracks(first: 100, after: $after, orderBy: {order}) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ catalogId }} }} }} }}"
        );
        let mut seen = HashSet::new();
        let mut after = Value::Null;
        loop {
            let body = app.query_with(&query, json!({ "after": after })).await?;
            ensure!(body.get("errors").is_none(), "{order}: {body}");
            let page = &body["data"]["tracks"];
            assert_eq!(page["totalCount"], total);
            for id in ids(page) {
                ensure!(seen.insert(id.clone()), "{order}: {id} came twice");
            }
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen.len(), total, "{order}");
    }
    Ok(())
}

async fn filters_narrow_the_lists_and_total_count_agrees(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    let conn = db.connect().await?;
    let data = app.data("{ tracks(first: 100, filter: { genre: \"Dance Pop\", popularity: { min: 60 }, releaseYear: { min: 2015, max: 2019 }, audioFeatures: { energy: { min: 0.8 }, valence: { max: 0.5 } } }) { totalCount edges { node { catalogId popularity album { releaseYear } audioFeatures { energy valence } genres { catalogId } } } } }").await?;
    let expected = scalar(&conn, "SELECT COUNT(*) FROM tracks t JOIN albums a ON a.id = t.album_id JOIN audio_features f ON f.track_id = t.id WHERE t.popularity >= 60 AND a.release_year BETWEEN 2015 AND 2019 AND f.energy >= 0.8 AND f.valence <= 0.5 AND EXISTS (SELECT 1 FROM track_genres g WHERE g.track_id = t.id AND g.genre_id = 'dance pop')").await?;
    ensure!(expected > 0, "the filter selects something");
    assert_eq!(data["tracks"]["totalCount"], expected);
    for edge in data["tracks"]["edges"].as_array().into_iter().flatten() {
        let n = &edge["node"];
        assert!(n["popularity"].as_i64() >= Some(60));
        assert!(n["audioFeatures"]["energy"].as_f64() >= Some(0.8));
        assert!(
            n["genres"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|g| g["catalogId"] == "dance pop")
        );
    }
    let data = app.data("{ artists(first: 5, orderBy: {field: NAME}, filter: { nameContains: \"BLACK pink\", genre: \"pop\" }) { totalCount edges { node { name } } } genres(orderBy: {field: TRACK_COUNT}, first: 3) { edges { node { catalogId trackCount artistCount } } } }").await?;
    assert_eq!(
        data["artists"],
        json!({ "totalCount": 1, "edges": [{ "node": { "name": "BLACKPINK" } }] })
    );
    let counts: Vec<i64> = data["genres"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["trackCount"].as_i64())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]) && counts.len() == 3,
        "{counts:?}"
    );
    Ok(())
}

async fn contradictory_or_out_of_range_filters_are_bad_user_input_naming_the_argument(
    db: TestDb,
) -> Result<()> {
    let app = sample_app(&db).await?;
    for (query, named) in [
        (
            "{ tracks(filter: { popularity: { min: 80, max: 20 } }) { totalCount } }",
            "filter.popularity",
        ),
        (
            "{ tracks(filter: { audioFeatures: { energy: { min: 2 } } }) { totalCount } }",
            "filter.audioFeatures.energy",
        ),
        (
            "{ tracks(after: \"bm90IGEgY3Vyc29y\") { totalCount } }",
            "after",
        ),
    ] {
        let body = app.query(query).await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(named),
            "{body}"
        );
    }
    let first_page = app
        .data("{ tracks(first: 1, orderBy: {field: NAME}) { pageInfo { endCursor } } }")
        .await?;
    let cursor = first_page["tracks"]["pageInfo"]["endCursor"].clone();
    let body = app.query_with("query ($c: String) { tracks(first: 1, after: $c, orderBy: {field: POPULARITY}) { totalCount } }", json!({ "c": cursor })).await?;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "a cursor of another ordering is refused: {body}"
    );
    Ok(())
}

async fn search_ignores_case_accents_width_and_spacing_and_finds_korean(db: TestDb) -> Result<()> {
    import(&db.connect().await?, fixture("quirks.csv")).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app.data("{ a: searchArtists(query: \"beyonce\") { name } b: searchArtists(query: \"BLACK pink\") { name } c: searchArtists(query: \"ＢＴＳ\") { name } d: searchTracks(query: \"불타오르네\") { name } e: searchArtists(query: \"星野\") { name } f: searchTracks(query: \"hello world\") { name } g: searchArtists(query: \"♥\") { name } h: searchArtists(query: \"%\") { name } }").await?;
    assert_eq!(
        data,
        json!({
            "a": [{ "name": "Beyoncé" }],
            "b": [{ "name": "BLACKPINK" }],
            "c": [{ "name": "BTS" }],
            "d": [{ "name": "불타오르네 FIRE" }],
            "e": [{ "name": "星野源" }],
            "f": [{ "name": "Hello, \"World\"" }],
            "g": [{ "name": "♥" }],
            "h": []
        })
    );
    Ok(())
}

async fn search_ranks_exact_then_prefix_then_word_then_near_miss_matches(db: TestDb) -> Result<()> {
    import(&db.connect().await?, fixture("quirks.csv")).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data("{ a: searchArtists(query: \"LOVE\") { name matchedName } t: searchTracks(query: \"love\") { name matchedName } w: searchTracks(query: \"a glove\") { name } n: searchTracks(query: \"lovesik\") { name } }")
        .await?;
    assert_eq!(
        data["a"],
        json!([{ "name": "Love", "matchedName": "Love" }, { "name": "Love Affair", "matchedName": "Love Affair" }]),
        "the exact name, then a prefix; a name that only contains the query is no match"
    );
    assert_eq!(
        data["t"],
        json!([{ "name": "Lovesick", "matchedName": "Lovesick" }, { "name": "Lovely Day", "matchedName": "Lovely Day" }]),
        "prefixes by popularity"
    );
    assert_eq!(
        data["w"],
        json!([{ "name": "Fit Like A Glove" }]),
        "a later word"
    );
    assert_eq!(data["n"], json!([{ "name": "Lovesick" }]), "one typo");
    Ok(())
}

async fn load_runs_and_the_data_version_report_what_was_loaded(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import(&conn, fixture("quirks.csv")).await?;
    import(&conn, fixture("kaggle.csv")).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data("{ loadRuns { id status rowsRead rowsWritten rowsRejected error } dataVersion }")
        .await?;
    assert_eq!(data["loadRuns"][0]["rowsRead"], 8, "newest first");
    assert_eq!(
        data["loadRuns"][1],
        json!({ "id": data["loadRuns"][1]["id"], "status": "SUCCEEDED", "rowsRead": 20, "rowsWritten": 14, "rowsRejected": 6, "error": null })
    );
    assert_eq!(data["dataVersion"], data["loadRuns"][0]["id"]);
    Ok(())
}

async fn internal_errors_reach_clients_without_sql(db: TestDb) -> Result<()> {
    let app = sample_app(&db).await?;
    db.connect()
        .await?
        .execute_unprepared("DROP TABLE artist_top_tracks")
        .await?;
    db.connect()
        .await?
        .execute_unprepared("DROP TABLE audio_features")
        .await?;
    let body = app
        .query("{ tracks(first: 1) { edges { node { name audioFeatures { energy } } } } }")
        .await?;
    assert_eq!(
        body["errors"][0]["message"], "internal server error",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "INTERNAL_SERVER_ERROR"
    );
    let text = body.to_string().to_lowercase();
    assert!(
        !text.contains("select") && !text.contains("audio_features") && !text.contains("sql"),
        "{body}"
    );
    Ok(())
}

backend_tests!(
    the_nested_artists_query_runs_a_fixed_number_of_statements_whatever_first_is,
    first_above_the_page_size_limit_is_an_error_not_a_clamp,
    unknown_ids_give_null_not_an_error,
    a_track_shows_its_album_artists_features_and_genres,
    an_artist_shows_its_tracks_albums_and_genres_with_totals,
    keyset_pages_walk_every_track_exactly_once_in_every_ordering,
    filters_narrow_the_lists_and_total_count_agrees,
    contradictory_or_out_of_range_filters_are_bad_user_input_naming_the_argument,
    search_ignores_case_accents_width_and_spacing_and_finds_korean,
    search_ranks_exact_then_prefix_then_word_then_near_miss_matches,
    load_runs_and_the_data_version_report_what_was_loaded,
    internal_errors_reach_clients_without_sql
);

mod http {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queries_are_answered_over_get_as_well_as_post() -> Result<()> {
        let db = TestDb::sqlite().await?;
        let app = sample_app(&db).await?;
        let resp = app
            .client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", "{ searchArtists(query: \"blackpink\") { name } }")])
            .send()
            .await?;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await?;
        assert_eq!(
            body,
            json!({ "data": { "searchArtists": [{ "name": "BLACKPINK" }] } })
        );
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn graphiql_and_its_assets_are_served_by_the_api_itself() -> Result<()> {
        let db = TestDb::sqlite().await?;
        let app = TestApp::spawn(&db).await?;
        let resp = app
            .client
            .get(format!("{}/graphql", app.base))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await?;
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()?
                .starts_with("text/html")
        );
        let html = resp.text().await?;
        let mut assets = 0;
        for src in html.split('"').filter(|s| s.starts_with("/graphiql/")) {
            let asset = app.client.get(format!("{}{src}", app.base)).send().await?;
            assert_eq!(asset.status(), 200, "{src}");
            assert!(asset.bytes().await?.len() > 100, "{src}");
            assets += 1;
        }
        // GraphiQL, React, ReactDOM, the style, the examples and the start script.
        assert_eq!(assets, 6, "{html}");
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_error_carries_a_code() -> Result<()> {
        let db = TestDb::sqlite().await?;
        let app = TestApp::spawn(&db).await?;
        for (query, variables, code) in [
            (
                "{ tracks(first: 1 { totalCount } }",
                Value::Null,
                "GRAPHQL_PARSE_FAILED",
            ),
            (
                "{ tracks { noSuchField } }",
                Value::Null,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "{ tracks(first: \"ten\") { totalCount } }",
                Value::Null,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "query ($n: Int!) { tracks(first: $n) { totalCount } }",
                json!({ "n": "ten" }),
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "{ tracks(first: 1000) { totalCount } }",
                Value::Null,
                "PAGE_TOO_LARGE",
            ),
            (
                "query A { dataVersion } query B { dataVersion }",
                Value::Null,
                "OPERATION_RESOLUTION_FAILURE",
            ),
        ] {
            let body = app.query_with(query, variables).await?;
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            assert!(!errors.is_empty(), "{query}: {body}");
            for e in errors {
                assert_eq!(e["extensions"]["code"], code, "{query}: {body}");
            }
        }
        let body: Value = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "query A { dataVersion }", "operationName": "C" }))
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "OPERATION_RESOLUTION_FAILURE",
            "{body}"
        );
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn healthz_answers_ok() -> Result<()> {
        let db = TestDb::sqlite().await?;
        let app = TestApp::spawn(&db).await?;
        let body: Value = app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await?
            .json()
            .await?;
        assert_eq!(body, json!({ "status": "ok" }));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_no_configuration_the_api_seeds_an_empty_database_with_bts_and_blackpink()
    -> Result<()> {
        let db = TestDb::sqlite().await?;
        let mut settings =
            sixpotify_api::Settings::for_database(&db.url).map_err(anyhow::Error::msg)?;
        settings.seed = true;
        let app = sixpotify_api::Application::build(&settings).await?;
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let body: Value = reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": "{ bts: searchArtists(query: \"BTS\", first: 1) { name } bp: searchArtists(query: \"BLACKPINK\", first: 1) { name } ko: searchArtists(query: \"방탄소년단\", first: 1) { name matchedName korean: name(locale: \"ko\") } loadRuns { source status } }" }))
            .send().await?.json().await?;
        assert_eq!(
            body,
            json!({ "data": {
                "bts": [{ "name": "BTS" }], "bp": [{ "name": "BLACKPINK" }],
                "ko": [{ "name": "BTS", "matchedName": "방탄소년단", "korean": "방탄소년단" }],
                "loadRuns": [
                    { "source": "bundled-sample-aliases", "status": "SUCCEEDED" },
                    { "source": "bundled-sample", "status": "SUCCEEDED" }
                ]
            }})
        );
        // A second start finds data and does not seed again.
        let again = sixpotify_api::Application::build(&settings).await?;
        drop(again);
        let conn = db.connect().await?;
        assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM load_runs").await?, 2);
        Ok(())
    }
}
