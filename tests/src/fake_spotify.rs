//! A fake Spotify Web API on port 0, for loader tests: the client-credentials token endpoint
//! and the catalog endpoints, with payloads shaped as in the OpenAPI reference, and faults a
//! test can queue per path (status codes, `Retry-After`, slow answers, malformed JSON) or
//! trigger (every issued token expiring at once).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
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

/// Artist ids of the default catalog.
pub const BTS: &str = "3Nrfpe0tUJi4K4DXYWgMUX";
pub const BLACKPINK: &str = "41MozSoPIsD1dJM0CLPjZF";
pub const IU: &str = "3HqSLMAZ3g3d5poNaI7GOU";
pub const JANNABI: &str = "2SY6OktZyMLdOnscX3DCyS";
pub const NELL: &str = "0w9C4gvvWuTAPB3ZInkCYz";
pub const NELL_OTHER: &str = "5cMhnwV5Yxhz8pXFEwoGmD";
pub const TXT: &str = "0ghlgldX5Dd6720Q3qFyQB";

/// Albums in BTS's discography in the default catalog.
pub const ALBUMS_PER_ARTIST: usize = 23;

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

/// The catalog a fake serves: artists, their albums and tracks, audio features and related
/// artists, as consistent as Spotify's (a track's album lists it, its artists exist).
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    artists: BTreeMap<String, Value>,
    /// Extra names search finds an artist by (`방탄소년단` for BTS), folded to lower case.
    aliases: Vec<(String, String)>,
    discography: HashMap<String, Vec<String>>,
    /// `AlbumBase` fields of each album, without its tracks.
    albums: HashMap<String, Value>,
    album_tracks: HashMap<String, Vec<String>>,
    tracks: HashMap<String, Value>,
    features: HashMap<String, Value>,
    related: HashMap<String, Vec<String>>,
    next_track: u32,
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

/// An `AudioFeaturesObject` as the reference describes it, varied by `n`.
pub fn features_json(id: &str, n: u32) -> Value {
    let x = f64::from(n % 10) / 10.0;
    json!({
        "acousticness": x, "danceability": 0.5 + x / 2.0, "duration_ms": 200_000, "energy": 0.8,
        "id": id, "instrumentalness": 0.0, "key": n % 12, "liveness": 0.1, "loudness": -5.0,
        "mode": n % 2, "speechiness": 0.05, "tempo": 120.0 + f64::from(n % 50),
        "time_signature": 4, "type": "audio_features", "valence": x,
        "uri": format!("spotify:track:{id}")
    })
}

/// An album of a [`Catalog`]: `tracks` are `(id, name, popularity)`, credited to the
/// album's artist and to `featuring`.
#[derive(Clone, Debug)]
pub struct AlbumSpec<'a> {
    pub id: String,
    pub name: String,
    pub album_type: &'a str,
    pub release_date: &'a str,
    pub tracks: Vec<(String, String, u32)>,
    pub featuring: Option<&'a str>,
}

impl Catalog {
    /// Adds an artist.
    pub fn artist(&mut self, id: &str, name: &str, popularity: u32, genres: &[&str]) -> &mut Self {
        self.artists
            .insert(id.into(), artist_json(id, name, popularity, genres));
        self
    }

    /// Lets search find an artist by another name.
    pub fn alias(&mut self, alias: &str, id: &str) -> &mut Self {
        self.aliases.push((alias.to_lowercase(), id.into()));
        self
    }

    /// Sets an artist's related artists, most related first.
    pub fn related(&mut self, id: &str, related: &[&str]) -> &mut Self {
        self.related
            .insert(id.into(), related.iter().map(|r| (*r).to_owned()).collect());
        self
    }

    fn artist_ref(&self, id: &str) -> Value {
        json!({
            "id": id, "name": self.artists[id]["name"], "type": "artist",
            "uri": format!("spotify:artist:{id}"),
            "external_urls": { "spotify": format!("https://open.spotify.com/artist/{id}") }
        })
    }

