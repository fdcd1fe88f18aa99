//! A fake Spotify Web API on port 0, for loader tests: the client-credentials token endpoint
//! and the catalogue endpoints, with payloads shaped as in the OpenAPI reference, and faults a
//! test can queue per path (status codes, `Retry-After`, slow answers, malformed JSON) or
//! trigger (every issued token expiring at once).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use serde_json::{Value, json};

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
}

#[derive(Default)]
struct State {
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    valid_tokens: Mutex<HashSet<String>>,
    tokens_issued: AtomicU64,
    hits: Mutex<HashMap<String, u64>>,
    artists: HashMap<String, Value>,
    tracks: HashMap<String, Value>,
    features: HashMap<String, Value>,
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

/// An `ArtistObject` as the reference describes it.
pub fn artist_json(id: &str, name: &str, popularity: u32, genres: &[&str]) -> Value {
    json!({
        "external_urls": { "spotify": format!("https://open.spotify.com/artist/{id}") },
        "followers": { "href": null, "total": 1000 + popularity * 10 },
        "genres": genres,
        "href": format!("https://api.spotify.com/v1/artists/{id}"),
        "id": id,
        "images": [{ "url": format!("https://i.scdn.co/image/{id}"), "height": 640, "width": 640 }],
        "name": name,
        "popularity": popularity,
        "type": "artist",
        "uri": format!("spotify:artist:{id}")
    })
}

/// A `TrackObject` as the reference describes it.
pub fn track_json(id: &str, name: &str, (artist_id, artist_name): (&str, &str), n: u32) -> Value {
    json!({
        "album": {
            "album_type": "album", "id": format!("album{n:018}"), "name": format!("Album {n}"),
            "release_date": "2019-04-12", "release_date_precision": "day", "total_tracks": 7,
            "images": [], "type": "album", "uri": format!("spotify:album:album{n:018}")
        },
        "artists": [{ "id": artist_id, "name": artist_name, "type": "artist" }],
        "disc_number": 1, "duration_ms": 200_000 + n * 1000, "explicit": false,
        "external_ids": { "isrc": format!("KRA40{n:07}") },
        "id": id, "is_local": false, "name": name, "popularity": 60 + n, "track_number": n,
        "type": "track", "uri": format!("spotify:track:{id}")
    })
}

/// An `AudioFeaturesObject` as the reference describes it.
pub fn features_json(id: &str, n: u32) -> Value {
    let x = f64::from(n) / 10.0;
    json!({
        "acousticness": x, "danceability": 0.5 + x / 2.0, "duration_ms": 200_000, "energy": 0.8,
        "id": id, "instrumentalness": 0.0, "key": n, "liveness": 0.1, "loudness": -5.0, "mode": 1,
        "speechiness": 0.05, "tempo": 120.0 + f64::from(n), "time_signature": 4, "type": "audio_features",
        "valence": x, "uri": format!("spotify:track:{id}")
    })
}

impl FakeSpotify {
    /// Starts the fake with a few artists.
    pub async fn start() -> anyhow::Result<Self> {
        let mut state = State::default();
        for (id, name, pop, genres) in [
            ("3Nrfpe0tUJi4K4DXYWgMUX", "BTS", 90, &["k-pop", "pop"][..]),
            ("41MozSoPIsD1dJM0CLPjZF", "BLACKPINK", 85, &["k-pop"][..]),
        ] {
            state
                .artists
                .insert(id.into(), artist_json(id, name, pop, genres));
        }
        for (id, name, artist_id, artist_name, n) in [
            (
                "5KawlOMHjWeUjQtnuRs22c",
                "Boy With Luv",
                "3Nrfpe0tUJi4K4DXYWgMUX",
                "BTS",
                1u32,
            ),
            (
                "0GJjSnmfg1uQ0gUXVdtsUr",
                "FIRE",
                "3Nrfpe0tUJi4K4DXYWgMUX",
                "BTS",
                2,
            ),
            (
                "7b8YOVV5quZcSKEijDgyWB",
                "DDU-DU DDU-DU",
                "41MozSoPIsD1dJM0CLPjZF",
                "BLACKPINK",
                3,
            ),
        ] {
            state
                .tracks
                .insert(id.into(), track_json(id, name, (artist_id, artist_name), n));
            state.features.insert(id.into(), features_json(id, n));
        }
        let state = Arc::new(state);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let data = web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/api/token", web::post().to(token))
                .route("/v1/artists", web::get().to(several_artists))
                .route("/v1/artists/{id}", web::get().to(artist))
                .route("/v1/artists/{id}/albums", web::get().to(artist_albums))
                .route("/v1/artists/{id}/top-tracks", web::get().to(top_tracks))
                .route("/v1/tracks", web::get().to(several_tracks))
                .route("/v1/tracks/{id}", web::get().to(track))
                .route("/v1/audio-features", web::get().to(several_features))
                .route("/v1/audio-features/{id}", web::get().to(features))
                .route("/v1/search", web::get().to(search))
        })
        .workers(1)
        .listen(listener)?
        .run();
        tokio::spawn(server);
        Ok(Self { base, state })
    }

    /// The API base URL (`SPOTIFY_API_URL`).
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base)
    }

    /// The accounts base URL (`SPOTIFY_ACCOUNTS_URL`).
    pub fn accounts_url(&self) -> String {
        self.base.clone()
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

fn error(status: u16, message: &str) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(code).json(json!({ "error": { "status": status, "message": message } }))
}

