//! What every web API source shares (Spotify, ReccoBeats): a requests-per-second cap, a bound
//! on requests in flight, waits for `Retry-After` on 429 within a budget per run, exponential
//! backoff with jitter on 5xx, timeouts and dropped connections, and counts of all of it per
//! endpoint, recorded in the run's summary.
//!
//! An endpoint that answers 403 is unavailable for the rest of the run: no request goes to it
//! afterwards, including those already queued (only those already in flight still land). An
//! endpoint the previous run found unavailable is probed by one request before any other goes.
//!
//! Tokens live in [`Secret`]s: they never reach logs or errors.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use futures_util::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tracing::{Instrument as _, debug, warn};

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

/// How patient to be with a web API.
#[derive(Clone, Debug)]
pub struct ClientPolicy {
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
}

impl Default for ClientPolicy {
    fn default() -> Self {
        Self {
            requests_per_second: 10,
            max_attempts: 5,
            retry_after_budget: Duration::from_secs(300),
            request_timeout: Duration::from_secs(15),
            backoff_min: Duration::from_millis(200),
            concurrency: 4,
        }
    }
}

/// Gives the bearer token of a request: `None` for an API that needs none. `renew` asks for a
/// new one after a 401.
pub trait Authorizer: Sync {
    fn token<'a>(
        &'a self,
        api: &'a ApiClient,
        renew: bool,
    ) -> BoxFuture<'a, Result<Option<Secret>>>;
}

/// An API that needs no token.
pub struct NoAuth;

impl Authorizer for NoAuth {
    fn token<'a>(&'a self, _: &'a ApiClient, _: bool) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async { Ok(None) })
    }
}

/// Skipped items kept for the run's summary; the rest are only counted.
const KEPT_SKIPS: usize = 50;

