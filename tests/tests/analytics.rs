//! BI aggregates, checked against the same figures computed by hand in SQL, on both backends.

use anyhow::Result;
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample, scalar};

fn float(db_value: Option<f64>) -> f64 {
    db_value.unwrap_or(f64::NAN)
}

/// One average computed by hand, as a float.
async fn average(db: &sea_orm::DatabaseConnection, sql: &str) -> Result<Option<f64>> {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?;
    Ok(row.and_then(|r| r.try_get_by_index::<Option<f64>>(0).ok().flatten()))
}

fn close(a: &Value, b: Option<f64>) -> bool {
    match (a.as_f64(), b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

async fn catalog_stats_count_every_part_and_name_the_latest_load(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app.data("{ catalogStats { artists tracks albums genres tracksWithFeatures latestLoadRun { id status source } } }").await?;
    let stats = &data["catalogStats"];
    for (field, table) in [
        ("artists", "artists"),
        ("tracks", "tracks"),
        ("albums", "albums"),
        ("genres", "genres"),
        ("tracksWithFeatures", "audio_features"),
    ] {
        let expected = scalar(&conn, &format!("SELECT COUNT(*) FROM {table}")).await?;
        assert!(expected > 0, "{table} is empty");
        assert_eq!(stats[field].as_i64(), Some(expected), "{field}: {stats}");
    }
    let latest = scalar(&conn, "SELECT MAX(id) FROM load_runs").await?;
    assert_eq!(stats["latestLoadRun"]["id"], latest.to_string());
    assert_eq!(stats["latestLoadRun"]["status"], "SUCCEEDED");
    Ok(())
}

async fn genre_stats_agree_with_sql_computed_by_hand(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    // No poll during the count: the first (which builds the index) is over once ready.
    let app = TestApp::spawn_with(&db, |s| {
        s.poll_interval = std::time::Duration::from_secs(3600)
    })
    .await?;
    app.ready().await?;
    let before = app.statements.get();
    let data = app.data("{ genreStats(first: 100) { id name tracks artists averagePopularity averageFeatures { danceability energy loudness tempo } } }").await?;
    assert_eq!(
        app.statements.get() - before,
        1,
        "one statement, computed by the database"
    );
    let genres = data["genreStats"].as_array().cloned().unwrap_or_default();
    let total = scalar(&conn, "SELECT COUNT(*) FROM genres").await?;
    assert_eq!(genres.len() as i64, total.min(100));
    let tracks: Vec<i64> = genres.iter().filter_map(|g| g["tracks"].as_i64()).collect();
    assert!(
        tracks.windows(2).all(|w| w[0] >= w[1]),
        "most tracks first: {tracks:?}"
    );
    for g in genres.iter().take(5) {
        let id = g["id"].as_str().unwrap_or_default().replace('\'', "''");
        assert_eq!(
            g["tracks"].as_i64(),
            Some(
                scalar(
                    &conn,
                    &format!("SELECT COUNT(*) FROM track_genres WHERE genre_id = '{id}'")
                )
                .await?
            ),
            "{g}"
        );
        assert_eq!(
            g["artists"].as_i64(),
            Some(
                scalar(
                    &conn,
                    &format!("SELECT COUNT(*) FROM artist_genres WHERE genre_id = '{id}'")
                )
                .await?
            ),
            "{g}"
        );
        let popularity = average(&conn, &format!("SELECT AVG(CAST(t.popularity AS DOUBLE)) FROM track_genres tg JOIN tracks t ON t.id = tg.track_id WHERE tg.genre_id = '{id}'")).await?;
        assert!(
            close(&g["averagePopularity"], popularity),
            "{g} vs {}",
            float(popularity)
        );
        for feature in ["danceability", "energy", "loudness", "tempo"] {
            let avg = average(&conn, &format!("SELECT AVG(f.{feature}) FROM track_genres tg JOIN audio_features f ON f.track_id = tg.track_id WHERE tg.genre_id = '{id}'")).await?;
            assert!(
                close(&g["averageFeatures"][feature], avg),
                "{feature} of {g}: {}",
                float(avg)
            );
        }
    }
    Ok(())
}

async fn the_summaries_follow_each_load_run(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    app.ready().await?;
    let query = "{ dataVersion catalogStats { tracks artists } genreStats(first: 100) { id tracks } releaseYearStats(from: 2017, to: 2019) { year tracks } }";
    let before = app.data(query).await?;
    // A second run adds two tracks of a new artist, in 2017 and 2019, labelled `k-pop`.
    sixpotify_tests::import(&conn, sixpotify_tests::fixture("korean.csv")).await?;
    let mut after = before.clone();
    for _ in 0..100 {
        after = app.data(query).await?;
        if after["dataVersion"] != before["dataVersion"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(
        after["dataVersion"], before["dataVersion"],
        "the API saw the new run"
    );
    let tracks = |v: &Value| v["catalogStats"]["tracks"].as_i64().unwrap_or(0);
    assert_eq!(tracks(&after), tracks(&before) + 2);
    assert_eq!(
        tracks(&after),
        scalar(&conn, "SELECT COUNT(*) FROM tracks").await?
    );
    let genre = |v: &Value, id: &str| {
        v["genreStats"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["id"] == id)
            .and_then(|g| g["tracks"].as_i64())
            .unwrap_or(0)
    };
    assert_eq!(genre(&after, "k-pop"), genre(&before, "k-pop") + 2);
    let year = |v: &Value, y: i64| {
        v["releaseYearStats"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["year"] == y)
            .and_then(|r| r["tracks"].as_i64())
            .unwrap_or(0)
    };
    assert_eq!(year(&after, 2017), year(&before, 2017) + 1);
    assert_eq!(year(&after, 2019), year(&before, 2019) + 1);
    let ranked = app.data("{ topArtists(by: TRACK_COUNT, genre: \"k-pop\", first: 100) { value artist { name } } }").await?;
    let iu = ranked["topArtists"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["artist"]["name"] == "아이유");
    assert_eq!(iu.map(|a| a["value"].clone()), Some(json!(2)), "{ranked}");
    Ok(())
}

async fn a_database_from_before_the_summaries_gets_them_when_first_opened(
    db: TestDb,
) -> Result<()> {
    use migration::MigratorTrait as _;
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let expected = scalar(&conn, "SELECT COUNT(*) FROM tracks").await?;
    // Back to the schema before the summaries (their migration and every later one undone),
    // with the catalog kept.
    let names: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let Some(summaries) = names
        .iter()
        .position(|n| n.ends_with("analytics_summaries"))
    else {
        anyhow::bail!("no summaries migration among {names:?}");
    };
    let undo = u32::try_from(names.len() - summaries)?;
    migration::Migrator::down(&conn, Some(undo)).await?;
    assert!(
        scalar(&conn, "SELECT COUNT(*) FROM catalog_summary")
            .await
            .is_err(),
        "the summaries are gone"
    );
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data("{ catalogStats { tracks } genreStats(first: 1) { tracks } }")
        .await?;
    assert_eq!(data["catalogStats"]["tracks"].as_i64(), Some(expected));
    assert!(
        data["genreStats"][0]["tracks"].as_i64().unwrap_or(0) > 0,
        "{data}"
    );
    Ok(())
}

async fn genre_stats_follow_the_order_asked_and_the_page_limit(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let names = app
        .data("{ genreStats(orderBy: { field: NAME }, first: 10) { name } }")
        .await?;
    let names: Vec<String> = names["genreStats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 10);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "NAME is ascending by default");

    let energy = app
        .data(
            "{ genreStats(orderBy: { field: ENERGY }, first: 50) { averageFeatures { energy } } }",
        )
        .await?;
    let values: Vec<f64> = energy["genreStats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["averageFeatures"]["energy"].as_f64())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    let ascending = app.data("{ genreStats(orderBy: { field: ENERGY, direction: ASC }, first: 3) { averageFeatures { energy } } }").await?;
    let low = ascending["genreStats"][0]["averageFeatures"]["energy"].as_f64();
    let all = app
        .data("{ genreStats(first: 100) { averageFeatures { energy } } }")
        .await?;
    let min = all["genreStats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["averageFeatures"]["energy"].as_f64())
        .fold(f64::INFINITY, f64::min);
    if let Some(low) = low {
        assert!(low <= min + 1e-9, "{low} > {min}");
    }

    let body = app.query("{ genreStats(first: 101) { name } }").await?;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PAGE_TOO_LARGE",
        "{body}"
    );
    Ok(())
}

async fn feature_histograms_count_every_track_in_the_right_bin(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app.data("{ featureHistogram(feature: ENERGY, bins: 10) { from to tracks bins { from to tracks } } }").await?;
    let h = &data["featureHistogram"];
    let bins = h["bins"].as_array().cloned().unwrap_or_default();
    assert_eq!(bins.len(), 10);
    assert_eq!(
        (h["from"].as_f64(), h["to"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    // The same bins computed here from every value.
    let values = floats(&conn, "SELECT energy FROM audio_features").await?;
    let mut expected = [0i64; 10];
    for v in &values {
        expected[((v * 10.0).floor() as i64).clamp(0, 9) as usize] += 1;
    }
    let got: Vec<i64> = bins.iter().filter_map(|b| b["tracks"].as_i64()).collect();
    assert_eq!(got, expected.to_vec());
    assert_eq!(h["tracks"].as_i64(), Some(values.len() as i64));

    // Loudness goes beyond its default range at times: the edge bins take it.
    let loud = app
        .data("{ featureHistogram(feature: LOUDNESS) { tracks bins { tracks } } }")
        .await?;
    assert_eq!(
        loud["featureHistogram"]["tracks"].as_i64(),
        Some(values.len() as i64)
    );
    assert_eq!(
        loud["featureHistogram"]["bins"].as_array().map(Vec::len),
        Some(20)
    );

    let genre = top_genre(&app).await?;
    let by_genre = app
        .query_with(
            "query ($g: ID) { featureHistogram(feature: VALENCE, bins: 5, genre: $g) { tracks } }",
            serde_json::json!({ "g": genre }),
        )
        .await?;
    let expected = scalar(&conn, &format!("SELECT COUNT(*) FROM track_genres tg JOIN audio_features f ON f.track_id = tg.track_id WHERE tg.genre_id = '{genre}'")).await?;
    assert_eq!(
        by_genre["data"]["featureHistogram"]["tracks"].as_i64(),
        Some(expected),
        "{by_genre}"
    );

    for bad in ["bins: 0", "bins: 101", "from: 1, to: 1", "from: 2, to: 1"] {
        let body = app
            .query(&format!(
                "{{ featureHistogram(feature: TEMPO, {bad}) {{ tracks }} }}"
            ))
            .await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad}: {body}"
        );
    }
    Ok(())
}

async fn release_year_stats_group_tracks_by_the_year_of_their_album(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data("{ releaseYearStats { year tracks averagePopularity averageFeatures { energy } } }")
        .await?;
    let years = data["releaseYearStats"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(years.len() > 5, "{data}");
    let listed: Vec<i64> = years.iter().filter_map(|y| y["year"].as_i64()).collect();
    assert!(
        listed.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {listed:?}"
    );
    let total: i64 = years.iter().filter_map(|y| y["tracks"].as_i64()).sum();
    assert_eq!(total, scalar(&conn, "SELECT COUNT(*) FROM tracks t JOIN albums al ON al.id = t.album_id WHERE al.release_year IS NOT NULL").await?);
    let busiest = years
        .iter()
        .max_by_key(|y| y["tracks"].as_i64())
        .cloned()
        .unwrap_or_default();
    let year = busiest["year"].as_i64().unwrap_or_default();
    let energy = average(&conn, &format!("SELECT AVG(f.energy) FROM tracks t JOIN albums al ON al.id = t.album_id JOIN audio_features f ON f.track_id = t.id WHERE al.release_year = {year}")).await?;
    assert!(
        close(&busiest["averageFeatures"]["energy"], energy),
        "{busiest} vs {}",
        float(energy)
    );

    let window = app
        .data(&format!(
            "{{ releaseYearStats(from: {year}, to: {year}) {{ year tracks }} }}"
        ))
        .await?;
    assert_eq!(window["releaseYearStats"].as_array().map(Vec::len), Some(1));
    assert_eq!(window["releaseYearStats"][0]["tracks"], busiest["tracks"]);

    let genre = top_genre(&app).await?;
    let by_genre = app
        .query_with(
            "query ($g: ID) { releaseYearStats(genre: $g) { tracks } }",
            serde_json::json!({ "g": genre }),
        )
        .await?;
    let sum: i64 = by_genre["data"]["releaseYearStats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|y| y["tracks"].as_i64())
        .sum();
    assert_eq!(sum, scalar(&conn, &format!("SELECT COUNT(*) FROM track_genres tg JOIN tracks t ON t.id = tg.track_id JOIN albums al ON al.id = t.album_id WHERE al.release_year IS NOT NULL AND tg.genre_id = '{genre}'")).await?);

    let body = app
        .query("{ releaseYearStats(from: 2020, to: 2010) { year } }")
        .await?;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    Ok(())
}

async fn top_artists_rank_by_popularity_followers_or_tracks(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    for by in ["POPULARITY", "FOLLOWERS", "TRACK_COUNT"] {
        let data = app
            .data(&format!(
                "{{ topArtists(by: {by}, first: 10) {{ value artist {{ catalogId name }} }} }}"
            ))
            .await?;
        let top = data["topArtists"].as_array().cloned().unwrap_or_default();
        assert_eq!(top.len(), 10, "{by}: {data}");
        let values: Vec<i64> = top
            .iter()
            .map(|t| t["value"].as_i64().unwrap_or(-1))
            .collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{by}: {values:?}");
        if by == "TRACK_COUNT" {
            let id = top[0]["artist"]["catalogId"].as_str().unwrap_or_default();
            assert_eq!(
                Some(values[0]),
                Some(
                    scalar(
                        &conn,
                        &format!("SELECT COUNT(*) FROM track_artists WHERE artist_id = '{id}'")
                    )
                    .await?
                )
            );
        }
    }
    let genre = top_genre(&app).await?;
    let data = app.query_with("query ($g: ID) { topArtists(by: TRACK_COUNT, genre: $g, first: 5) { artist { catalogId genres { catalogId } } } }", serde_json::json!({ "g": genre })).await?;
    let top = data["data"]["topArtists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!top.is_empty(), "{data}");
    for t in &top {
        let genres = t["artist"]["genres"].to_string();
        assert!(
            genres.contains(&format!("\"{genre}\"")),
            "{t} is not of {genre}"
        );
    }
    Ok(())
}

backend_tests!(
    catalog_stats_count_every_part_and_name_the_latest_load,
    genre_stats_agree_with_sql_computed_by_hand,
    the_summaries_follow_each_load_run,
    a_database_from_before_the_summaries_gets_them_when_first_opened,
    genre_stats_follow_the_order_asked_and_the_page_limit,
    feature_histograms_count_every_track_in_the_right_bin,
    release_year_stats_group_tracks_by_the_year_of_their_album,
    top_artists_rank_by_popularity_followers_or_tracks
);

/// Every value of a one-column query, as floats.
async fn floats(db: &sea_orm::DatabaseConnection, sql: &str) -> Result<Vec<f64>> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<f64>(0).ok())
        .collect())
}

/// The genre with the most tracks.
async fn top_genre(app: &TestApp) -> Result<String> {
    let data = app.data("{ genreStats(first: 1) { id } }").await?;
    Ok(data["genreStats"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}
