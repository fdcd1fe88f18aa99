//! `sixpotify-loader spotify` end to end: the fake Spotify server, the loader, and a real
//! database (SQLite and MariaDB), then the catalog and `load_runs` as the API reads them.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use clap::Parser as _;
use entity::run_summary::RunSummary;
use sea_orm::DatabaseConnection;
use sixpotify_loader::cli::{Cli, run};
use sixpotify_loader::shutdown::Shutdown;
use sixpotify_loader::spotify::{
    Seed, SpotifyClient, SpotifyLoadOptions, SpotifyReport, load_spotify,
};
use sixpotify_tests::fake_spotify::{
    BLACKPINK, BTS, CLIENT_ID, CLIENT_SECRET, Catalog, FakeSpotify, Fault, IU, JANNABI, NELL, TXT,
};
use sixpotify_tests::{TestApp, TestDb, backend_tests, scalar, snapshot};

fn client(fake: &FakeSpotify) -> Result<SpotifyClient> {
    let mut c = fake.config();
    c.policy.request_timeout = Duration::from_millis(700);
    Ok(SpotifyClient::new(c)?)
}

fn seeds(names: &[&str], ids: &[&str]) -> SpotifyLoadOptions {
    let mut seeds: Vec<Seed> = names.iter().map(|n| Seed::Name((*n).into())).collect();
    seeds.extend(ids.iter().map(|i| Seed::Id((*i).into())));
    let mut opts = SpotifyLoadOptions::new(seeds);
    opts.artists_per_batch = 1;
    opts
}

/// Runs a load with a fresh client and fails the test if the run failed.
async fn load(
    db: &DatabaseConnection,
    fake: &FakeSpotify,
    opts: &SpotifyLoadOptions,
) -> Result<SpotifyReport> {
    let report = load_spotify(db, &client(fake)?, None, opts, &Shutdown::never()).await?;
    if let Some(e) = &report.error {
        anyhow::bail!("the run failed: {e}");
    }
    Ok(report)
}

