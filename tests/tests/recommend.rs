//! Recommendations through the API over the bundled sample, on SQLite and MariaDB.

use anyhow::Result;
use sea_orm::{ConnectionTrait as _, Statement};
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample};

const BTS: &str = r#"searchArtists(query: "BTS", first: 1)"#;

/// A score or similarity is `1 / (1 + cost)`: the distance, counting 0.1 more for a result
/// sharing no genre with the seeds, less a playlist bonus, at least 0.
fn assert_genre_penalty(score: f64, distance: f64, bonus: f64) {
    let cost = 1.0 / score - 1.0;
    let penalty = f64::from(sixpotify_api::recommend::GENRE_PENALTY);
    assert!(
        [0.0, penalty]
            .iter()
            .any(|p| (cost - (distance + p - bonus).max(0.0)).abs() < 1e-4),
        "score {score} for distance {distance} and bonus {bonus}"
    );
}

/// The number of playlists holding a track whose main artist is `a` and one whose main artist
/// is `b`.
async fn shared_playlists(conn: &sea_orm::DatabaseConnection, a: &str, b: &str) -> Result<i64> {
    let n = sixpotify_tests::scalar(
        conn,
        &format!(
            "SELECT COUNT(DISTINCT x.playlist_id) FROM playlist_tracks x \
             JOIN track_artists xa ON xa.track_id = x.track_id AND xa.position = 0 \
             JOIN playlist_tracks y ON y.playlist_id = x.playlist_id \
             JOIN track_artists ya ON ya.track_id = y.track_id AND ya.position = 0 \
             WHERE xa.artist_id = '{a}' AND ya.artist_id = '{b}'"
        ),
    )
    .await?;
    Ok(n)
}

async fn related_artists_are_nearest_first_without_the_artist_and_deterministic(
    db: TestDb,
) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let query = format!(
        "{{ {BTS} {{ catalogId name relatedArtists(first: 5, basis: AUDIO) {{ artist {{ catalogId name }} distance similarity }} }} }}"
    );
    let data = app.data(&query).await?;
    let bts = &data["searchArtists"][0];
    assert_eq!(bts["name"], "BTS");
    let related = bts["relatedArtists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(related.len(), 5, "{related:?}");
    let similarities: Vec<f64> = related
        .iter()
        .filter_map(|r| r["similarity"].as_f64())
        .collect();
    assert!(
        similarities.windows(2).all(|w| w[0] >= w[1]),
        "{similarities:?}"
    );
    for r in &related {
        assert_ne!(r["artist"]["catalogId"], bts["catalogId"]);
        let s = r["similarity"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&s), "{r}");
        assert_genre_penalty(s, r["distance"].as_f64().unwrap_or(-1.0), 0.0);
    }
    assert_eq!(app.data(&query).await?, data, "the same answer twice");
    Ok(())
}

