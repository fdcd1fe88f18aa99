//! The Kakao i Open Builder skill webhook, against the real server on SQLite and MariaDB: the
//! artist found by its name's variants, the answer's shape within Kakao's limits and its
//! agreement with the GraphQL API, the closest names for an unknown artist, and refusals.

use anyhow::{Result, ensure};
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, backend_tests, fixture, import, import_sample};

/// A skill payload as Open Builder sends it, with the utterance and, when given, the block's
/// `artist` parameter.
fn payload(utterance: &str, artist: Option<&str>) -> Value {
    let params = artist.map_or_else(|| json!({}), |a| json!({ "artist": a }));
    json!({
        "intent": { "id": "block-1", "name": "music like" },
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": { "ignoreMe": "true" },
            "block": { "id": "block-1", "name": "music like" },
            "utterance": utterance,
            "lang": "ko",
            "user": { "id": "user-1", "type": "accountId", "properties": {} }
        },
        "bot": { "id": "bot-1", "name": "Sixpotify" },
        "action": {
            "name": "sixpotify",
            "clientExtra": null,
            "params": params,
            "id": "action-1",
            "detailParams": {}
        }
    })
}

async fn post(app: &TestApp, body: Vec<u8>) -> Result<(u16, Value)> {
    let res = app
        .client
        .post(format!("{}/chatbot/kakao", app.base))
        .header("content-type", "application/json;charset=UTF-8")
        .body(body)
        .send()
        .await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    let value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{e}: {text}"))?;
    Ok((status, value))
}

async fn ask(app: &TestApp, utterance: &str, artist: Option<&str>) -> Result<Value> {
    let (status, answer) = post(app, payload(utterance, artist).to_string().into_bytes()).await?;
    ensure!(status == 200, "HTTP {status}: {answer}");
    check_limits(&answer)?;
    Ok(answer)
}