/// The summary the run stored in `load_runs`.
async fn stored_summary(db: &DatabaseConnection, run_id: i64) -> Result<RunSummary> {
    use sea_orm::EntityTrait as _;
    let run = entity::load_run::Entity::find_by_id(run_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no run {run_id}"))?;
    Ok(serde_json::from_str(
        run.summary.as_deref().unwrap_or("{}"),
    )?)
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    scalar(db, sql).await
}

/// BTS has 23 releases (54 tracks), BLACKPINK 2 (53 tracks, one album of 52), IU 3 (9).
const BTS_BP_IU_TRACKS: i64 = 54 + 53 + 9;

async fn a_full_load_brings_artists_discographies_tracks_features_and_top_tracks(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    let report = load(&conn, &fake, &seeds(&["bts", "블랙핑크"], &[IU])).await?;

    assert_eq!(report.summary.artists_loaded, 3);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM tracks").await?,
        BTS_BP_IU_TRACKS
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        BTS_BP_IU_TRACKS
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM albums").await?,
        23 + 2 + 3
    );
    assert_eq!(report.counts.written, BTS_BP_IU_TRACKS as u64);
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM artist_top_tracks WHERE market = 'KR'"
        )
        .await?,
        10 + 10 + 9
    );
    assert_eq!(
        count(&conn, &format!("SELECT COUNT(*) FROM artists WHERE spotify_loaded_at IS NOT NULL AND id IN ('{BTS}', '{BLACKPINK}', '{IU}')")).await?,
        3
    );
    // Discography pages of 10, an album of 52 tracks read past its first page of 50.
    assert_eq!(fake.hits(&format!("/v1/artists/{BTS}/albums")), 3);
    assert_eq!(fake.hits("/v1/albums/4Ydx5ayULBNdrzrYK5A2pB/tracks"), 1);
    // Several-ids endpoints carry the bulk: no one-id call was needed.
    let stats = &report.summary.endpoints;
    for one in [
        "GET /tracks/{id}",
        "GET /albums/{id}",
        "GET /audio-features/{id}",
    ] {
        assert!(!stats.contains_key(one), "{one} was used: {stats:?}");
    }
    assert!(stats["GET /audio-features"].requests >= 2, "{stats:?}");
    assert_eq!(report.summary.unmatched, []);

    // What the API serves from it.
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data(&format!(
            "{{ artist(id: \"{BTS}\") {{ name popularity followers imageUrl genres {{ name }} tracks(first: 1) {{ totalCount }} topTracks {{ name }} usTop: topTracks(market: \"us\") {{ name }} }}
               track(id: \"0GJjSnmfg1uQ0gUXVdtsUr\") {{ name popularity isrc trackNumber album {{ name albumType releaseDate releaseDatePrecision }} artists {{ name }} audioFeatures {{ tempo timeSignature source }} genres {{ name }} }}
               loadRuns(first: 1) {{ source kind status rowsWritten endpoints {{ endpoint requests unavailable }} summary }} }}"
        ))
        .await?;
    assert_eq!(data["artist"]["name"], "BTS");
    assert_eq!(data["artist"]["popularity"], 90);
    assert_eq!(data["artist"]["followers"], 1900);
    assert_eq!(data["artist"]["genres"].as_array().map(Vec::len), Some(2));
    assert_eq!(data["artist"]["tracks"]["totalCount"], 54);
    let top = data["artist"]["topTracks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(top.len(), 10);
    assert_eq!(
        (&top[0]["name"], &top[1]["name"]),
        (&"FIRE".into(), &"Boy With Luv".into())
    );
    assert_eq!(
        data["artist"]["usTop"],
        serde_json::json!([]),
        "only KR was loaded"
    );
    let bad = app
        .query(&format!(
            "{{ artist(id: \"{BTS}\") {{ topTracks(market: \"Korea\") {{ name }} }} }}"
        ))
        .await?;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );
    let fire = &data["track"];
    assert_eq!(fire["name"], "FIRE");
    assert_eq!(fire["popularity"], 91);
    assert_eq!(fire["isrc"], "KRA400000002");
    assert_eq!(fire["trackNumber"], 2);
    assert_eq!(fire["album"]["releaseDatePrecision"], "DAY");
    assert_eq!(fire["audioFeatures"]["timeSignature"], 4);
    assert_eq!(fire["audioFeatures"]["source"], "SPOTIFY");
    assert_eq!(
        fire["genres"].as_array().map(Vec::len),
        Some(2),
        "the genres of its artist"
    );
    assert_eq!(data["loadRuns"][0]["source"], "spotify");
    assert_eq!(data["loadRuns"][0]["kind"], "SPOTIFY");
    assert_eq!(data["loadRuns"][0]["status"], "SUCCEEDED");
    assert_eq!(data["loadRuns"][0]["rowsWritten"], BTS_BP_IU_TRACKS);
    let endpoints = data["loadRuns"][0]["endpoints"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let search = endpoints.iter().find(|e| e["endpoint"] == "GET /search");
    assert_eq!(
        search.map(|e| e["requests"].clone()),
        Some(2.into()),
        "{endpoints:?}"
    );
    assert!(endpoints.iter().all(|e| e["unavailable"] == false));
    assert_eq!(data["loadRuns"][0]["summary"]["artists_loaded"], 3);
    Ok(())
}

async fn a_credit_on_another_artists_track_never_blanks_what_a_full_load_stored(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    // IU first, in full; then BTS, whose album credits IU by id and name only.
    load(&conn, &fake, &seeds(&[], &[IU, BTS])).await?;
    let iu = format!("SELECT popularity FROM artists WHERE id = '{IU}'");
    assert_eq!(count(&conn, &iu).await?, 80);
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT COUNT(*) FROM track_artists WHERE artist_id = '{IU}' AND position = 1"
            )
        )
        .await?,
        3,
        "the three tracks of BTS Album 1 credit IU second"
    );
    // And a credit met before the full artist fills in later.
    let twin = db.twin().await?;
    let other = twin.connect().await?;
    load(&other, &fake, &seeds(&[], &[BTS, IU])).await?;
    assert_eq!(snapshot(&conn).await?, snapshot(&other).await?);
    Ok(())
}

