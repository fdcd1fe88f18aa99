//! Finding the artist: the one GraphQL query the webhook runs (related artists on the hybrid
//! basis: shared playlists, then sound), executed by the schema (so the
//! DataLoaders, entity caches and index serve it) and read into typed values, and the closest
//! names for an artist the catalog does not hold.

use std::sync::Arc;

use entity::normalize::search_key;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use super::limits;
use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The GraphQL query the webhook runs for one name.
const QUERY: &str = "query KakaoSkill($q: String!, $cards: Int!, $items: Int!) {
  searchArtists(query: $q, first: 1) {
    id name genres { name }
    relatedArtists(first: $cards) {
      similarity sharedPlaylists audioSimilarity
      artist {
        id name genres { name }
        topTracks { id name album { name releaseYear imageUrl } }
        tracks(first: $items) { edges { node { id name album { name releaseYear imageUrl } } } }
      }
    }
    topTracks { id name album { name releaseYear imageUrl } }
    tracks(first: $items) { edges { node { id name album { name releaseYear imageUrl } } } }
  }
}";

/// What the query gives for one name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    search_artists: Vec<FoundArtist>,
}

/// The artist found, and the artists near it in sound.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundArtist {
    #[serde(flatten)]
    pub artist: ListedArtist,
    pub related_artists: Vec<RelatedArtist>,
}

/// An artist related to the one found, how near, and how many playlists hold both.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedArtist {
    pub similarity: f64,
    pub shared_playlists: u32,
    /// Null unless both artists have audio features.
    pub audio_similarity: Option<f64>,
    pub artist: ListedArtist,
}

/// An artist with what a list card shows of it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedArtist {
    pub id: String,
    pub name: String,
    pub genres: Vec<GenreName>,
    pub top_tracks: Vec<ListedTrack>,
    pub tracks: TrackPage,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct GenreName {
    pub name: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TrackPage {
    pub edges: Vec<TrackEdge>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TrackEdge {
    pub node: ListedTrack,
}

/// A track with what a list item shows of it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListedTrack {
    pub id: String,
    pub name: Option<String>,
    pub album: Option<ListedAlbum>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedAlbum {
    pub name: Option<String>,
    pub release_year: Option<i32>,
    pub image_url: Option<String>,
}

/// Runs the query for one name; `None` when nothing matches it.
pub async fn look_up(state: &AppState, name: &str) -> Result<Option<FoundArtist>> {
    let request =
        async_graphql::Request::new(QUERY).variables(async_graphql::Variables::from_json(
            json!({ "q": name, "cards": limits::CAROUSEL_CARDS, "items": limits::LIST_ITEMS }),
        ));
    let response = state.schema.execute(request).await;
    if let Some(e) = response.errors.first() {
        return Err(ApiError::Execution(e.message.clone()));
    }
    let found: Found = async_graphql::from_value(response.data)
        .map_err(|e| ApiError::Execution(format!("unexpected answer: {e}")))?;
    Ok(found.search_artists.into_iter().next())
}

/// Every artist's folded and display name, most popular first.
type NameList = Arc<Vec<(String, String)>>;

/// Artist names for suggestions, loaded once per generation of the caches.
#[derive(Debug, Default)]
pub struct Names {
    loaded: Mutex<Option<(u64, NameList)>>,
}

impl Names {
    /// Folded and display names of every artist, most popular first.
    pub async fn get(&self, state: &AppState) -> Result<NameList> {
        let generation = state.caches.generation();
        let mut loaded = self.loaded.lock().await;
        if let Some((g, names)) = loaded.as_ref()
            && *g == generation
        {
            return Ok(names.clone());
        }
        let names = Arc::new(crate::service::search::artist_names(&state.db).await?);
        *loaded = Some((generation, names.clone()));
        Ok(names)
    }
}

/// The names closest to any of `candidates`, best first, then by popularity; distinct.
pub fn closest(names: &[(String, String)], candidates: &[String], n: usize) -> Vec<String> {
    let folded: Vec<String> = candidates.iter().map(|c| search_key(c)).collect();
    let mut scored: Vec<(f64, usize)> = names
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let best = folded
                .iter()
                .map(|c| strsim::jaro_winkler(c, key))
                .fold(0.0, f64::max);
            (best, i)
        })
        .collect();
    // Most similar first; among equals, the more popular (the names come in that order).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, i) in scored {
        let name = &names[i].1;
        if !out.contains(name) {
            out.push(name.clone());
        }
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_names_are_the_most_similar_then_the_most_popular() {
        let names: Vec<(String, String)> = ["BLACKPINK", "Black Sabbath", "BTS", "Blackbear"]
            .iter()
            .map(|n| (search_key(n), (*n).to_owned()))
            .collect();
        assert_eq!(
            closest(&names, &["blakpink".into()], 2),
            ["BLACKPINK", "Blackbear"]
        );
    }
}
