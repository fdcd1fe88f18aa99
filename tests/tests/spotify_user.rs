//! Acting for a Spotify user: `spotify login` (PKCE against the fake's authorise and token
//! endpoints, which check the verifier), the refresh token in a file only its owner reads, and
//! `spotify --my-playlists` loading the playlists the user owns or collaborates on. Everything
//! logged is captured and searched for the tokens, as are the errors and `load_runs`.
//!
//! One test per binary, like `secrets`: log capture is per thread.

use std::time::Duration;

use anyhow::{Result, ensure};
use sixpotify_loader::shutdown::Shutdown;
use sixpotify_loader::spotify::auth::{self, LoginConfig};
use sixpotify_loader::spotify::playlists::load_my_playlists;
use sixpotify_loader::spotify::{Secret, SpotifyClient, SpotifyConfig};
use sixpotify_tests::fake_spotify::{CLIENT_ID, FakeSpotify};
use sixpotify_tests::{LogCapture, TestDb, scalar, strings};

/// A loopback redirect URI on a port nothing listens on yet.
fn free_redirect_uri() -> Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(format!("http://127.0.0.1:{port}/callback"))
}

/// Logs in as a browser would: opens the authorise URL `login` shows, follows the redirect.
async fn log_in(fake: &FakeSpotify, token_file: &std::path::Path) -> Result<()> {
    let config = LoginConfig {
        client_id: CLIENT_ID.into(),
        accounts_url: fake.accounts_url(),
        redirect_uri: free_redirect_uri()?,
        token_file: token_file.to_owned(),
        timeout: Duration::from_secs(20),
        request_timeout: Duration::from_secs(5),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let login = tokio::spawn(async move {
        let mut tx = Some(tx);
        auth::login(&config, move |url| {
            if let Some(tx) = tx.take() {
                let _ = tx.send(url.to_owned());
            }
        })
        .await
    });
    let url = rx.await?;
    ensure!(url.contains("code_challenge_method=S256"), "{url}");
    ensure!(
        url.contains("scope=playlist-read-private+playlist-read-collaborative"),
        "{url}"
    );
    let page = reqwest::get(&url).await?;
    ensure!(
        page.status() == 200,
        "the browser lands on the loader's page"
    );
    ensure!(page.text().await?.contains("authorised"));
    login.await??;
    Ok(())
}

fn user_client(fake: &FakeSpotify, token_file: &std::path::Path) -> Result<SpotifyClient> {
    let mut config = SpotifyConfig::new(CLIENT_ID, Secret::new(""));
    config.api_url = fake.api_url();
    config.accounts_url = fake.accounts_url();
    config.policy.requests_per_second = 1000;
    config.user_token_file = Some(token_file.to_owned());
    Ok(SpotifyClient::new(config)?)
}

#[tokio::test]
async fn a_user_logs_in_with_pkce_and_their_own_and_collaborative_playlists_load() -> Result<()> {
    let (captured, _guard) = LogCapture::start();
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    let fake = FakeSpotify::start().await?;
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("spotify-token.json");

    log_in(&fake, &token_file).await?;
    let first_refresh = auth::read_refresh_token(&token_file)?.expose().to_owned();
    ensure!(first_refresh.starts_with("fake-refresh-"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&token_file)?.permissions().mode();
        ensure!(mode & 0o777 == 0o600, "mode {mode:o}");
    }
    // The fake refuses a code exchanged with the wrong verifier.
    let refused = reqwest::Client::new()
        .post(format!("{}/api/token", fake.accounts_url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "fake-code-1"),
            ("redirect_uri", "http://127.0.0.1:1/callback"),
            ("client_id", CLIENT_ID),
            ("code_verifier", "not-the-verifier"),
        ])
        .send()
        .await?;
    ensure!(refused.status() == 400);

    let report =
        load_my_playlists(&conn, &user_client(&fake, &token_file)?, &Shutdown::never()).await?;
    ensure!(report.error.is_none(), "{:?}", report.error);
    ensure!(report.summary.playlists == 2, "{report:?}");
    let skipped: Vec<&str> = report
        .summary
        .playlists_skipped
        .iter()
        .map(|s| s.seed.as_str())
        .collect();
    ensure!(skipped == ["userplaylist00followed"], "{skipped:?}");
    // 55 + 3 items; the local file, the episode and the vanished item keep their places empty.
    ensure!(
        report.counts.read == 58 && report.counts.rejected == 3,
        "{:?}",
        report.counts
    );
    ensure!(report.counts.written == 55);
    let own = &fake.library()[0];
    let positions = strings(
        &conn,
        &format!("SELECT CAST(position AS TEXT) FROM playlist_tracks WHERE playlist_id = '{}' ORDER BY position", own.id),
    )
    .await?;
    ensure!(
        positions.len() == 52 && positions[..3] == ["1", "2", "6"],
        "{positions:?}"
    );
    let first_track = own.items[0]["item"]["id"].as_str().unwrap_or_default();
    let stored = strings(
        &conn,
        &format!(
            "SELECT track_id FROM playlist_tracks WHERE playlist_id = '{}' AND position = 1",
            own.id
        ),
    )
    .await?;
    ensure!(stored == [first_track]);
    ensure!(
        scalar(&conn, &format!("SELECT COUNT(*) FROM playlist_tracks WHERE playlist_id = '{}' AND added_at IS NOT NULL", own.id)).await? == 52
    );
    let owner = strings(
        &conn,
        &format!("SELECT owner FROM playlists WHERE id = '{}'", own.id),
    )
    .await?;
    ensure!(owner == ["fake-user"], "{owner:?}");
    ensure!(
        strings(
            &conn,
            &format!("SELECT name FROM playlists WHERE id = '{}'", own.id)
        )
        .await?
            == ["나의 K-pop"]
    );
    ensure!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM playlists WHERE source = 'spotify'"
        )
        .await?
            == 2
    );
    // The fake rotates refresh tokens: the file holds the new one.
    let rotated = auth::read_refresh_token(&token_file)?.expose().to_owned();
    ensure!(
        rotated != first_refresh,
        "the rotated refresh token is stored"
    );

    // Revoked: a clear error that says to log in again.
    fake.revoke_refresh_tokens();
    let failed =
        load_my_playlists(&conn, &user_client(&fake, &token_file)?, &Shutdown::never()).await?;
    let failure = failed
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    ensure!(
        failure.contains("spotify login") && failure.contains("revoked"),
        "{failure}"
    );

    let logs = captured.text();
    let runs = strings(
        &conn,
        "SELECT COALESCE(summary, '') || ' ' || COALESCE(error, '') FROM load_runs",
    )
    .await?;
    for text in [
        &logs,
        &runs.join("\n"),
        &failure,
        &format!("{report:?} {failed:?}"),
    ] {
        ensure!(
            !text.contains("fake-refresh-"),
            "a refresh token leaked: {text}"
        );
        ensure!(
            !text.contains("fake-user-token-"),
            "an access token leaked: {text}"
        );
        ensure!(
            !text.contains("fake-code-"),
            "an authorisation code leaked: {text}"
        );
    }
    Ok(())
}
