//! Turning seeds into artists: ids through the artists endpoint, names by search (the most
//! popular exact match, or the most popular candidate, recorded as ambiguous), and, with
//! `--max-age`, leaving out artists loaded recently.

use std::collections::BTreeSet;

use chrono::Utc;
use entity::artist;
use entity::normalize::search_key;
use entity::run_summary::{Ambiguous, Unmatched};
use futures_util::{StreamExt as _, stream};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tracing::warn;

use super::fetch::recoverable;
use super::{Pending, Run, Seed};
use crate::error::{LoaderError, Result};
use crate::spotify::model::Artist;

impl Run<'_> {
    /// Turns seeds into artist objects: names by search, ids by the artists endpoint; drops
    /// seeds already seen in this run and, with `--max-age`, those loaded recently.
    pub(super) async fn resolve(&mut self, pending: Vec<Pending>) -> Result<Vec<Artist>> {
        let fresh = self.fresh_artists(&pending).await?;
        let mut artists = Vec::new();
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for p in pending {
            match p {
                Pending::Artist(a) if fresh.ids.contains(&a.id) => self.summary.artists_fresh += 1,
                Pending::Artist(a) => artists.push(*a),
                Pending::Seed(Seed::Id(id)) if fresh.ids.contains(&id) => {
                    self.summary.artists_fresh += 1;
                }
                Pending::Seed(Seed::Id(id)) => ids.push(id),
                Pending::Seed(Seed::Name(n)) if fresh.keys.contains(&search_key(&n)) => {
                    self.summary.artists_fresh += 1;
                }
                Pending::Seed(Seed::Name(n)) => names.push(n),
            }
        }
        let mut asked = BTreeSet::new();
        ids.retain(|id| !self.seen.contains(id) && asked.insert(id.clone()));
        if !ids.is_empty() {
            let found = self.client.artists(&ids).await;
            match recoverable(self.client, found, "these ids cannot be loaded")? {
                Ok(found) => {
                    let known: BTreeSet<&str> = found.iter().map(|a| a.id.as_str()).collect();
                    for id in ids.iter().filter(|id| !known.contains(id.as_str())) {
                        self.unmatched(id, "Spotify knows no artist with this id".into());
                    }
                    artists.extend(found);
                }
                Err(why) => ids.iter().for_each(|id| self.unmatched(id, why.clone())),
            }
        }
        let limit = self.opts.search_limit;
        let client = self.client;
        let searched: Vec<(String, Result<Vec<Artist>>)> = stream::iter(names)
            .map(|name| async move {
                let found = client.search_artists(&name, limit).await;
                (name, found)
            })
            .buffered(self.concurrency())
            .collect()
            .await;
        for (name, found) in searched {
            match recoverable(self.client, found, "names cannot be resolved")? {
                Ok(found) => {
                    if let Some(a) = self.choose(&name, found) {
                        if search_key(&a.name) != search_key(&name) {
                            self.seed_names.entry(a.id.clone()).or_default().push(name);
                        }
                        artists.push(a);
                    }
                }
                Err(why) => self.unmatched(&name, why),
            }
        }
        // Seeds given twice, or two names resolving to one artist, load it once.
        artists.retain(|a| self.seen.insert(a.id.clone()));
        Ok(artists)
    }

    fn unmatched(&mut self, seed: &str, reason: String) {
        warn!(seed, %reason, "seed not loaded");
        self.summary.unmatched.push(Unmatched {
            seed: seed.to_owned(),
            reason,
        });
    }

    /// Picks the artist a name means: among exact (case-, accent- and spacing-insensitive)
    /// matches the most popular, else the most popular result; ties go to Spotify's order.
    fn choose(&mut self, name: &str, found: Vec<Artist>) -> Option<Artist> {
        if found.is_empty() {
            self.unmatched(name, "no artist of that name on Spotify".into());
            return None;
        }
        let key = search_key(name);
        let exact: Vec<&Artist> = found
            .iter()
            .filter(|a| search_key(&a.name) == key)
            .collect();
        let (pool, matched) = if exact.is_empty() {
            (found.iter().collect::<Vec<_>>(), "inexact")
        } else {
            (exact, "exact")
        };
        let chosen = pool
            .iter()
            .copied()
            .reduce(|best, a| {
                if a.popularity.unwrap_or(-1) > best.popularity.unwrap_or(-1) {
                    a
                } else {
                    best
                }
            })?
            .clone();
        if matched == "inexact" || pool.len() > 1 {
            let others: Vec<String> = found
                .iter()
                .filter(|a| a.id != chosen.id)
                .map(|a| format!("{} ({})", a.name, a.id))
                .collect();
            warn!(name, chosen = %chosen.name, chosen_id = %chosen.id, matched, others = others.len(), "ambiguous artist name");
            self.summary.ambiguous.push(Ambiguous {
                name: name.to_owned(),
                chosen_id: chosen.id.clone(),
                chosen_name: chosen.name.clone(),
                matched: matched.to_owned(),
                others,
            });
        }
        Some(chosen)
    }

    /// With `--max-age`, the ids and name keys of artists loaded from Spotify recently.
    async fn fresh_artists(&self, pending: &[Pending]) -> Result<Fresh> {
        let mut fresh = Fresh::default();
        let Some(max_age) = self.opts.max_age else {
            return Ok(fresh);
        };
        let since =
            Utc::now() - chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
        let mut ids = Vec::new();
        let mut keys = Vec::new();
        for p in pending {
            match p {
                Pending::Artist(a) => ids.push(a.id.clone()),
                Pending::Seed(Seed::Id(id)) => ids.push(id.clone()),
                Pending::Seed(Seed::Name(n)) => keys.push(search_key(n)),
            }
        }
        let rows: Vec<(String, String)> = artist::Entity::find()
            .select_only()
            .column(artist::Column::Id)
            .column(artist::Column::SearchKey)
            .filter(artist::Column::SpotifyLoadedAt.gte(since))
            .filter(
                artist::Column::Id
                    .is_in(ids)
                    .or(artist::Column::SearchKey.is_in(keys)),
            )
            .into_tuple()
            .all(self.db)
            .await
            .map_err(LoaderError::db("looking up recently loaded artists"))?;
        for (id, key) in rows {
            fresh.ids.insert(id);
            fresh.keys.insert(key);
        }
        Ok(fresh)
    }
}

/// Ids and name keys of artists that `--max-age` says are fresh.
#[derive(Default)]
struct Fresh {
    ids: BTreeSet<String>,
    keys: BTreeSet<String>,
}
