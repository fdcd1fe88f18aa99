//! Recommendations from audio features and playlists: the in-memory [`index::Index`] of
//! standardised feature vectors, artist profiles and playlist co-occurrence, the queries it
//! answers, a
//! `recommendations` request checked and resolved against it ([`request`]), and the
//! [`store::IndexStore`] that swaps a rebuilt index in without making queries wait.

pub mod index;
pub mod request;
pub mod store;

pub(crate) use index::IdTable;
pub use index::{
    ArtistInput, Basis, DIMS, EQUAL_WEIGHTS, GENRE_PENALTY, Index, PLAYLIST_WEIGHT,
    PlaylistsBuilder, RECOMMEND_PLAYLIST_WEIGHT, Recommendation, Related, TrackInput, WEIGHTING,
    Wanted, Weighting, Weights,
};
pub use store::IndexStore;

/// The weight of each feature in distances, in [`entity::Feature::ALL`] order: the model's
/// weights of the feature table.
pub fn model_weights() -> Weights {
    entity::Feature::ALL.map(entity::Feature::weight)
}