    /// Adds an album of `artist_id` (which must exist) with its tracks, their audio features
    /// and ISRCs; the album joins the end of the artist's discography.
    pub fn album(&mut self, artist_id: &str, spec: AlbumSpec<'_>) -> &mut Self {
        let precision = match spec.release_date.len() {
            4 => "year",
            7 => "month",
            _ => "day",
        };
        let album = json!({
            "album_type": spec.album_type, "total_tracks": spec.tracks.len(),
            "available_markets": ["KR", "US"],
            "external_urls": { "spotify": format!("https://open.spotify.com/album/{}", spec.id) },
            "href": format!("https://api.spotify.com/v1/albums/{}", spec.id), "id": spec.id,
            "images": [{ "url": format!("https://i.scdn.co/image/{}", spec.id), "height": 640, "width": 640 }],
            "name": spec.name, "release_date": spec.release_date,
            "release_date_precision": precision, "type": "album",
            "uri": format!("spotify:album:{}", spec.id),
            "artists": [self.artist_ref(artist_id)]
        });
        let mut credits = vec![self.artist_ref(artist_id)];
        if let Some(f) = spec.featuring {
            credits.push(self.artist_ref(f));
        }
        let mut ids = Vec::new();
        for (i, (id, name, popularity)) in spec.tracks.into_iter().enumerate() {
            self.next_track += 1;
            let n = self.next_track;
            let track = json!({
                "album": album.clone(), "artists": credits.clone(),
                "available_markets": ["KR", "US"], "disc_number": 1,
                "duration_ms": 200_000 + n * 1000, "explicit": n.is_multiple_of(7),
                "external_ids": { "isrc": format!("KRA40{n:07}") },
                "external_urls": { "spotify": format!("https://open.spotify.com/track/{id}") },
                "href": format!("https://api.spotify.com/v1/tracks/{id}"),
                "id": id, "is_local": false, "is_playable": true, "name": name,
                "popularity": popularity, "preview_url": null, "track_number": i + 1,
                "type": "track", "uri": format!("spotify:track:{id}")
            });
            self.features.insert(id.clone(), features_json(&id, n));
            self.tracks.insert(id.clone(), track);
            ids.push(id);
        }
        self.album_tracks.insert(spec.id.clone(), ids);
        self.discography
            .entry(artist_id.into())
            .or_default()
            .push(spec.id.clone());
        self.albums.insert(spec.id, album);
        self
    }

