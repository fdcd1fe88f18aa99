//! Audio features from ReccoBeats: after a Spotify load whose audio-features endpoints answer
//! 403, and on demand with `sixpotify-loader audio-features --missing`, against the fake
//! ReccoBeats and the fake Spotify, on both backends.

use std::time::Duration;

use anyhow::Result;
use clap::Parser as _;
use sea_orm::DatabaseConnection;
use serde_json::json;
use sixpotify_loader::cli::{Cli, run};
use sixpotify_loader::reccobeats::ReccoBeatsClient;
use sixpotify_loader::shutdown::Shutdown;
use sixpotify_loader::spotify::{Secret, Seed, SpotifyClient, SpotifyConfig, SpotifyLoadOptions};
use sixpotify_loader::web_api::ClientPolicy;
use sixpotify_tests::fake_reccobeats::{FakeReccoBeats, MAX_IDS};
use sixpotify_tests::fake_spotify::{CLIENT_ID, CLIENT_SECRET, Catalog, FakeSpotify, Fault};
use sixpotify_tests::{TestApp, TestDb, backend_tests, scalar};

fn quick() -> ClientPolicy {
    ClientPolicy {
        requests_per_second: 1000,
        request_timeout: Duration::from_millis(700),
        backoff_min: Duration::from_millis(10),
        ..ClientPolicy::default()
    }
}

fn spotify(fake: &FakeSpotify) -> Result<SpotifyClient> {
    let mut c = SpotifyConfig::new(CLIENT_ID, Secret::new(CLIENT_SECRET));
    c.api_url = fake.api_url();
    c.accounts_url = fake.accounts_url();
    c.policy = quick();
    Ok(SpotifyClient::new(c)?)
}

/// A fake Spotify of 3 artists × 2 albums × 10 tracks whose audio-features endpoints answer
/// 403, as they do for apps created since November 2024.
async fn spotify_without_features() -> Result<FakeSpotify> {
    let fake = FakeSpotify::start_with(Catalog::generated(3, 2, 10)).await?;
    fake.retire("/v1/audio-features");
    fake.retire("/v1/audio-features/{id}");
    Ok(fake)
}

fn three_artists() -> SpotifyLoadOptions {
    let seeds = (0..3).map(|i| Seed::Name(format!("Artist {i}"))).collect();
    SpotifyLoadOptions::new(seeds)
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    scalar(db, sql).await
}

/// The fake knows every track but the last two; the first has a danceability of 1.7 and the
/// second a key of 12, both out of range.
fn know_all_but_two(
    reccobeats: &FakeReccoBeats,
    spotify: &FakeSpotify,
) -> ([String; 2], Vec<String>) {
    let ids = spotify.catalog().track_ids();
    let (known, unknown) = ids.split_at(ids.len() - 2);
    reccobeats.know(known.iter().map(String::as_str));
    let mut bad = sixpotify_tests::fake_reccobeats::reccobeats_features(1);
    bad["danceability"] = json!(1.7);
    reccobeats.set(&known[0], bad);
    let mut bad = sixpotify_tests::fake_reccobeats::reccobeats_features(2);
    bad["key"] = json!(12);
    reccobeats.set(&known[1], bad);
    ([known[0].clone(), known[1].clone()], unknown.to_vec())
}

async fn a_spotify_load_gets_the_features_spotify_refuses_from_reccobeats(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = spotify_without_features().await?;
    let reccobeats = FakeReccoBeats::start().await?;
    let ([bad_danceability, bad_key], unknown) = know_all_but_two(&reccobeats, &fake);
    let features = ReccoBeatsClient::new(&reccobeats.api_url(), quick())?;
    let report = sixpotify_loader::spotify::load_spotify(
        &conn,
        &spotify(&fake)?,
        Some(&features),
        &three_artists(),
        &Shutdown::never(),
    )
    .await?;
    assert!(report.error.is_none(), "{:?}", report.error);
    let s = &report.summary;
    assert_eq!(s.tracks, 60);
    assert_eq!(s.audio_features, 56, "60 tracks, 2 unknown, 2 out of range");
    assert_eq!(s.audio_features_unknown, 2);
    let endpoint = &s.endpoints["ReccoBeats GET /audio-features"];
    assert_eq!(endpoint.requests, 2, "60 ids, 40 a call");
    assert_eq!(endpoint.skipped, 2, "the out-of-range tracks");
    assert!(s.skipped.iter().any(|k| k.item == bad_danceability
        && k.endpoint == "ReccoBeats GET /audio-features"
        && k.reason.contains("danceability: out of range")));
    assert!(
        s.skipped
            .iter()
            .any(|k| k.item == bad_key && k.reason.contains("key: 12 is out of range"))
    );
    assert_eq!(report.counts.written, 60, "tracks, each counted once");
    assert!(reccobeats.most_ids_in_a_call() <= MAX_IDS);
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM audio_features WHERE source = 'reccobeats'"
        )
        .await?,
        56
    );
    for id in unknown.iter().chain([&bad_danceability, &bad_key]) {
        let stored = format!("SELECT COUNT(*) FROM audio_features WHERE track_id = '{id}'");
        assert_eq!(count(&conn, &stored).await?, 0, "{id} has no features");
    }
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM audio_features WHERE danceability > 1"
        )
        .await?,
        0
    );

    // The API shows where the features came from.
    let app = TestApp::spawn(&db).await?;
    let known = &fake.catalog().track_ids()[2];
    let data = app
        .data(&format!(
            "{{ track(id: \"{known}\") {{ audioFeatures {{ source danceability key }} }}
               loadRuns(first: 1) {{ kind rowsRejected rowsWritten endpoints {{ endpoint requests }} }} }}"
        ))
        .await?;
    assert_eq!(data["track"]["audioFeatures"]["source"], "RECCOBEATS");
    assert_eq!(data["loadRuns"][0]["kind"], "SPOTIFY");
    assert_eq!(data["loadRuns"][0]["rowsRejected"], 2);
    assert_eq!(data["loadRuns"][0]["rowsWritten"], 60);
    Ok(())
}

