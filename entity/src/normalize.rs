//! Folding of names for search and identity, and the ids derived for entities a source names
//! but does not identify.
//!
//! These functions decide identity across runs: changing what they return for an input changes
//! ids and search keys of data already stored, so they are pinned by tests.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Compatibility forms made plain, accents dropped, Hangul recomposed, lower case.
fn plain(name: &str) -> String {
    name.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .flat_map(char::to_lowercase)
        .collect()
}

/// Folds a name into its search key: compatibility forms made plain (full-width `ＢＴＳ` is `bts`),
/// accents dropped (`Beyoncé` is `beyonce`), lower case, and everything but letters and digits
/// removed, so that spacing and punctuation variants meet (`Black Pink`, `BLACKPINK`,
/// `black-pink` all fold to `blackpink`). Hangul is decomposed and recomposed, so Korean
/// syllables survive intact. A name made only of symbols (`♥`) keeps its symbols, so that it can
/// still be found.
pub fn search_key(name: &str) -> String {
    let plain = plain(name);
    let compact: String = plain.chars().filter(|c| c.is_alphanumeric()).collect();
    if compact.is_empty() {
        plain.chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        compact
    }
}

/// The words of a name, each folded like [`search_key`], in order; joined they are the name's
/// search key. A name made only of symbols is one word, its key.
pub fn search_words(name: &str) -> Vec<String> {
    let words: Vec<String> = plain(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        let key = search_key(name);
        return if key.is_empty() {
            Vec::new()
        } else {
            vec![key]
        };
    }
    words
}

/// Folds a genre label into the genre's id: lower case, accents dropped, runs of white space
/// made one space. Punctuation stays, because it tells genres apart (`r&b`, `k-pop`).
pub fn genre_id(label: &str) -> String {
    let folded: String = label
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A display name as stored: trimmed and in Unicode normal form C, so that the same name typed
/// with composed or decomposed accents is one name.
pub fn clean_name(name: &str) -> String {
    name.trim().nfc().collect()
}

/// The id of an artist known only by name. Same name, same id, in every run and every release:
/// a SHA-256 of the cleaned name. The `-` cannot occur in a Spotify id, so a derived id never
/// collides with a real one.
pub fn derived_artist_id(name: &str) -> String {
    derived_id("ar", &[&clean_name(name)])
}

/// The id of an album known only by its name and main artist.
pub fn derived_album_id(artist_name: &str, album_name: &str) -> String {
    derived_id("al", &[&clean_name(artist_name), &clean_name(album_name)])
}

/// Whether `id` was derived from a name (`ar-…`, `al-…`) rather than given by a source.
pub fn is_derived_id(id: &str) -> bool {
    id.len() > 3 && id.as_bytes()[2] == b'-' && (id.starts_with("ar-") || id.starts_with("al-"))
}

fn derived_id(kind: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    for part in parts {
        hasher.update([0u8]);
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    format!("{kind}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_ignore_case_accents_width_spacing_and_punctuation() {
        assert_eq!(search_key("BTS"), "bts");
        assert_eq!(search_key("ＢＴＳ"), "bts");
        assert_eq!(search_key("Beyoncé"), "beyonce");
        assert_eq!(search_key("Black Pink"), "blackpink");
        assert_eq!(search_key("BLACKPINK"), "blackpink");
        assert_eq!(search_key("AC/DC"), "acdc");
        assert_eq!(search_key("Sigur Rós"), "sigurros");
    }

    #[test]
    fn search_keys_keep_korean_syllables_whole() {
        assert_eq!(search_key("방탄소년단"), "방탄소년단");
        assert_eq!(search_key("블랙 핑크"), "블랙핑크");
    }

    #[test]
    fn the_words_of_a_name_join_into_its_search_key() {
        for name in [
            "Taylor Swift",
            "AC/DC",
            "Beyoncé",
            "블랙 핑크",
            "♥ ♥",
            "Guns N' Roses",
            "  ",
        ] {
            assert_eq!(search_words(name).concat(), search_key(name), "{name}");
        }
        assert_eq!(search_words("Taylor Swift"), ["taylor", "swift"]);
        assert_eq!(search_words("Guns N' Roses"), ["guns", "n", "roses"]);
    }

    #[test]
    fn search_keys_of_names_made_of_symbols_keep_the_symbols() {
        assert_eq!(search_key("♥ ♥"), "♥♥");
    }

    #[test]
    fn genre_ids_fold_case_and_spacing_but_keep_punctuation() {
        assert_eq!(genre_id("  Dance   Pop "), "dance pop");
        assert_eq!(genre_id("R&B"), "r&b");
        assert_eq!(genre_id("K-Pop"), "k-pop");
    }

    #[test]
    fn derived_ids_are_stable_and_distinct_from_spotify_ids() {
        let bts = derived_artist_id("BTS");
        assert_eq!(bts, derived_artist_id(" BTS "));
        assert_eq!(bts, "ar-f9572d4d27999d61a2cd");
        assert_ne!(bts, derived_artist_id("bts"));
        assert_ne!(
            derived_album_id("BTS", "MAP OF THE SOUL : 7"),
            derived_album_id("BLACKPINK", "MAP OF THE SOUL : 7")
        );
    }

    #[test]
    fn decomposed_and_composed_accents_make_one_name() {
        assert_eq!(clean_name("Beyonce\u{301}"), clean_name("Beyoncé"));
        assert_eq!(
            derived_artist_id("Beyonce\u{301}"),
            derived_artist_id("Beyoncé")
        );
    }
}
