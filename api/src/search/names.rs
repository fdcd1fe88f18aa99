//! An in-memory index of names (artists' names and aliases, tracks' names) that answers a
//! ranked search without scanning: exact, then prefix, then word, then near-miss matches; within
//! each, the more popular first, then the shorter key, then the lower id.
//!
//! Every name is a *variant* of its *target* (an artist or a track). Variants are numbered in
//! ranking order (popularity descending, key length, target id), so a smaller number is a better
//! match within a tier and a tier's best matches are its smallest numbers. Keys are the search
//! key in [`index_form`] (Hangul decomposed into jamo), stored once in an arena with where each
//! word of the name starts. Three finite-state transducers (the `fst` crate) map keys to lists of
//! variants: whole keys, the key from each later word on ("swift" for "Taylor Swift"), and the
//! initials of Korean names (초성). Near misses are keys within one edit (an insertion, deletion,
//! substitution or swap of neighbours) of the query, found by intersecting a Levenshtein
//! automaton (`levenshtein_automata`) with those transducers.
//!
//! A prefix that matches more than [`DENSE`] variants (a one-letter query at a million names)
//! is not collected and sorted: the variants are walked in ranking order instead, each checked
//! against the query, which stops after `first` targets; dense prefixes make that walk short.

use std::collections::HashSet;
use std::sync::LazyLock;

use fst::{Automaton, IntoStreamer, Map, MapBuilder, Streamer};
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use super::hangul::{index_form, initials, is_initials, last_consonant_moved};
use crate::recommend::IdTable;

/// Above this many matching variants a prefix is answered by the walk in ranking order.
pub const DENSE: usize = 10_000;

/// The shortest query, in characters of its index form, that near misses are sought for: one
/// typo in five letters still leaves the name recognisable; in fewer it makes another name.
pub const NEAR_MISS_MIN_CHARS: usize = 5;

/// Builders of Levenshtein automata for one and for two edits, built once: each precomputes a
/// parametric automaton that every query's automaton is then made from quickly.
static ONE_EDIT: LazyLock<LevenshteinAutomatonBuilder> =
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true));
static TWO_EDITS: LazyLock<LevenshteinAutomatonBuilder> =
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(2, true));

/// How a name matched, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The whole name (or its initials) is the query.
    Exact,
    /// The name starts with the query.
    Prefix,
    /// A later word of the name starts with the query.
    Word,
    /// The name is one edit away from the query.
    NearMiss,
}

/// One name of a target, as given to the builder.
#[derive(Debug)]
pub struct Name<'a> {
    /// The target's id.
    pub target: &'a str,
    /// The target's popularity, 0 to 100; `None` (unknown) ranks below 0.
    pub popularity: Option<i32>,
    /// The alias this name is, as written; `None` for the target's own name.
    pub alias: Option<&'a str>,
    /// The name's words, folded (`normalize::search_words`).
    pub words: Vec<String>,
}

/// A target found, how, and by which of its names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The target, as a position among the index's ids.
    pub target: u32,
    pub tier: Tier,
    /// The variant that matched.
    pub variant: u32,
}

/// What the builder keeps of a name until the index is ordered.
struct Pending {
    target: u32,
    popularity: i16,
    alias: u32,
    key: Box<str>,
    starts: Box<[u16]>,
}

/// A name as collected, its target still an id.
struct Collected {
    target: Box<str>,
    popularity: i16,
    alias: Option<Box<str>>,
    key: Box<str>,
    starts: Box<[u16]>,
}

/// Collects names, then builds the index.
#[derive(Default)]
pub struct NamesBuilder {
    names: Vec<Collected>,
}

impl NamesBuilder {
    /// Adds a name. Names that fold to nothing are left out.
    pub fn push(&mut self, name: Name<'_>) {
        let mut key = String::new();
        let mut starts = Vec::with_capacity(name.words.len());
        for word in &name.words {
            let Ok(start) = u16::try_from(key.len()) else {
                break;
            };
            starts.push(start);
            key.push_str(&index_form(word));
        }
        if key.is_empty() {
            return;
        }
        let popularity = name.popularity.map_or(-1, |p| p.clamp(0, 100) as i16);
        self.names.push(Collected {
            target: name.target.into(),
            popularity,
            alias: name.alias.map(Into::into),
            key: key.into_boxed_str(),
            starts: starts.into_boxed_slice(),
        });
    }

