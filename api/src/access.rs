//! Who may call `/graphql`, and how often: API keys (when any are configured, a request needs
//! one) and a per-client rate limit (by API key, or by IP address without keys). A refused
//! request is answered before anything else runs: `401 UNAUTHENTICATED` without a valid key,
//! `429 RATE_LIMITED` with `Retry-After` over the limit.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest as _, Sha256};

use crate::codes::{RATE_LIMITED, UNAUTHENTICATED};
use crate::protocol::{self, Media};

/// How often clients not seen for a while are dropped from the rate limiter's memory.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// A client, as rate limiting counts them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Client {
    /// The index of its API key among the configured ones.
    Key(usize),
    Ip(IpAddr),
}

/// The access rules, shared by every worker. Cheap to clone.
#[derive(Clone)]
pub struct Access {
    inner: Arc<Inner>,
}

struct Inner {
    /// SHA-256 of each key, to its index: keys are compared by digest, never kept in logs.
    keys: HashMap<[u8; 32], usize>,
    header: HeaderName,
    limiter: Option<DefaultKeyedRateLimiter<Client>>,
    trust_forwarded: bool,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("keys", &self.inner.keys.len())
            .field("header", &self.inner.header)
            .field("rate_limited", &self.inner.limiter.is_some())
            .finish()
    }
}

/// What [`Access`] is built from.
#[derive(Clone, Debug)]
pub struct AccessSettings<'a> {
    pub keys: &'a [crate::config::ApiKey],
    pub header: &'a str,
    /// Sustained requests per second per client; 0 for no limit.
    pub per_second: u32,
    /// Requests above the sustained rate a client may make at once.
    pub burst: u32,
    pub trust_forwarded: bool,
}

impl Access {
    /// The rules `settings` describe. Fails on a header name HTTP does not allow.
    pub fn new(settings: &AccessSettings<'_>) -> Result<Self, String> {
        let header = HeaderName::try_from(settings.header)
            .map_err(|_| format!("`{}` is not a valid header name", settings.header))?;
        let keys = settings
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (digest(k.expose().as_bytes()), i))
            .collect();
        let limiter = NonZeroU32::new(settings.per_second).map(|rate| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Ok(Self {
            inner: Arc::new(Inner {
                keys,
                header,
                limiter,
                trust_forwarded: settings.trust_forwarded,
            }),
        })
    }

    /// The header that must carry a key, when keys are configured.
    pub fn key_header(&self) -> Option<&str> {
        (!self.inner.keys.is_empty()).then(|| self.inner.header.as_str())
    }

    /// Drops clients the rate limiter has not seen lately, every minute, until the runtime
    /// stops, so that its memory follows the clients of the last minute.
    pub fn forget_idle_clients(&self) {
        if self.inner.limiter.is_none() {
            return;
        }
        let access = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FORGET_EVERY);
            loop {
                tick.tick().await;
                if let Some(limiter) = &access.inner.limiter {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
            }
        });
    }

    /// The client `req` comes from, or why it is refused.
    fn client(&self, req: &ServiceRequest) -> Result<Client, Refusal> {
        if !self.inner.keys.is_empty() {
            let key = req
                .headers()
                .get(&self.inner.header)
                .map(|v| digest(v.as_bytes()));
            return match key.and_then(|k| self.inner.keys.get(&k)) {
                Some(&i) => Ok(Client::Key(i)),
                None => Err(Refusal {
                    status: StatusCode::UNAUTHORIZED,
                    message: format!(
                        "this API needs a valid key in the `{}` header",
                        self.inner.header
                    ),
                    code: UNAUTHENTICATED,
                    retry_after: None,
                }),
            };
        }
        let info = req.connection_info();
        let addr = if self.inner.trust_forwarded {
            info.realip_remote_addr()
        } else {
            info.peer_addr()
        };
        let ip = addr
            .and_then(|a| {
                a.parse::<std::net::SocketAddr>()
                    .map(|s| s.ip())
                    .or_else(|_| a.trim_matches(['[', ']']).parse::<IpAddr>())
                    .ok()
            })
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(Client::Ip(ip))
    }

    /// `Ok` when `req` may go on, else why it is refused.
    fn check(&self, req: &ServiceRequest) -> Result<(), Refusal> {
        if self.inner.keys.is_empty() && self.inner.limiter.is_none() {
            return Ok(());
        }
        let client = self.client(req)?;
        let Some(limiter) = &self.inner.limiter else {
            return Ok(());
        };
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            Refusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: format!("too many requests; retry in {seconds} s"),
                code: RATE_LIMITED,
                retry_after: Some(seconds),
            }
        })
    }
}

/// Why a request is refused.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
    code: &'static str,
    /// Seconds until the client may retry.
    retry_after: Option<u64>,
}

impl Refusal {
    fn response(&self, req: &ServiceRequest) -> HttpResponse {
        let media = Media::of(req.request());
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, media.content_type()));
        if let Some(seconds) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        res.body(protocol::error_body(&self.message, self.code))
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Middleware applying the [`Access`] in the app data to each request.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let verdict = match req.app_data::<web::Data<Access>>() {
        Some(access) => access.check(&req),
        None => Ok(()),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(refusal) => {
            tracing::debug!(code = refusal.code, "request refused");
            let res = refusal.response(&req);
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn access(keys: &[&str], per_second: u32, burst: u32) -> Access {
        let keys: Vec<crate::config::ApiKey> = keys.iter().map(|k| k.parse().unwrap()).collect();
        Access::new(&AccessSettings {
            keys: &keys,
            header: "x-api-key",
            per_second,
            burst,
            trust_forwarded: false,
        })
        .unwrap()
    }

    #[test]
    fn configured_keys_are_required_and_told_apart() {
        let a = access(&["dashboard-0123456789", "chatbot-0123456789"], 0, 0);
        let missing = TestRequest::default().to_srv_request();
        assert_eq!(
            a.check(&missing).unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        let wrong = TestRequest::default()
            .insert_header(("x-api-key", "dashboard-012345678"))
            .to_srv_request();
        assert!(a.check(&wrong).is_err());
        let second = TestRequest::default()
            .insert_header(("X-Api-Key", "chatbot-0123456789"))
            .to_srv_request();
        assert_eq!(a.client(&second).unwrap(), Client::Key(1));
    }

    #[test]
    fn a_client_over_its_burst_is_told_when_to_retry() {
        let a = access(&[], 1, 2);
        let req = || {
            TestRequest::default()
                .peer_addr("10.0.0.7:5000".parse().unwrap())
                .to_srv_request()
        };
        assert!(a.check(&req()).is_ok());
        assert!(a.check(&req()).is_ok());
        let refused = a.check(&req()).unwrap_err().response(&req());
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let other = TestRequest::default()
            .peer_addr("10.0.0.8:5000".parse().unwrap())
            .to_srv_request();
        assert!(
            a.check(&other).is_ok(),
            "another address has its own budget"
        );
    }

    #[test]
    fn invalid_header_names_are_refused_at_start() {
        assert!(
            Access::new(&AccessSettings {
                keys: &[],
                header: "x api key",
                per_second: 0,
                burst: 0,
                trust_forwarded: false,
            })
            .is_err()
        );
    }
}
