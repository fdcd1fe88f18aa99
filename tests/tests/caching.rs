//! Caches across requests, persisted queries, HTTP caching, metrics, and replicas following one
//! database, against the real server on SQLite and MariaDB.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use serde_json::{Value, json};
use sixpotify_api::cache::persisted::sha256_hex;
use sixpotify_tests::{TestApp, TestDb, backend_tests, fixture, import, import_sample};

const TOP: &str = "query Top { artists(first: 5, orderBy: { field: NAME }) { edges { node { catalogId name genres { name } } } } }";

/// The value of one series in `/metrics`, 0 when absent.
async fn metric(app: &TestApp, series: &str) -> Result<f64> {
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0))
}

async fn get(app: &TestApp, query: &str, etag: Option<&str>) -> Result<reqwest::Response> {
    let mut req = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(&[("query", query)]);
    if let Some(tag) = etag {
        req = req.header(IF_NONE_MATCH, tag);
    }
    Ok(req.send().await?)
}

async fn post(app: &TestApp, body: Value) -> Result<Value> {
    Ok(app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&body)
        .send()
        .await?
        .json()
        .await?)
}

/// Waits until the server has built its first index and dropped its caches after it (the
/// cache generation stays put over a poll interval), so that background work is done.
async fn settle(app: &TestApp) -> Result<()> {
    let mut last = -1.0;
    for _ in 0..200 {
        let generation = metric(app, "sixpotify_cache_generation ").await?;
        if metric(app, "sixpotify_recommendation_index_version ").await? >= 0.0
            && generation == last
        {
            return Ok(());
        }
        last = generation;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    anyhow::bail!("the server never settled")
}

async fn a_repeated_query_is_answered_from_the_response_cache_without_sql(
    db: TestDb,
) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    settle(&app).await?;
    let first = app.query(TOP).await?;
    ensure!(first["errors"].is_null(), "{first}");
    let before = app.statements.get();
    // The same document with other white space, commas and a comment is the same key.
    let respaced = "# top artists\nquery Top {\n  artists(first: 5, orderBy: { field: NAME }) {\n    edges { node { catalogId, name, genres { name } } }\n  }\n}";
    assert_eq!(app.query(respaced).await?, first);
    assert_eq!(app.statements.get(), before, "a hit runs no SQL");
    assert_eq!(
        metric(
            &app,
            "sixpotify_graphql_requests_total{operation=\"Top\",outcome=\"cached\"}"
        )
        .await?,
        1.0
    );
    // The same bytes again are found before the body is even parsed.
    assert_eq!(app.query(TOP).await?, first);
    assert_eq!(app.statements.get(), before);
    assert_eq!(
        metric(
            &app,
            "sixpotify_graphql_requests_total{operation=\"Top\",outcome=\"cached\"}"
        )
        .await?,
        2.0
    );
    assert!(metric(&app, "sixpotify_cache_hits_total{cache=\"responses\"}").await? >= 1.0);
    assert!(metric(&app, "sixpotify_cache_size{cache=\"responses\"}").await? > 0.0);

    // Other variables are another answer.
    let q = "query One($id: ID!) { artist(id: $id) { name } }";
    let id = first["data"]["artists"]["edges"][0]["node"]["catalogId"].clone();
    let other = first["data"]["artists"]["edges"][1]["node"]["catalogId"].clone();
    let a = app.query_with(q, json!({ "id": id })).await?;
    let b = app.query_with(q, json!({ "id": other })).await?;
    assert_ne!(a, b);
    assert_eq!(app.query_with(q, json!({ "id": id })).await?, a);
    Ok(())
}

async fn errors_and_load_runs_are_never_cached(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    settle(&app).await?;
    let bad = "{ artists(first: 1000) { edges { node { catalogId } } } }";
    for _ in 0..2 {
        let body = app.query(bad).await?;
        assert_eq!(body["errors"][0]["extensions"]["code"], "PAGE_TOO_LARGE");
    }
    assert_eq!(
        metric(&app, "sixpotify_cache_hits_total{cache=\"responses\"}").await?,
        0.0
    );

    let runs = "{ loadRuns { id status } dataVersion }";
    let before = app.data(runs).await?;
    import(&conn, fixture("quirks.csv")).await?;
    let after = app.data(runs).await?;
    assert_ne!(
        before["loadRuns"], after["loadRuns"],
        "a new run shows at once"
    );
    let resp = get(&app, runs, None).await?;
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-cache");
    assert!(resp.headers().get(ETAG).is_none());
    Ok(())
}