    /// Korean artists, among them BTS with a discography of 23 releases (several pages),
    /// BLACKPINK with an album of 52 tracks (more than one page of an album's track list), a
    /// track BTS recorded with IU, an artist whose name is Korean (잔나비), two artists named
    /// Nell, and related artists.
    pub fn korean() -> Self {
        let mut c = Self::default();
        c.artist(BTS, "BTS", 90, &["k-pop", "pop"])
            .alias("방탄소년단", BTS)
            .artist(BLACKPINK, "BLACKPINK", 85, &["k-pop"])
            .alias("블랙핑크", BLACKPINK)
            .artist(IU, "IU", 80, &["k-pop", "k-ballad"])
            .alias("아이유", IU)
            .artist(JANNABI, "잔나비", 60, &["korean indie"])
            .artist(NELL, "Nell", 55, &["korean indie", "k-rock"])
            .artist(NELL_OTHER, "NELL", 20, &[])
            .artist(TXT, "TOMORROW X TOGETHER", 75, &["k-pop"])
            .related(BTS, &[TXT, BLACKPINK, IU])
            .related(BLACKPINK, &[BTS, IU])
            .related(IU, &[JANNABI, BTS]);
        let generated = |prefix: &str,
                         title: &str,
                         from: usize,
                         n: usize,
                         popularity: u32|
         -> Vec<(String, String, u32)> {
            (from..from + n)
                .map(|k| {
                    (
                        format!("{}{k:02}", &prefix[..20]),
                        format!("{title} {}", k + 1),
                        popularity.saturating_sub(u32::try_from(k).unwrap_or(0)),
                    )
                })
                .collect()
        };
        for i in 0..ALBUMS_PER_ARTIST {
            let single = i % 3 == 2;
            let id = format!("{}{i:02}", &BTS[..20]);
            let mut tracks = generated(
                &format!("bt{i:02}{}", &BTS[4..]),
                &format!("BTS Song {i}-"),
                0,
                if single { 1 } else { 3 },
                70,
            );
            let mut featuring = None;
            if i == 0 {
                tracks = vec![
                    ("5KawlOMHjWeUjQtnuRs22c".into(), "Boy With Luv".into(), 88),
                    ("0GJjSnmfg1uQ0gUXVdtsUr".into(), "FIRE".into(), 91),
                ];
            }
            if i == 1 {
                featuring = Some(IU);
            }
            let year = (2020 - i).to_string();
            c.album(
                BTS,
                AlbumSpec {
                    id,
                    name: format!("BTS Album {i}"),
                    album_type: if single { "single" } else { "album" },
                    release_date: if i == 0 { "2019-04-12" } else { &year },
                    tracks,
                    featuring,
                },
            );
        }
        let mut deluxe = vec![("7b8YOVV5quZcSKEijDgyWB".into(), "DDU-DU DDU-DU".into(), 86)];
        deluxe.extend(generated(
            "bpDeluxe0000000000000000",
            "Deluxe Track",
            1,
            51,
            60,
        ));
        c.album(
            BLACKPINK,
            AlbumSpec {
                id: "4Ydx5ayULBNdrzrYK5A2pB".into(),
                name: "THE ALBUM (Deluxe)".into(),
                album_type: "album",
                release_date: "2020-10",
                tracks: deluxe,
                featuring: None,
            },
        );
        c.album(
            BLACKPINK,
            AlbumSpec {
                id: "7zCODUHkfuRxsUjtuzNqbd".into(),
                name: "Pink Venom".into(),
                album_type: "single",
                release_date: "2022-08-19",
                tracks: vec![("5Odq8ohlgIbQKMZivbWkEo".into(), "Pink Venom".into(), 80)],
                featuring: None,
            },
        );
        for (artist, prefix, albums, per, pop) in [
            (IU, "iuAlbum0000000000000000", 3, 3, 75),
            (JANNABI, "jnAlbum0000000000000000", 1, 3, 50),
            (NELL, "nlAlbum0000000000000000", 1, 3, 45),
            (NELL_OTHER, "noAlbum0000000000000000", 1, 2, 10),
            (TXT, "txAlbum0000000000000000", 2, 3, 65),
        ] {
            for a in 0..albums {
                let album_prefix = format!("{}{a}", &prefix[..19]);
                c.album(
                    artist,
                    AlbumSpec {
                        id: format!("{}{a:02}", &prefix[..20]),
                        name: format!("Album {a}"),
                        album_type: "album",
                        release_date: "2018-05-01",
                        tracks: generated(
                            &format!("{album_prefix}tttt"),
                            &format!("{} Song {a}-", &prefix[..2]),
                            0,
                            per,
                            pop,
                        ),
                        featuring: None,
                    },
                );
            }
        }
        c
    }

    /// A generated catalog of `artists` × `albums` × `tracks` (for benchmarks): artists named
    /// `Artist 0`, `Artist 1`, …, each related to the next three.
    pub fn generated(artists: usize, albums: usize, tracks: usize) -> Self {
        const GENRES: [&str; 8] = [
            "k-pop",
            "pop",
            "rock",
            "hip hop",
            "r&b",
            "edm",
            "latin",
            "korean indie",
        ];
        let mut c = Self::default();
        let id = |kind: &str, n: usize| format!("{kind}{n:019}");
        for a in 0..artists {
            let pop = u32::try_from(20 + (a * 37) % 80).unwrap_or(50);
            c.artist(
                &id("art", a),
                &format!("Artist {a}"),
                pop,
                &[GENRES[a % 8], GENRES[(a + 3) % 8]],
            );
        }
        for a in 0..artists {
            let related: Vec<String> = (1..=3).map(|k| id("art", (a + k) % artists)).collect();
            let related: Vec<&str> = related.iter().map(String::as_str).collect();
            c.related(&id("art", a), &related);
            for b in 0..albums {
                let album = a * albums + b;
                let year = (2000 + album % 25).to_string();
                c.album(
                    &id("art", a),
                    AlbumSpec {
                        id: id("alb", album),
                        name: format!("Album {album}"),
                        album_type: if b % 4 == 3 { "single" } else { "album" },
                        release_date: &year,
                        tracks: (0..tracks)
                            .map(|t| {
                                let n = album * tracks + t;
                                (
                                    id("trk", n),
                                    format!("Track {n}"),
                                    u32::try_from(n % 100).unwrap_or(0),
                                )
                            })
                            .collect(),
                        featuring: None,
                    },
                );
            }
        }
        c
    }

