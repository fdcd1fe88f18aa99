//! Content-based recommendations from audio features: the in-memory [`index::Index`] of
//! standardised feature vectors and artist profiles, the queries it answers, and the
//! [`store::IndexStore`] that swaps a rebuilt index in without making queries wait.

pub mod index;
pub mod store;

pub use index::{ArtistInput, DIMS, FEATURES, Index, Recommendation, Related, TrackInput, Wanted};
pub use store::IndexStore;