async fn entity_caches_serve_lookups_by_id_without_sql(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn_with(&db, |s| s.response_cache_mb = 0).await?;
    settle(&app).await?;
    let q = "query($id: ID!) { track(id: $id) { name album { name } artists { name } audioFeatures { energy } genres { name } } }";
    let vars = json!({ "id": "5KawlOMHjWeUjQtnuRs22c" });
    let first = app.query_with(q, vars.clone()).await?;
    ensure!(first["data"]["track"]["name"].is_string(), "{first}");
    let before = app.statements.get();
    assert_eq!(app.query_with(q, vars).await?, first);
    assert_eq!(
        app.statements.get(),
        before,
        "track, album, credits, features and genres all cached"
    );
    assert!(metric(&app, "sixpotify_cache_hits_total{cache=\"tracks\"}").await? >= 1.0);
    assert!(metric(&app, "sixpotify_cache_entries{cache=\"track_genres\"}").await? >= 1.0);
    Ok(())
}

async fn automatic_persisted_queries_follow_the_apollo_protocol(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let hash = sha256_hex(TOP);
    let pq = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    let unknown = post(&app, json!({ "extensions": pq })).await?;
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{unknown}"
    );
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    let registered = post(&app, json!({ "query": TOP, "extensions": pq })).await?;
    ensure!(
        registered["data"]["artists"]["edges"].is_array(),
        "{registered}"
    );
    let by_hash = post(&app, json!({ "extensions": pq, "operationName": "Top" })).await?;
    assert_eq!(by_hash["data"], registered["data"]);
    // Over GET too, with the extensions as JSON in the query string.
    let resp = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(&[("extensions", pq.to_string())])
        .send()
        .await?;
    assert_eq!(resp.json::<Value>().await?["data"], registered["data"]);

    let wrong = post(
        &app,
        json!({ "query": "{ dataVersion }", "extensions": pq }),
    )
    .await?;
    assert_eq!(
        wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{wrong}"
    );
    let malformed = post(
        &app,
        json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } }),
    )
    .await?;
    assert_eq!(
        malformed["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{malformed}"
    );
    assert!(
        metric(
            &app,
            "sixpotify_cache_hits_total{cache=\"persisted_queries\"}"
        )
        .await?
            >= 2.0
    );
    Ok(())
}

async fn get_answers_carry_an_etag_that_gives_304_until_the_data_changes(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import(&conn, fixture("quirks.csv")).await?;
    let app = TestApp::spawn_with(&db, |s| s.poll_interval = Duration::from_millis(100)).await?;
    settle(&app).await?;
    let q = "{ tracks(first: 3) { totalCount edges { node { catalogId } } } }";
    let resp = get(&app, q, None).await?;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CACHE_CONTROL], "public, max-age=5");
    let tag = resp.headers()[ETAG].to_str()?.to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    let statements = app.statements.get();
    let again = get(&app, q, Some(&tag)).await?;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[ETAG].to_str()?, tag);
    assert_eq!(app.statements.get(), statements);
    assert_eq!(
        get(&app, q, Some("W/\"other\"")).await?.status(),
        StatusCode::OK
    );

    import_sample(&conn).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let resp = get(&app, q, Some(&tag)).await?;
        if resp.status() == StatusCode::OK {
            assert_ne!(resp.headers()[ETAG].to_str()?, tag);
            let body: Value = resp.json().await?;
            assert!(
                body["data"]["tracks"]["totalCount"].as_i64().unwrap_or(0) > 11,
                "{body}"
            );
            break;
        }
        ensure!(Instant::now() < deadline, "the ETag never changed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn large_responses_are_compressed_and_small_ones_are_not(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let post_gzip = |query: &str| {
        app.client
            .post(format!("{}/graphql", app.base))
            .header(ACCEPT_ENCODING, "gzip")
            .json(&json!({ "query": query }))
            .send()
    };
    let large =
        post_gzip("{ tracks(first: 100) { edges { node { catalogId name album { name } } } } }")
            .await?;
    assert_eq!(large.headers()[CONTENT_ENCODING], "gzip");
    let bytes = large.bytes().await?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)?;
    let body: Value = serde_json::from_str(&text)?;
    assert_eq!(
        body["data"]["tracks"]["edges"].as_array().map(Vec::len),
        Some(100)
    );

    let small = post_gzip("{ dataVersion }").await?;
    assert_ne!(
        small.headers().get(CONTENT_ENCODING).map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let body: Value = small.json().await?;
    assert!(body["data"].is_object(), "{body}");
    Ok(())
}