    /// How many artists, albums and tracks the catalog holds.
    pub fn size(&self) -> (usize, usize, usize) {
        (self.artists.len(), self.albums.len(), self.tracks.len())
    }
}

#[derive(Default)]
struct State {
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    /// Route patterns (`/v1/audio-features`) that answer 403 from now on.
    retired: Mutex<HashSet<String>>,
    latency: Mutex<Duration>,
    valid_tokens: Mutex<HashSet<String>>,
    tokens_issued: AtomicU64,
    hits: Mutex<HashMap<String, u64>>,
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
            catalog,
            ..Default::default()
        });
        let listener = TcpListener::bind(addr)?;
        let base = format!("http://{}", listener.local_addr()?);
        let data = web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/api/token", web::post().to(token))
                .route("/v1/albums", web::get().to(several_albums))
                .route("/v1/albums/{id}", web::get().to(album))
                .route("/v1/albums/{id}/tracks", web::get().to(album_tracks))
                .route("/v1/artists", web::get().to(several_artists))
                .route("/v1/artists/{id}", web::get().to(artist))
                .route("/v1/artists/{id}/albums", web::get().to(artist_albums))
                .route("/v1/artists/{id}/top-tracks", web::get().to(top_tracks))
                .route(
                    "/v1/artists/{id}/related-artists",
                    web::get().to(related_artists),
                )
                .route("/v1/tracks", web::get().to(several_tracks))
                .route("/v1/tracks/{id}", web::get().to(track))
                .route("/v1/audio-features", web::get().to(several_features))
                .route("/v1/audio-features/{id}", web::get().to(features))
                .route("/v1/search", web::get().to(search))
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
    let fault = state
        .faults
        .lock()
        .ok()
        .and_then(|mut f| f.get_mut("/api/token").and_then(VecDeque::pop_front));
    match fault {
        Some(Fault::Status(status)) => return error(status, "fault"),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
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

/// What the guard lets through: `Some(bad)` asks the handler to spoil the first item.
enum Pass {
    Normal,
    BadItem,
}

/// Faults first, then retired routes, then the bearer token, as a real server under trouble
/// behaves.
async fn guard(state: &State, req: &HttpRequest) -> Result<Pass, HttpResponse> {
    let path = req.path().to_owned();
    state.total_hits.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut hits) = state.hits.lock() {
        *hits.entry(path.clone()).or_default() += 1;
    }
    let latency = state.latency.lock().map(|l| *l).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
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
    // Faults that stand in for an answer come before the token check; faults of a good answer
    // (slow, or with a bad item) wait for a request with a valid token.
    let fault = state.faults.lock().ok().and_then(|mut f| {
        let queue = f.get_mut(&path)?;
        match queue.front()? {
            Fault::Delay(_) | Fault::BadItem if !valid => None,
            _ => queue.pop_front(),
        }
    });
    let mut pass = Pass::Normal;
    match fault {
        Some(Fault::Status(status)) => return Err(error(status, "fault")),
        Some(Fault::RetryAfter(secs)) => {
            return Err(HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", secs.to_string()))
                .finish());
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Malformed) => {
            return Err(HttpResponse::Ok()
                .content_type("application/json")
                .body("{\"id\": 12, \"name\":"));
        }
        Some(Fault::BadItem) => pass = Pass::BadItem,
        None => {}
    }
    let pattern = req.match_pattern().unwrap_or_default();
    if state
        .retired
        .lock()
        .map(|r| r.contains(&pattern))
        .unwrap_or(false)
    {
        return Err(error(403, "This endpoint is not available to this app"));
    }
    if valid {
        Ok(pass)
    } else {
        Err(error(401, "The access token expired"))
    }
}

/// Runs the guard; a refused request is answered at once.
macro_rules! admit {
    ($state:expr, $req:expr) => {
        match guard($state, $req).await {
            Ok(pass) => pass,
            Err(refused) => return refused,
        }
    };
}

