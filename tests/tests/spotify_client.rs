//! The Spotify client against the fake Spotify server: tokens, rate limits, retries and faults
//! (secrets have a test binary of their own, `secrets`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::Value;
use sixpotify_loader::LoaderError;
use sixpotify_loader::spotify::{Secret, SpotifyClient, SpotifyConfig};
use sixpotify_tests::fake_spotify::{FakeSpotify, Fault};

const BTS: &str = "3Nrfpe0tUJi4K4DXYWgMUX";
const BTS_PATH: &str = "/v1/artists/3Nrfpe0tUJi4K4DXYWgMUX";

fn config(fake: &FakeSpotify) -> SpotifyConfig {
    let mut c = fake.config();
    c.policy.request_timeout = Duration::from_millis(500);
    c
}

async fn get_bts(client: &SpotifyClient) -> sixpotify_loader::Result<Value> {
    client
        .get("GET /artists/{id}", &format!("/artists/{BTS}"), &[], BTS)
        .await
}

#[tokio::test]
async fn one_token_serves_many_requests() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    for _ in 0..5 {
        assert_eq!(get_bts(&client).await?["name"], "BTS");
    }
    assert_eq!(fake.tokens_issued(), 1);
    Ok(())
}

#[tokio::test]
async fn a_token_that_expires_mid_run_is_refreshed_and_the_request_succeeds() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    get_bts(&client).await?;
    fake.expire_tokens();
    assert_eq!(get_bts(&client).await?["name"], "BTS");
    assert_eq!(fake.tokens_issued(), 2);
    assert_eq!(client.stats()["GET /artists/{id}"].failures, 0);
    Ok(())
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults(BTS_PATH, [Fault::RetryAfter(1)]);
    let started = Instant::now();
    assert_eq!(get_bts(&client).await?["name"], "BTS");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the client waited for Retry-After"
    );
    let stats = &client.stats()["GET /artists/{id}"];
    assert_eq!((stats.rate_limited, stats.requests), (1, 2));
    Ok(())
}

#[tokio::test]
async fn waits_beyond_the_run_budget_stop_the_request_with_a_clear_error() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let mut cfg = config(&fake);
    cfg.policy.retry_after_budget = Duration::from_secs(1);
    let client = SpotifyClient::new(cfg)?;
    fake.push_faults(BTS_PATH, [Fault::RetryAfter(30)]);
    let started = Instant::now();
    let err = get_bts(&client).await.expect_err("over budget");
    assert!(
        matches!(err, LoaderError::ApiWaitBudget { budget_secs: 1, .. }),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it did not wait 30 s first"
    );
    Ok(())
}

#[tokio::test]
async fn server_errors_and_a_timeout_succeed_on_retry() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults(
        BTS_PATH,
        [
            Fault::Status(500),
            Fault::Status(503),
            Fault::Delay(Duration::from_secs(2)),
        ],
    );
    assert_eq!(get_bts(&client).await?["name"], "BTS");
    let stats = &client.stats()["GET /artists/{id}"];
    assert_eq!((stats.retries, stats.failures, stats.requests), (3, 3, 4));
    assert_eq!(fake.hits(BTS_PATH), 4);
    Ok(())
}

#[tokio::test]
async fn a_token_endpoint_in_trouble_is_retried_like_any_request() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults(
        "/api/token",
        [Fault::Status(503), Fault::Delay(Duration::from_secs(2))],
    );
    assert_eq!(get_bts(&client).await?["name"], "BTS");
    assert_eq!(client.stats()["GET /artists/{id}"].retries, 2);
    assert_eq!(fake.tokens_issued(), 1);
    Ok(())
}

#[tokio::test]
async fn a_request_that_keeps_failing_gives_up_after_the_configured_attempts() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let mut cfg = config(&fake);
    cfg.policy.max_attempts = 3;
    let client = SpotifyClient::new(cfg)?;
    fake.push_faults(BTS_PATH, std::iter::repeat_n(Fault::Status(502), 5));
    let err = get_bts(&client).await.expect_err("gives up");
    assert_eq!(
        err.to_string(),
        "Spotify GET /artists/{id} still failed after 3 attempts: HTTP 502"
    );
    assert_eq!(fake.hits(BTS_PATH), 3);
    Ok(())
}

