//! A fake Spotify Web API on port 0, for loader tests: the token endpoint (client credentials,
//! and PKCE's authorisation code and refresh token), the authorise endpoint, the catalog
//! endpoints and a user's playlists, with payloads shaped as in the OpenAPI reference, and faults a
//! test can queue per path (status codes, `Retry-After`, slow answers, malformed JSON) or
//! trigger (every issued token expiring at once).

mod catalog;
mod routes;
mod user;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use serde_json::{Value, json};

pub use self::catalog::{
    ALBUMS_PER_ARTIST, AlbumSpec, BLACKPINK, BTS, Catalog, IU, JANNABI, NELL, NELL_OTHER, TXT,
    artist_json, features_json,
};
use self::routes::Kind;
pub use self::user::{USER_ID, UserPlaylist};

/// Credentials the fake accepts.
pub const CLIENT_ID: &str = "fake-client-id";
/// The secret the fake accepts; tests check it never reaches logs.
pub const CLIENT_SECRET: &str = "fake-client-secret-7f3a";

/// What the fake does to the next request of a path instead of answering normally.
#[derive(Clone, Debug)]
pub enum Fault {
    Status(u16),
    /// 429 with `Retry-After` in seconds.
    RetryAfter(u64),
    /// Answer normally, but only after this long.
    Delay(Duration),
    /// 200 with a body that is not the expected JSON.
    Malformed,
    /// 200 with the normal body, but the first item of its list (or the object itself)
    /// missing a required field.
    BadItem,
}

#[derive(Default)]
struct State {
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    /// Route patterns (`/v1/audio-features`) that answer 403 from now on.
    retired: Mutex<HashSet<String>>,
    latency: Mutex<Duration>,
    valid_tokens: Mutex<HashSet<String>>,
    tokens_issued: AtomicU64,
    /// Authorisation codes issued and not yet exchanged.
    codes: Mutex<HashMap<String, user::Issued>>,
    /// Refresh tokens that are valid; each is used once (Spotify may rotate them).
    refresh_tokens: Mutex<HashSet<String>>,
    /// The playlists of the user who authorises.
    library: Vec<UserPlaylist>,
    hits: Mutex<HashMap<String, u64>>,
    /// Requests by route pattern (`/v1/artists/{id}/top-tracks`).
    route_hits: Mutex<HashMap<String, u64>>,
    total_hits: AtomicU64,
    catalog: Catalog,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeSpotify {
    base: String,
    state: Arc<State>,
}

impl std::fmt::Debug for FakeSpotify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSpotify")
            .field("base", &self.base)
            .finish()
    }
}