/// Version 2.0, at most 3 outputs, 10 carousel cards, 5 list items and 2 buttons per card,
/// 10 quick replies, texts of at most 1,000 characters.
fn check_limits(answer: &Value) -> Result<()> {
    ensure!(answer["version"] == "2.0", "{answer}");
    let outputs = answer["template"]["outputs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!((1..=3).contains(&outputs.len()), "outputs: {answer}");
    for output in &outputs {
        if let Some(text) = output["simpleText"]["text"].as_str() {
            ensure!(!text.is_empty() && text.chars().count() <= 1000, "{text}");
        }
        if let Some(carousel) = output.get("carousel") {
            ensure!(carousel["type"] == "listCard", "{carousel}");
            let cards = carousel["items"].as_array().cloned().unwrap_or_default();
            ensure!((1..=10).contains(&cards.len()), "cards: {carousel}");
            for card in &cards {
                check_card(card)?;
            }
        }
        if let Some(card) = output.get("listCard") {
            check_card(card)?;
        }
    }
    let quick = answer["template"]["quickReplies"]
        .as_array()
        .map_or(0, Vec::len);
    ensure!(quick <= 10, "quick replies: {answer}");
    Ok(())
}

fn check_card(card: &Value) -> Result<()> {
    ensure!(
        card["header"]["title"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{card}"
    );
    let items = card["items"].as_array().map_or(0, Vec::len);
    ensure!((1..=5).contains(&items), "items: {card}");
    let buttons = card["buttons"].as_array().map_or(0, Vec::len);
    ensure!(buttons <= 2, "buttons: {card}");
    Ok(())
}

fn first_text(answer: &Value) -> String {
    answer["template"]["outputs"][0]["simpleText"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn cards(answer: &Value) -> Vec<Value> {
    answer["template"]["outputs"][1]["carousel"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn loaded(db: &sixpotify_tests::TestDb) -> Result<TestApp> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    import(&conn, fixture("korean.csv")).await?;
    // No poll of the data version during a test: the first (which builds the index) is over
    // once ready.
    let app = TestApp::spawn_with(db, |s| {
        s.poll_interval = std::time::Duration::from_secs(3600)
    })
    .await?;
    app.ready().await?;
    Ok(app)
}

async fn variants_of_a_name_find_the_artist_and_its_related_artists(db: TestDb) -> Result<()> {
    let app = loaded(&db).await?;
    for (utterance, param, artist) in [
        ("bts", None, "BTS"),
        ("BTS", None, "BTS"),
        ("b.t.s", None, "BTS"),
        ("BTS 같은 노래 추천해줘", None, "BTS"),
        ("Black Pink", None, "BLACKPINK"),
        ("blackpink", None, "BLACKPINK"),
        ("music like black-pink", None, "BLACKPINK"),
        ("비슷한 음악 찾아줘", Some("Black Pink"), "BLACKPINK"),
        ("아이 유", None, "아이유"),
        ("아이유랑 비슷한 가수", None, "아이유"),
        ("방탄소년단", None, "BTS"),
        ("방탄소년단 노래 추천해줘", None, "BTS"),
        ("방탄소년딘", None, "BTS"),
        ("방탄소년다", None, "BTS"),
        ("ㅂㅌㅅㄴㄷ", None, "BTS"),
        ("블랙 핑크", None, "BLACKPINK"),
        ("블랙핑크랑 비슷한 가수", None, "BLACKPINK"),
        ("blakpink", None, "BLACKPINK"),
    ] {
        let answer = ask(&app, utterance, param).await?;
        let text = first_text(&answer);
        ensure!(text.starts_with(artist), "{utterance:?} answered {text:?}");
        ensure!(
            !cards(&answer).is_empty(),
            "{utterance:?}: no carousel in {answer}"
        );
    }
    Ok(())
}

async fn each_card_is_a_related_artist_listing_its_most_popular_tracks(db: TestDb) -> Result<()> {
    let app = loaded(&db).await?;
    let answer = ask(&app, "bts", None).await?;
    let data = app.data("{ searchArtists(query: \"bts\", first: 1) { name relatedArtists(first: 10) { sharedPlaylists artist { name tracks(first: 5) { edges { node { name } } } } } } }").await?;
    let related = data["searchArtists"][0]["relatedArtists"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cards = cards(&answer);
    ensure!(
        cards.len() == related.len().min(10),
        "{} cards for {} related artists",
        cards.len(),
        related.len()
    );
    ensure!(
        related
            .iter()
            .any(|r| r["sharedPlaylists"].as_i64() > Some(0)),
        "BTS shares playlists with its related artists: {related:?}"
    );
    for (card, r) in cards.iter().zip(&related) {
        let name = r["artist"]["name"].as_str().unwrap_or_default();
        let title = card["header"]["title"].as_str().unwrap_or_default();
        let shared = r["sharedPlaylists"].as_i64().unwrap_or_default();
        ensure!(
            (shared > 0) == title.ends_with(&format!("함께 담긴 플레이리스트 {shared}개")),
            "{title}: {shared} shared playlists"
        );
        ensure!(
            title.starts_with(name)
                || title.starts_with(&name.chars().take(20).collect::<String>()),
            "{title} is not {name}"
        );
        let expected: Vec<&str> = r["artist"]["tracks"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["node"]["name"].as_str())
            .collect();
        let listed: Vec<&str> = card["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["title"].as_str())
            .collect();
        ensure!(
            listed.len() == expected.len(),
            "{name}: {listed:?} vs {expected:?}"
        );
        for (l, e) in listed.iter().zip(&expected) {
            ensure!(
                e.starts_with(l.trim_end_matches('…')),
                "{name}: {l} is not {e}"
            );
        }
        ensure!(card["buttons"][0]["messageText"] == name, "{card}");
    }
    let link = cards[0]["items"][0]["link"]["web"]
        .as_str()
        .unwrap_or_default();
    ensure!(
        link.starts_with("https://open.spotify.com/track/"),
        "{link}"
    );
    Ok(())
}

async fn an_unknown_artist_gets_the_names_search_finds_nearby_as_quick_replies(
    db: TestDb,
) -> Result<()> {
    let app = loaded(&db).await?;
    let quick_replies = |answer: &Value| -> Vec<String> {
        answer["template"]["quickReplies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|q| q["messageText"].as_str().map(str::to_owned))
            .collect()
    };
    // Two typos: no match, but BLACKPINK is what was meant.
    let answer = ask(&app, "blakpinc", None).await?;
    let text = first_text(&answer);
    ensure!(text.contains("BLACKPINK"), "{text}");
    ensure!(
        answer["template"]["outputs"].as_array().map_or(0, Vec::len) == 1,
        "{answer}"
    );
    let quick = quick_replies(&answer);
    ensure!(
        quick.first().map(String::as_str) == Some("BLACKPINK"),
        "{quick:?}"
    );
    // A suggestion asked for finds the artist.
    let answer = ask(&app, &quick[0], None).await?;
    ensure!(first_text(&answer).starts_with("BLACKPINK"), "{answer}");
    // Hangul two edits from an alias is suggested by the alias, never by a Latin name.
    let answer = ask(&app, "방탄소년다안", None).await?;
    let quick = quick_replies(&answer);
    ensure!(
        quick.first().map(String::as_str) == Some("방탄소년단"),
        "{quick:?}"
    );
    for q in ["빅뱅뱅", "레드벨벳벳벳", "지드래곤"] {
        let answer = ask(&app, q, None).await?;
        for name in quick_replies(&answer) {
            ensure!(
                !name.chars().any(|c| c.is_ascii_alphabetic()),
                "{q:?} suggested the Latin name {name:?}"
            );
        }
    }
    // Nothing near at all: said so, with nothing to pick.
    let answer = ask(&app, "zzqx wvvk", None).await?;
    ensure!(quick_replies(&answer).is_empty(), "{answer}");
    ensure!(
        first_text(&answer).contains("카탈로그에 없어요"),
        "{answer}"
    );
    // No name at all asks for one.
    let answer = ask(&app, "  ", None).await?;
    ensure!(first_text(&answer).contains("아티스트 이름"), "{answer}");
    Ok(())
}

async fn malformed_payloads_get_400_with_a_reason(db: TestDb) -> Result<()> {
    let app = loaded(&db).await?;
    for (body, says) in [
        (b"{\"userRequest\":".to_vec(), "not JSON"),
        (b"hello".to_vec(), "not JSON"),
        (b"[]".to_vec(), "not a Kakao skill payload"),
        (b"{}".to_vec(), "userRequest"),
        (
            br#"{"userRequest":{"utterance":null}}"#.to_vec(),
            "utterance",
        ),
        (
            br#"{"userRequest":{"utterance":"bts"},"action":{"params":[]}}"#.to_vec(),
            "not a Kakao skill payload",
        ),
        (b"\xff\xfe".to_vec(), "not JSON"),
    ] {
        let (status, answer) = post(&app, body.clone()).await?;
        ensure!(
            status == 400,
            "{}: HTTP {status}",
            String::from_utf8_lossy(&body)
        );
        ensure!(answer["error"]["code"] == "BAD_SKILL_PAYLOAD", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        ensure!(message.contains(says), "{message}");
    }
    let huge = payload(&"a".repeat(300 * 1024), None)
        .to_string()
        .into_bytes();
    let (status, answer) = post(&app, huge).await?;
    ensure!(status == 413, "HTTP {status}: {answer}");
    let get = app
        .client
        .get(format!("{}/chatbot/kakao", app.base))
        .send()
        .await?;
    ensure!(
        get.status().as_u16() == 404 || get.status().as_u16() == 405,
        "GET: {}",
        get.status()
    );
    Ok(())
}

async fn a_repeated_question_is_answered_from_the_cache_until_the_data_changes(
    db: TestDb,
) -> Result<()> {
    let app = loaded(&db).await?;
    let first = ask(&app, "Black Pink", None).await?;
    let before = app.statements.get();
    let again = ask(&app, "Black Pink", None).await?;
    ensure!(first == again, "answers differ");
    // Another spelling of the same name shares the entry.
    let folded = ask(&app, "blackpink", None).await?;
    ensure!(first == folded, "answers differ");
    ensure!(
        app.statements.get() == before,
        "the repeats ran {} statements",
        app.statements.get() - before
    );
    Ok(())
}

backend_tests!(
    variants_of_a_name_find_the_artist_and_its_related_artists,
    each_card_is_a_related_artist_listing_its_most_popular_tracks,
    an_unknown_artist_gets_the_names_search_finds_nearby_as_quick_replies,
    malformed_payloads_get_400_with_a_reason,
    a_repeated_question_is_answered_from_the_cache_until_the_data_changes
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_can_be_turned_off_and_keeps_the_api_keys() -> Result<()> {
    let db = sixpotify_tests::TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let off = TestApp::spawn_with(&db, |s| s.chatbot = false).await?;
    let res = off
        .client
        .post(format!("{}/chatbot/kakao", off.base))
        .json(&payload("bts", None))
        .send()
        .await?;
    ensure!(
        res.status().as_u16() == 404,
        "HTTP {} with the webhook off",
        res.status()
    );

    let key = "kakao-skill-key-0123456789";
    let keyed = TestApp::spawn_with(&db, |s| s.api_keys = vec![key.parse().unwrap()]).await?;
    let res = keyed
        .client
        .post(format!("{}/chatbot/kakao", keyed.base))
        .json(&payload("bts", None))
        .send()
        .await?;
    ensure!(
        res.status().as_u16() == 401,
        "without a key: {}",
        res.status()
    );
    let res = keyed
        .client
        .post(format!("{}/chatbot/kakao", keyed.base))
        .header("x-api-key", key)
        .json(&payload("bts", None))
        .send()
        .await?;
    ensure!(
        res.status().as_u16() == 200,
        "with the key: {}",
        res.status()
    );
    Ok(())
}
