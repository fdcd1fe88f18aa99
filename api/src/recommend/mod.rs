//! Content-based recommendations from audio features: the in-memory [`index::Index`] of
//! standardised feature vectors and artist profiles, the queries it answers, a
//! `recommendations` request checked and resolved against it ([`request`]), and the
//! [`store::IndexStore`] that swaps a rebuilt index in without making queries wait.

pub mod index;
pub mod request;
pub mod store;

pub use index::{
    ArtistInput, DIMS, EQUAL_WEIGHTS, GENRE_PENALTY, Index, Recommendation, Related, TrackInput,
    Wanted, Weights,
};
pub use store::IndexStore;

/// The weight of each feature in distances, in [`entity::Feature::ALL`] order: the model's
/// weights of the feature table.
pub fn model_weights() -> Weights {
    entity::Feature::ALL.map(entity::Feature::weight)
}
