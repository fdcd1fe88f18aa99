//! Relay's global object identification: the `Node` interface, global ids that name the type,
//! and the `node` and `nodes` lookups.
//!
//! A global id is the base64 (standard alphabet, padded) of `<Type>:<catalog id>`, the form
//! `graphql-relay`'s `toGlobalId` writes: `Artist:3Nrfpe0tUJi4K4DXYWgMUX` gives
//! `QXJ0aXN0OjNOcmZwZTB0VUppNEs0RFhZV2dNVVg=`. Clients treat it as opaque. Every argument that
//! takes the id of an artist, album, track, genre or playlist takes either kind: a global id of
//! that type stands for its catalog id, anything else is read as a catalog id.

use async_graphql::{Context, ID, Interface, Object, Result};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use futures_util::future::join_all;

use super::connection::load_by_id;
use super::loader::{AlbumKey, ArtistKey, GenreKey, PlaylistKey, TrackKey};
use super::page_limit;
use super::types::{Album, Artist, Genre, Playlist, Track};
use crate::error::ApiError;

/// The types with global ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    Artist,
    Album,
    Track,
    Genre,
    Playlist,
}

impl NodeType {
    const ALL: [NodeType; 5] = [
        NodeType::Artist,
        NodeType::Album,
        NodeType::Track,
        NodeType::Genre,
        NodeType::Playlist,
    ];

    /// The GraphQL type's name, which the global id carries.
    pub fn name(self) -> &'static str {
        match self {
            NodeType::Artist => "Artist",
            NodeType::Album => "Album",
            NodeType::Track => "Track",
            NodeType::Genre => "Genre",
            NodeType::Playlist => "Playlist",
        }
    }

    /// The global id of the object of this type with `catalog_id`.
    pub fn global_id(self, catalog_id: &str) -> ID {
        ID(STANDARD.encode(format!("{}:{catalog_id}", self.name())))
    }

    /// The catalog id an argument names for this type: the catalog id inside a global id of
    /// this type, else the argument itself.
    pub fn catalog_id(self, id: &str) -> String {
        match decode(id) {
            Some((t, inner)) if t == self => inner,
            _ => id.to_owned(),
        }
    }
}

/// The type and catalog id a global id names; `None` when `id` is not one.
pub fn decode(id: &str) -> Option<(NodeType, String)> {
    let bytes = STANDARD
        .decode(id)
        .or_else(|_| STANDARD_NO_PAD.decode(id))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (name, inner) = text.split_once(':')?;
    let t = NodeType::ALL.into_iter().find(|t| t.name() == name)?;
    (!inner.is_empty()).then(|| (t, inner.to_owned()))
}

/// An object with a global id, which `node` and `nodes` find again.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's global id: opaque, unique across types, accepted by `node`, `nodes` \
            and every argument that takes this type's id."
))]
pub enum Node {
    Artist(Artist),
    Album(Album),
    Track(Track),
    Genre(Genre),
    Playlist(Playlist),
}

/// The object a global id names, through the DataLoader (and so the entity caches); `None`
/// for a malformed id or one naming nothing.
async fn find(ctx: &Context<'_>, id: &str) -> Result<Option<Node>> {
    let Some((t, inner)) = decode(id) else {
        return Ok(None);
    };
    Ok(match t {
        NodeType::Artist => load_by_id(ctx, ArtistKey(inner))
            .await?
            .map(|m| Node::Artist(Artist::new(m))),
        NodeType::Album => load_by_id(ctx, AlbumKey(inner))
            .await?
            .map(|m| Node::Album(Album(m))),
        NodeType::Track => load_by_id(ctx, TrackKey(inner))
            .await?
            .map(|m| Node::Track(Track::new(m))),
        NodeType::Genre => load_by_id(ctx, GenreKey(inner))
            .await?
            .map(|m| Node::Genre(Genre(m))),
        NodeType::Playlist => load_by_id(ctx, PlaylistKey(inner))
            .await?
            .map(|m| Node::Playlist(Playlist(m))),
    })
}

/// Lookups by global id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id; null when the id is malformed or names nothing.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as an object's `id` gives it.")] id: ID,
    ) -> Result<Option<Node>> {
        find(ctx, &id).await
    }

    /// The objects with these global ids, in the same order, null where an id is malformed
    /// or names nothing. The ids are looked up together: one statement per type.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Global ids, as objects' `id` give them: at most the page size limit (100 by \
                    default); more is a `PAGE_TOO_LARGE` error."
        )]
        ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        let max = page_limit(ctx);
        if ids.len() > usize::try_from(max).unwrap_or(0) {
            return Err(ApiError::PageTooLarge(format!(
                "`ids` may hold at most {max} ids, got {}",
                ids.len()
            ))
            .into());
        }
        join_all(ids.iter().map(|id| find(ctx, id)))
            .await
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_id_is_relays_base64_of_the_type_and_the_catalog_id() {
        let id = NodeType::Artist.global_id("3Nrfpe0tUJi4K4DXYWgMUX");
        assert_eq!(id.0, "QXJ0aXN0OjNOcmZwZTB0VUppNEs0RFhZV2dNVVg=");
        assert_eq!(
            decode(&id),
            Some((NodeType::Artist, "3Nrfpe0tUJi4K4DXYWgMUX".to_owned()))
        );
    }

    #[test]
    fn every_type_and_any_catalog_id_survive_the_round_trip() {
        for t in NodeType::ALL {
            for inner in ["dance pop", "mpd-12", "ar-방탄소년단", "a:b"] {
                let id = t.global_id(inner);
                assert_eq!(decode(&id), Some((t, inner.to_owned())));
                assert_eq!(t.catalog_id(&id), inner);
            }
        }
    }

    #[test]
    fn catalog_ids_and_malformed_or_foreign_ids_are_not_global() {
        for id in [
            "3Nrfpe0tUJi4K4DXYWgMUX",
            "dance pop",
            "",
            "%%%",
            "VXNlcjox",     // "User:1"
            "QXJ0aXN0Og==", // "Artist:"
            "QXJ0aXN0",     // "Artist"
        ] {
            assert_eq!(decode(id), None, "{id}");
            assert_eq!(NodeType::Artist.catalog_id(id), id);
        }
    }

    #[test]
    fn a_global_id_of_another_type_is_read_as_a_catalog_id() {
        let track = NodeType::Track.global_id("x").0;
        assert_eq!(NodeType::Artist.catalog_id(&track), track);
    }

    #[test]
    fn unpadded_global_ids_are_accepted() {
        let id = NodeType::Genre.global_id("pop").0;
        let trimmed = id.trim_end_matches('=');
        assert_eq!(decode(trimmed), Some((NodeType::Genre, "pop".to_owned())));
    }
}
