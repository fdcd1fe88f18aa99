//! The fake's user side: the authorise endpoint and the authorisation-code and refresh-token
//! grants of PKCE (the verifier checked against the challenge), and the endpoints of the user
//! who authorised: `/me`, `/me/playlists` and `/playlists/{id}/items` (readable for playlists
//! the user owns or collaborates on, 403 for the ones only followed).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::routes::{Query, admit, error, paged};
use super::*;

/// The user the fake's authorisations act for.
pub const USER_ID: &str = "fake-user";
/// The scopes `spotify login` must ask for.
const SCOPES: [&str; 2] = ["playlist-read-private", "playlist-read-collaborative"];

/// A playlist of the fake user's library.
#[derive(Clone, Debug)]
pub struct UserPlaylist {
    pub id: &'static str,
    pub name: &'static str,
    pub owner: &'static str,
    pub collaborative: bool,
    /// The playlist's items as the API gives them (`PlaylistTrackObject`).
    pub items: Vec<Value>,
}

/// What an authorisation code was issued for.
#[derive(Clone, Debug)]
pub(super) struct Issued {
    challenge: String,
    redirect_uri: String,
}

/// The fake user's library: a playlist they own (55 entries, so two pages, with a local file, an
/// episode and an item no longer available among them), one they collaborate on, and one they
/// only follow.
pub(super) fn library(catalog: &Catalog) -> Vec<UserPlaylist> {
    let mut tracks: Vec<&String> = catalog.tracks.keys().collect();
    tracks.sort();
    let item = |i: usize, id: &str| {
        json!({
            "added_at": format!("2026-0{}-1{}T08:00:00Z", 1 + i % 9, i % 10),
            "added_by": { "id": USER_ID, "type": "user" },
            "is_local": false,
            "item": catalog.tracks[id].clone(),
        })
    };
    let mut own: Vec<Value> = (0..55).map(|i| item(i, tracks[i % tracks.len()])).collect();
    own[2] = json!({ "added_at": null, "is_local": true, "item": {
        "id": null, "name": "a file on the user's disk", "type": "track", "uri": "spotify:local:x" } });
    own[3] = json!({ "added_at": "2026-02-01T00:00:00Z", "is_local": false, "item": {
        "id": "episode000000000000001", "name": "A podcast", "type": "episode" } });
    own[4] = json!({ "added_at": "2026-02-02T00:00:00Z", "is_local": false, "item": null });
    vec![
        UserPlaylist {
            id: "userplaylist0000000own",
            name: "나의 K-pop",
            owner: USER_ID,
            collaborative: false,
            items: own,
        },
        UserPlaylist {
            id: "userplaylist000collab",
            name: "Road trip",
            owner: "a-friend",
            collaborative: true,
            items: (0..3).map(|i| item(i, tracks[10 + i])).collect(),
        },
        UserPlaylist {
            id: "userplaylist00followed",
            name: "Today's Top Hits",
            owner: "spotify",
            collaborative: false,
            items: (0..4).map(|i| item(i, tracks[20 + i])).collect(),
        },
    ]
}

/// `GET /authorize`: checks the request as Spotify does and sends the browser back to the
/// redirect URI with a code (the user is taken to have allowed the app).
pub(super) async fn authorize(state: web::Data<State>, q: Query) -> HttpResponse {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let scopes: Vec<&str> = get("scope").split(' ').collect();
    if get("client_id") != CLIENT_ID
        || get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("code_challenge").len() != 43
        || !SCOPES.iter().all(|s| scopes.contains(s))
        || !get("redirect_uri").starts_with("http://127.0.0.1:")
    {
        return HttpResponse::BadRequest().body("INVALID_CLIENT: bad authorise request");
    }
    let n = state.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    let code = format!("fake-code-{n}");
    if let Ok(mut codes) = state.codes.lock() {
        codes.insert(
            code.clone(),
            Issued {
                challenge: get("code_challenge").to_owned(),
                redirect_uri: get("redirect_uri").to_owned(),
            },
        );
    }
    let mut back = url::Url::parse(get("redirect_uri")).expect("checked above");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", get("state"));
    HttpResponse::Found()
        .insert_header(("Location", back.to_string()))
        .finish()
}

fn invalid_grant(why: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": "invalid_grant", "error_description": why }))
}

/// `POST /api/token` with `authorization_code` or `refresh_token`.
pub(super) fn grant(state: &State, form: &HashMap<String, String>) -> HttpResponse {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return HttpResponse::BadRequest().json(json!({ "error": "invalid_client" }));
    }
    match get("grant_type") {
        "authorization_code" => {
            let issued = state
                .codes
                .lock()
                .ok()
                .and_then(|mut c| c.remove(get("code")));
            let Some(issued) = issued else {
                return invalid_grant("Invalid authorization code");
            };
            if issued.redirect_uri != get("redirect_uri") {
                return invalid_grant("Invalid redirect URI");
            }
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier")));
            if challenge != issued.challenge {
                return invalid_grant("code_verifier was incorrect");
            }
        }
        "refresh_token" => {
            let known = state
                .refresh_tokens
                .lock()
                .map(|mut r| r.remove(get("refresh_token")))
                .unwrap_or(false);
            if !known {
                return invalid_grant("Refresh token revoked");
            }
        }
        _ => return HttpResponse::BadRequest().json(json!({ "error": "unsupported_grant_type" })),
    }
    let n = state.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    let access = format!("fake-user-token-{n}");
    let refresh = format!("fake-refresh-{n}-{}", CLIENT_SECRET.len());
    if let Ok(mut t) = state.valid_tokens.lock() {
        t.insert(access.clone());
    }
    if let Ok(mut r) = state.refresh_tokens.lock() {
        r.insert(refresh.clone());
    }
    HttpResponse::Ok().json(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": refresh, "scope": SCOPES.join(" "),
    }))
}

/// `GET /v1/me`.
pub(super) async fn me(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    admit!(&state, &req);
    HttpResponse::Ok().json(json!({ "id": USER_ID, "display_name": "Fake User", "type": "user" }))
}

/// `GET /v1/me/playlists`.
pub(super) async fn my_playlists(
    state: web::Data<State>,
    req: HttpRequest,
    q: Query,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    let all = state
        .library
        .iter()
        .map(|p| {
            json!({
                "collaborative": p.collaborative, "description": "",
                "id": p.id, "name": p.name, "public": false, "type": "playlist",
                "owner": { "id": p.owner, "display_name": null, "type": "user" },
                "items": { "href": format!("/v1/playlists/{}/items", p.id), "total": p.items.len() },
                "uri": format!("spotify:playlist:{}", p.id),
            })
        })
        .collect();
    paged(pass, &req, &q, all, (20, 50), "")
}

/// `GET /v1/playlists/{id}/items`: 403 unless the user owns or collaborates on it.
pub(super) async fn playlist_items(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> HttpResponse {
    let pass = admit!(&state, &req);
    let Some(p) = state.library.iter().find(|p| p.id == id.as_str()) else {
        return error(404, "Resource not found");
    };
    if p.owner != USER_ID && !p.collaborative {
        return error(403, "Forbidden");
    }
    paged(pass, &req, &q, p.items.clone(), (100, 100), "")
}