async fn a_rerun_changes_nothing_and_duplicates_nothing(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    let opts = seeds(&["BTS", "BLACKPINK"], &[]);
    load(&conn, &fake, &opts).await?;
    let first = snapshot(&conn).await?;
    load(&conn, &fake, &opts).await?;
    assert_eq!(first, snapshot(&conn).await?);
    Ok(())
}

async fn an_artists_file_with_korean_names_and_blank_lines_resolves_each_name(
    db: TestDb,
) -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("artists.txt");
    std::fs::write(
        &file,
        "\u{feff}방탄소년단\n\n   아이유  \r\n\t\n잔나비\nNell\nNobody By This Name\n",
    )?;
    let secret = dir.path().join("secret");
    std::fs::write(&secret, format!("{CLIENT_SECRET}\n"))?;
    // The command line as an operator types it, run in-process.
    let cli = Cli::try_parse_from([
        "sixpotify-loader",
        "--database-url",
        &db.url,
        "spotify",
        "--artists-file",
        &file.display().to_string(),
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        &secret.display().to_string(),
        "--api-url",
        &fake.api_url(),
        "--accounts-url",
        &fake.accounts_url(),
        "--artists-per-batch",
        "2",
        "--requests-per-second",
        "1000",
    ])?;
    assert_eq!(run(cli).await, std::process::ExitCode::SUCCESS);
    let conn = db.connect().await?;
    let run_id = scalar(&conn, "SELECT MAX(id) FROM load_runs").await?;
    let report = stored_summary(&conn, run_id).await?;
    assert_eq!(report.seeds, 5);
    assert_eq!(report.artists_loaded, 4);
    for id in [BTS, IU, JANNABI, NELL] {
        let loaded = format!(
            "SELECT COUNT(*) FROM artists WHERE id = '{id}' AND spotify_loaded_at IS NOT NULL"
        );
        assert_eq!(count(&conn, &loaded).await?, 1, "{id}");
    }
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM artists WHERE name = '잔나비'").await?,
        1
    );
    // Names Spotify spells otherwise became aliases; names it spells alike did not.
    let aliases = sixpotify_tests::strings(
        &conn,
        "SELECT CONCAT(artist_id, ' ', name, ' ', locale, ' ', source) FROM artist_aliases ORDER BY artist_id",
    )
    .await?;
    let mut expected = vec![
        format!("{BTS} 방탄소년단 ko spotify-seed"),
        format!("{IU} 아이유 ko spotify-seed"),
    ];
    expected.sort();
    assert_eq!(aliases, expected);
    // Stored with the run: the unmatched name, and the two exact "Nell"s resolved to the
    // more popular.
    let stored = report;
    assert_eq!(stored.unmatched.len(), 1);
    assert_eq!(stored.unmatched[0].seed, "Nobody By This Name");
    let nell: Vec<_> = stored
        .ambiguous
        .iter()
        .filter(|a| a.name == "Nell")
        .collect();
    assert_eq!(nell.len(), 1, "{:?}", stored.ambiguous);
    assert_eq!(
        (nell[0].chosen_id.as_str(), nell[0].matched.as_str()),
        (NELL, "exact")
    );
    assert_eq!(nell[0].others.len(), 1);
    // 방탄소년단 and 아이유 are Spotify's aliases: no exact match, the most popular result.
    assert!(
        stored
            .ambiguous
            .iter()
            .any(|a| a.name == "방탄소년단" && a.chosen_id == BTS)
    );
    Ok(())
}