#[tokio::test]
async fn malformed_json_is_an_error_naming_the_endpoint_and_the_item() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults(BTS_PATH, [Fault::Malformed]);
    let err = get_bts(&client).await.expect_err("malformed");
    assert_eq!(
        err.to_string(),
        format!("Spotify GET /artists/{{id}} sent an unexpected payload for {BTS}")
    );
    assert_eq!(
        get_bts(&client).await?["name"],
        "BTS",
        "the next request goes on"
    );
    Ok(())
}

#[tokio::test]
async fn a_forbidden_endpoint_is_reported_unavailable() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults(BTS_PATH, [Fault::Status(403)]);
    let err = get_bts(&client).await.expect_err("unavailable");
    assert!(
        matches!(err, LoaderError::ApiUnavailable { status: 403, .. }),
        "{err}"
    );
    assert!(client.stats()["GET /artists/{id}"].unavailable);
    Ok(())
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_error() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let mut cfg = config(&fake);
    cfg.client_secret = Secret::new("not-the-secret");
    let client = SpotifyClient::new(cfg)?;
    let err = get_bts(&client).await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "Spotify rejected the client credentials (HTTP 400)"
    );
    Ok(())
}

#[tokio::test]
async fn requests_keep_to_the_requests_per_second_cap() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let mut cfg = config(&fake);
    cfg.policy.requests_per_second = 5;
    let client = Arc::new(SpotifyClient::new(cfg)?);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { get_bts(&client).await }));
    }
    for t in tasks {
        t.await??;
    }
    // One at once (a tenth of a second's worth, at least one), then one every 200 ms: the
    // tenth cannot start before 1.8 s.
    assert!(
        started.elapsed() >= Duration::from_millis(1750),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}

const BLACKPINK: &str = "41MozSoPIsD1dJM0CLPjZF";

#[tokio::test]
async fn several_artists_come_fifty_at_a_time_and_unknown_ids_are_left_out() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    let mut ids: Vec<String> = (0..58).map(|i| format!("unknown{i:02}")).collect();
    ids.insert(3, BLACKPINK.into());
    ids.push(BTS.into());
    let artists = client.artists(&ids).await?;
    let names: Vec<&str> = artists.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["BLACKPINK", "BTS"]);
    assert_eq!(fake.hits("/v1/artists"), 2, "60 ids in two calls");
    assert_eq!(
        artists[1].followers.as_ref().and_then(|f| f.total),
        Some(1900)
    );
    assert_eq!(artists[1].genres, ["k-pop", "pop"]);
    assert!(artists[1].image_url().is_some_and(|u| u.ends_with(BTS)));
    Ok(())
}

#[tokio::test]
async fn a_forbidden_several_ids_endpoint_falls_back_to_one_id_a_call() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults("/v1/artists", [Fault::Status(403)]);
    let ids = [BTS.to_owned(), "unknown".to_owned(), BLACKPINK.to_owned()];
    let names = |a: Vec<sixpotify_loader::spotify::model::Artist>| -> Vec<String> {
        a.into_iter().map(|a| a.name).collect()
    };
    assert_eq!(names(client.artists(&ids).await?), ["BTS", "BLACKPINK"]);
    assert_eq!(names(client.artists(&ids).await?), ["BTS", "BLACKPINK"]);
    assert_eq!(
        fake.hits("/v1/artists"),
        1,
        "the several-ids endpoint is asked once per run"
    );
    assert_eq!(fake.hits(BTS_PATH), 2);
    let stats = client.stats();
    assert!(stats["GET /artists"].unavailable);
    assert!(
        !stats["GET /artists/{id}"].unavailable,
        "an unknown id is not an unavailable endpoint"
    );
    Ok(())
}