    /// Orders the names and builds the transducers.
    pub fn build(self) -> Names {
        let mut ids: Vec<&str> = self.names.iter().map(|n| &*n.target).collect();
        ids.sort_unstable();
        ids.dedup();
        let id_table = IdTable::new(&ids);
        let mut aliases = Strings::default();
        let mut pending: Vec<Pending> = self
            .names
            .into_iter()
            .map(|c| Pending {
                target: id_table.find(&c.target).unwrap_or_default() as u32,
                popularity: c.popularity,
                alias: c.alias.map_or(u32::MAX, |a| aliases.push(&a)),
                key: c.key,
                starts: c.starts,
            })
            .collect();
        pending.sort_by(|a, b| {
            b.popularity
                .cmp(&a.popularity)
                .then(a.key.len().cmp(&b.key.len()))
                .then(a.target.cmp(&b.target))
                .then(a.key.cmp(&b.key))
        });
        let mut keys = Strings::default();
        let mut starts = Vec::new();
        let mut start_ends = Vec::with_capacity(pending.len());
        let mut targets = Vec::with_capacity(pending.len());
        let mut variant_alias = Vec::with_capacity(pending.len());
        for p in &pending {
            keys.push(&p.key);
            starts.extend_from_slice(&p.starts);
            start_ends.push(starts.len() as u32);
            targets.push(p.target);
            variant_alias.push(p.alias);
        }
        drop(pending);
        let mut names = Names {
            ids: id_table,
            targets,
            aliases,
            variant_alias,
            keys,
            starts,
            start_ends,
            whole: Postings::default(),
            words: Postings::default(),
            initials: Postings::default(),
        };
        names.whole = Postings::build(
            (0..names.len() as u32).map(|v| (v, 0u16)).collect(),
            |&(v, _)| names.keys.get(v as usize).as_bytes(),
        );
        let word_starts: Vec<(u32, u16)> = (0..names.len() as u32)
            .flat_map(|v| {
                names
                    .word_starts(v)
                    .iter()
                    .skip(1)
                    .map(move |&s| (v, s))
                    .collect::<Vec<_>>()
            })
            .collect();
        names.words = Postings::build(word_starts, |&(v, s)| {
            &names.keys.get(v as usize).as_bytes()[s as usize..]
        });
        let initial_keys: Vec<(Box<str>, u32)> = (0..names.len() as u32)
            .filter_map(|v| Some((initials(names.keys.get(v as usize))?.into(), v)))
            .collect();
        names.initials = Postings::build(
            initial_keys.iter().map(|(k, v)| (*v, k)).collect(),
            |(_, k)| k.as_bytes(),
        );
        names
    }
}

/// Strings stored end to end.
#[derive(Default)]
struct Strings {
    text: String,
    ends: Vec<u32>,
}

impl Strings {
    fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        (self.ends.len() - 1) as u32
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text
            .get(start..self.ends[i] as usize)
            .unwrap_or_default()
    }

    fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4
    }
}

/// A transducer from keys to lists of variants, best first.
#[derive(Default)]
struct Postings {
    map: Map<Vec<u8>>,
    /// At a key's value: how many variants, then the variants.
    lists: Vec<u32>,
}

