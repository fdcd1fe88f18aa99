//! Finding the artist: the search of `searchArtists` over every candidate name of a request
//! (the best match wins, an exact name over a near miss), then the one GraphQL query the webhook
//! runs for it (related artists on the hybrid basis: shared playlists, then sound), executed by
//! the schema (so the DataLoaders, entity caches and index serve it) and read into typed values;
//! and, when nothing matches, the names the same search finds a little further away.

use serde::Deserialize;
use serde_json::json;

use super::limits;
use crate::error::{ApiError, Result};
use crate::search::Tier;
use crate::state::AppState;

/// The GraphQL query the webhook runs for one name.
pub(crate) const QUERY: &str = "query KakaoSkill($id: ID!, $cards: Int!, $items: Int!) {
  artist(id: $id) {
    catalogId name genres { name }
    relatedArtists(first: $cards) {
      similarity sharedPlaylists audioSimilarity
      artist {
        catalogId name genres { name }
        topTracks { catalogId name album { name releaseYear imageUrl } }
        tracks(first: $items) { edges { node { catalogId name album { name releaseYear imageUrl } } } }
      }
    }
    topTracks { catalogId name album { name releaseYear imageUrl } }
    tracks(first: $items) { edges { node { catalogId name album { name releaseYear imageUrl } } } }
  }
}";

/// What the query gives for one artist.
#[derive(Debug, Deserialize)]
struct Found {
    artist: Option<FoundArtist>,
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
    #[serde(rename = "catalogId")]
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
    #[serde(rename = "catalogId")]
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

/// The artist the best of `candidates` names (an earlier candidate wins a tie), and whether it
/// was the first; `None` when none matches.
pub async fn look_up(
    state: &AppState,
    candidates: &[String],
) -> Result<Option<(FoundArtist, bool)>> {
    let index = state.index.current().await?;
    let mut best: Option<(Tier, usize, String)> = None;
    for (i, name) in candidates.iter().enumerate() {
        if let Some(m) = index.search().artists(name, 1).into_iter().next()
            && best.as_ref().is_none_or(|(tier, ..)| m.tier < *tier)
        {
            best = Some((m.tier, i, m.id));
        }
    }
    drop(index);
    let Some((_, i, id)) = best else {
        return Ok(None);
    };
    let request =
        async_graphql::Request::new(QUERY).variables(async_graphql::Variables::from_json(
            json!({ "id": id, "cards": limits::CAROUSEL_CARDS, "items": limits::LIST_ITEMS }),
        ));
    let response = state.schema.execute(request).await;
    if let Some(e) = response.errors.first() {
        return Err(ApiError::Execution(e.message.clone()));
    }
    let found: Found = async_graphql::from_value(response.data)
        .map_err(|e| ApiError::Execution(format!("unexpected answer: {e}")))?;
    Ok(found.artist.map(|a| (a, i == 0)))
}

/// "Did you mean": up to `n` names of artists a little further from any of `candidates` than
/// search reaches (two edits), the closer and more popular first, distinct. An artist found
/// through an alias is suggested by that alias, so the suggestion is in the asker's script.
pub async fn suggestions(state: &AppState, candidates: &[String], n: usize) -> Result<Vec<String>> {
    let index = state.index.current().await?;
    let mut found: Vec<crate::search::Match> = Vec::new();
    for name in candidates {
        for m in index.search().artist_suggestions(name, n) {
            if !found.iter().any(|f| f.id == m.id) {
                found.push(m);
            }
        }
    }
    drop(index);
    found.truncate(n);
    let ids: Vec<String> = found
        .iter()
        .filter(|m| m.alias.is_none())
        .map(|m| m.id.clone())
        .collect();
    let names = crate::service::relations::artists_by_id(&state.db, &ids).await?;
    let mut out: Vec<String> = Vec::new();
    for m in found {
        let name = match m.alias {
            Some(alias) => Some(alias),
            None => names.get(&m.id).map(|a| a.name.clone()),
        };
        if let Some(name) = name
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    Ok(out)
}