impl FakeSpotify {
    /// Starts the fake with the [`Catalog::korean`] catalog.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Catalog::korean()).await
    }

    /// Starts the fake on a port of its own with the given catalog.
    pub async fn start_with(catalog: Catalog) -> anyhow::Result<Self> {
        Self::start_on("127.0.0.1:0", catalog, 1).await
    }

    /// Starts the fake on `addr` with `workers` server threads.
    pub async fn start_on(addr: &str, catalog: Catalog, workers: usize) -> anyhow::Result<Self> {
        let state = Arc::new(State {
            library: user::library(&catalog),
            catalog,
            ..Default::default()
        });
        let listener = TcpListener::bind(addr)?;
        let base = format!("http://{}", listener.local_addr()?);
        let data = web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/api/token", web::post().to(routes::token))
                .route("/authorize", web::get().to(user::authorize))
                .route("/v1/me", web::get().to(user::me))
                .route("/v1/me/playlists", web::get().to(user::my_playlists))
                .route(
                    "/v1/playlists/{id}/items",
                    web::get().to(user::playlist_items),
                )
                .route("/v1/albums", routes::by_ids(Kind::Albums))
                .route("/v1/albums/{id}", routes::by_id(Kind::Albums))
                .route(
                    "/v1/albums/{id}/tracks",
                    web::get().to(routes::album_tracks),
                )
                .route("/v1/artists", routes::by_ids(Kind::Artists))
                .route("/v1/artists/{id}", routes::by_id(Kind::Artists))
                .route(
                    "/v1/artists/{id}/albums",
                    web::get().to(routes::artist_albums),
                )
                .route(
                    "/v1/artists/{id}/top-tracks",
                    web::get().to(routes::top_tracks),
                )
                .route(
                    "/v1/artists/{id}/related-artists",
                    web::get().to(routes::related_artists),
                )
                .route("/v1/tracks", routes::by_ids(Kind::Tracks))
                .route("/v1/tracks/{id}", routes::by_id(Kind::Tracks))
                .route("/v1/audio-features", routes::by_ids(Kind::AudioFeatures))
                .route(
                    "/v1/audio-features/{id}",
                    routes::by_id(Kind::AudioFeatures),
                )
                .route("/v1/search", web::get().to(routes::search))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        tokio::spawn(server);
        Ok(Self { base, state })
    }

    /// The catalog served.
    pub fn catalog(&self) -> &Catalog {
        &self.state.catalog
    }

    /// Makes every request to a route (`/v1/audio-features/{id}`, as registered) answer 403
    /// from now on, as Spotify does for endpoints retired for an app.
    pub fn retire(&self, route: &str) {
        if let Ok(mut r) = self.state.retired.lock() {
            r.insert(route.to_owned());
        }
    }

    /// Delays every answer by `latency`, like a network would.
    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut l) = self.state.latency.lock() {
            *l = latency;
        }
    }

    /// Requests that reached a route (`/v1/artists/{id}/top-tracks`, as registered).
    pub fn route_hits(&self, route: &str) -> u64 {
        self.state
            .route_hits
            .lock()
            .map(|h| h.get(route).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Requests that reached any catalog endpoint.
    pub fn total_hits(&self) -> u64 {
        self.state.total_hits.load(Ordering::SeqCst)
    }

    /// The API base URL (`SPOTIFY_API_URL`).
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base)
    }

    /// The accounts base URL (`SPOTIFY_ACCOUNTS_URL`).
    pub fn accounts_url(&self) -> String {
        self.base.clone()
    }

    /// A client's settings for this fake: its app's credentials and URLs, 1,000 requests a
    /// second and backoffs from 10 ms, so that tests do not wait on the real API's pace.
    pub fn config(&self) -> sixpotify_loader::spotify::SpotifyConfig {
        use sixpotify_loader::spotify::{Secret, SpotifyConfig};
        let mut c = SpotifyConfig::new(CLIENT_ID, Secret::new(CLIENT_SECRET));
        c.api_url = self.api_url();
        c.accounts_url = self.accounts_url();
        c.policy.requests_per_second = 1000;
        c.policy.backoff_min = Duration::from_millis(10);
        c
    }

    /// Queues faults for the next requests of `path` (`/v1/artists/…`).
    pub fn push_faults(&self, path: &str, faults: impl IntoIterator<Item = Fault>) {
        if let Ok(mut all) = self.state.faults.lock() {
            all.entry(path.to_owned()).or_default().extend(faults);
        }
    }

    /// Makes every token issued so far invalid, as if they had all expired.
    pub fn expire_tokens(&self) {
        if let Ok(mut tokens) = self.state.valid_tokens.lock() {
            tokens.clear();
        }
    }

    /// The fake user's playlists.
    pub fn library(&self) -> &[UserPlaylist] {
        &self.state.library
    }

    /// Revokes every refresh token, as a user withdrawing the app's access would.
    pub fn revoke_refresh_tokens(&self) {
        if let Ok(mut r) = self.state.refresh_tokens.lock() {
            r.clear();
        }
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> u64 {
        self.state.tokens_issued.load(Ordering::SeqCst)
    }

    /// Requests that reached `path`.
    pub fn hits(&self, path: &str) -> u64 {
        self.state
            .hits
            .lock()
            .map(|h| h.get(path).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}