/// `audio-features --missing` as an operator types it.
async fn audio_features_missing(db: &TestDb, reccobeats: &FakeReccoBeats) -> Result<()> {
    let cli = Cli::try_parse_from([
        "sixpotify-loader",
        "--database-url",
        &db.url,
        "audio-features",
        "--missing",
        "--reccobeats-url",
        &reccobeats.api_url(),
        "--requests-per-second",
        "1000",
    ])?;
    anyhow::ensure!(
        run(cli).await == std::process::ExitCode::SUCCESS,
        "the run failed"
    );
    Ok(())
}

async fn audio_features_missing_fills_every_track_without_features_and_counts_the_unknown(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = spotify_without_features().await?;
    let report = sixpotify_loader::spotify::load_spotify(
        &conn,
        &spotify(&fake)?,
        None,
        &three_artists(),
        &Shutdown::never(),
    )
    .await?;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        0
    );

    let reccobeats = FakeReccoBeats::start().await?;
    let (_, unknown) = know_all_but_two(&reccobeats, &fake);
    // A 429 and a 503 on the way are waited for and retried.
    reccobeats.push_faults([Fault::RetryAfter(1), Fault::Status(503)]);
    audio_features_missing(&db, &reccobeats).await?;
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        56
    );
    let run = "SELECT id FROM load_runs WHERE kind = 'reccobeats' AND status = 'succeeded'";
    let run_id = count(&conn, run).await?;
    let summary: entity::run_summary::RunSummary = serde_json::from_str(
        &sixpotify_tests::strings(
            &conn,
            &format!("SELECT summary FROM load_runs WHERE id = {run_id}"),
        )
        .await?[0],
    )?;
    assert_eq!(summary.audio_features, 56);
    assert_eq!(summary.audio_features_unknown, 2);
    let endpoint = &summary.endpoints["ReccoBeats GET /audio-features"];
    assert_eq!(endpoint.rate_limited, 1);
    assert_eq!(endpoint.retries, 1);
    assert!(summary.rate_limit_wait_ms >= 900, "{summary:?}");
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT rows_written * 1000 + rows_rejected FROM load_runs WHERE id = {run_id}"
            )
        )
        .await?,
        56_002
    );

    // A second run asks only for the four tracks still without features.
    let asked = reccobeats.ids_asked();
    audio_features_missing(&db, &reccobeats).await?;
    assert_eq!(reccobeats.ids_asked() - asked, 4);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        56
    );
    for id in &unknown {
        let stored = format!("SELECT COUNT(*) FROM audio_features WHERE track_id = '{id}'");
        assert_eq!(count(&conn, &stored).await?, 0);
    }
    Ok(())
}

async fn reccobeats_refusing_is_asked_once_a_run_and_probed_once_by_the_next(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let fake = spotify_without_features().await?;
    let reccobeats = FakeReccoBeats::start().await?;
    reccobeats.forbid();
    let one_at_a_time = || {
        ReccoBeatsClient::new(
            &reccobeats.api_url(),
            ClientPolicy {
                concurrency: 1,
                ..quick()
            },
        )
    };
    // In a Spotify run, features that do not come are a gap, not a failed run.
    let report = sixpotify_loader::spotify::load_spotify(
        &conn,
        &spotify(&fake)?,
        Some(&one_at_a_time()?),
        &three_artists(),
        &Shutdown::never(),
    )
    .await?;
    assert!(report.error.is_none(), "{:?}", report.error);
    let gap = report.summary.audio_features_error.unwrap_or_default();
    assert!(
        gap.contains("ReccoBeats GET /audio-features is not available"),
        "{gap}"
    );
    assert_eq!(
        reccobeats.hits(),
        1,
        "60 tracks, two calls, the second never sent"
    );
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM tracks").await?, 60);

    // `audio-features --missing` knows it from the Spotify run: one probe, the other calls it
    // could make at once held back, and the run fails on the answer.
    let client = ReccoBeatsClient::new(&reccobeats.api_url(), quick())?;
    let report =
        sixpotify_loader::reccobeats::fill_missing(&conn, &client, &Shutdown::never()).await?;
    let failure = report.error.as_ref().map(ToString::to_string);
    assert!(
        failure
            .as_deref()
            .is_some_and(|f| f.contains("not available")),
        "{failure:?}"
    );
    assert_eq!(reccobeats.hits(), 2);
    // And so does the next.
    let client = ReccoBeatsClient::new(&reccobeats.api_url(), quick())?;
    sixpotify_loader::reccobeats::fill_missing(&conn, &client, &Shutdown::never()).await?;
    assert_eq!(reccobeats.hits(), 3);
    Ok(())
}

backend_tests!(
    a_spotify_load_gets_the_features_spotify_refuses_from_reccobeats,
    audio_features_missing_fills_every_track_without_features_and_counts_the_unknown,
    reccobeats_refusing_is_asked_once_a_run_and_probed_once_by_the_next,
);
