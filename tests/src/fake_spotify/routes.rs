//! The fake's handlers: the token endpoint, the catalog endpoints and search, each behind the
//! guard that plays queued faults, retired routes and token checks.

use super::catalog::simplified;
use super::*;

pub(super) fn error(status: u16, message: &str) -> HttpResponse {
    let code = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(code).json(json!({ "error": { "status": status, "message": message } }))
}

pub(super) async fn token(
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
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return super::user::grant(&state, &form);
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
pub(super) enum Pass {
    Normal,
    BadItem,
}

/// Faults first, then retired routes, then the bearer token, as a real server under trouble
/// behaves.
pub(super) async fn guard(state: &State, req: &HttpRequest) -> Result<Pass, HttpResponse> {
    let path = req.path().to_owned();
    state.total_hits.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut hits) = state.hits.lock() {
        *hits.entry(path.clone()).or_default() += 1;
    }
    if let (Some(route), Ok(mut hits)) = (req.match_pattern(), state.route_hits.lock()) {
        *hits.entry(route).or_default() += 1;
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
        match $crate::fake_spotify::routes::guard($state, $req).await {
            Ok(pass) => pass,
            Err(refused) => return refused,
        }
    };
}
pub(super) use admit;

/// A page of `all` as the query's `limit` (1 to `max`) and `offset` ask.
pub(super) fn paged(
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
pub(super) fn spoil(item: &mut Value) {
    if let Some(o) = item.as_object_mut() {
        o.remove("id");
        o.insert("name".into(), json!(42));
    }
}

/// Answers `body` as JSON, with its first item under `key` (or the body itself, with no key)
/// spoiled when the guard asked for it.
pub(super) fn answer(pass: Pass, mut body: Value, key: Option<&str>) -> HttpResponse {
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

pub(super) type Query = web::Query<HashMap<String, String>>;

pub(super) fn number(q: &Query, name: &str, default: usize) -> usize {
    q.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `GET /…?ids=`: up to `max` ids, unknown ones as `null`, under `key`.
pub(super) async fn several(
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
pub(super) async fn one(state: &State, req: &HttpRequest, item: Option<Value>) -> HttpResponse {
    let pass = admit!(state, req);
    match item {
        Some(item) => answer(pass, item, None),
        None => error(404, "Resource not found"),
    }
}

/// The objects served whole by id, with the most ids one request may name and the key of the
/// several-ids answer.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    Albums,
    Artists,
    Tracks,
    AudioFeatures,
}

impl Kind {
    fn get(self, c: &Catalog, id: &str) -> Option<Value> {
        match self {
            Self::Albums => c.full_album(id),
            Self::Artists => c.artists.get(id).cloned(),
            Self::Tracks => c.tracks.get(id).cloned(),
            Self::AudioFeatures => c.features.get(id).cloned(),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Self::Albums => "albums",
            Self::Artists => "artists",
            Self::Tracks => "tracks",
            Self::AudioFeatures => "audio_features",
        }
    }

    fn max_ids(self) -> usize {
        match self {
            Self::Albums => 20,
            Self::Artists | Self::Tracks => 50,
            Self::AudioFeatures => 100,
        }
    }
}

/// `GET /v1/{kind}/{id}`.
pub(super) fn by_id(kind: Kind) -> actix_web::Route {
    web::get().to(
        move |state: web::Data<State>, req: HttpRequest, id: web::Path<String>| async move {
            one(&state, &req, kind.get(&state.catalog, &id)).await
        },
    )
}

/// `GET /v1/{kind}?ids=`.
pub(super) fn by_ids(kind: Kind) -> actix_web::Route {
    web::get().to(
        move |state: web::Data<State>, req: HttpRequest, q: Query| async move {
            let c = &state.catalog;
            several(&state, &req, &q, kind.key(), kind.max_ids(), |id| {
                kind.get(c, id)
            })
            .await
        },
    )
}

/// A `PagingObject` of `all[offset..offset + limit]`.
pub(super) fn page(req: &HttpRequest, all: Vec<Value>, offset: usize, limit: usize) -> Value {
    let total = all.len();
    let items: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    let next = (offset + limit < total)
        .then(|| format!("{}?offset={}&limit={limit}", req.path(), offset + limit));
    json!({
        "href": req.uri().to_string(), "items": items, "limit": limit, "next": next,
        "offset": offset, "previous": null, "total": total
    })
}

pub(super) async fn album_tracks(
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

/// The album ids of a known artist's discography; `None` for an unknown artist.
fn discography<'c>(c: &'c Catalog, artist: &str) -> Option<impl Iterator<Item = &'c String>> {
    c.artists
        .contains_key(artist)
        .then(|| c.discography.get(artist).into_iter().flatten())
}

pub(super) async fn artist_albums(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    let c = &state.catalog;
    let Some(albums) = discography(c, &id) else {
        return error(404, "Resource not found");
    };
    let groups = q.get("include_groups").cloned().unwrap_or_default();
    let all: Vec<Value> = albums
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

pub(super) async fn top_tracks(
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
    let Some(albums) = discography(c, &id) else {
        return error(404, "Resource not found");
    };
    let mut tracks: Vec<&Value> = albums
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

pub(super) async fn related_artists(
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

/// Artist search: names and aliases containing the query, case-insensitively, most popular
/// first.
pub(super) async fn search(state: web::Data<State>, req: HttpRequest, q: Query) -> HttpResponse {
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
