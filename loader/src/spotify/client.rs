//! A Spotify Web API client built to keep going: an access token (client credentials, or a
//! user's refresh token from `spotify login`) cached until shortly before it expires (and
//! renewed once on a 401), a requests-per-second cap, waits for
//! `Retry-After` on 429 within a budget per run, exponential backoff with jitter on 5xx,
//! timeouts and dropped connections, and counts of all of it per endpoint.
//!
//! The client secret and the tokens live in [`Secret`]s: they never reach logs or errors.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use entity::run_summary::{EndpointStats, SkippedItem};

use crate::error::{LoaderError, Result};

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, to put on the wire. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to reach Spotify and how patient to be with it.
#[derive(Clone, Debug)]
pub struct SpotifyConfig {
    pub client_id: String,
    pub client_secret: Secret,
    /// `https://api.spotify.com/v1` in production.
    pub api_url: String,
    /// `https://accounts.spotify.com` in production.
    pub accounts_url: String,
    /// The cap on requests per second, across all endpoints.
    pub requests_per_second: u32,
    /// Attempts per request on 5xx, timeouts and dropped connections.
    pub max_attempts: u32,
    /// The total time 429 answers may make one run wait.
    pub retry_after_budget: Duration,
    /// The time one request may take.
    pub request_timeout: Duration,
    /// Backoff before the first retry; it doubles, with jitter.
    pub backoff_min: Duration,
    /// Requests in flight at once, across all endpoints.
    pub concurrency: usize,
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
            requests_per_second: 10,
            max_attempts: 5,
            retry_after_budget: Duration::from_secs(300),
            request_timeout: Duration::from_secs(15),
            backoff_min: Duration::from_millis(200),
            concurrency: 4,
            user_token_file: None,
        }
    }
}

/// Skipped items kept for the run's summary; the rest are only counted.
const KEPT_SKIPS: usize = 50;

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

/// The client. Cheap to share behind an `Arc`; requests may run concurrently.
pub struct SpotifyClient {
    config: SpotifyConfig,
    http: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    in_flight: tokio::sync::Semaphore,
    skipped: Mutex<Vec<SkippedItem>>,
    token: tokio::sync::Mutex<Option<Token>>,
    stats: Mutex<BTreeMap<String, EndpointStats>>,
    /// The time 429s made the run wait so far, and until when every request holds back.
    waited: Mutex<(Duration, Option<Instant>)>,
    warned: Mutex<std::collections::BTreeSet<String>>,
}

impl fmt::Debug for SpotifyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpotifyClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

enum Attempt<T> {
    Done(T),
    /// Worth another try after a backoff.
    Transient(String),
}

impl SpotifyClient {
    pub fn new(config: SpotifyConfig) -> Result<Self> {
        let rate = NonZeroU32::new(config.requests_per_second).ok_or_else(|| {
            LoaderError::SpotifyConfig("the requests-per-second cap must be at least 1".into())
        })?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .user_agent(concat!("sixpotify-loader/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LoaderError::SpotifyConfig(format!("HTTP client: {e}")))?;
        if config.concurrency == 0 {
            return Err(LoaderError::SpotifyConfig(
                "the concurrency must be at least 1".into(),
            ));
        }
        Ok(Self {
            limiter: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst(rate))),
            in_flight: tokio::sync::Semaphore::new(config.concurrency),
            skipped: Mutex::new(Vec::new()),
            config,
            http,
            token: tokio::sync::Mutex::new(None),
            stats: Mutex::new(BTreeMap::new()),
            waited: Mutex::new((Duration::ZERO, None)),
            warned: Mutex::new(std::collections::BTreeSet::new()),
        })
    }