impl Postings {
    /// From (variant, anything) items and the key of each.
    fn build<'k, T: Copy>(mut items: Vec<(u32, T)>, key: impl Fn(&(u32, T)) -> &'k [u8]) -> Self {
        items.sort_unstable_by(|a, b| key(a).cmp(key(b)).then(a.0.cmp(&b.0)));
        let mut builder = MapBuilder::memory();
        let mut lists = Vec::new();
        let mut i = 0;
        while i < items.len() {
            let k = key(&items[i]);
            let mut j = i;
            let at = lists.len();
            lists.push(0);
            while j < items.len() && key(&items[j]) == k {
                // Sorted by variant within a key, so a repeat is the previous one.
                if j == i || items[j].0 != items[j - 1].0 {
                    lists.push(items[j].0);
                }
                j += 1;
            }
            lists[at] = (lists.len() - at - 1) as u32;
            // Keys come sorted and distinct, so insertion cannot fail.
            let _ = builder.insert(k, at as u64);
            i = j;
        }
        let bytes = builder.into_inner().unwrap_or_default();
        Self {
            map: Map::new(bytes).unwrap_or_default(),
            lists,
        }
    }

    fn list(&self, at: u64) -> &[u32] {
        let at = at as usize;
        let n = self.lists[at] as usize;
        &self.lists[at + 1..at + 1 + n]
    }

    fn exact(&self, key: &str, out: &mut Vec<u32>) {
        if let Some(at) = self.map.get(key) {
            out.extend_from_slice(self.list(at));
        }
    }

    /// Adds the variants under keys starting with `prefix`; `false` once more than `cap`.
    fn prefixed(&self, prefix: &str, cap: usize, out: &mut Vec<u32>) -> bool {
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xFF);
        let mut stream = self.map.range().ge(prefix).lt(&upper).into_stream();
        while let Some((_, at)) = stream.next() {
            out.extend_from_slice(self.list(at));
            if out.len() > cap {
                return false;
            }
        }
        true
    }

    /// Adds the variants under keys the automaton accepts, at most about `cap`.
    fn matching(&self, automaton: &Near<'_>, cap: usize, out: &mut Vec<u32>) {
        let mut stream = self.map.search(automaton).into_stream();
        while let Some((_, at)) = stream.next() {
            out.extend_from_slice(self.list(at));
            if out.len() > cap {
                return;
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.map.as_fst().as_bytes().len() + self.lists.capacity() * 4
    }
}

/// A Levenshtein DFA as an `fst` automaton.
struct Near<'a>(&'a DFA);

impl Automaton for Near<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The index of one kind of target's names.
pub struct Names {
    ids: IdTable,
    /// Each variant's target.
    targets: Vec<u32>,
    aliases: Strings,
    /// Each variant's alias in `aliases`; `u32::MAX` for the target's own name.
    variant_alias: Vec<u32>,
    /// Each variant's key.
    keys: Strings,
    /// Where the words of each variant's key start (the first at 0).
    starts: Vec<u16>,
    start_ends: Vec<u32>,
    whole: Postings,
    words: Postings,
    initials: Postings,
}

impl Default for Names {
    fn default() -> Self {
        NamesBuilder::default().build()
    }
}

impl Names {
    /// How many names (variants) the index holds.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the index holds no name.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// How many targets the index holds.
    pub fn target_count(&self) -> usize {
        self.ids.len()
    }

    /// A target's id.
    pub fn id(&self, target: u32) -> &str {
        self.ids.get(target as usize)
    }

    /// The alias a variant is, or `None` for its target's own name.
    pub fn alias(&self, variant: u32) -> Option<&str> {
        let a = *self.variant_alias.get(variant as usize)?;
        (a != u32::MAX).then(|| self.aliases.get(a as usize))
    }

    fn word_starts(&self, v: u32) -> &[u16] {
        let v = v as usize;
        let from = if v == 0 {
            0
        } else {
            self.start_ends[v - 1] as usize
        };
        &self.starts[from..self.start_ends[v] as usize]
    }