async fn token(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given != expected || form.get("grant_type").map(String::as_str) != Some("client_credentials")
    {
        return HttpResponse::BadRequest()
            .json(json!({ "error": "invalid_client", "error_description": "Invalid client" }));
    }
    let n = state.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("fake-token-{n}-{}", CLIENT_SECRET.len());
    if let Ok(mut tokens) = state.valid_tokens.lock() {
        tokens.insert(token.clone());
    }
    HttpResponse::Ok()
        .json(json!({ "access_token": token, "token_type": "Bearer", "expires_in": 3600 }))
}

/// Faults first, then the bearer token, as a real server under trouble behaves.
async fn guard(state: &State, req: &HttpRequest) -> Option<HttpResponse> {
    let path = req.path().to_owned();
    if let Ok(mut hits) = state.hits.lock() {
        *hits.entry(path.clone()).or_default() += 1;
    }
    let fault = state
        .faults
        .lock()
        .ok()
        .and_then(|mut f| f.get_mut(&path).and_then(VecDeque::pop_front));
    match fault {
        Some(Fault::Status(status)) => return Some(error(status, "fault")),
        Some(Fault::RetryAfter(secs)) => {
            return Some(
                HttpResponse::TooManyRequests()
                    .insert_header(("Retry-After", secs.to_string()))
                    .finish(),
            );
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Malformed) => {
            return Some(
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body("{\"id\": 12, \"name\":"),
            );
        }
        None => {}
    }
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let valid = state
        .valid_tokens
        .lock()
        .map(|t| t.contains(token))
        .unwrap_or(false);
    (!valid).then(|| error(401, "The access token expired"))
}

async fn artist(state: web::Data<State>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    one(&state, &req, &state.artists, &id).await
}

/// `GET /…?ids=`: up to `max` ids, unknown ones as `null`, under `key`.
async fn several(
    state: &State,
    req: &HttpRequest,
    query: &HashMap<String, String>,
    (items, key, max): (&HashMap<String, Value>, &str, usize),
) -> HttpResponse {
    if let Some(refused) = guard(state, req).await {
        return refused;
    }
    let ids: Vec<&str> = query
        .get("ids")
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > max {
        return error(
            400,
            &format!("Invalid ids: between 1 and {max} are allowed"),
        );
    }
    let found: Vec<Value> = ids
        .iter()
        .map(|id| items.get(*id).cloned().unwrap_or(Value::Null))
        .collect();
    HttpResponse::Ok().json(json!({ key: found }))
}