async fn a_429_makes_the_whole_run_wait_for_retry_after(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    fake.push_faults(
        &format!("/v1/artists/{BLACKPINK}/albums"),
        [Fault::RetryAfter(1)],
    );
    let started = Instant::now();
    let report = load(&conn, &fake, &seeds(&[], &[BLACKPINK])).await?;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(report.summary.rate_limit_wait_ms >= 1000);
    assert_eq!(
        report.summary.endpoints["GET /artists/{id}/albums"].rate_limited,
        1
    );
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM tracks").await?, 53);
    let stored = stored_summary(&conn, report.run_id).await?;
    assert_eq!(stored.endpoints["GET /artists/{id}/albums"].rate_limited, 1);
    Ok(())
}

async fn a_token_that_expires_mid_run_is_renewed_and_the_run_completes(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    let expiring = fake.clone();
    let watcher = tokio::spawn(async move {
        while expiring.total_hits() < 8 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        expiring.expire_tokens();
    });
    let mut opts = seeds(&["BTS", "BLACKPINK", "IU"], &[]);
    opts.artists_per_batch = 1;
    let report = load(&conn, &fake, &opts).await?;
    watcher.await?;
    assert_eq!(fake.tokens_issued(), 2);
    assert_eq!(report.summary.artists_loaded, 3);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM tracks").await?,
        BTS_BP_IU_TRACKS
    );
    Ok(())
}

async fn server_errors_and_a_timeout_succeed_on_retry_within_a_load(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    fake.push_faults("/v1/albums", [Fault::Status(500), Fault::Status(503)]);
    fake.push_faults("/v1/tracks", [Fault::Delay(Duration::from_secs(2))]);
    fake.push_faults("/v1/audio-features", [Fault::Status(502)]);
    let report = load(&conn, &fake, &seeds(&["BTS"], &[])).await?;
    let e = &report.summary.endpoints;
    assert_eq!(e["GET /albums"].retries, 2);
    assert_eq!(e["GET /tracks"].retries, 1);
    assert_eq!(e["GET /audio-features"].retries, 1);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        54
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM tracks WHERE popularity IS NOT NULL"
        )
        .await?,
        54
    );
    Ok(())
}

async fn malformed_payloads_are_skipped_counted_and_named_and_the_run_goes_on(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    // A whole batch answer that is not JSON: asked again one id a call, nothing lost.
    fake.push_faults("/v1/audio-features", [Fault::Malformed]);
    // One bad track in a batch: skipped; the track keeps what its album lists.
    fake.push_faults("/v1/tracks", [Fault::BadItem]);
    // An artist's discography page that is not JSON: the artist is incomplete (its top
    // tracks are still loaded).
    fake.push_faults(&format!("/v1/artists/{TXT}/albums"), [Fault::Malformed]);
    let report = load(&conn, &fake, &seeds(&["BTS"], &[TXT])).await?;

    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        54 + 6
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM tracks WHERE popularity IS NULL"
        )
        .await?,
        1
    );
    assert_eq!(report.summary.artists_loaded, 1);
    assert_eq!(report.summary.incomplete.len(), 1);
    assert_eq!(report.summary.incomplete[0].seed, TXT);
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT COUNT(*) FROM artists WHERE id = '{TXT}' AND spotify_loaded_at IS NULL"
            )
        )
        .await?,
        1,
        "an incomplete artist is tried again next run"
    );
    let stored = stored_summary(&conn, report.run_id).await?;
    assert_eq!(stored.skipped_items(), 2, "{:?}", stored.skipped);
    assert!(stored.skipped.iter().any(|s| s.endpoint == "GET /tracks"));
    assert!(
        stored
            .skipped
            .iter()
            .any(|s| s.endpoint == "GET /artists/{id}/albums" && s.item.contains(TXT))
    );
    assert_eq!(report.counts.rejected, 2);
    assert_eq!(
        count(&conn, "SELECT rows_rejected FROM load_runs").await?,
        2
    );
    Ok(())
}

