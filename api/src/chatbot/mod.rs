//! `POST /chatbot/kakao`: a Kakao i Open Builder skill webhook.
//!
//! It reads the artist a user asked about (`action.params.artist` when the block sets it,
//! otherwise `userRequest.utterance`), finds it with the search ranking of `searchArtists`,
//! and answers a skill response 2.0: one `simpleText` line and a `carousel` of `listCard`s, one
//! per related artist, each listing that artist's top tracks. The data comes from one GraphQL
//! query executed by the schema itself, so it goes through the same DataLoaders, entity caches
//! and recommendation index as any client's; whole answers are kept in the response cache until
//! the data version changes.
//!
//! An utterance that is more than a name ("BTS 같은 노래 추천해줘", "music like BTS") is tried
//! whole and without the words that ask for music and without Korean particles; the search of
//! `searchArtists` (names and aliases, Hangul partial syllables, initials and typos) ranks every
//! candidate, and the best match wins. An artist that cannot be found gets the names the same
//! search finds a little further away ("did you mean"), in the script the user wrote, with quick
//! replies to ask for them. A body that is not a skill payload gets `400` with the reason.

pub mod limits;
pub(crate) mod lookup;
mod message;
mod reply;

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use entity::normalize::search_key;
use entity::telemetry::error_chain;
use serde_json::{Value, json};

use self::lookup::{look_up, suggestions};
use self::message::{asked, candidates};
use self::reply::{found, not_found, response, text};
use crate::cache::responses::{CachedResponse, ResponseKey};
use crate::codes::BAD_SKILL_PAYLOAD;
use crate::error::{ApiError, Result};
use crate::metrics::Outcome;
use crate::state::AppState;

/// Names suggested for an artist that is not in the catalog.
const SUGGESTIONS: usize = 3;

/// Registers the webhook, behind the same API keys and rate limits as `/graphql`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/chatbot/kakao")
            .wrap(actix_web::middleware::from_fn(crate::access::guard))
            .route(web::post().to(kakao)),
    );
}

/// The answer to a request for `asked`, and whether it depends on `asked` only through its
/// search key (the whole request named the artist, so every spelling that folds alike gets
/// the same answer).
async fn answer(state: &AppState, asked: &str) -> Result<(Value, bool)> {
    if asked.is_empty() {
        return Ok((
            response(
                vec![text(
                    "아티스트 이름을 알려 주세요. 이름만 보내도 비슷한 음악을 찾아 드려요.",
                )],
                None,
            ),
            false,
        ));
    }
    let tries = candidates(asked);
    if let Some((artist, whole)) = look_up(state, &tries).await? {
        return Ok((found(&artist), whole));
    }
    let names = suggestions(state, &tries, SUGGESTIONS).await?;
    Ok((not_found(asked, &names), false))
}

/// Where answers are cached: under the request's search key when the whole request named the
/// artist ("BTS", "bts" and "b.t.s" share one entry), under the request itself otherwise.
fn cache_keys(generation: u64, asked: &str) -> (ResponseKey, ResponseKey) {
    let generation = generation.to_le_bytes();
    (
        ResponseKey::of(&[b"kakao-folded", &generation, search_key(asked).as_bytes()]),
        ResponseKey::of(&[b"kakao", &generation, asked.as_bytes()]),
    )
}

fn json_response(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(body.into())
}

fn refused(status: StatusCode, message: &str) -> HttpResponse {
    json_response(
        status,
        json!({ "error": { "code": BAD_SKILL_PAYLOAD, "message": message } }).to_string(),
    )
}

async fn kakao(state: web::Data<AppState>, payload: web::Payload) -> HttpResponse {
    if !state.chatbot {
        return HttpResponse::NotFound().finish();
    }
    let started = Instant::now();
    let body = match crate::body::read_body(payload, state.max_body_bytes).await {
        Ok(body) => body,
        Err((status, message)) => return refused(status, &message),
    };
    let asked = match asked(&body) {
        Ok(a) => a,
        Err(reason) => {
            state.metrics.observe(
                Some("kakao"),
                Outcome::Error,
                started.elapsed().as_secs_f64(),
            );
            return refused(StatusCode::BAD_REQUEST, &reason);
        }
    };
    let (folded_key, exact_key) = cache_keys(state.caches.generation(), &asked);
    let hit = state
        .caches
        .responses
        .peek(&folded_key)
        .or_else(|| state.caches.responses.get(&exact_key));
    if let Some(hit) = hit {
        state.metrics.observe(
            Some("kakao"),
            Outcome::Cached,
            started.elapsed().as_secs_f64(),
        );
        return json_response(StatusCode::OK, hit.body.clone());
    }
    let work = answer(&state, &asked);
    let result = match tokio::time::timeout(state.request_timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(ApiError::Unavailable(
            "the answer took longer than the request timeout".into(),
        )),
    };
    match result {
        Ok((value, by_search_key)) => {
            let body = Bytes::from(value.to_string());
            state.caches.responses.put(
                if by_search_key { folded_key } else { exact_key },
                None,
                CachedResponse {
                    body: body.clone(),
                    cache_control: None,
                    operation: Some("kakao".into()),
                },
            );
            state
                .metrics
                .observe(Some("kakao"), Outcome::Ok, started.elapsed().as_secs_f64());
            json_response(StatusCode::OK, body)
        }
        Err(e) => {
            tracing::warn!(error = %error_chain(&e), "the chatbot could not answer");
            state.metrics.observe(
                Some("kakao"),
                Outcome::Error,
                started.elapsed().as_secs_f64(),
            );
            // Kakao shows its own failure message for anything but 200; the body says the
            // same for a person reading logs or a test.
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                response(
                    vec![text(
                        "지금은 음악 정보를 불러올 수 없어요. 잠시 후 다시 시도해 주세요.",
                    )],
                    None,
                )
                .to_string(),
            )
        }
    }
}
