//! Search by name in every language: one ranked search over artists' names and aliases and
//! over tracks' names, answered from memory without touching the database.
//!
//! Why in memory: `LIKE '%q%'` scans the table on every request, MariaDB has no n-gram
//! full-text parser (its InnoDB full-text index splits on spaces, which Korean, Japanese and
//! Chinese names do not have, and knows nothing of jamo), and SQLite's FTS5 trigram tokenizer
//! exists only on one backend. An index built in the process from the catalog, rebuilt with the
//! data version beside the recommendation index and swapped in whole, answers the same on both
//! backends, ranks the way the API promises, and understands Hangul ([`hangul`]). What it costs
//! is memory and a rebuild per load, measured in the README.
//!
//! Queries and names are folded alike ([`entity::normalize::search_key`]): case, accents,
//! width, spacing and punctuation do not matter. Ranking ([`names`]): the exact name or alias,
//! then names that start with the query, then names with a later word that does, then names one
//! edit away (for queries of [`names::NEAR_MISS_MIN_CHARS`] characters or more); within each,
//! the more popular first. A Hangul query reaches Latin names only through aliases: edits are
//! counted in jamo, and a Hangul name is never one edit from a Latin one.

pub mod hangul;
pub mod names;

use entity::normalize::{search_key, search_words};

pub use self::names::{Hit, Name, Names, NamesBuilder, Tier};

/// The names of the catalog: artists (with their aliases) and tracks.
#[derive(Default)]
pub struct SearchIndex {
    pub artists: Names,
    pub tracks: Names,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("artist_names", &self.artists.len())
            .field("track_names", &self.tracks.len())
            .finish()
    }
}

/// A target found: its id, how it matched and, when an alias matched, the alias.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    pub id: String,
    pub tier: Tier,
    pub alias: Option<String>,
}

impl SearchIndex {
    /// Memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.artists.heap_bytes() + self.tracks.heap_bytes()
    }

    /// The best `first` artists for `query`, best first.
    pub fn artists(&self, query: &str, first: usize) -> Vec<Match> {
        matches(
            &self.artists,
            self.artists.search(&search_key(query), first),
        )
    }

    /// The best `first` tracks for `query`, best first.
    pub fn tracks(&self, query: &str, first: usize) -> Vec<Match> {
        matches(&self.tracks, self.tracks.search(&search_key(query), first))
    }

    /// Artists whose names are a little further from `query` than a near miss, for "did you
    /// mean" when the search found nothing.
    pub fn artist_suggestions(&self, query: &str, n: usize) -> Vec<Match> {
        matches(&self.artists, self.artists.suggest(&search_key(query), n))
    }
}

fn matches(names: &Names, hits: Vec<Hit>) -> Vec<Match> {
    hits.into_iter()
        .map(|h| Match {
            id: names.id(h.target).to_owned(),
            tier: h.tier,
            alias: names.alias(h.variant).map(str::to_owned),
        })
        .collect()
}

/// Collects the catalog's names into a [`SearchIndex`].
#[derive(Default)]
pub struct SearchIndexBuilder {
    artists: NamesBuilder,
    tracks: NamesBuilder,
}

impl SearchIndexBuilder {
    /// An artist's own name.
    pub fn artist(&mut self, id: &str, name: &str, popularity: Option<i32>) {
        self.artists.push(Name {
            target: id,
            popularity,
            alias: None,
            words: search_words(name),
        });
    }

    /// One of an artist's aliases; it ranks with the artist's popularity.
    pub fn alias(&mut self, artist_id: &str, alias: &str, popularity: Option<i32>) {
        self.artists.push(Name {
            target: artist_id,
            popularity,
            alias: Some(alias),
            words: search_words(alias),
        });
    }

    /// A track's name.
    pub fn track(&mut self, id: &str, name: &str, popularity: Option<i32>) {
        self.tracks.push(Name {
            target: id,
            popularity,
            alias: None,
            words: search_words(name),
        });
    }

    pub fn build(self) -> SearchIndex {
        SearchIndex {
            artists: self.artists.build(),
            tracks: self.tracks.build(),
        }
    }
}

#[cfg(test)]
mod tests;
