use super::*;

/// An index of artists: (id, name, popularity, aliases).
fn index(artists: &[(&str, &str, i32, &[&str])]) -> SearchIndex {
    let mut b = SearchIndexBuilder::default();
    for (id, name, popularity, aliases) in artists {
        b.artist(id, name, Some(*popularity));
        for alias in *aliases {
            b.alias(id, alias, Some(*popularity));
        }
    }
    b.build()
}

fn catalog() -> SearchIndex {
    index(&[
        ("bts", "BTS", 90, &["방탄소년단", "Bangtan Boys"]),
        ("bp", "BLACKPINK", 88, &["블랙핑크"]),
        ("bs", "Black Sabbath", 70, &[]),
        ("bb", "Blackbear", 75, &[]),
        ("ts", "Taylor Swift", 95, &[]),
        ("snsd", "Girls' Generation", 60, &["소녀시대"]),
        ("iu", "IU", 85, &["아이유"]),
        ("bt", "Bangtan Tribute Band", 10, &[]),
    ])
}

fn ids(found: &[Match]) -> Vec<&str> {
    found.iter().map(|m| m.id.as_str()).collect()
}

#[test]
fn exact_names_come_before_prefixes_before_words_before_near_misses() {
    let idx = index(&[
        ("a", "Black", 10, &[]),
        ("b", "Blackbird Singers", 90, &[]),
        ("c", "The Black Keys", 95, &[]),
        ("d", "Blick", 99, &[]),
    ]);
    let found = idx.artists("black", 10);
    assert_eq!(ids(&found), ["a", "b", "c", "d"]);
    let tiers: Vec<Tier> = found.iter().map(|m| m.tier).collect();
    assert_eq!(
        tiers,
        [Tier::Exact, Tier::Prefix, Tier::Word, Tier::NearMiss]
    );
}

#[test]
fn popularity_breaks_ties_within_a_tier() {
    let found = catalog().artists("black", 10);
    assert_eq!(ids(&found), ["bp", "bb", "bs"]);
}

#[test]
fn an_alias_finds_its_artist_and_says_it_matched() {
    let found = catalog().artists("방탄소년단", 3);
    assert_eq!(found[0].id, "bts");
    assert_eq!(found[0].tier, Tier::Exact);
    assert_eq!(found[0].alias.as_deref(), Some("방탄소년단"));
    let own = catalog().artists("bts", 1);
    assert_eq!(own[0].alias, None);
}

#[test]
fn a_partial_last_syllable_still_matches() {
    for q in ["방탄소년다", "방탄소년ㄷ", "방탄", "방ㅌ", "소녓"] {
        let found = catalog().artists(q, 1);
        assert!(!found.is_empty(), "{q}");
        assert_eq!(found[0].tier, Tier::Prefix, "{q}");
    }
    assert_eq!(catalog().artists("소녓", 1)[0].id, "snsd");
}

#[test]
fn one_wrong_jamo_is_a_near_miss() {
    let found = catalog().artists("방탄소년딘", 1);
    assert_eq!(ids(&found), ["bts"]);
    assert_eq!(found[0].tier, Tier::NearMiss);
    assert_eq!(ids(&catalog().artists("아이우", 1)), ["iu"]);
}

#[test]
fn initial_consonants_alone_find_korean_names() {
    let found = catalog().artists("ㅂㅌㅅㄴㄷ", 1);
    assert_eq!(ids(&found), ["bts"]);
    assert_eq!(found[0].tier, Tier::Exact);
    assert_eq!(ids(&catalog().artists("ㅅㄴㅅ", 1)), ["snsd"]);
}

#[test]
fn spaces_and_case_do_not_matter() {
    assert_eq!(ids(&catalog().artists("블랙 핑크", 1)), ["bp"]);
    assert_eq!(ids(&catalog().artists("black pink", 1)), ["bp"]);
    assert_eq!(ids(&catalog().artists("  SWIFT ", 1)), ["ts"]);
}

#[test]
fn one_typo_in_five_letters_or_more_still_matches() {
    assert_eq!(ids(&catalog().artists("blakpink", 1)), ["bp"]);
    assert_eq!(ids(&catalog().artists("balckpink", 1)), ["bp"]);
    assert_eq!(ids(&catalog().artists("taylr swift", 1)), ["ts"]);
    // Four letters are too few for a typo to be told from another name.
    assert!(catalog().artists("bxts", 1).is_empty());
}

#[test]
fn a_hangul_query_never_reaches_latin_names_but_through_aliases() {
    for q in ["방탄소년딘", "블랙핑", "ㅂㄹ", "아이유", "빅뱅"] {
        for m in catalog().artists(q, 10) {
            assert!(m.alias.is_some(), "{q} reached {} by its Latin name", m.id);
        }
    }
    assert!(catalog().artists("빅뱅", 10).is_empty());
}

#[test]
fn suggestions_are_two_edits_away_at_most_and_keep_to_the_script() {
    let idx = catalog();
    assert!(idx.artists("blakpinc", 1).is_empty());
    assert_eq!(ids(&idx.artist_suggestions("blakpinc", 3)), ["bp"]);
    for m in idx.artist_suggestions("방탄소년딘딘", 3) {
        assert!(m.alias.is_some());
    }
    assert!(idx.artist_suggestions("zzzzzzzz", 3).is_empty());
}

#[test]
fn a_dense_prefix_is_answered_in_ranking_order() {
    let names: Vec<(String, String, i32)> = (0..names::DENSE * 2)
        .map(|i| (format!("a{i:06}"), format!("Alpha {i}"), (i % 100) as i32))
        .collect();
    let mut b = SearchIndexBuilder::default();
    for (id, name, popularity) in &names {
        b.artist(id, name, Some(*popularity));
    }
    b.artist("w", "The Alpha", Some(100));
    let idx = b.build();
    let found = idx.artists("a", 5);
    assert_eq!(found.len(), 5);
    assert!(found.iter().all(|m| m.tier == Tier::Prefix));
    // The most popular (99), shortest key first: "alpha99" before "alpha199".
    assert_eq!(found[0].id, "a000099");
    let words = idx.artists("alp", 20_001);
    assert_eq!(
        words.last().map(|m| (m.id.as_str(), m.tier)),
        Some(("w", Tier::Word))
    );
}

#[test]
fn odd_queries_get_answers_not_panics() {
    let idx = catalog();
    for q in [
        "",
        " ",
        "😀",
        "🎵🎵🎵🎵🎵🎵",
        "e\u{301}\u{301}\u{301}",
        "שלום",
        "مرحبا",
        "ㅏ",
        "ᅡᅡᅡᅡᅡ",
        "\u{200B}",
        "a\u{0}b",
        "ㄳ",
        "닭",
        "𝔅𝔗𝔖",
        &"x".repeat(200),
        &"방".repeat(200),
    ] {
        let _ = idx.artists(q, 10);
        let _ = idx.artist_suggestions(q, 3);
    }
    assert_eq!(ids(&idx.artists("𝔅𝔗𝔖", 1)), ["bts"]);
}

#[test]
fn an_empty_index_finds_nothing() {
    let idx = SearchIndex::default();
    assert!(idx.artists("bts", 10).is_empty());
    assert!(idx.tracks("bts", 10).is_empty());
}
