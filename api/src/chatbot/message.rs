//! Reading a message: the skill payload Kakao posts, what it asks for, and the names to try.

use entity::normalize::search_key;
use serde::Deserialize;
use serde_json::Value;

/// The longest name looked up; the rest of a longer utterance is ignored.
const QUERY_CHARS: usize = 200;

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
pub fn asked(body: &[u8]) -> Result<String, String> {
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
pub fn candidates(asked: &str) -> Vec<String> {
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
}