async fn metrics_report_requests_latency_caches_pool_and_data_version(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    settle(&app).await?;
    app.query(TOP).await?;
    app.query("{ nope }").await?;
    let resp = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await?;
    assert!(
        resp.headers()["content-type"]
            .to_str()?
            .starts_with("application/openmetrics-text")
    );
    let text = resp.text().await?;
    for series in [
        "sixpotify_graphql_requests_total{operation=\"Top\",outcome=\"ok\"} 1",
        "sixpotify_graphql_requests_total{operation=\"anonymous\",outcome=\"error\"} 1",
        "sixpotify_graphql_request_duration_seconds_count{operation=\"Top\"} 1",
        "sixpotify_cache_misses_total{cache=\"responses\"}",
        "sixpotify_cache_entries{cache=\"artists\"}",
        "sixpotify_db_pool_connections{state=\"in_use\"}",
        "sixpotify_db_pool_connections{state=\"max\"}",
        "sixpotify_sql_statements_total ",
        "sixpotify_cache_generation 2",
        "sixpotify_data_version 2",
        "sixpotify_recommendation_index_version 2",
        "# EOF",
    ] {
        assert!(text.contains(series), "{series} missing from\n{text}");
    }
    Ok(())
}

async fn two_replicas_serve_a_new_load_within_one_poll_interval_and_nothing_stale(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import(&conn, fixture("quirks.csv")).await?;
    let poll = Duration::from_secs(1);
    let a = TestApp::spawn_with(&db, |s| s.poll_interval = poll).await?;
    let b = TestApp::spawn_with(&db, |s| s.poll_interval = poll).await?;
    settle(&a).await?;
    settle(&b).await?;
    let queries = [
        "{ tracks(first: 1) { totalCount } }",
        "{ searchArtists(query: \"BTS\", first: 3) { name tracks(first: 3) { edges { node { name } } } } }",
        "{ genres(first: 50) { edges { node { catalogId } } } }",
        TOP,
    ];
    for app in [&a, &b] {
        for q in queries {
            app.query(q).await?;
            app.query(q).await?;
        }
    }
    let count = |v: &Value| v["data"]["tracks"]["totalCount"].as_i64().unwrap_or(0);
    let old = count(&a.query(queries[0]).await?);

    import_sample(&conn).await?;
    let loaded = Instant::now();
    for app in [&a, &b] {
        loop {
            if count(&app.query(queries[0]).await?) != old {
                break;
            }
            // One poll interval, and a second for the poll itself on a busy machine.
            ensure!(
                loaded.elapsed() < poll * 2,
                "a replica still served the old data after {:?}",
                loaded.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Nothing stale: every query answers as a server without caches does.
    let fresh = TestApp::spawn_with(&db, |s| {
        s.response_cache_mb = 0;
        s.entity_cache_entries = 0;
    })
    .await?;
    for q in queries {
        let expected = fresh.query(q).await?;
        assert_eq!(a.query(q).await?, expected, "{q}");
        assert_eq!(b.query(q).await?, expected, "{q}");
    }
    Ok(())
}

backend_tests!(
    a_repeated_query_is_answered_from_the_response_cache_without_sql,
    errors_and_load_runs_are_never_cached,
    entity_caches_serve_lookups_by_id_without_sql,
    automatic_persisted_queries_follow_the_apollo_protocol,
    get_answers_carry_an_etag_that_gives_304_until_the_data_changes,
    large_responses_are_compressed_and_small_ones_are_not,
    metrics_report_requests_latency_caches_pool_and_data_version,
    two_replicas_serve_a_new_load_within_one_poll_interval_and_nothing_stale
);