async fn related_artists_by_playlists_share_as_many_playlists_as_the_database_says(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let related = |basis: &str| {
        format!(
            "{{ {BTS} {{ catalogId relatedArtists(first: 10{basis}) {{ artist {{ catalogId name }} similarity sharedPlaylists playlistSimilarity audioSimilarity distance }} }} }}"
        )
    };
    let data = app.data(&related(", basis: PLAYLISTS")).await?;
    let bts = data["searchArtists"][0]["catalogId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let by_playlists = data["searchArtists"][0]["relatedArtists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(by_playlists.len(), 10, "{by_playlists:?}");
    for r in &by_playlists {
        let other = r["artist"]["catalogId"].as_str().unwrap_or_default();
        let shared = r["sharedPlaylists"].as_i64().unwrap_or(-1);
        assert!(shared > 0, "{r}");
        assert_eq!(shared, shared_playlists(&conn, &bts, other).await?, "{r}");
        assert_eq!(r["similarity"], r["playlistSimilarity"], "{r}");
    }
    let names = |list: &[serde_json::Value]| -> Vec<String> {
        list.iter()
            .map(|r| r["artist"]["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // K-pop listeners put BTS beside other K-pop acts: the sample's K-pop playlists say so.
    let kpop = [
        "SEVENTEEN",
        "GOT7",
        "Red Velvet",
        "BLACKPINK",
        "EXID",
        "KARD",
        "WINNER",
    ];
    let hybrid = app.data(&related("")).await?;
    let hybrid = hybrid["searchArtists"][0]["relatedArtists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let top = names(&hybrid[..5.min(hybrid.len())]);
    assert!(
        top.iter().filter(|n| kpop.contains(&n.as_str())).count() >= 3,
        "the blend's first five: {top:?}"
    );
    let scores: Vec<f64> = hybrid
        .iter()
        .filter_map(|r| r["similarity"].as_f64())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for r in &hybrid {
        // The blend: (audio + 4 · playlists) / 5.
        let audio = r["audioSimilarity"].as_f64().unwrap_or(0.0);
        let playlists = r["playlistSimilarity"].as_f64().unwrap_or(-1.0);
        let blend = (audio + 4.0 * playlists) / 5.0;
        assert!(
            (r["similarity"].as_f64().unwrap_or(-1.0) - blend).abs() < 1e-5,
            "{r}"
        );
    }
    Ok(())
}

async fn recommendations_from_an_artist_favour_tracks_sharing_its_playlists(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let bts = app.data(&format!("{{ {BTS} {{ catalogId }} }}")).await?;
    let bts = bts["searchArtists"][0]["catalogId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let data = app
        .data(&recommendations(&format!(
            "seedArtists: [\"{bts}\"], limit: 10"
        )))
        .await?;
    let found = data["recommendations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let boosted: Vec<&serde_json::Value> = found
        .iter()
        .filter(|r| r["playlistBonus"].as_f64() > Some(0.0))
        .collect();
    assert!(boosted.len() >= 5, "{found:?}");
    for r in boosted {
        let main = r["track"]["artists"][0]["catalogId"]
            .as_str()
            .unwrap_or_default();
        assert!(shared_playlists(&conn, &bts, main).await? > 0, "{r}");
    }
    Ok(())
}

async fn an_audio_profile_is_the_mean_of_the_artists_tracks(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data(&format!(
            "{{ {BTS} {{ catalogId audioProfile {{ energy tempo trackCount }} }} }}"
        ))
        .await?;
    let bts = &data["searchArtists"][0];
    let id = bts["catalogId"].as_str().unwrap_or_default();
    let tracks = sixpotify_tests::scalar(
        &conn,
        &format!("SELECT COUNT(*) FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id WHERE ta.artist_id = '{id}'"),
    )
    .await?;
    assert_eq!(bts["audioProfile"]["trackCount"], tracks);
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT f.energy FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id WHERE ta.artist_id = '{id}'"),
        ))
        .await?;
    let energies: Vec<f64> = rows
        .iter()
        .map(|r| r.try_get_by_index::<f64>(0))
        .collect::<Result<_, _>>()?;
    let mean = energies.iter().sum::<f64>() / energies.len() as f64;
    let energy = bts["audioProfile"]["energy"].as_f64().unwrap_or(-1.0);
    assert!((energy - mean).abs() < 1e-5, "{energy} against {mean}");
    Ok(())
}

async fn related_artists_refuse_a_first_out_of_range(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    for (first, code) in [
        (0, "BAD_USER_INPUT"),
        (-1, "BAD_USER_INPUT"),
        (101, "PAGE_TOO_LARGE"),
    ] {
        let body = app
            .query(&format!(
                "{{ {BTS} {{ relatedArtists(first: {first}) {{ distance }} }} }}"
            ))
            .await?;
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("first")
        );
    }
    Ok(())
}

backend_tests!(
    related_artists_are_nearest_first_without_the_artist_and_deterministic,
    related_artists_by_playlists_share_as_many_playlists_as_the_database_says,
    recommendations_from_an_artist_favour_tracks_sharing_its_playlists,
    an_audio_profile_is_the_mean_of_the_artists_tracks,
    related_artists_refuse_a_first_out_of_range
);

/// `recommendations(…)` with the given arguments, asking what the checks need.
fn recommendations(args: &str) -> String {
    format!(
        "{{ recommendations({args}) {{ score distance playlistBonus track {{ catalogId popularity artists {{ catalogId }} audioFeatures {{ energy }} }} }} }}"
    )
}

async fn recommendations_from_an_artist_sound_like_it_and_leave_it_out(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let bts = app.data(&format!("{{ {BTS} {{ catalogId }} }}")).await?;
    let bts = bts["searchArtists"][0]["catalogId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let query = recommendations(&format!("seedArtists: [\"{bts}\"], limit: 20"));
    let data = app.data(&query).await?;
    let found = data["recommendations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(found.len(), 20);
    let mut per_artist = std::collections::HashMap::new();
    for r in &found {
        let main = r["track"]["artists"][0]["catalogId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_ne!(main, bts, "the seed artist's own tracks are left out");
        *per_artist.entry(main).or_insert(0) += 1;
    }
    assert!(per_artist.values().all(|n| *n <= 2), "{per_artist:?}");
    let scores: Vec<f64> = found.iter().filter_map(|r| r["score"].as_f64()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for r in &found {
        assert_genre_penalty(
            r["score"].as_f64().unwrap_or(-1.0),
            r["distance"].as_f64().unwrap_or(-1.0),
            r["playlistBonus"].as_f64().unwrap_or(-1.0),
        );
    }
    assert_eq!(app.data(&query).await?, data, "the same answer twice");
    Ok(())
}

async fn recommendations_keep_to_bounds_and_leave_seed_tracks_out(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let seed = "5KawlOMHjWeUjQtnuRs22c";
    let data = app
        .data(&recommendations(&format!(
            "seedTracks: [\"{seed}\"], seedGenres: [\"Pop\"], min: {{ energy: 0.8 }}, max: {{ popularity: 60 }}, target: {{ valence: 0.9 }}, limit: 30, maxPerArtist: 1"
        )))
        .await?;
    let found = data["recommendations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!found.is_empty());
    for r in &found {
        assert_ne!(r["track"]["catalogId"], seed);
        assert!(
            r["track"]["audioFeatures"]["energy"]
                .as_f64()
                .unwrap_or(0.0)
                >= 0.8,
            "{r}"
        );
        assert!(
            r["track"]["popularity"].as_i64().unwrap_or(100) <= 60,
            "{r}"
        );
    }
    let mains: std::collections::HashSet<_> = found
        .iter()
        .map(|r| r["track"]["artists"][0]["catalogId"].clone())
        .collect();
    assert_eq!(mains.len(), found.len(), "one track an artist");
    Ok(())
}

async fn every_bad_recommendation_argument_is_named_in_a_bad_user_input_error(
    db: TestDb,
) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let track = "seedTracks: [\"5KawlOMHjWeUjQtnuRs22c\"]";
    for (args, names) in [
        (
            "limit: 5".to_owned(),
            "seedArtists, seedTracks and seedGenres",
        ),
        (
            "seedGenres: [\"pop\", \"rock\", \"rap\", \"latin\", \"edm\", \"r&b\"]".to_owned(),
            "1 to 5 seeds",
        ),
        (
            "seedArtists: [\"nobody\"]".to_owned(),
            "seedArtists: no artist nobody",
        ),
        (
            "seedTracks: [\"nothing\"]".to_owned(),
            "seedTracks: no track nothing",
        ),
        (
            "seedGenres: [\"no such genre\"]".to_owned(),
            "seedGenres: no genre",
        ),
        (
            format!("{track}, min: {{ energy: 0.9 }}, max: {{ energy: 0.5 }}"),
            "min.energy (0.9) is above max.energy (0.5)",
        ),
        (
            format!("{track}, min: {{ popularity: 90 }}, max: {{ popularity: 10 }}"),
            "min.popularity",
        ),
        (
            format!("{track}, target: {{ valence: 1.5 }}"),
            "`target.valence`: 1.5 is out of range 0..=1",
        ),
        (format!("{track}, target: {{ tempo: -3 }}"), "target.tempo"),
        (
            format!("{track}, max: {{ popularity: 101 }}"),
            "max.popularity",
        ),
        (
            format!("{track}, limit: 0"),
            "limit must be between 1 and 100",
        ),
        (format!("{track}, maxPerArtist: 0"), "maxPerArtist"),
    ] {
        let body = app
            .query(&format!("{{ recommendations({args}) {{ score }} }}"))
            .await?;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{args}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{args}: {message}");
    }
    Ok(())
}

backend_tests!(
    recommendations_from_an_artist_sound_like_it_and_leave_it_out,
    recommendations_keep_to_bounds_and_leave_seed_tracks_out,
    every_bad_recommendation_argument_is_named_in_a_bad_user_input_error
);

async fn a_load_swaps_in_a_new_index_while_queries_keep_being_answered(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = std::sync::Arc::new(TestApp::spawn(&db).await?);
    let bts = app.data(&format!("{{ {BTS} {{ catalogId }} }}")).await?;
    let bts = bts["searchArtists"][0]["catalogId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let query = recommendations(&format!("seedArtists: [\"{bts}\"], limit: 10"));
    let newcomer =
        "{ searchArtists(query: \"Gen Hoshino\", first: 1) { audioProfile { trackCount } } }";
    assert_eq!(
        app.data(newcomer).await?["searchArtists"],
        serde_json::json!([]),
        "not loaded yet"
    );

    // Queries run all along while a load lands and the index is rebuilt.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..3 {
        let (app, query, stop) = (app.clone(), query.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = app.query(&query).await?;
                anyhow::ensure!(body.get("errors").is_none(), "{body}");
                anyhow::ensure!(
                    body["data"]["recommendations"].as_array().map(Vec::len) == Some(10)
                );
                answered += 1;
            }
            Ok::<_, anyhow::Error>(answered)
        }));
    }
    sixpotify_tests::import(&conn, sixpotify_tests::fixture("kaggle.csv")).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let found = app.data(newcomer).await?;
        if found["searchArtists"][0]["audioProfile"]["trackCount"]
            .as_i64()
            .unwrap_or(0)
            > 0
        {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the new index never came: {found}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        assert!(w.await?? > 0);
    }
    Ok(())
}

backend_tests!(a_load_swaps_in_a_new_index_while_queries_keep_being_answered);