async fn retired_endpoints_fall_back_to_one_id_calls_or_are_left_out(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    for route in [
        "/v1/albums",
        "/v1/tracks",
        "/v1/audio-features",
        "/v1/artists",
        "/v1/artists/{id}/top-tracks",
        "/v1/artists/{id}/related-artists",
    ] {
        fake.retire(route);
    }
    let mut opts = seeds(&[], &[IU, JANNABI]);
    opts.follow_related = 2;
    let report = load(&conn, &fake, &opts).await?;
    let e = &report.summary.endpoints;
    for several in [
        "GET /albums",
        "GET /tracks",
        "GET /audio-features",
        "GET /artists",
    ] {
        assert!(e[several].unavailable, "{several}");
        assert_eq!(
            e[several].requests, 1,
            "{several} is asked once, then left alone"
        );
    }
    assert!(e["GET /artists/{id}/top-tracks"].unavailable);
    assert!(e["GET /artists/{id}/related-artists"].unavailable);
    assert_eq!(e["GET /tracks/{id}"].requests, 12);
    assert_eq!(
        report.summary.artists_loaded, 2,
        "related artists cannot be followed"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM tracks WHERE popularity IS NOT NULL"
        )
        .await?,
        12
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        12
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM artist_top_tracks").await?,
        0
    );

    // With the one-id audio features endpoint retired too, tracks come without them.
    fake.retire("/v1/audio-features/{id}");
    let twin = db.twin().await?;
    let other = twin.connect().await?;
    let report = load(&other, &fake, &seeds(&[], &[JANNABI])).await?;
    assert!(report.summary.endpoints["GET /audio-features/{id}"].unavailable);
    assert_eq!(count(&other, "SELECT COUNT(*) FROM tracks").await?, 3);
    assert_eq!(
        count(&other, "SELECT COUNT(*) FROM audio_features").await?,
        0
    );
    Ok(())
}

/// Spotify's development mode in 2026: the several-ids endpoints, top tracks and audio
/// features answer 403.
const DEVELOPMENT_MODE_RETIRED: [(&str, &str); 5] = [
    ("/v1/albums", "GET /albums"),
    ("/v1/tracks", "GET /tracks"),
    ("/v1/audio-features", "GET /audio-features"),
    ("/v1/audio-features/{id}", "GET /audio-features/{id}"),
    (
        "/v1/artists/{id}/top-tracks",
        "GET /artists/{id}/top-tracks",
    ),
];

async fn endpoints_known_unavailable_get_no_more_requests_and_the_next_run_probes_them_once(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start_with(Catalog::generated(12, 3, 4)).await?;
    for (route, _) in DEVELOPMENT_MODE_RETIRED {
        fake.retire(route);
    }
    // Every answer takes a while, so that requests queue behind the first 403.
    fake.set_latency(Duration::from_millis(20));
    let names: Vec<String> = (0..12).map(|i| format!("Artist {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut opts = seeds(&names, &[]);
    opts.artists_per_batch = 12;
    let client = client(&fake)?;
    let in_flight = client.policy().concurrency as u64;
    let report = load_spotify(&conn, &client, None, &opts, &Shutdown::never()).await?;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.summary.artists_loaded, 12);
    let first: Vec<u64> = DEVELOPMENT_MODE_RETIRED
        .iter()
        .map(|(route, _)| fake.route_hits(route))
        .collect();
    for ((route, endpoint), hits) in DEVELOPMENT_MODE_RETIRED.iter().zip(&first) {
        assert!(
            report.summary.endpoints[*endpoint].unavailable,
            "{endpoint}"
        );
        assert!(
            (1..=in_flight).contains(hits),
            "{route}: {hits} requests, at most the {in_flight} in flight when the first 403 came"
        );
    }
    // The tracks came through the one-id endpoints that still answer.
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM tracks").await?,
        12 * 3 * 4
    );

    // The next run asks each once, then relies on what that one answer said.
    let report = load(&conn, &fake, &opts).await?;
    for ((route, endpoint), before) in DEVELOPMENT_MODE_RETIRED.iter().zip(&first) {
        assert!(
            report.summary.endpoints[*endpoint].unavailable,
            "{endpoint}"
        );
        assert_eq!(fake.route_hits(route) - before, 1, "{route} is probed once");
    }

    // An endpoint back in service answers its probe, and the run uses it in full.
    let fresh = FakeSpotify::start_with(Catalog::generated(12, 3, 4)).await?;
    let report = load(&conn, &fresh, &opts).await?;
    assert!(!report.summary.endpoints["GET /albums"].unavailable);
    assert!(fresh.route_hits("/v1/artists/{id}/top-tracks") >= 12);
    Ok(())
}