#[tokio::test]
async fn artist_search_returns_spotify_ranked_matches() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    let found = client.search_artists("blackpink", 10).await?;
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].id.as_str(), found[0].popularity),
        (BLACKPINK, Some(85))
    );
    assert!(
        client.search_artists("nobody at all", 50).await?.is_empty(),
        "limits above 10 are capped"
    );
    Ok(())
}

const TRACKS: [&str; 3] = [
    "5KawlOMHjWeUjQtnuRs22c",
    "0GJjSnmfg1uQ0gUXVdtsUr",
    "7b8YOVV5quZcSKEijDgyWB",
];

#[tokio::test]
async fn tracks_and_audio_features_come_in_batches_with_album_artists_and_isrc() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    let mut ids: Vec<String> = TRACKS.iter().map(|t| (*t).to_owned()).collect();
    ids.extend((0..120).map(|i| format!("missing{i:03}")));
    let tracks = client.tracks(&ids).await?;
    assert_eq!(tracks.len(), 3);
    assert_eq!(fake.hits("/v1/tracks"), 3, "123 ids, 50 a call");
    let fire = &tracks[1];
    assert_eq!(
        (fire.name.as_str(), fire.track_number, fire.duration_ms),
        ("FIRE", Some(2), 202_000)
    );
    assert_eq!(fire.artists[0].name, "BTS");
    assert_eq!(
        fire.album
            .as_ref()
            .and_then(|a| a.release_date_precision.as_deref()),
        Some("day")
    );
    assert_eq!(
        fire.external_ids.as_ref().and_then(|e| e.isrc.as_deref()),
        Some("KRA400000002")
    );

    let features = client.audio_features(&ids).await?;
    assert_eq!(features.len(), 3);
    assert_eq!(fake.hits("/v1/audio-features"), 2, "123 ids, 100 a call");
    // DDU-DU DDU-DU is the 55th track of the fake catalog: key 55 mod 12.
    assert_eq!(
        (
            features[2].features.key,
            features[2].features.time_signature
        ),
        (7, Some(4))
    );
    Ok(())
}

#[tokio::test]
async fn retired_audio_features_fall_back_to_one_track_a_call() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    fake.push_faults("/v1/audio-features", [Fault::Status(404)]);
    let ids: Vec<String> = TRACKS.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(client.audio_features(&ids).await?.len(), 3);
    assert_eq!(fake.hits("/v1/audio-features"), 1);
    assert!(client.stats()["GET /audio-features"].unavailable);
    assert_eq!(client.stats()["GET /audio-features/{id}"].requests, 3);
    Ok(())
}

#[tokio::test]
async fn an_artists_discography_is_read_page_by_page() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    let albums = client.artist_albums(BTS, 10).await?;
    assert_eq!(
        albums.len(),
        sixpotify_tests::fake_spotify::ALBUMS_PER_ARTIST
    );
    assert_eq!(
        fake.hits(&format!("{BTS_PATH}/albums")),
        3,
        "23 albums, 10 a page"
    );
    let ids: std::collections::HashSet<&str> = albums.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), albums.len(), "no album twice");
    assert_eq!(albums[0].release_date_precision.as_deref(), Some("day"));
    assert_eq!(albums[1].release_date_precision.as_deref(), Some("year"));
    let small = client.artist_albums(BTS, 4).await?;
    assert_eq!(small.len(), albums.len());
    Ok(())
}

#[tokio::test]
async fn top_tracks_come_best_first_and_a_retired_endpoint_is_unavailable() -> Result<()> {
    let fake = FakeSpotify::start().await?;
    let client = SpotifyClient::new(config(&fake))?;
    let top: Vec<String> = client
        .top_tracks(BTS, "KR")
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(top.len(), 10, "Spotify lists ten top tracks");
    assert_eq!(top[..2], ["FIRE", "Boy With Luv"]);
    fake.push_faults(&format!("{BTS_PATH}/top-tracks"), [Fault::Status(403)]);
    let err = client.top_tracks(BTS, "KR").await.expect_err("retired");
    assert!(
        matches!(err, LoaderError::ApiUnavailable { status: 403, .. }),
        "{err}"
    );
    assert!(client.stats()["GET /artists/{id}/top-tracks"].unavailable);
    Ok(())
}
