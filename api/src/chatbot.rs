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
//! whole first, then without the words that ask for music and without Korean particles. An
//! artist that cannot be found gets the closest names in the catalogue, by Jaro–Winkler
//! similarity of folded names, with quick replies to ask for them. A body that is not a skill
//! payload gets `400` with the reason.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use sixpotify_loader::normalize::search_key;
use tokio::sync::Mutex;

use crate::cache::responses::{CachedResponse, ResponseKey};
use crate::http::GraphqlState;
use crate::metrics::Outcome;

/// Kakao's limits on a skill response.
pub mod limits {
    /// Outputs in a template.
    pub const OUTPUTS: usize = 3;
    /// Cards in a carousel.
    pub const CAROUSEL_CARDS: usize = 10;
    /// Items in a list card.
    pub const LIST_ITEMS: usize = 5;
    /// Buttons on a list card.
    pub const LIST_BUTTONS: usize = 2;
    /// Quick replies under a response.
    pub const QUICK_REPLIES: usize = 10;
    /// Characters of a `simpleText`.
    pub const TEXT_CHARS: usize = 1000;
}

/// Characters of a list card's header and of an item's title and description: longer ones are
/// cut with an ellipsis rather than left to the client.
const TITLE_CHARS: usize = 40;
/// Characters of a quick reply's or a button's label.
const LABEL_CHARS: usize = 14;
/// The longest name looked up; the rest of a longer utterance is ignored.
const QUERY_CHARS: usize = 200;
/// Names suggested for an artist that is not in the catalogue.
const SUGGESTIONS: usize = 3;

/// The machine-readable reason of a `400`.
pub const BAD_SKILL_PAYLOAD: &str = "BAD_SKILL_PAYLOAD";

/// Registers the webhook, behind the same API keys and rate limits as `/graphql`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/chatbot/kakao")
            .wrap(actix_web::middleware::from_fn(crate::access::guard))
            .route(web::post().to(kakao)),
    );
}

/// What the webhook reads of a skill payload; everything else is ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkillPayload {
    user_request: UserRequest,
    #[serde(default)]
    action: Option<Action>,
}

#[derive(Debug, Deserialize)]
struct UserRequest {
    utterance: String,
}

#[derive(Debug, Default, Deserialize)]
struct Action {
    #[serde(default)]
    params: serde_json::Map<String, Value>,
}

/// What a payload asks for: the artist parameter when the block extracted one, the utterance
/// otherwise. `Err` is the reason the payload is refused.
fn asked(body: &[u8]) -> Result<String, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let payload: SkillPayload = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if !inner.is_data() {
            format!("the body is not JSON: {inner}")
        } else if path == "." {
            format!("not a Kakao skill payload: {inner}")
        } else {
            format!("not a Kakao skill payload: {path}: {inner}")
        }
    })?;
    de.end().map_err(|e| format!("the body is not JSON: {e}"))?;
    let param = payload
        .action
        .unwrap_or_default()
        .params
        .get("artist")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(param
        .unwrap_or(payload.user_request.utterance)
        .trim()
        .chars()
        .take(QUERY_CHARS)
        .collect())
}

/// Words that ask for music rather than name an artist, and particles that follow a name, in
/// English and Korean, compared after folding.
const FILLER: &[&str] = &[
    "music",
    "songs",
    "song",
    "tracks",
    "artists",
    "artist",
    "like",
    "similar",
    "to",
    "recommend",
    "me",
    "some",
    "play",
    "please",
    "find",
    "more",
    "by",
    "노래",
    "음악",
    "곡",
    "추천",
    "추천해줘",
    "추천해",
    "줘",
    "해줘",
    "알려줘",
    "들려줘",
    "틀어줘",
    "비슷한",
    "같은",
    "좀",
    "아티스트",
    "가수",
];
const PARTICLES: &[&str] = &[
    "이랑", "같은", "처럼", "하고", "이의", "의", "랑", "와", "과", "은", "는", "이", "가", "을",
    "를",
];