async fn related_artists_are_followed_one_level_deep(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    let mut opts = seeds(&["BTS"], &[]);
    opts.follow_related = 2;
    let report = load(&conn, &fake, &opts).await?;
    // BTS's first two related artists; not theirs (BLACKPINK's would be IU).
    assert_eq!(report.summary.related_followed, 2);
    assert_eq!(report.summary.artists_loaded, 3);
    let loaded = count(&conn, &format!(
        "SELECT COUNT(*) FROM artists WHERE spotify_loaded_at IS NOT NULL AND id IN ('{BTS}', '{TXT}', '{BLACKPINK}')"
    )).await?;
    assert_eq!(loaded, 3);
    assert_eq!(fake.hits(&format!("/v1/artists/{IU}/albums")), 0);
    assert_eq!(
        fake.hits(&format!("/v1/artists/{BLACKPINK}/related-artists")),
        0
    );

    // A batch holding a seed and a related artist follows the seed's only.
    let twin = db.twin().await?;
    let other = twin.connect().await?;
    let mut opts = seeds(&[], &[BTS, JANNABI, IU]);
    opts.artists_per_batch = 2;
    opts.follow_related = 1;
    let before = fake.hits(&format!("/v1/artists/{IU}/related-artists"));
    let report = load(&other, &fake, &opts).await?;
    assert_eq!(report.summary.artists_loaded, 4, "three seeds and TXT");
    assert_eq!(
        fake.hits(&format!("/v1/artists/{IU}/related-artists")),
        before + 1
    );
    assert_eq!(fake.hits(&format!("/v1/artists/{TXT}/related-artists")), 0);
    Ok(())
}

async fn max_age_skips_artists_loaded_recently(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    load(&conn, &fake, &seeds(&["BTS"], &[])).await?;
    let mut opts = seeds(&["bts"], &[BTS, JANNABI]);
    opts.max_age = Some(Duration::from_secs(3600));
    let report = load(&conn, &fake, &opts).await?;
    assert_eq!(report.summary.artists_fresh, 2, "BTS by name and by id");
    assert_eq!(report.summary.artists_loaded, 1);
    assert_eq!(
        fake.hits(&format!("/v1/artists/{BTS}/albums")),
        3,
        "only the first run read it"
    );
    assert_eq!(fake.hits("/v1/search"), 1, "a fresh name needs no search");
    // Without --max-age everything is read again.
    load(&conn, &fake, &seeds(&["BTS"], &[])).await?;
    assert_eq!(fake.hits(&format!("/v1/artists/{BTS}/albums")), 6);
    Ok(())
}