/// A client of one web API. Cheap to share behind a reference; requests may run concurrently.
pub struct ApiClient {
    /// The API's name in logs and errors ("Spotify").
    service: &'static str,
    base_url: String,
    policy: ClientPolicy,
    http: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    in_flight: tokio::sync::Semaphore,
    skipped: Mutex<Vec<SkippedItem>>,
    stats: Mutex<BTreeMap<String, EndpointStats>>,
    /// The status each endpoint known unavailable answered.
    unavailable: Mutex<BTreeMap<String, u16>>,
    /// The time 429s made the run wait so far, and until when every request holds back.
    waited: Mutex<(Duration, Option<Instant>)>,
    warned: Mutex<BTreeSet<String>>,
    /// Endpoints to probe before relying on them: the first request to each goes alone.
    probes: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("service", &self.service)
            .field("base_url", &self.base_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

enum Attempt<T> {
    Done(T),
    /// Worth another try after a backoff.
    Transient(String),
}

impl ApiClient {
    /// A client of `service` at `base_url` (no trailing slash).
    pub fn new(service: &'static str, base_url: &str, policy: ClientPolicy) -> Result<Self> {
        let config = |m: String| LoaderError::ApiConfig {
            service,
            message: m,
        };
        let rate = NonZeroU32::new(policy.requests_per_second)
            .ok_or_else(|| config("the requests-per-second cap must be at least 1".into()))?;
        if policy.concurrency == 0 {
            return Err(config("the concurrency must be at least 1".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .user_agent(concat!("sixpotify-loader/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config(format!("HTTP client: {e}")))?;
        Ok(Self {
            service,
            base_url: base_url.trim_end_matches('/').to_owned(),
            limiter: RateLimiter::direct(Quota::per_second(rate).allow_burst(burst(rate))),
            in_flight: tokio::sync::Semaphore::new(policy.concurrency),
            policy,
            http,
            skipped: Mutex::new(Vec::new()),
            stats: Mutex::new(BTreeMap::new()),
            unavailable: Mutex::new(BTreeMap::new()),
            waited: Mutex::new((Duration::ZERO, None)),
            warned: Mutex::new(BTreeSet::new()),
            probes: Mutex::new(BTreeMap::new()),
        })
    }

    /// The API's name in logs and errors.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// How patient the client is.
    pub fn policy(&self) -> &ClientPolicy {
        &self.policy
    }

    /// The HTTP client, for requests outside [`get_with`](Self::get_with) (tokens).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Requests, retries, 429s, failures and unavailability per endpoint so far. An endpoint an
    /// earlier run found unavailable and this one never probed is still unavailable as far as
    /// the run knows, so that the next run probes it too.
    pub fn stats(&self) -> BTreeMap<String, EndpointStats> {
        let mut stats = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        if let Ok(probes) = self.probes.lock() {
            for endpoint in probes.keys() {
                stats.entry(endpoint.clone()).or_default().unavailable = true;
            }
        }
        stats
    }

    /// Items skipped so far as malformed (the first few; `stats` has the counts).
    pub fn skipped(&self) -> Vec<SkippedItem> {
        self.skipped.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The time 429 answers made the run wait so far.
    pub fn rate_limit_wait(&self) -> Duration {
        self.waited.lock().map(|w| w.0).unwrap_or_default()
    }

    /// Endpoints to probe with one request before any other goes to them: those an earlier
    /// run found unavailable. A probe that answers 403 makes the endpoint unavailable for the
    /// run at the cost of that one request; any other answer lets the rest go.
    pub fn probe_first<'a>(&self, endpoints: impl IntoIterator<Item = &'a str>) {
        if let Ok(mut probes) = self.probes.lock() {
            for e in endpoints {
                probes.insert(e.to_owned(), Arc::default());
            }
        }
    }

    /// Leaves an item out of the run because its payload was malformed: warns, naming the
    /// endpoint and the item, and counts it.
    pub(crate) fn skip(&self, endpoint: &str, item: &str, reason: &dyn fmt::Display) {
        warn!(service = self.service, endpoint, item, %reason, "skipping an item sent in an unexpected shape");
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
        self.unavailable_status(endpoint).is_some()
    }

    fn unavailable_status(&self, endpoint: &str) -> Option<u16> {
        self.unavailable.lock().ok()?.get(endpoint).copied()
    }

    /// True the first time it is asked for `endpoint`, so that a warning is given once.
    pub(crate) fn warn_once(&self, endpoint: &str) -> bool {
        self.warned
            .lock()
            .map(|mut w| w.insert(endpoint.to_owned()))
            .unwrap_or(false)
    }

    /// Warns, once per run, that an endpoint is not available to this app.
    pub(crate) fn warn_unavailable(&self, endpoint: &str, status: u16, instead: &str) {
        if self.warn_once(endpoint) {
            warn!(
                service = self.service,
                endpoint, status, "endpoint not available to this app; {instead}"
            );
        }
    }

    /// Records that `endpoint` is not available to this app (it answered `status`): nothing
    /// more is sent to it in this run.
    pub(crate) fn mark_unavailable(&self, endpoint: &str, status: u16) {
        if let Ok(mut gone) = self.unavailable.lock() {
            gone.entry(endpoint.to_owned()).or_insert(status);
        }
        self.count(endpoint, |s| s.unavailable = true);
    }

    pub(crate) fn count(&self, endpoint: &str, f: impl FnOnce(&mut EndpointStats)) {
        if let Ok(mut stats) = self.stats.lock() {
            f(stats.entry(endpoint.to_owned()).or_default());
        }
    }

    /// The error of a request not sent because its endpoint is known unavailable.
    fn gone(&self, endpoint: &str) -> Option<LoaderError> {
        let status = self.unavailable_status(endpoint)?;
        Some(LoaderError::ApiUnavailable {
            service: self.service,
            endpoint: endpoint.into(),
            status,
        })
    }

    /// The probe gate of `endpoint`, while it has not been probed.
    fn probe_gate(&self, endpoint: &str) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.probes.lock().ok()?.get(endpoint).cloned()
    }

    /// GETs `path` (relative to the base URL) with the token `auth` gives and decodes the JSON
    /// answer. `endpoint` names the endpoint in stats and errors (`GET /artists/{id}`), `item`
    /// the thing asked for.
    pub async fn get_with<T: DeserializeOwned>(
        &self,
        auth: &dyn Authorizer,
        endpoint: &str,
        path: &str,
        query: &[(&str, String)],
        item: &str,
    ) -> Result<T> {
        let span = tracing::debug_span!(
            "http.request",
            otel.kind = "client",
            service = self.service,
            endpoint,
            item,
            failed = tracing::field::Empty,
        );
        let answer = async {
            if let Some(gate) = self.probe_gate(endpoint) {
                let _alone = gate.lock().await;
                // Still unprobed once this request holds the gate: it is the probe.
                if self.probe_gate(endpoint).is_some() {
                    debug!(
                        service = self.service,
                        endpoint, "probing an endpoint an earlier run found unavailable"
                    );
                    let answer = self.retrying(auth, endpoint, path, query, item).await;
                    if let Ok(mut probes) = self.probes.lock() {
                        probes.remove(endpoint);
                    }
                    return answer;
                }
            }
            self.retrying(auth, endpoint, path, query, item).await
        }
        .instrument(span.clone())
        .await;
        if answer.is_err() {
            span.record("failed", true);
        }
        answer
    }

    async fn retrying<T: DeserializeOwned>(
        &self,
        auth: &dyn Authorizer,
        endpoint: &str,
        path: &str,
        query: &[(&str, String)],
        item: &str,
    ) -> Result<T> {
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.policy.backoff_min)
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .without_max_times()
            .build();
        let mut attempts = 0;
        let mut renewed = false;
        loop {
            attempts += 1;
            match self
                .attempt(auth, endpoint, path, query, item, &mut renewed)
                .await?
            {
                Attempt::Done(value) => return Ok(value),
                Attempt::Transient(last) => {
                    self.count(endpoint, |s| s.failures += 1);
                    if attempts >= self.policy.max_attempts {
                        return Err(LoaderError::ApiGaveUp {
                            service: self.service,
                            endpoint: endpoint.into(),
                            attempts,
                            last,
                        });
                    }
                    let delay = backoff.next().unwrap_or(self.policy.backoff_min);
                    warn!(service = self.service, endpoint, attempts, delay_ms = delay.as_millis() as u64, error = %last, "retrying a request");
                    self.count(endpoint, |s| s.retries += 1);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One request; 401 and 429 are handled here, without using up an attempt.
    async fn attempt<T: DeserializeOwned>(
        &self,
        auth: &dyn Authorizer,
        endpoint: &str,
        path: &str,
        query: &[(&str, String)],
        item: &str,
        renewed: &mut bool,
    ) -> Result<Attempt<T>> {
        loop {
            if let Some(e) = self.gone(endpoint) {
                return Err(e);
            }
            if let Some(until) = self.paused_until() {
                tokio::time::sleep_until(until.into()).await;
            }
            let permit = self
                .in_flight
                .acquire()
                .await
                .map_err(|_| LoaderError::ApiConfig {
                    service: self.service,
                    message: "the request limiter was closed".into(),
                })?;
            self.limiter.until_ready().await;
            // Known unavailable while this request waited its turn: it is not sent.
            if let Some(e) = self.gone(endpoint) {
                return Err(e);
            }
            let token = match auth.token(self, false).await {
                Ok(token) => token,
                // The token service is having trouble: retried like the request itself.
                Err(LoaderError::ApiTransient { message, .. }) => {
                    return Ok(Attempt::Transient(format!("access token: {message}")));
                }
                Err(e) => return Err(e),
            };
            // Or while it waited for a token being renewed.
            if let Some(e) = self.gone(endpoint) {
                return Err(e);
            }
            self.count(endpoint, |s| s.requests += 1);
            let mut request = self
                .http
                .get(format!("{}{path}", self.base_url))
                .query(query);
            if let Some(token) = &token {
                request = request.bearer_auth(token.expose());
            }
            let resp = match request.send().await {
                Ok(resp) => resp,
                Err(e) => return Ok(Attempt::Transient(e.without_url().to_string())),
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && token.is_some() && !*renewed {
                *renewed = true;
                debug!(
                    service = self.service,
                    endpoint, "token refused; fetching a new one"
                );
                match auth.token(self, true).await {
                    Ok(_) => continue,
                    Err(LoaderError::ApiTransient { message, .. }) => {
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
                    service = self.service,
                    endpoint,
                    wait_s = wait.as_secs_f64(),
                    "rate limited; every request waits"
                );
                drop(permit);
                continue;
            }
            if status.is_server_error() {
                return Ok(Attempt::Transient(format!("HTTP {}", status.as_u16())));
            }
            if status == StatusCode::FORBIDDEN {
                self.mark_unavailable(endpoint, status.as_u16());
                return Err(LoaderError::ApiUnavailable {
                    service: self.service,
                    endpoint: endpoint.into(),
                    status: status.as_u16(),
                });
            }
            if status == StatusCode::NOT_FOUND {
                return Err(LoaderError::ApiNotFound {
                    service: self.service,
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
                return Err(LoaderError::ApiStatus {
                    service: self.service,
                    endpoint: endpoint.into(),
                    status: status.as_u16(),
                    message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                });
            }
            return serde_json::from_slice(&body)
                .map(Attempt::Done)
                .map_err(|source| {
                    self.count(endpoint, |s| s.failures += 1);
                    LoaderError::ApiMalformed {
                        service: self.service,
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
        let mut waited = self.waited.lock().map_err(|_| LoaderError::ApiConfig {
            service: self.service,
            message: "wait budget lock poisoned".into(),
        })?;
        let now = Instant::now();
        let until = now + wait;
        let from = waited.1.map_or(now, |u| u.max(now));
        if until > from {
            waited.0 += until - from;
            waited.1 = Some(until);
        }
        if waited.0 > self.policy.retry_after_budget {
            return Err(LoaderError::ApiWaitBudget {
                service: self.service,
                budget_secs: self.policy.retry_after_budget.as_secs(),
            });
        }
        Ok(())
    }

    /// Until when requests hold back after a 429, if that is still ahead.
    fn paused_until(&self) -> Option<Instant> {
        let until = self.waited.lock().ok()?.1?;
        (until > Instant::now()).then_some(until)
    }
}

/// Requests that may go at once after a pause: a tenth of a second's worth. Short gaps (a batch
/// being prepared) are made up for, and no one-second window holds more than 1.1 times the cap.
fn burst(rate: NonZeroU32) -> NonZeroU32 {
    NonZeroU32::new(rate.get() / 10).unwrap_or(NonZeroU32::MIN)
}

/// `Retry-After` in seconds.
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
    }
}