/// A page of `all` as the query's `limit` (1 to `max`) and `offset` ask.
fn paged(
    pass: Pass,
    req: &HttpRequest,
    q: &Query,
    all: Vec<Value>,
    (default, max): (usize, usize),
    key: &str,
) -> HttpResponse {
    let limit = number(q, "limit", default);
    if !(1..=max).contains(&limit) {
        return error(400, &format!("Invalid limit (at most {max})"));
    }
    let body = page(req, all, number(q, "offset", 0), limit);
    match key {
        "" => answer(pass, body, Some("/items")),
        key => answer(pass, json!({ key: body }), Some(&format!("/{key}/items"))),
    }
}

/// Removes a required field from an item, as a broken upstream might.
fn spoil(item: &mut Value) {
    if let Some(o) = item.as_object_mut() {
        o.remove("id");
        o.insert("name".into(), json!(42));
    }
}

/// Answers `body` as JSON, with its first item under `key` (or the body itself, with no key)
/// spoiled when the guard asked for it.
fn answer(pass: Pass, mut body: Value, key: Option<&str>) -> HttpResponse {
    if let Pass::BadItem = pass {
        let target = match key {
            Some(k) => body.pointer_mut(k).and_then(|v| v.get_mut(0)),
            None => Some(&mut body),
        };
        if let Some(t) = target {
            spoil(t);
        }
    }
    HttpResponse::Ok().json(body)
}

type Query = web::Query<HashMap<String, String>>;

