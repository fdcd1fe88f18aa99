//! The Spotify Web API client: the shared [`ApiClient`] policies (rate cap, retries, 429
//! waits within a budget, counts per endpoint, unavailable endpoints left alone) with Spotify's
//! authorisation: an access token (client credentials, or a user's refresh token from `spotify
//! login`) cached until shortly before it expires, and renewed once on a 401.
//!
//! The client secret and the tokens live in [`Secret`]s: they never reach logs or errors.

use std::fmt;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use crate::error::{LoaderError, Result};
pub use crate::web_api::Secret;
use crate::web_api::{ApiClient, Authorizer, ClientPolicy};

/// The service's name in logs and errors.
pub(crate) const SERVICE: &str = "Spotify";

/// How to reach Spotify and how patient to be with it.
#[derive(Clone, Debug)]
pub struct SpotifyConfig {
    pub client_id: String,
    pub client_secret: Secret,
    /// `https://api.spotify.com/v1` in production.
    pub api_url: String,
    /// `https://accounts.spotify.com` in production.
    pub accounts_url: String,
    /// Rate cap, retries, 429 budget, timeouts and concurrency.
    pub policy: ClientPolicy,
    /// Act for the user whose refresh token this file holds (`spotify login`), instead of
    /// the app alone (client credentials).
    pub user_token_file: Option<std::path::PathBuf>,
}

impl SpotifyConfig {
    /// Defaults for the public Spotify endpoints.
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            api_url: "https://api.spotify.com/v1".into(),
            accounts_url: "https://accounts.spotify.com".into(),
            policy: ClientPolicy::default(),
            user_token_file: None,
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    /// A new refresh token, when a user's was rotated.
    refresh_token: Option<String>,
}

struct Token {
    value: Secret,
    refresh_at: Instant,
}

/// Tokens are renewed this long before Spotify says they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// The client: the shared [`ApiClient`] and Spotify's tokens. Cheap to share behind a
/// reference; requests may run concurrently.
pub struct SpotifyClient {
    api: ApiClient,
    config: SpotifyConfig,
    token: tokio::sync::Mutex<Option<Token>>,
}

impl fmt::Debug for SpotifyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpotifyClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for SpotifyClient {
    type Target = ApiClient;

    /// The policies, counts and availability of the endpoints.
    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

impl Authorizer for SpotifyClient {
    fn token<'a>(&'a self, _: &'a ApiClient, renew: bool) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move { self.access_token(renew).await.map(Some) })
    }
}

impl SpotifyClient {
    pub fn new(config: SpotifyConfig) -> Result<Self> {
        Ok(Self {
            api: ApiClient::new(SERVICE, &config.api_url, config.policy.clone())?,
            config,
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &SpotifyConfig {
        &self.config
    }

    /// A valid token, fetched when there is none or the cached one is about to expire.
    async fn access_token(&self, force_refresh: bool) -> Result<Secret> {
        let mut cached = self.token.lock().await;
        if !force_refresh
            && let Some(t) = cached.as_ref()
            && Instant::now() < t.refresh_at
        {
            return Ok(t.value.clone());
        }
        let endpoint = "POST /api/token";
        let transient = |message: String| LoaderError::ApiTransient {
            service: SERVICE,
            endpoint: endpoint.into(),
            message,
        };
        let request = self
            .api
            .http()
            .post(format!("{}/api/token", self.config.accounts_url));
        let request = match &self.config.user_token_file {
            // A public client with PKCE: the refresh token and the client id, no secret.
            Some(path) => {
                let refresh = super::auth::read_refresh_token(path)?;
                request.form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.expose()),
                    ("client_id", self.config.client_id.as_str()),
                ])
            }
            None => request
                .basic_auth(
                    &self.config.client_id,
                    Some(self.config.client_secret.expose()),
                )
                .form(&[("grant_type", "client_credentials")]),
        };
        self.api.count(endpoint, |s| s.requests += 1);
        let resp = request
            .send()
            .await
            .map_err(|e| transient(e.without_url().to_string()))?;
        let status = resp.status();
        if let Some(path) = &self.config.user_token_file
            && status == StatusCode::BAD_REQUEST
        {
            self.api.count(endpoint, |s| s.failures += 1);
            let body = resp.bytes().await.unwrap_or_default();
            let error = serde_json::from_slice::<super::auth::OAuthError>(&body)
                .map(|e| e.error)
                .unwrap_or_else(|_| "HTTP 400".into());
            return Err(LoaderError::SpotifyLogin {
                path: path.clone(),
                reason: format!("the refresh token was refused ({error}): revoked or expired"),
            });
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            self.api.count(endpoint, |s| s.failures += 1);
            return Err(transient(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            self.api.count(endpoint, |s| s.failures += 1);
            return Err(LoaderError::SpotifyAuth {
                status: status.as_u16(),
            });
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| transient(e.without_url().to_string()))?;
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|source| LoaderError::ApiMalformed {
                service: SERVICE,
                endpoint: endpoint.into(),
                item: "the access token".into(),
                source,
            })?;
        // Spotify may rotate the refresh token; the new one replaces the stored one. The access
        // token in hand stays good if that write fails, so the run goes on, with a warning.
        if let (Some(path), Some(rotated)) = (&self.config.user_token_file, &parsed.refresh_token)
            && let Err(e) = super::auth::rotate_refresh_token(path, &Secret::new(rotated.clone()))
        {
            warn!(error = %e, "could not store the rotated Spotify refresh token; the next run may need `spotify login`");
        }
        let lifetime = Duration::from_secs(parsed.expires_in).saturating_sub(TOKEN_MARGIN);
        let token = Secret::new(parsed.access_token);
        *cached = Some(Token {
            value: token.clone(),
            refresh_at: Instant::now() + lifetime,
        });
        debug!(expires_in = parsed.expires_in, "new Spotify access token");
        Ok(token)
    }

    /// GETs `path` (relative to the API URL) and decodes the JSON answer. `endpoint` names the
    /// endpoint in stats and errors (`GET /artists/{id}`), `item` the thing asked for.
    pub async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
        query: &[(&str, String)],
        item: &str,
    ) -> Result<T> {
        self.api.get_with(self, endpoint, path, query, item).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_prints_its_secret_as_stars() {
        let secret = Secret::new("hunter2");
        let config = SpotifyConfig::new("id", secret);
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
