//! The forms of a search key the name index works on, so that Hangul is searched the way
//! Korean is typed: syllables decomposed into their jamo (a partial last syllable is then a
//! prefix, and one wrong vowel or consonant one edit), the first consonants of the syllables
//! alone (초성 search), and a last consonant that may yet start the next syllable.

use unicode_normalization::UnicodeNormalization;

/// Leading consonants (choseong) of conjoining jamo.
fn is_leading(c: char) -> bool {
    ('\u{1100}'..='\u{115F}').contains(&c) || ('\u{A960}'..='\u{A97F}').contains(&c)
}

/// Vowels (jungseong) of conjoining jamo.
fn is_vowel(c: char) -> bool {
    ('\u{1160}'..='\u{11A7}').contains(&c) || ('\u{D7B0}'..='\u{D7C6}').contains(&c)
}

/// Trailing consonants (jongseong) of conjoining jamo.
fn is_trailing(c: char) -> bool {
    ('\u{11A8}'..='\u{11FF}').contains(&c) || ('\u{D7CB}'..='\u{D7FB}').contains(&c)
}

/// The form a search key is indexed and looked up in: Hangul syllables decomposed into their
/// conjoining jamo; everything else as the key has it (a search key is already folded and in
/// normal form C, and lone jamo typed as compatibility letters are conjoining jamo in it).
pub fn index_form(search_key: &str) -> String {
    if search_key.is_ascii() {
        return search_key.to_owned();
    }
    search_key.nfd().collect()
}

/// The first consonants of a key's syllables (the key `방탄소년단` gives `ㅂㅌㅅㄴㄷ` as
/// conjoining jamo), other characters kept; `None` for a key without a Hangul syllable.
pub fn initials(form: &str) -> Option<String> {
    let mut chars = form.chars().peekable();
    let mut out = String::with_capacity(form.len());
    let mut syllables = 0;
    while let Some(c) = chars.next() {
        if is_leading(c) && chars.peek().copied().is_some_and(is_vowel) {
            syllables += 1;
        }
        if !is_vowel(c) && !is_trailing(c) {
            out.push(c);
        }
    }
    (syllables > 0).then_some(out)
}

/// Whether a form is made of leading consonants only (`ㅂㅌㅅㄴㄷ`): a search by initials.
pub fn is_initials(form: &str) -> bool {
    !form.is_empty() && form.chars().all(is_leading)
}

/// The trailing consonant at the end of a partly typed query moved to start a syllable of its
/// own, as a Korean keyboard moves it once the next vowel comes (`소녓` on the way to `소녀시대`
/// is `소녀ㅅ`); a double consonant leaves its first half behind (`ㄺ` → `ㄹ` + `ㄱ`). `None` when
/// the form does not end in a trailing consonant.
pub fn last_consonant_moved(form: &str) -> Option<String> {
    let last = form.chars().next_back()?;
    if !is_trailing(last) {
        return None;
    }
    let (kept, moved) = split_trailing(last)?;
    let mut out: String = form[..form.len() - last.len_utf8()].to_owned();
    if let Some(k) = kept {
        out.push(k);
    }
    out.push(moved);
    Some(out)
}

/// A trailing consonant as what stays in its syllable and the leading consonant that moves.
fn split_trailing(t: char) -> Option<(Option<char>, char)> {
    let single = |c: char| Some((None, c));
    match t {
        '\u{11A8}' => single('\u{1100}'),                   // ㄱ
        '\u{11A9}' => single('\u{1101}'),                   // ㄲ
        '\u{11AA}' => Some((Some('\u{11A8}'), '\u{1109}')), // ㄳ
        '\u{11AB}' => single('\u{1102}'),                   // ㄴ
        '\u{11AC}' => Some((Some('\u{11AB}'), '\u{110C}')), // ㄵ
        '\u{11AD}' => Some((Some('\u{11AB}'), '\u{1112}')), // ㄶ
        '\u{11AE}' => single('\u{1103}'),                   // ㄷ
        '\u{11AF}' => single('\u{1105}'),                   // ㄹ
        '\u{11B0}' => Some((Some('\u{11AF}'), '\u{1100}')), // ㄺ
        '\u{11B1}' => Some((Some('\u{11AF}'), '\u{1106}')), // ㄻ
        '\u{11B2}' => Some((Some('\u{11AF}'), '\u{1107}')), // ㄼ
        '\u{11B3}' => Some((Some('\u{11AF}'), '\u{1109}')), // ㄽ
        '\u{11B4}' => Some((Some('\u{11AF}'), '\u{1110}')), // ㄾ
        '\u{11B5}' => Some((Some('\u{11AF}'), '\u{1111}')), // ㄿ
        '\u{11B6}' => Some((Some('\u{11AF}'), '\u{1112}')), // ㅀ
        '\u{11B7}' => single('\u{1106}'),                   // ㅁ
        '\u{11B8}' => single('\u{1107}'),                   // ㅂ
        '\u{11B9}' => Some((Some('\u{11B8}'), '\u{1109}')), // ㅄ
        '\u{11BA}' => single('\u{1109}'),                   // ㅅ
        '\u{11BB}' => single('\u{110A}'),                   // ㅆ
        '\u{11BC}' => single('\u{110B}'),                   // ㅇ
        '\u{11BD}' => single('\u{110C}'),                   // ㅈ
        '\u{11BE}' => single('\u{110E}'),                   // ㅊ
        '\u{11BF}' => single('\u{110F}'),                   // ㅋ
        '\u{11C0}' => single('\u{1110}'),                   // ㅌ
        '\u{11C1}' => single('\u{1111}'),                   // ㅍ
        '\u{11C2}' => single('\u{1112}'),                   // ㅎ
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::normalize::search_key;

    fn form(s: &str) -> String {
        index_form(&search_key(s))
    }

    #[test]
    fn a_partial_last_syllable_is_a_prefix_of_the_whole_name() {
        let whole = form("방탄소년단");
        assert!(whole.starts_with(&form("방탄소년다")));
        assert!(whole.starts_with(&form("방탄소년ㄷ")));
        assert!(!whole.starts_with(&form("방탄소년딘")));
    }

    #[test]
    fn one_wrong_vowel_is_one_character_of_the_form() {
        let (a, b) = (form("방탄소년단"), form("방탄소년딘"));
        assert_eq!(a.chars().count(), b.chars().count());
        let differing = a.chars().zip(b.chars()).filter(|(x, y)| x != y).count();
        assert_eq!(differing, 1);
    }

    #[test]
    fn the_initials_of_a_korean_name_are_what_a_choseong_query_folds_to() {
        assert_eq!(initials(&form("방탄소년단")), Some(form("ㅂㅌㅅㄴㄷ")));
        assert_eq!(initials(&form("블랙 핑크")), Some(form("ㅂㄹㅍㅋ")));
        assert!(is_initials(&form("ㅂㅌㅅㄴㄷ")));
        assert!(!is_initials(&form("방탄")));
        assert_eq!(initials(&form("BTS")), None);
    }

    #[test]
    fn a_last_consonant_may_start_the_next_syllable() {
        assert!(
            form("소녀시대").starts_with(&last_consonant_moved(&form("소녓")).unwrap_or_default())
        );
        assert!(form("달걀").starts_with(&last_consonant_moved(&form("닭")).unwrap_or_default()));
        assert_eq!(last_consonant_moved(&form("소녀")), None);
        assert_eq!(last_consonant_moved("bts"), None);
    }
}