fn number(q: &Query, name: &str, default: usize) -> usize {
    q.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `GET /…?ids=`: up to `max` ids, unknown ones as `null`, under `key`.
async fn several(
    state: &State,
    req: &HttpRequest,
    query: &Query,
    key: &str,
    max: usize,
    item: impl Fn(&str) -> Option<Value>,
) -> HttpResponse {
    let pass = admit!(state, req);
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
        .map(|id| item(id).unwrap_or(Value::Null))
        .collect();
    answer(pass, json!({ key: found }), Some(&format!("/{key}")))
}

/// `GET /…/{id}`.
async fn one(state: &State, req: &HttpRequest, item: Option<Value>) -> HttpResponse {
    let pass = admit!(state, req);
    match item {
        Some(item) => answer(pass, item, None),
        None => error(404, "Resource not found"),
    }
}

/// A `PagingObject` of `all[offset..offset + limit]`.
fn page(req: &HttpRequest, all: Vec<Value>, offset: usize, limit: usize) -> Value {
    let total = all.len();
    let items: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let next = (offset + limit < total)
        .then(|| format!("{}?offset={}&limit={limit}", req.path(), offset + limit));
    json!({
        "href": req.uri().to_string(), "items": items, "limit": limit, "next": next,
        "offset": offset, "previous": null, "total": total
    })
}

impl Catalog {
    /// An `AlbumObject` with the first 50 of its tracks.
    fn full_album(&self, id: &str) -> Option<Value> {
        let mut album = self.albums.get(id)?.clone();
        let tracks: Vec<Value> = self.album_tracks[id]
            .iter()
            .map(|t| simplified(&self.tracks[t]))
            .collect();
        let total = tracks.len();
        let items: Vec<Value> = tracks.into_iter().take(50).collect();
        album["tracks"] = json!({
            "href": format!("https://api.spotify.com/v1/albums/{id}/tracks"), "items": items,
            "limit": 50, "offset": 0, "previous": null, "total": total,
            "next": (total > 50).then(|| format!("https://api.spotify.com/v1/albums/{id}/tracks?offset=50&limit=50"))
        });
        album["copyrights"] = json!([]);
        album["external_ids"] = json!({});
        album["genres"] = json!([]);
        album["label"] = json!("Fake Records");
        album["popularity"] = json!(50);
        Some(album)
    }
}

/// A `SimplifiedTrackObject` from a `TrackObject`.
fn simplified(track: &Value) -> Value {
    let mut t = track.clone();
    if let Some(o) = t.as_object_mut() {
        for k in ["album", "external_ids", "popularity"] {
            o.remove(k);
        }
    }
    t
}

async fn artist(state: web::Data<State>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let item = state.catalog.artists.get(id.as_str()).cloned();
    one(&state, &req, item).await
}

async fn several_artists(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    let c = &state.catalog;
    several(&state, &req, &q, "artists", 50, |id| {
        c.artists.get(id).cloned()
    })
    .await
}

async fn album(state: web::Data<State>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let item = state.catalog.full_album(&id);
    one(&state, &req, item).await
}

async fn several_albums(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    let c = &state.catalog;
    several(&state, &req, &q, "albums", 20, |id| c.full_album(id)).await
}

async fn album_tracks(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    let c = &state.catalog;
    let Some(ids) = c.album_tracks.get(id.as_str()) else {
        return error(404, "Resource not found");
    };
    let all = ids.iter().map(|t| simplified(&c.tracks[t])).collect();
    paged(pass, &req, &q, all, (20, 50), "")
}

async fn artist_albums(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    let c = &state.catalog;
    if !c.artists.contains_key(id.as_str()) {
        return error(404, "Resource not found");
    }
    let groups = q.get("include_groups").cloned().unwrap_or_default();
    let all: Vec<Value> = c
        .discography
        .get(id.as_str())
        .into_iter()
        .flatten()
        .map(|a| c.albums[a].clone())
        .filter(|a| {
            groups.is_empty()
                || groups
                    .split(',')
                    .any(|g| a["album_type"].as_str() == Some(g))
        })
        .map(|mut a| {
            a["album_group"] = a["album_type"].clone();
            a
        })
        .collect();
    paged(pass, &req, &q, all, (5, 10), "")
}

async fn top_tracks(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    if q.get("market").is_none_or(|m| m.len() != 2) {
        return error(400, "Invalid market code");
    }
    let c = &state.catalog;
    if !c.artists.contains_key(id.as_str()) {
        return error(404, "Resource not found");
    }
    let mut tracks: Vec<&Value> = c
        .discography
        .get(id.as_str())
        .into_iter()
        .flatten()
        .flat_map(|a| c.album_tracks[a].iter().map(|t| &c.tracks[t]))
        .collect();
    tracks.sort_by_key(|t| {
        (
            std::cmp::Reverse(t["popularity"].as_u64().unwrap_or(0)),
            t["id"].as_str().unwrap_or_default().to_owned(),
        )
    });
    tracks.truncate(10);
    answer(pass, json!({ "tracks": tracks }), Some("/tracks"))
}

async fn related_artists(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    let c = &state.catalog;
    if !c.artists.contains_key(id.as_str()) {
        return error(404, "Resource not found");
    }
    let artists: Vec<&Value> = c
        .related
        .get(id.as_str())
        .into_iter()
        .flatten()
        .map(|r| &c.artists[r])
        .collect();
    answer(pass, json!({ "artists": artists }), Some("/artists"))
}

async fn several_tracks(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    let c = &state.catalog;
    several(&state, &req, &q, "tracks", 50, |id| {
        c.tracks.get(id).cloned()
    })
    .await
}

async fn track(state: web::Data<State>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let item = state.catalog.tracks.get(id.as_str()).cloned();
    one(&state, &req, item).await
}

async fn several_features(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    let c = &state.catalog;
    several(&state, &req, &q, "audio_features", 100, |id| {
        c.features.get(id).cloned()
    })
    .await
}

async fn features(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let item = state.catalog.features.get(id.as_str()).cloned();
    one(&state, &req, item).await
}

/// Artist search: names and aliases containing the query, case-insensitively, most popular
/// first.
async fn search(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
    let pass = admit!(&state, &req);
    let text = q.get("q").map(|q| q.to_lowercase()).unwrap_or_default();
    if q.get("type").map(String::as_str) != Some("artist") {
        return error(400, "Invalid type (only artist is supported)");
    }
    let c = &state.catalog;
    let mut found: Vec<&Value> = c
        .artists
        .iter()
        .filter(|(id, a)| {
            a["name"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains(&text)
                || c.aliases
                    .iter()
                    .any(|(alias, to)| to == *id && alias.contains(&text))
        })
        .map(|(_, a)| a)
        .collect();
    // Exact names first, as Spotify ranks them, then the most popular.
    found.sort_by_key(|a| {
        (
            a["name"].as_str().map(str::to_lowercase) != Some(text.clone()),
            std::cmp::Reverse(a["popularity"].as_u64().unwrap_or(0)),
        )
    });
    let all = found.into_iter().cloned().collect();
    paged(pass, &req, &q, all, (20, 10), "artists")
}
