//! Acting for a Spotify user: OAuth 2.0 Authorization Code with PKCE (`sixpotify-loader spotify
//! login`), and the refresh token it leaves in a file only its owner can read.
//!
//! `login` makes a code verifier (64 random characters) and its S256 challenge, prints the
//! authorise URL, receives the redirect on a loopback address (the `--redirect-uri` registered
//! for the app), checks the `state`, and exchanges the code with the verifier for tokens. Only
//! the refresh token is kept, written to a temporary file created with mode 0600 and renamed
//! over the token file. Tokens live in [`Secret`]s: they never reach logs, errors or
//! `load_runs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::info;

use super::Secret;
use crate::error::{LoaderError, Result};

/// What the loader asks the user to allow: reading their private and collaborative playlists.
pub const SCOPES: &str = "playlist-read-private playlist-read-collaborative";

/// The redirect address, unless told otherwise (register it for the app).
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8888/callback";

/// The characters RFC 7636 allows in a code verifier.
const VERIFIER_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// A PKCE pair: the verifier stays here, the challenge goes in the authorise URL.
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    /// A new pair from the operating system's random source.
    pub fn new() -> Result<Self> {
        let verifier = random_string(64)?;
        let challenge = challenge_of(&verifier);
        Ok(Self {
            verifier: Secret::new(verifier),
            challenge,
        })
    }
}

/// The S256 challenge of a verifier: base64url of its SHA-256, without padding.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn random_string(len: usize) -> Result<String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes)
        .map_err(|e| LoaderError::SpotifyConfig(format!("no random source: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(VERIFIER_CHARS[usize::from(*b) % VERIFIER_CHARS.len()]))
        .collect())
}

/// Where the refresh token is kept unless told otherwise:
/// `$XDG_CONFIG_HOME/sixpotify/spotify-token.json`, else `~/.config/sixpotify/…`.
pub fn default_token_file() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("sixpotify").join("spotify-token.json")
}

/// What the token file holds.
#[derive(Serialize, Deserialize)]
struct Stored {
    refresh_token: String,
    scope: Option<String>,
}

/// Reads the refresh token; a missing or unreadable file says to log in.
pub fn read_refresh_token(path: &Path) -> Result<Secret> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            LoaderError::SpotifyLogin {
                path: path.to_owned(),
                reason: "no refresh token is stored there".into(),
            }
        } else {
            LoaderError::File {
                action: "read the token file",
                path: path.to_owned(),
                source,
            }
        }
    })?;
    let stored: Stored = serde_json::from_slice(&bytes).map_err(|_| LoaderError::SpotifyLogin {
        path: path.to_owned(),
        reason: "the token file is not one `spotify login` wrote".into(),
    })?;
    Ok(Secret::new(stored.refresh_token))
}

/// Writes the refresh token so that only the owner can read it: a temporary file created with
/// mode 0600 in the same folder, then renamed over the old one.
pub fn store_refresh_token(path: &Path, token: &Secret, scope: Option<&str>) -> Result<()> {
    let io = |action: &'static str| {
        move |source| LoaderError::File {
            action,
            path: path.to_owned(),
            source,
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io("create the folder of"))?;
    }
    let tmp = path.with_extension("tmp");
    let body = serde_json::to_vec_pretty(&Stored {
        refresh_token: token.expose().to_owned(),
        scope: scope.map(str::to_owned),
    })
    .map_err(|e| LoaderError::SpotifyConfig(format!("token file: {e}")))?;
    {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(io("create"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(io("restrict"))?;
        }
        file.write_all(&body).map_err(io("write"))?;
        file.sync_all().map_err(io("write"))?;
    }
    std::fs::rename(&tmp, path).map_err(io("replace"))
}

/// Replaces the stored refresh token with a rotated one, keeping the scope the login stored.
pub fn rotate_refresh_token(path: &Path, token: &Secret) -> Result<()> {
    let scope = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
        .and_then(|s| s.scope);
    store_refresh_token(path, token, scope.as_deref())
}

/// What `login` needs.
#[derive(Clone, Debug)]
pub struct LoginConfig {
    pub client_id: String,
    /// `https://accounts.spotify.com` in production.
    pub accounts_url: String,
    /// A loopback URL registered for the app: `http://127.0.0.1:<port>/<path>`.
    pub redirect_uri: String,
    pub token_file: PathBuf,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
    pub request_timeout: Duration,
}