async fn a_stop_request_ends_the_run_between_batches_as_cancelled(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    let (trigger, shutdown) = Shutdown::new();
    let watching = fake.clone();
    let stopper = tokio::spawn(async move {
        // Once the second artist's discography is being read, the first batch is done.
        while watching.hits(&format!("/v1/artists/{BLACKPINK}/albums")) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        trigger.trigger();
    });
    let opts = seeds(&[], &[BTS, BLACKPINK, IU, TXT]);
    let report = load_spotify(&conn, &client(&fake)?, None, &opts, &shutdown).await?;
    stopper.await?;
    ensure!(report.error.is_none(), "{:?}", report.error);
    assert!(report.summary.stopped_early);
    assert_eq!(
        report.summary.artists_loaded, 2,
        "the batch in flight is finished"
    );
    assert_eq!(fake.hits(&format!("/v1/artists/{IU}/albums")), 0);
    let status = scalar(
        &conn,
        "SELECT COUNT(*) FROM load_runs WHERE status = 'cancelled'",
    )
    .await?;
    assert_eq!(status, 1);
    // A cancelled run's data is whole and moves the data version.
    let app = TestApp::spawn(&db).await?;
    let data = app
        .data("{ dataVersion loadRuns(first: 1) { id status } }")
        .await?;
    assert_eq!(data["loadRuns"][0]["status"], "CANCELLED");
    assert_eq!(data["dataVersion"], data["loadRuns"][0]["id"]);
    Ok(())
}

async fn a_run_that_fails_midway_is_mended_by_the_next(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    // An answer the loader cannot go on from, after the first artist was written.
    fake.push_faults(
        &format!("/v1/artists/{BLACKPINK}/albums"),
        [Fault::Status(400)],
    );
    let opts = seeds(&[], &[BTS, BLACKPINK, IU]);
    let failed = load_spotify(&conn, &client(&fake)?, None, &opts, &Shutdown::never()).await?;
    let error = failed
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        error.contains("GET /artists/{id}/albums") && error.contains("400"),
        "{error}"
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM load_runs WHERE status = 'failed' AND error LIKE '%400%'"
        )
        .await?,
        1
    );
    load(&conn, &fake, &opts).await?;
    let twin = db.twin().await?;
    let clean = twin.connect().await?;
    load(&clean, &fake, &opts).await?;
    assert_eq!(snapshot(&conn).await?, snapshot(&clean).await?);
    Ok(())
}

backend_tests!(
    a_full_load_brings_artists_discographies_tracks_features_and_top_tracks,
    a_credit_on_another_artists_track_never_blanks_what_a_full_load_stored,
    a_rerun_changes_nothing_and_duplicates_nothing,
    an_artists_file_with_korean_names_and_blank_lines_resolves_each_name,
    a_429_makes_the_whole_run_wait_for_retry_after,
    a_token_that_expires_mid_run_is_renewed_and_the_run_completes,
    server_errors_and_a_timeout_succeed_on_retry_within_a_load,
    malformed_payloads_are_skipped_counted_and_named_and_the_run_goes_on,
    retired_endpoints_fall_back_to_one_id_calls_or_are_left_out,
    endpoints_known_unavailable_get_no_more_requests_and_the_next_run_probes_them_once,
    related_artists_are_followed_one_level_deep,
    max_age_skips_artists_loaded_recently,
    a_stop_request_ends_the_run_between_batches_as_cancelled,
    a_run_that_fails_midway_is_mended_by_the_next
);

#[tokio::test]
async fn a_generated_catalog_loads_in_full() -> Result<()> {
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    let fake = FakeSpotify::start_with(Catalog::generated(12, 5, 10)).await?;
    let names: Vec<String> = (0..12).map(|i| format!("Artist {i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut opts = seeds(&names, &[]);
    opts.artists_per_batch = 5;
    let report = load(&conn, &fake, &opts).await?;
    assert_eq!(report.summary.artists_loaded, 12);
    assert_eq!(report.summary.ambiguous, [], "Artist 1 is not Artist 10");
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM tracks").await?,
        12 * 5 * 10
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        600
    );
    // Requests: 12 searches, 12 discography pages, 60 albums / 20, 600 tracks minus the top
    // tracks / 50, 600 features / 100, 12 top tracks, one token.
    assert_eq!(report.summary.requests(), fake.total_hits() + 1);
    Ok(())
}