/// `GET /…/{id}`.
async fn one(
    state: &State,
    req: &HttpRequest,
    items: &HashMap<String, Value>,
    id: &str,
) -> HttpResponse {
    if let Some(refused) = guard(state, req).await {
        return refused;
    }
    match items.get(id) {
        Some(item) => HttpResponse::Ok().json(item),
        None => error(404, "Resource not found"),
    }
}

type Query = web::Query<HashMap<String, String>>;

/// Albums in an artist's discography: `ALBUMS_PER_ARTIST` of them, newest first.
pub const ALBUMS_PER_ARTIST: usize = 23;

async fn artist_albums(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    if let Some(refused) = guard(&state, &req).await {
        return refused;
    }
    if !state.artists.contains_key(id.as_str()) {
        return error(404, "Resource not found");
    }
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(5);
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    if !(1..=10).contains(&limit) {
        return error(400, "Invalid limit (at most 10)");
    }
    let items: Vec<Value> = (offset..ALBUMS_PER_ARTIST.min(offset + limit))
        .map(|i| {
            json!({
                "album_type": if i % 3 == 0 { "single" } else { "album" },
                "album_group": "album", "id": format!("{}{i:02}", &id[..20]),
                "name": format!("Album {i}"), "release_date": format!("{}", 2020 - i),
                "release_date_precision": "year", "total_tracks": 10, "images": [],
                "artists": [{ "id": id.as_str(), "name": state.artists[id.as_str()]["name"] }]
            })
        })
        .collect();
    let next = (offset + limit < ALBUMS_PER_ARTIST)
        .then(|| format!("{}?offset={}&limit={limit}", req.path(), offset + limit));
    HttpResponse::Ok().json(json!({
        "href": req.uri().to_string(), "items": items, "limit": limit, "next": next,
        "offset": offset, "previous": null, "total": ALBUMS_PER_ARTIST
    }))
}

async fn top_tracks(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    if let Some(refused) = guard(&state, &req).await {
        return refused;
    }
    if q.get("market").is_none_or(|m| m.len() != 2) {
        return error(400, "Invalid market code");
    }
    let mut tracks: Vec<&Value> = state
        .tracks
        .values()
        .filter(|t| t["artists"][0]["id"] == id.as_str())
        .collect();
    tracks.sort_by_key(|t| std::cmp::Reverse(t["popularity"].as_u64().unwrap_or(0)));
    HttpResponse::Ok().json(json!({ "tracks": tracks }))
}

async fn several_artists(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    several(&state, &req, &q, (&state.artists, "artists", 50)).await
}

async fn several_tracks(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    several(&state, &req, &q, (&state.tracks, "tracks", 50)).await
}

async fn several_features(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    several(&state, &req, &q, (&state.features, "audio_features", 100)).await
}

async fn track(state: web::Data<State>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    one(&state, &req, &state.tracks, &id).await
}

async fn features(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    one(&state, &req, &state.features, &id).await
}

async fn search(
    state: web::Data<State>,
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    if let Some(refused) = guard(&state, &req).await {
        return refused;
    }
    let q = query.get("q").map(|q| q.to_lowercase()).unwrap_or_default();
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20);
    if query.get("type").map(String::as_str) != Some("artist") || !(1..=10).contains(&limit) {
        return error(400, "Invalid type or limit (at most 10)");
    }
    let mut items: Vec<&Value> = state
        .artists
        .values()
        .filter(|a| {
            a["name"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains(&q)
        })
        .collect();
    items.sort_by_key(|a| std::cmp::Reverse(a["popularity"].as_u64().unwrap_or(0)));
    let total = items.len();
    items.truncate(limit);
    HttpResponse::Ok().json(json!({ "artists": {
        "href": req.uri().to_string(), "items": items, "limit": limit, "next": null,
        "offset": 0, "previous": null, "total": total
    }}))
}
