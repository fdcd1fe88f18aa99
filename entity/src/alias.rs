//! The vocabulary of artist aliases shared by the loader and the API: the sources that give
//! them, in the order their word counts when two disagree, the kind of alias that exists only
//! to be searched, and what a locale may look like.

/// Where an alias came from (`artist_aliases.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// An operator's own list (`import-aliases`); also the bundled sample's aliases.
    List,
    /// A MusicBrainz dump (`import-musicbrainz`).
    MusicBrainz,
    /// A name a Spotify load was seeded with that resolved to the artist.
    SpotifySeed,
}

impl Source {
    /// Every source, the one whose primary names win first.
    pub const BY_PRECEDENCE: [Source; 3] = [Source::List, Source::MusicBrainz, Source::SpotifySeed];

    /// What the column stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::List => "list",
            Source::MusicBrainz => "musicbrainz",
            Source::SpotifySeed => "spotify-seed",
        }
    }

    /// The source a stored value names; `None` for one this release does not know.
    pub fn parse(stored: &str) -> Option<Source> {
        Self::BY_PRECEDENCE
            .into_iter()
            .find(|s| s.as_str() == stored)
    }

    /// Rank in precedence: lower wins.
    pub fn precedence(stored: &str) -> usize {
        Self::parse(stored)
            .and_then(|s| Self::BY_PRECEDENCE.iter().position(|p| *p == s))
            .unwrap_or(Self::BY_PRECEDENCE.len())
    }
}

/// The kind of alias that is a search key only (a common misspelling or a shorthand): found
/// by search, never shown as a name.
pub const SEARCH_HINT: &str = "Search hint";

/// The longest locale stored.
pub const MAX_LOCALE_CHARS: usize = 16;

/// A locale as stored: a language code of two or three lower-case letters, then optional
/// `_`-separated subtags of letters and digits (`ko`, `en_US`, `zh_Hant`); `-` is read as
/// `_`. `None` when `raw` is not one.
pub fn locale(raw: &str) -> Option<String> {
    let raw = raw.trim().replace('-', "_");
    let mut parts = raw.split('_');
    let language = parts.next()?;
    let language_ok =
        (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    (language_ok && rest_ok && raw.len() <= MAX_LOCALE_CHARS).then_some(raw)
}

/// The language of a stored locale (`ko_KR` → `ko`).
pub fn language(locale: &str) -> &str {
    locale.split('_').next().unwrap_or(locale)
}

/// The locale a name's script implies, where one script belongs to one language: Hangul is
/// Korean, kana Japanese. Names in Latin or Han script (shared by several languages) get none.
pub fn locale_of_script(name: &str) -> Option<&'static str> {
    let hangul = |c: char| matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}');
    let kana = |c: char| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}');
    if name.chars().any(hangul) {
        Some("ko")
    } else if name.chars().any(kana) {
        Some("ja")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_language_codes_with_optional_subtags() {
        assert_eq!(locale("ko").as_deref(), Some("ko"));
        assert_eq!(locale("en-US").as_deref(), Some("en_US"));
        assert_eq!(locale("zh_Hant").as_deref(), Some("zh_Hant"));
        assert_eq!(locale("Korean"), None);
        assert_eq!(locale(""), None);
        assert_eq!(locale("ko_"), None);
        assert_eq!(language("ko_KR"), "ko");
    }

    #[test]
    fn hangul_names_are_korean_and_kana_names_japanese() {
        assert_eq!(locale_of_script("방탄소년단"), Some("ko"));
        assert_eq!(locale_of_script("ぼうだんしょうねんだん"), Some("ja"));
        assert_eq!(locale_of_script("防弾少年団"), None);
        assert_eq!(locale_of_script("BTS"), None);
    }

    #[test]
    fn list_aliases_outrank_musicbrainz_and_seeds() {
        assert!(Source::precedence("list") < Source::precedence("musicbrainz"));
        assert!(Source::precedence("musicbrainz") < Source::precedence("spotify-seed"));
        assert_eq!(Source::precedence("other"), 3);
    }
}