/// The strings to look up, in order: the whole request, then its words without the filler,
/// then each remaining word (longest first). Duplicates and words of fewer than two folded
/// characters are left out.
fn candidates(asked: &str) -> Vec<String> {
    let mut out = vec![asked.to_owned()];
    let words: Vec<String> = asked
        .split_whitespace()
        .filter_map(|w| {
            let folded = search_key(w);
            if FILLER.contains(&folded.as_str()) {
                return None;
            }
            // "BTS랑" is BTS; a particle is only cut from a word that is more than the particle.
            let trimmed = PARTICLES
                .iter()
                .find_map(|p| {
                    w.strip_suffix(p)
                        .filter(|rest| search_key(rest).chars().count() >= 2)
                })
                .unwrap_or(w);
            Some(trimmed.to_owned())
        })
        .collect();
    out.push(words.join(" "));
    let mut single = words.clone();
    single.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    out.extend(single);
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| {
        let key = search_key(c);
        key.chars().count() >= 2 && seen.insert(key)
    });
    out
}

/// The GraphQL query the webhook runs for one name.
const QUERY: &str = "query KakaoSkill($q: String!, $cards: Int!, $items: Int!) {
  searchArtists(query: $q, first: 1) {
    id name genres { name }
    relatedArtists(first: $cards) {
      similarity
      artist {
        id name genres { name }
        topTracks { id name album { name releaseYear imageUrl } }
        tracks(first: $items) { edges { node { id name album { name releaseYear imageUrl } } } }
      }
    }
    topTracks { id name album { name releaseYear imageUrl } }
    tracks(first: $items) { edges { node { id name album { name releaseYear imageUrl } } } }
  }
}";

/// Every artist's folded and display name, most popular first.
type NameList = Arc<Vec<(String, String)>>;

/// Artist names for suggestions, loaded once per generation of the caches.
#[derive(Debug, Default)]
pub struct Names {
    loaded: Mutex<Option<(u64, NameList)>>,
}

impl Names {
    /// Folded and display names of every artist, most popular first.
    async fn get(
        &self,
        state: &GraphqlState,
    ) -> Result<Arc<Vec<(String, String)>>, sea_orm::DbErr> {
        use sea_orm::{ConnectionTrait, Statement};
        let generation = state.caches.generation();
        let mut loaded = self.loaded.lock().await;
        if let Some((g, names)) = loaded.as_ref()
            && *g == generation
        {
            return Ok(names.clone());
        }
        let rows = state
            .db
            .query_all_raw(Statement::from_string(
                state.db.get_database_backend(),
                "SELECT search_key, name FROM artists ORDER BY popularity DESC, id",
            ))
            .await?;
        let names: Vec<(String, String)> = rows
            .iter()
            .filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?)))
            .collect();
        let names = Arc::new(names);
        *loaded = Some((generation, names.clone()));
        Ok(names)
    }
}

/// The names closest to any of `candidates`, best first, then by popularity; distinct.
fn closest(names: &[(String, String)], candidates: &[String], n: usize) -> Vec<String> {
    let folded: Vec<String> = candidates.iter().map(|c| search_key(c)).collect();
    let mut scored: Vec<(f64, usize)> = names
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let best = folded
                .iter()
                .map(|c| strsim::jaro_winkler(c, key))
                .fold(0.0, f64::max);
            (best, i)
        })
        .collect();
    // Most similar first; among equals, the more popular (the names come in that order).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, i) in scored {
        let name = &names[i].1;
        if !out.contains(name) {
            out.push(name.clone());
        }
        if out.len() == n {
            break;
        }
    }
    out
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn text(s: &str) -> Value {
    json!({ "simpleText": { "text": cut(s, limits::TEXT_CHARS) } })
}

fn quick_replies(names: &[String]) -> Value {
    Value::Array(
        names
            .iter()
            .take(limits::QUICK_REPLIES)
            .map(|n| json!({ "label": cut(n, LABEL_CHARS), "action": "message", "messageText": n }))
            .collect(),
    )
}