    /// Memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.targets.capacity() * 4
            + self.aliases.heap_bytes()
            + self.variant_alias.capacity() * 4
            + self.keys.heap_bytes()
            + self.starts.capacity() * 2
            + self.start_ends.capacity() * 4
            + self.whole.heap_bytes()
            + self.words.heap_bytes()
            + self.initials.heap_bytes()
    }

    /// The best `first` targets for a query already folded into a search key, best first.
    pub fn search(&self, search_key: &str, first: usize) -> Vec<Hit> {
        let mut found = Found::new(first);
        let form = index_form(search_key);
        if form.is_empty() || first == 0 {
            return found.hits;
        }
        let by_initials = is_initials(&form);
        let mut prefixes = vec![form.clone()];
        prefixes.extend(last_consonant_moved(&form));

        let mut exact = Vec::new();
        self.whole.exact(&form, &mut exact);
        if by_initials {
            self.initials.exact(&form, &mut exact);
        }
        found.take(Tier::Exact, exact, self);

        if !found.full() {
            let mut prefixed = Vec::new();
            let mut sparse = prefixes
                .iter()
                .all(|p| self.whole.prefixed(p, DENSE, &mut prefixed));
            if by_initials {
                sparse &= self.initials.prefixed(&form, DENSE, &mut prefixed);
            }
            if sparse {
                found.take(Tier::Prefix, prefixed, self);
            } else {
                self.walk(Tier::Prefix, &mut found, |key, _| {
                    prefixes.iter().any(|p| key.starts_with(p.as_str()))
                        || (by_initials
                            && initials(key).is_some_and(|i| i.starts_with(form.as_str())))
                });
            }
        }

        if !found.full() {
            let mut worded = Vec::new();
            let sparse = prefixes
                .iter()
                .all(|p| self.words.prefixed(p, DENSE, &mut worded));
            if sparse {
                found.take(Tier::Word, worded, self);
            } else {
                self.walk(Tier::Word, &mut found, |key, starts| {
                    starts.iter().skip(1).any(|&s| {
                        let rest = &key[s as usize..];
                        prefixes.iter().any(|p| rest.starts_with(p.as_str()))
                    })
                });
            }
        }

        if !found.full() && form.chars().count() >= NEAR_MISS_MIN_CHARS {
            let close = self.within(&ONE_EDIT.build_dfa(&form));
            found.take(Tier::NearMiss, close, self);
        }
        found.hits
    }

    /// Variants whose whole key, later words or initials the automaton accepts.
    fn within(&self, dfa: &DFA) -> Vec<u32> {
        let near = Near(dfa);
        let mut close = Vec::new();
        self.whole.matching(&near, DENSE, &mut close);
        self.words.matching(&near, DENSE, &mut close);
        self.initials.matching(&near, DENSE, &mut close);
        close
    }

    /// Targets whose names are two edits or less from a query that found nothing, for "did you
    /// mean": the closer first, then in ranking order. Queries shorter than
    /// [`NEAR_MISS_MIN_CHARS`] get none, as two edits there make any name.
    pub fn suggest(&self, search_key: &str, n: usize) -> Vec<Hit> {
        let form = index_form(search_key);
        if form.chars().count() < NEAR_MISS_MIN_CHARS || n == 0 {
            return Vec::new();
        }
        let dfa = TWO_EDITS.build_dfa(&form);
        let mut close = self.within(&dfa);
        close.sort_unstable_by_key(|&v| {
            let distance = match dfa.eval(self.keys.get(v as usize)) {
                Distance::Exact(d) => d,
                Distance::AtLeast(_) => 2,
            };
            (distance, v)
        });
        let mut found = Found::new(n);
        for variant in close {
            if found.full() {
                break;
            }
            found.push(Hit {
                target: self.targets[variant as usize],
                tier: Tier::NearMiss,
                variant,
            });
        }
        found.hits
    }

    /// Walks the variants in ranking order, taking those `matches` accepts.
    fn walk(&self, tier: Tier, found: &mut Found, matches: impl Fn(&str, &[u16]) -> bool) {
        for v in 0..self.len() as u32 {
            let target = self.targets[v as usize];
            if found.seen.contains(&target) {
                continue;
            }
            if matches(self.keys.get(v as usize), self.word_starts(v)) {
                found.push(Hit {
                    target,
                    tier,
                    variant: v,
                });
                if found.full() {
                    return;
                }
            }
        }
    }
}

/// Targets found so far.
struct Found {
    first: usize,
    hits: Vec<Hit>,
    seen: HashSet<u32>,
}

impl Found {
    fn new(first: usize) -> Self {
        Self {
            first,
            hits: Vec::new(),
            seen: HashSet::new(),
        }
    }

    fn full(&self) -> bool {
        self.hits.len() >= self.first
    }

    fn push(&mut self, hit: Hit) {
        if self.seen.insert(hit.target) {
            self.hits.push(hit);
        }
    }

    /// Takes a tier's variants, best first, until full.
    fn take(&mut self, tier: Tier, mut variants: Vec<u32>, names: &Names) {
        variants.sort_unstable();
        variants.dedup();
        for variant in variants {
            if self.full() {
                return;
            }
            self.push(Hit {
                target: names.targets[variant as usize],
                tier,
                variant,
            });
        }
    }
}