    /// Requests, retries, 429s, failures and unavailability per endpoint so far.
    pub fn stats(&self) -> BTreeMap<String, EndpointStats> {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &SpotifyConfig {
        &self.config
    }

    /// Items skipped so far as malformed (the first few; `stats` has the counts).
    pub fn skipped(&self) -> Vec<SkippedItem> {
        self.skipped.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Leaves an item out of the run because its payload was malformed: warns, naming the
    /// endpoint and the item, and counts it.
    pub(crate) fn skip(&self, endpoint: &str, item: &str, reason: &dyn fmt::Display) {
        warn!(endpoint, item, %reason, "skipping an item Spotify sent in an unexpected shape");
        self.count(endpoint, |s| s.skipped += 1);
        if let Ok(mut kept) = self.skipped.lock()
            && kept.len() < KEPT_SKIPS
        {
            kept.push(SkippedItem {
                endpoint: endpoint.to_owned(),
                item: item.to_owned(),
                reason: reason.to_string(),
            });
        }
    }

    /// Whether `endpoint` answered as not available to this app in this run.
    pub(crate) fn is_unavailable(&self, endpoint: &str) -> bool {
        self.stats
            .lock()
            .map(|s| s.get(endpoint).is_some_and(|e| e.unavailable))
            .unwrap_or(false)
    }

    /// True the first time it is asked for `endpoint`, so that a warning is given once.
    pub(crate) fn warn_once(&self, endpoint: &str) -> bool {
        self.warned
            .lock()
            .map(|mut w| w.insert(endpoint.to_owned()))
            .unwrap_or(false)
    }

    /// Records that `endpoint` is not available to this app; true the first time.
    pub(crate) fn mark_unavailable(&self, endpoint: &str) -> bool {
        let mut first = false;
        self.count(endpoint, |s| {
            first = !s.unavailable;
            s.unavailable = true;
        });
        first
    }

    fn count(&self, endpoint: &str, f: impl FnOnce(&mut EndpointStats)) {
        if let Ok(mut stats) = self.stats.lock() {
            f(stats.entry(endpoint.to_owned()).or_default());
        }
    }

    /// A valid token, fetched when there is none or the cached one is about to expire.
    async fn token(&self, force_refresh: bool) -> Result<Secret> {
        let mut cached = self.token.lock().await;
        if !force_refresh
            && let Some(t) = cached.as_ref()
            && Instant::now() < t.refresh_at
        {
            return Ok(t.value.clone());
        }
        let endpoint = "POST /api/token";
        let transient = |message: String| LoaderError::SpotifyTransient {
            endpoint: endpoint.into(),
            message,
        };
        let request = self
            .http
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
        self.count(endpoint, |s| s.requests += 1);
        let resp = request
            .send()
            .await
            .map_err(|e| transient(e.without_url().to_string()))?;
        let status = resp.status();
        if let Some(path) = &self.config.user_token_file
            && status == StatusCode::BAD_REQUEST
        {
            self.count(endpoint, |s| s.failures += 1);
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
            self.count(endpoint, |s| s.failures += 1);
            return Err(transient(format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            self.count(endpoint, |s| s.failures += 1);
            return Err(LoaderError::SpotifyAuth {
                status: status.as_u16(),
            });
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| transient(e.without_url().to_string()))?;
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|source| LoaderError::SpotifyMalformed {
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
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.config.backoff_min)
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .without_max_times()
            .build();
        let mut attempts = 0;
        let mut refreshed = false;
        loop {
            attempts += 1;
            match self
                .attempt(endpoint, path, query, item, &mut refreshed)
                .await?
            {
                Attempt::Done(value) => return Ok(value),
                Attempt::Transient(last) => {
                    self.count(endpoint, |s| s.failures += 1);
                    if attempts >= self.config.max_attempts {
                        return Err(LoaderError::SpotifyGaveUp {
                            endpoint: endpoint.into(),
                            attempts,
                            last,
                        });
                    }
                    let delay = backoff.next().unwrap_or(self.config.backoff_min);
                    warn!(endpoint, attempts, delay_ms = delay.as_millis() as u64, error = %last, "retrying Spotify request");
                    self.count(endpoint, |s| s.retries += 1);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One request; 401 and 429 are handled here, without using up an attempt.
    async fn attempt<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
        query: &[(&str, String)],
        item: &str,
        refreshed: &mut bool,
    ) -> Result<Attempt<T>> {
        loop {
            if let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until.into()).await;
            }
            let permit =
                self.in_flight.acquire().await.map_err(|_| {
                    LoaderError::SpotifyConfig("the request limiter was closed".into())
                })?;
            self.limiter.until_ready().await;
            let token = match self.token(false).await {
                Ok(token) => token,
                // The accounts service is having trouble: retried like the request itself.
                Err(LoaderError::SpotifyTransient { message, .. }) => {
                    return Ok(Attempt::Transient(format!("access token: {message}")));
                }
                Err(e) => return Err(e),
            };
            self.count(endpoint, |s| s.requests += 1);
            let sent = self
                .http
                .get(format!("{}{path}", self.config.api_url))
                .bearer_auth(token.expose())
                .query(query)
                .send()
                .await;
            let resp = match sent {
                Ok(resp) => resp,
                Err(e) => return Ok(Attempt::Transient(e.without_url().to_string())),
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !*refreshed {
                *refreshed = true;
                debug!(endpoint, "token refused; fetching a new one");
                match self.token(true).await {
                    Ok(_) => continue,
                    Err(LoaderError::SpotifyTransient { message, .. }) => {
                        return Ok(Attempt::Transient(format!("access token: {message}")));
                    }
                    Err(e) => return Err(e),
                }
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                self.count(endpoint, |s| s.rate_limited += 1);
                let wait = retry_after(&resp).unwrap_or(Duration::from_secs(1));
                self.pause(wait)?;
                warn!(
                    endpoint,
                    wait_s = wait.as_secs_f64(),
                    "rate limited by Spotify; every request waits"
                );
                drop(permit);
                continue;
            }
            if status.is_server_error() {
                return Ok(Attempt::Transient(format!("HTTP {}", status.as_u16())));
            }
            if status == StatusCode::FORBIDDEN {
                self.mark_unavailable(endpoint);
                return Err(LoaderError::SpotifyUnavailable {
                    endpoint: endpoint.into(),
                    status: status.as_u16(),
                });
            }
            if status == StatusCode::NOT_FOUND {
                return Err(LoaderError::SpotifyNotFound {
                    endpoint: endpoint.into(),
                    item: item.into(),
                });
            }
            let body = match resp.bytes().await {
                Ok(body) => body,
                Err(e) => return Ok(Attempt::Transient(e.without_url().to_string())),
            };
            if !status.is_success() {
                self.count(endpoint, |s| s.failures += 1);
                return Err(LoaderError::SpotifyStatus {
                    endpoint: endpoint.into(),
                    status: status.as_u16(),
                    message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                });
            }
            return serde_json::from_slice(&body)
                .map(Attempt::Done)
                .map_err(|source| {
                    self.count(endpoint, |s| s.failures += 1);
                    LoaderError::SpotifyMalformed {
                        endpoint: endpoint.into(),
                        item: item.into(),
                        source,
                    }
                });
        }
    }

    /// Holds every request back for `wait` (a 429 limits the whole app, not one request), and
    /// books the extra waiting against the run's budget.
    fn pause(&self, wait: Duration) -> Result<()> {
        let mut waited = self
            .waited
            .lock()
            .map_err(|_| LoaderError::SpotifyConfig("wait budget lock poisoned".into()))?;
        let now = Instant::now();
        let until = now + wait;
        let from = waited.1.map_or(now, |u| u.max(now));
        if until > from {
            waited.0 += until - from;
            waited.1 = Some(until);
        }
        if waited.0 > self.config.retry_after_budget {
            return Err(LoaderError::SpotifyWaitBudget {
                budget_secs: self.config.retry_after_budget.as_secs(),
            });
        }
        Ok(())
    }

    /// Until when requests hold back after a 429, if that is still ahead.
    fn paused_until(&self) -> Option<Instant> {
        let until = self.waited.lock().ok()?.1?;
        (until > Instant::now()).then_some(until)
    }

    /// The time 429 answers made the run wait so far.
    pub fn rate_limit_wait(&self) -> Duration {
        self.waited.lock().map(|w| w.0).unwrap_or_default()
    }
}

/// Requests that may go at once after a pause: a tenth of a second's worth. Short gaps (a batch
/// being prepared) are made up for, and no one-second window holds more than 1.1 times the cap.
fn burst(rate: NonZeroU32) -> NonZeroU32 {
    NonZeroU32::new(rate.get() / 10).unwrap_or(NonZeroU32::MIN)
}

/// `Retry-After` in seconds, as Spotify sends it.
fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let secs: f64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_as_stars() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        let config = SpotifyConfig::new("id", secret);
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