/// A skill response 2.0 with these outputs (at most three are kept).
fn response(outputs: Vec<Value>, quick: Option<Value>) -> Value {
    let mut template =
        json!({ "outputs": outputs.into_iter().take(limits::OUTPUTS).collect::<Vec<_>>() });
    if let Some(q) = quick.filter(|q| q.as_array().is_some_and(|a| !a.is_empty())) {
        template["quickReplies"] = q;
    }
    json!({ "version": "2.0", "template": template })
}

/// An artist's tracks to list: its top tracks in Korea when they were loaded from Spotify, its
/// most popular tracks in the catalogue otherwise.
fn tracks_of(artist: &Value) -> Vec<&Value> {
    let top: Vec<&Value> = artist["topTracks"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if !top.is_empty() {
        return top.into_iter().take(limits::LIST_ITEMS).collect();
    }
    artist["tracks"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .take(limits::LIST_ITEMS)
        .collect()
}

/// A Spotify id: 22 base-62 characters.
fn is_spotify_id(id: &str) -> bool {
    id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn list_item(track: &Value) -> Value {
    let name = track["name"].as_str().unwrap_or("(untitled)");
    let album = &track["album"];
    // The album's name is cut so that its year always shows.
    let description = match (album["name"].as_str(), album["releaseYear"].as_i64()) {
        (Some(a), Some(y)) => format!("{} · {y}", cut(a, TITLE_CHARS - 7)),
        (Some(a), None) => cut(a, TITLE_CHARS),
        (None, Some(y)) => y.to_string(),
        (None, None) => String::new(),
    };
    let mut item = json!({ "title": cut(name, TITLE_CHARS), "description": description });
    if let Some(url) = album["imageUrl"]
        .as_str()
        .filter(|u| u.starts_with("https://"))
    {
        item["imageUrl"] = json!(url);
    }
    if let Some(id) = track["id"].as_str().filter(|id| is_spotify_id(id)) {
        item["link"] = json!({ "web": format!("https://open.spotify.com/track/{id}") });
    }
    item
}

/// One list card: the artist as header, its tracks as items, and a button that asks the bot
/// about that artist next.
fn list_card(artist: &Value, header: &str) -> Value {
    let name = artist["name"].as_str().unwrap_or_default();
    let items: Vec<Value> = tracks_of(artist).into_iter().map(list_item).collect();
    let mut buttons = vec![json!({
        "label": "비슷한 음악",
        "action": "message",
        "messageText": name,
    })];
    if let Some(id) = artist["id"].as_str().filter(|id| is_spotify_id(id)) {
        buttons.push(json!({
            "label": "Spotify",
            "action": "webLink",
            "webLinkUrl": format!("https://open.spotify.com/artist/{id}"),
        }));
    }
    buttons.truncate(limits::LIST_BUTTONS);
    json!({ "header": { "title": cut(header, TITLE_CHARS) }, "items": items, "buttons": buttons })
}

fn genres_of(artist: &Value) -> String {
    artist["genres"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["name"].as_str())
        .take(3)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The particle "and/with" after `name`: 과 after a final consonant, 와 after a vowel, as the
/// name is read aloud. Hangul by its last syllable, digits as read in Korean, Latin names by
/// their last letters (an acronym of up to four capitals by the letters' names: M, N, L and R
/// end in a consonant). Anything else gets both, as Korean interfaces write it.
fn and_particle(name: &str) -> &'static str {
    let last_word = name
        .split(|c: char| !c.is_alphanumeric())
        .rfind(|w| !w.is_empty())
        .unwrap_or_default();
    let Some(last) = last_word.chars().last() else {
        return "와(과)";
    };
    let consonant = match last {
        '가'..='힣' => (u32::from(last) - 0xAC00) % 28 != 0,
        '0' | '1' | '3' | '6' | '7' | '8' => true,
        '2' | '4' | '5' | '9' => false,
        c if c.is_ascii_alphabetic() => {
            let acronym = last_word.len() <= 4 && last_word.chars().all(|c| c.is_ascii_uppercase());
            let lower = last_word.to_ascii_lowercase();
            if acronym {
                matches!(last, 'M' | 'N' | 'L' | 'R')
            } else {
                lower.ends_with('m')
                    || lower.ends_with('n')
                    || lower.ends_with('l')
                    || lower.ends_with("ng")
            }
        }
        _ => return "와(과)",
    };
    if consonant { "과" } else { "와" }
}

/// The answer for a found artist.
fn found(artist: &Value) -> Value {
    let name = artist["name"].as_str().unwrap_or_default();
    let genres = genres_of(artist);
    let about = if genres.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({genres})")
    };
    let cards: Vec<Value> = artist["relatedArtists"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| !tracks_of(&r["artist"]).is_empty())
        .take(limits::CAROUSEL_CARDS)
        .map(|r| {
            let a = &r["artist"];
            let similarity = r["similarity"].as_f64().unwrap_or(0.0);
            let header = format!(
                "{} · {:.0}%",
                a["name"].as_str().unwrap_or_default(),
                similarity * 100.0
            );
            list_card(a, &header)
        })
        .collect();
    if cards.is_empty() {
        // No audio features, so no neighbours: list the artist's own tracks, if any.
        let own = tracks_of(artist);
        let line = format!("{about}: 오디오 특징이 없어 비슷한 아티스트를 찾지 못했어요.");
        return if own.is_empty() {
            response(vec![text(&line)], None)
        } else {
            response(
                vec![text(&line), json!({ "listCard": list_card(artist, name) })],
                None,
            )
        };
    }
    let line = format!(
        "{name}{} 비슷한 음악의 아티스트 {}팀과 대표곡이에요.{}",
        and_particle(name),
        cards.len(),
        if genres.is_empty() {
            String::new()
        } else {
            format!(" ({name}: {genres})")
        },
    );
    response(
        vec![
            text(&line),
            json!({ "carousel": { "type": "listCard", "items": cards } }),
        ],
        None,
    )
}

/// The answer for a name that is not in the catalogue.
fn not_found(asked: &str, suggestions: &[String]) -> Value {
    let line = if suggestions.is_empty() {
        format!("'{asked}'에 맞는 아티스트가 카탈로그에 없어요.")
    } else {
        format!(
            "'{asked}'에 맞는 아티스트를 찾지 못했어요. 혹시 이 중에 있나요? {}",
            suggestions.join(", ")
        )
    };
    response(vec![text(&line)], Some(quick_replies(suggestions)))
}

/// Runs the query for one name; `None` when nothing matches it.
async fn look_up(state: &GraphqlState, name: &str) -> Result<Option<Value>, String> {
    let request =
        async_graphql::Request::new(QUERY).variables(async_graphql::Variables::from_json(
            json!({ "q": name, "cards": limits::CAROUSEL_CARDS, "items": limits::LIST_ITEMS }),
        ));
    let response = state.schema.execute(request).await;
    if let Some(e) = response.errors.first() {
        return Err(e.message.clone());
    }
    let data = response.data.into_json().map_err(|e| e.to_string())?;
    Ok(data["searchArtists"]
        .as_array()
        .and_then(|a| a.first())
        .cloned())
}

/// The answer to a request for `asked`, and whether it depends on `asked` only through its
/// search key (the whole request named the artist, so every spelling that folds alike gets
/// the same answer).
async fn answer(state: &GraphqlState, names: &Names, asked: &str) -> Result<(Value, bool), String> {
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
    for (i, name) in tries.iter().enumerate() {
        if let Some(artist) = look_up(state, name).await? {
            return Ok((found(&artist), i == 0));
        }
    }
    let all = names.get(state).await.map_err(|e| e.to_string())?;
    Ok((not_found(asked, &closest(&all, &tries, SUGGESTIONS)), false))
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

async fn kakao(
    state: web::Data<GraphqlState>,
    names: web::Data<Names>,
    payload: web::Payload,
) -> HttpResponse {
    if !state.chatbot {
        return HttpResponse::NotFound().finish();
    }
    let started = Instant::now();
    let body = match crate::http::read_body(payload, state.max_body_bytes).await {
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
    let work = answer(&state, &names, &asked);
    let result = match tokio::time::timeout(state.request_timeout, work).await {
        Ok(r) => r,
        Err(_) => Err("the answer took longer than the request timeout".to_owned()),
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
        Err(reason) => {
            tracing::warn!(error = %reason, "the chatbot could not answer");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_artist_parameter_wins_over_the_utterance() {
        let body = br#"{"userRequest":{"utterance":"music like BTS"},"action":{"params":{"artist":" Black Pink "}}}"#;
        assert_eq!(asked(body).as_deref(), Ok("Black Pink"));
        let body = br#"{"userRequest":{"utterance":" bts "},"action":{"params":{"artist":""}}}"#;
        assert_eq!(asked(body).as_deref(), Ok("bts"));
    }

    #[test]
    fn payloads_that_are_not_skill_payloads_are_refused_with_a_reason() {
        for (body, says) in [
            (&b"{"[..], "not JSON"),
            (b"[]", "not a Kakao skill payload"),
            (b"{}", "userRequest"),
            (br#"{"userRequest":{}}"#, "utterance"),
            (
                br#"{"userRequest":{"utterance":5}}"#,
                "userRequest.utterance: invalid type",
            ),
        ] {
            let reason = asked(body).err().unwrap_or_default();
            assert!(reason.contains(says), "{reason}");
        }
    }

    #[test]
    fn requests_for_music_are_tried_without_the_asking_words() {
        assert_eq!(
            candidates("BTS 같은 노래 추천해줘"),
            ["BTS 같은 노래 추천해줘", "BTS"]
        );
        assert_eq!(
            candidates("music like Black Pink"),
            ["music like Black Pink", "Black Pink", "Black", "Pink"]
        );
        assert_eq!(
            candidates("아이유랑 비슷한 가수"),
            ["아이유랑 비슷한 가수", "아이유"]
        );
        assert_eq!(candidates("IU"), ["IU"]);
    }

    #[test]
    fn the_closest_names_are_the_most_similar_then_the_most_popular() {
        let names: Vec<(String, String)> = ["BLACKPINK", "Black Sabbath", "BTS", "Blackbear"]
            .iter()
            .map(|n| (search_key(n), (*n).to_owned()))
            .collect();
        assert_eq!(
            closest(&names, &["blakpink".into()], 2),
            ["BLACKPINK", "Blackbear"]
        );
    }

    #[test]
    fn a_list_item_keeps_the_year_of_a_long_album_name() {
        let track = json!({
            "id": "5xTtaWoae3wi06K5WfVUUH",
            "name": "Our Song",
            "album": { "name": "Taylor Swift (Big Machine Radio Release Special)", "releaseYear": 2006 },
        });
        let item = list_item(&track);
        let description = item["description"].as_str().unwrap_or_default();
        assert!(description.ends_with("… · 2006"), "{description}");
        assert!(description.chars().count() <= TITLE_CHARS, "{description}");
        assert_eq!(
            item["link"]["web"],
            "https://open.spotify.com/track/5xTtaWoae3wi06K5WfVUUH"
        );
        let derived = list_item(&json!({ "id": "tr-1", "name": "x", "album": {} }));
        assert!(derived.get("link").is_none(), "{derived}");
    }

    #[test]
    fn the_particle_follows_how_the_name_ends() {
        for (name, particle) in [
            ("BTS", "와"),
            ("BLACKPINK", "와"),
            ("아이유", "와"),
            ("방탄소년단", "과"),
            ("Queen", "과"),
            ("Eminem", "과"),
            ("Adele", "와"),
            ("Taylor Swift", "와"),
            ("Imagine Dragons", "와"),
            ("EXO-L", "과"),
            ("Blink-182", "와"),
            ("Maroon 5", "와"),
            ("Sting", "과"),
            ("♥", "와(과)"),
        ] {
            assert_eq!(and_particle(name), particle, "{name}");
        }
    }

    #[test]
    fn long_titles_are_cut_with_an_ellipsis() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("방탄소년단", 5), "방탄소년단");
    }
}