/// The authorise URL for a challenge and a state.
pub fn authorize_url(config: &LoginConfig, challenge: &str, state: &str) -> Result<String> {
    let mut url = url::Url::parse(&format!("{}/authorize", config.accounts_url))
        .map_err(|e| LoaderError::SpotifyConfig(format!("accounts URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", &config.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("code_challenge_method", "S256")
        .append_pair("code_challenge", challenge)
        .append_pair("state", state)
        .append_pair("scope", SCOPES);
    Ok(url.into())
}

/// What the loader keeps of the token endpoint's answer to an authorisation code.
#[derive(Deserialize)]
struct TokenGrant {
    refresh_token: Option<String>,
    scope: Option<String>,
}

/// An OAuth error answer.
#[derive(Deserialize)]
pub(crate) struct OAuthError {
    pub error: String,
}

/// Logs in: `show` is given the authorise URL to put before the user; returns once the refresh
/// token is stored.
pub async fn login(config: &LoginConfig, show: impl FnOnce(&str)) -> Result<()> {
    let redirect = url::Url::parse(&config.redirect_uri)
        .map_err(|e| LoaderError::SpotifyConfig(format!("redirect URI: {e}")))?;
    let loopback = matches!(
        redirect.host_str(),
        Some("127.0.0.1" | "[::1]" | "localhost")
    );
    if redirect.scheme() != "http" || !loopback {
        return Err(LoaderError::SpotifyConfig(
            "the redirect URI must be a loopback address such as http://127.0.0.1:8888/callback"
                .into(),
        ));
    }
    let port = redirect.port_or_known_default().unwrap_or(80);
    let host = redirect
        .host_str()
        .unwrap_or("127.0.0.1")
        .trim_matches(['[', ']']);
    let server = tiny_http::Server::http((host, port)).map_err(|e| {
        LoaderError::SpotifyConfig(format!(
            "cannot listen on {host}:{port} for the redirect: {e}"
        ))
    })?;
    let pkce = Pkce::new()?;
    let state = random_string(24)?;
    show(&authorize_url(config, &pkce.challenge, &state)?);

    let path = redirect.path().to_owned();
    let timeout = config.timeout;
    let code = tokio::task::spawn_blocking(move || wait_for_code(&server, &path, &state, timeout))
        .await
        .map_err(|_| LoaderError::ReaderPanicked)??;

    let http = reqwest::Client::builder()
        .timeout(config.request_timeout)
        .build()
        .map_err(|e| LoaderError::SpotifyConfig(format!("HTTP client: {e}")))?;
    let resp = http
        .post(format!("{}/api/token", config.accounts_url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("redirect_uri", config.redirect_uri.as_str()),
            ("client_id", config.client_id.as_str()),
            ("code_verifier", pkce.verifier.expose()),
        ])
        .send()
        .await
        .map_err(|e| LoaderError::ApiTransient {
            service: super::client::SERVICE,
            endpoint: "POST /api/token".into(),
            message: e.without_url().to_string(),
        })?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| LoaderError::ApiTransient {
        service: super::client::SERVICE,
        endpoint: "POST /api/token".into(),
        message: e.without_url().to_string(),
    })?;
    if !status.is_success() {
        let error = serde_json::from_slice::<OAuthError>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| format!("HTTP {}", status.as_u16()));
        return Err(LoaderError::SpotifyLogin {
            path: config.token_file.clone(),
            reason: format!("Spotify refused the authorisation code ({error})"),
        });
    }
    let grant: TokenGrant =
        serde_json::from_slice(&body).map_err(|source| LoaderError::ApiMalformed {
            service: super::client::SERVICE,
            endpoint: "POST /api/token".into(),
            item: "the tokens".into(),
            source,
        })?;
    let refresh = grant
        .refresh_token
        .ok_or_else(|| LoaderError::SpotifyLogin {
            path: config.token_file.clone(),
            reason: "Spotify gave no refresh token".into(),
        })?;
    store_refresh_token(
        &config.token_file,
        &Secret::new(refresh),
        grant.scope.as_deref(),
    )?;
    info!(token_file = %config.token_file.display(), "Spotify refresh token stored");
    Ok(())
}

/// Answers requests on the loopback address until the redirect with the authorisation code
/// comes, or the time is up.
fn wait_for_code(
    server: &tiny_http::Server,
    path: &str,
    state: &str,
    timeout: Duration,
) -> Result<Secret> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let request = server
            .recv_timeout(left)
            .map_err(|e| LoaderError::SpotifyConfig(format!("waiting for the redirect: {e}")))?;
        let Some(request) = request else {
            return Err(LoaderError::SpotifyConfig(format!(
                "no redirect from Spotify within {}",
                humantime::format_duration(timeout)
            )));
        };
        let Ok(url) = url::Url::parse(&format!("http://loopback{}", request.url())) else {
            let _ = request.respond(page(400, "Not a redirect from Spotify."));
            continue;
        };
        if url.path() != path {
            let _ = request.respond(page(404, "Not found."));
            continue;
        }
        let query: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        if query.get("state").map(String::as_str) != Some(state) {
            let _ = request.respond(page(400, "The state does not match this login."));
            continue;
        }
        if let Some(error) = query.get("error") {
            let _ = request.respond(page(
                200,
                "Sixpotify was not allowed. You can close this window.",
            ));
            return Err(LoaderError::SpotifyConfig(format!(
                "the authorisation was refused ({error})"
            )));
        }
        let Some(code) = query.get("code") else {
            let _ = request.respond(page(400, "The redirect holds no code."));
            continue;
        };
        let _ = request.respond(page(
            200,
            "Sixpotify is authorised. You can close this window.",
        ));
        return Ok(Secret::new(code.clone()));
    }
}

fn page(status: u16, text: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let response = tiny_http::Response::from_string(text).with_status_code(status);
    match tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"text/plain; charset=utf-8"[..]) {
        Ok(header) => response.with_header(header),
        Err(()) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let pkce = Pkce::new().expect("random");
        assert_eq!(pkce.verifier.expose().len(), 64);
        assert!(
            pkce.verifier
                .expose()
                .bytes()
                .all(|b| VERIFIER_CHARS.contains(&b))
        );
    }

    #[test]
    fn the_token_file_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub").join("token.json");
        store_refresh_token(&path, &Secret::new("r1"), Some(SCOPES)).expect("stored");
        store_refresh_token(&path, &Secret::new("r2"), None).expect("replaced");
        assert_eq!(read_refresh_token(&path).expect("read").expose(), "r2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let missing = read_refresh_token(&dir.path().join("none")).expect_err("missing");
        assert!(missing.to_string().contains("spotify login"), "{missing}");
    }
}
