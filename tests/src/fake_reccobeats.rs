//! A fake ReccoBeats API on port 0, for loader tests: `GET /v1/audio-features?ids=…` in the
//! documented shape (ids comma-separated or as repeated `ids=` parameters, at most 40 a call;
//! the answer `{"content": [...]}` holds one object per track it knows, naming it by a UUID in
//! `id` and by its Spotify URL in `href`), the tracks it knows set by the test (values out of
//! range too), faults queued for the next requests, and a switch that makes it answer 403.

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::fake_spotify::Fault;

/// The most ids one call takes, as documented.
pub const MAX_IDS: usize = 40;

#[derive(Default)]
struct State {
    /// Feature objects by Spotify track id, without `id` and `href`.
    known: Mutex<HashMap<String, Value>>,
    faults: Mutex<VecDeque<Fault>>,
    forbidden: AtomicBool,
    hits: AtomicU64,
    ids_asked: AtomicU64,
    most_ids: AtomicUsize,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeReccoBeats {
    base: String,
    state: Arc<State>,
}

/// Audio features on Spotify's scales, varied by `n`, as ReccoBeats gives them.
pub fn reccobeats_features(n: u32) -> Value {
    let x = f64::from(n % 10) / 10.0;
    json!({
        "acousticness": x, "danceability": 0.4 + x / 2.0, "energy": 0.7, "instrumentalness": 0.01,
        "key": (n + 3) % 12, "liveness": 0.2, "loudness": -6.5, "mode": (n + 1) % 2,
        "speechiness": 0.04, "tempo": 100.0 + f64::from(n % 40), "valence": 1.0 - x
    })
}

impl FakeReccoBeats {
    /// Starts the fake, knowing no track.
    pub async fn start() -> anyhow::Result<Self> {
        let state = Arc::new(State::default());
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let data = web::Data::from(state.clone());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/v1/audio-features", web::get().to(audio_features))
        })
        .workers(1)
        .listen(listener)?
        .run();
        tokio::spawn(server);
        Ok(Self { base, state })
    }

    /// The API base URL (`RECCOBEATS_API_URL`).
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base)
    }

    /// Knows these tracks, with features varied by their place in the list.
    pub fn know<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        for (n, id) in ids.into_iter().enumerate() {
            self.set(id, reccobeats_features(u32::try_from(n).unwrap_or(0)));
        }
    }

    /// Knows a track with exactly these fields (out-of-range values too).
    pub fn set(&self, id: &str, features: Value) {
        if let Ok(mut known) = self.state.known.lock() {
            known.insert(id.to_owned(), features);
        }
    }

    /// Queues faults (statuses, `Retry-After`) for the next requests.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        if let Ok(mut f) = self.state.faults.lock() {
            f.extend(faults);
        }
    }

    /// Answers 403 from now on.
    pub fn forbid(&self) {
        self.state.forbidden.store(true, Ordering::SeqCst);
    }

    /// Requests received.
    pub fn hits(&self) -> u64 {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Ids asked for, all requests together.
    pub fn ids_asked(&self) -> u64 {
        self.state.ids_asked.load(Ordering::SeqCst)
    }

    /// The most ids one request asked for.
    pub fn most_ids_in_a_call(&self) -> usize {
        self.state.most_ids.load(Ordering::SeqCst)
    }
}

fn error(status: u16, message: &str) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(code).json(json!({ "error": message, "status": status }))
}

async fn audio_features(
    state: web::Data<State>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    state.hits.fetch_add(1, Ordering::SeqCst);
    match state.faults.lock().ok().and_then(|mut f| f.pop_front()) {
        Some(Fault::RetryAfter(secs)) => {
            return HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", secs.to_string()))
                .finish();
        }
        Some(Fault::Status(status)) => return error(status, "fault"),
        Some(Fault::Malformed) => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body("{\"content\": [");
        }
        _ => {}
    }
    if state.forbidden.load(Ordering::SeqCst) {
        return error(403, "Forbidden");
    }
    let ids: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "ids")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .collect();
    if ids.is_empty() {
        return error(400, "ids is required");
    }
    if ids.len() > MAX_IDS {
        return error(400, "at most 40 ids");
    }
    state
        .ids_asked
        .fetch_add(ids.len() as u64, Ordering::SeqCst);
    state.most_ids.fetch_max(ids.len(), Ordering::SeqCst);
    let known = state.known.lock().map(|k| k.clone()).unwrap_or_default();
    let content: Vec<Value> = ids
        .iter()
        .enumerate()
        .filter_map(|(n, id)| {
            let mut object = known.get(*id)?.clone();
            let fields = object.as_object_mut()?;
            fields.insert(
                "id".into(),
                json!(format!("{:08x}-5e0c-4a1b-9b7e-{:012x}", n, id.len())),
            );
            fields.insert(
                "href".into(),
                json!(format!("https://open.spotify.com/track/{id}")),
            );
            Some(object)
        })
        .collect();
    HttpResponse::Ok().json(json!({ "content": content }))
}
