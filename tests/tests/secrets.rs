//! Secrets stay secret: a whole Spotify run through every flow that logs (retries, a 429, a
//! token refused and renewed, malformed payloads, a retired endpoint, an unknown name, wrong
//! credentials), with everything logged at TRACE captured and searched for the client secret
//! and the tokens, as are the errors and what `load_runs` holds.
//!
//! It is the only test of its binary: log capture is per thread, and `tracing` caches whether a
//! log statement is wanted across threads, so a test running beside it could hide lines.

use std::time::Duration;

use anyhow::Result;
use entity::run_summary::RunSummary;
use serde_json::Value;
use sixpotify_loader::shutdown::Shutdown;
use sixpotify_loader::spotify::{
    Secret, Seed, SpotifyClient, SpotifyConfig, SpotifyLoadOptions, load_spotify,
};
use sixpotify_tests::fake_spotify::{CLIENT_ID, CLIENT_SECRET, FakeSpotify, Fault, IU};
use sixpotify_tests::{LogCapture, TestApp, TestDb};

#[tokio::test]
async fn the_secret_and_tokens_never_reach_logs_errors_or_load_runs() -> Result<()> {
    let (captured, _guard) = LogCapture::start();
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    fake.push_faults("/v1/search", [Fault::Status(500), Fault::RetryAfter(0)]);
    fake.push_faults("/v1/tracks", [Fault::BadItem]);
    fake.push_faults("/v1/audio-features", [Fault::Malformed]);
    fake.retire("/v1/artists/{id}/related-artists");
    let mut opts = SpotifyLoadOptions::new(vec![
        Seed::Name("BTS".into()),
        Seed::Name("nobody".into()),
        Seed::Id(IU.into()),
    ]);
    opts.artists_per_batch = 1;
    opts.follow_related = 1;
    let expiring = fake.clone();
    let watcher = tokio::spawn(async move {
        while expiring.total_hits() < 5 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        expiring.expire_tokens();
    });
    let report = load_spotify(
        &conn,
        &SpotifyClient::new(fake.config())?,
        None,
        &opts,
        &Shutdown::never(),
    )
    .await?;
    assert!(report.error.is_none(), "{:?}", report.error);
    watcher.await?;
    // A run that fails on the credentials, too.
    let mut wrong = SpotifyConfig::new(CLIENT_ID, Secret::new("another-secret-9b1c"));
    wrong.api_url = fake.api_url();
    wrong.accounts_url = fake.accounts_url();
    let failed = load_spotify(
        &conn,
        &SpotifyClient::new(wrong)?,
        None,
        &opts,
        &Shutdown::never(),
    )
    .await?;
    let failure = failed
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(failure.contains("credentials"), "{failure}");

    let logs = captured.text();
    assert!(logs.contains("retrying a request"), "{logs}");
    assert!(logs.contains("unexpected shape"), "{logs}");
    let runs: Vec<Value> = {
        let app = TestApp::spawn(&db).await?;
        let data = app
            .data(
                "{ loadRuns(first: 10) { source status error rowsRead rowsWritten rowsRejected } }",
            )
            .await?;
        data["loadRuns"].as_array().cloned().unwrap_or_default()
    };
    let summary: RunSummary = {
        use sea_orm::EntityTrait as _;
        let run = entity::load_run::Entity::find_by_id(report.run_id)
            .one(&conn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no run"))?;
        serde_json::from_str(run.summary.as_deref().unwrap_or("{}"))?
    };
    assert!(summary.skipped_items() >= 1 && !summary.unmatched.is_empty());
    let stored = format!("{runs:?} {summary:?}");
    assert!(fake.tokens_issued() >= 2);
    for text in [&logs, &stored, &failure, &format!("{report:?}")] {
        assert!(!text.contains(CLIENT_SECRET), "{text}");
        assert!(!text.contains("another-secret-9b1c"), "{text}");
        assert!(!text.contains("fake-token-"), "{text}");
    }
    Ok(())
}
