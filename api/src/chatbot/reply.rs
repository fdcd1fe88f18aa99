//! Building Kakao's reply: a skill response 2.0 within Kakao's limits, from the artist found.

use serde_json::{Value, json};

use super::limits;
use super::lookup::{FoundArtist, ListedArtist, ListedTrack};

/// Characters of a list card's header and of an item's title and description: longer ones are
/// cut with an ellipsis rather than left to the client.
const TITLE_CHARS: usize = 40;
/// Characters of a quick reply's or a button's label.
const LABEL_CHARS: usize = 14;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

pub fn text(s: &str) -> Value {
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
pub fn response(outputs: Vec<Value>, quick: Option<Value>) -> Value {
    let mut template =
        json!({ "outputs": outputs.into_iter().take(limits::OUTPUTS).collect::<Vec<_>>() });
    if let Some(q) = quick.filter(|q| q.as_array().is_some_and(|a| !a.is_empty())) {
        template["quickReplies"] = q;
    }
    json!({ "version": "2.0", "template": template })
}

/// An artist's tracks to list: its top tracks in Korea when they were loaded from Spotify, its
/// most popular tracks in the catalog otherwise.
fn tracks_of(artist: &ListedArtist) -> Vec<&ListedTrack> {
    if !artist.top_tracks.is_empty() {
        return artist.top_tracks.iter().take(limits::LIST_ITEMS).collect();
    }
    artist
        .tracks
        .edges
        .iter()
        .map(|e| &e.node)
        .take(limits::LIST_ITEMS)
        .collect()
}

/// A Spotify id: 22 base-62 characters.
fn is_spotify_id(id: &str) -> bool {
    id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn list_item(track: &ListedTrack) -> Value {
    let name = track.name.as_deref().unwrap_or("(untitled)");
    let album = track.album.clone().unwrap_or_default();
    // The album's name is cut so that its year always shows.
    let description = match (album.name.as_deref(), album.release_year) {
        (Some(a), Some(y)) => format!("{} · {y}", cut(a, TITLE_CHARS - 7)),
        (Some(a), None) => cut(a, TITLE_CHARS),
        (None, Some(y)) => y.to_string(),
        (None, None) => String::new(),
    };
    let mut item = json!({ "title": cut(name, TITLE_CHARS), "description": description });
    if let Some(url) = album.image_url.filter(|u| u.starts_with("https://")) {
        item["imageUrl"] = json!(url);
    }
    if is_spotify_id(&track.id) {
        item["link"] = json!({ "web": format!("https://open.spotify.com/track/{}", track.id) });
    }
    item
}

/// One list card: the artist as header, its tracks as items, and a button that asks the bot
/// about that artist next.
fn list_card(artist: &ListedArtist, header: &str) -> Value {
    let name = artist.name.as_str();
    let items: Vec<Value> = tracks_of(artist).into_iter().map(list_item).collect();
    let mut buttons = vec![json!({
        "label": "비슷한 음악",
        "action": "message",
        "messageText": name,
    })];
    if is_spotify_id(&artist.id) {
        buttons.push(json!({
            "label": "Spotify",
            "action": "webLink",
            "webLinkUrl": format!("https://open.spotify.com/artist/{}", artist.id),
        }));
    }
    buttons.truncate(limits::LIST_BUTTONS);
    json!({ "header": { "title": cut(header, TITLE_CHARS) }, "items": items, "buttons": buttons })
}

fn genres_of(artist: &ListedArtist) -> String {
    artist
        .genres
        .iter()
        .map(|g| g.name.as_str())
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
pub fn found(found: &FoundArtist) -> Value {
    let artist = &found.artist;
    let name = artist.name.as_str();
    let genres = genres_of(artist);
    let about = if genres.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({genres})")
    };
    let cards: Vec<Value> = found
        .related_artists
        .iter()
        .filter(|r| !tracks_of(&r.artist).is_empty())
        .take(limits::CAROUSEL_CARDS)
        .map(|r| {
            let header = if r.shared_playlists > 0 {
                format!(
                    "{} · 함께 담긴 플레이리스트 {}개",
                    r.artist.name, r.shared_playlists
                )
            } else {
                let audio = r.audio_similarity.unwrap_or(r.similarity);
                format!("{} · {:.0}%", r.artist.name, audio * 100.0)
            };
            list_card(&r.artist, &header)
        })
        .collect();
    if cards.is_empty() {
        // No audio features and no playlists, so no neighbours: list the artist's own tracks,
        // if any.
        let own = tracks_of(artist);
        let line = format!(
            "{about}: 오디오 특징도, 함께 담긴 플레이리스트도 없어 비슷한 아티스트를 찾지 못했어요."
        );
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

/// The answer for a name that is not in the catalog.
pub fn not_found(asked: &str, suggestions: &[String]) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_item_keeps_the_year_of_a_long_album_name() {
        let track = ListedTrack {
            id: "5xTtaWoae3wi06K5WfVUUH".into(),
            name: Some("Our Song".into()),
            album: Some(super::super::lookup::ListedAlbum {
                name: Some("Taylor Swift (Big Machine Radio Release Special)".into()),
                release_year: Some(2006),
                image_url: None,
            }),
        };
        let item = list_item(&track);
        let description = item["description"].as_str().unwrap_or_default();
        assert!(description.ends_with("… · 2006"), "{description}");
        assert!(description.chars().count() <= TITLE_CHARS, "{description}");
        assert_eq!(
            item["link"]["web"],
            "https://open.spotify.com/track/5xTtaWoae3wi06K5WfVUUH"
        );
        let derived = list_item(&ListedTrack {
            id: "tr-1".into(),
            ..Default::default()
        });
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
