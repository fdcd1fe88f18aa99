//! Content-based recommendations from audio features: the in-memory [`index::Index`] of
//! standardised feature vectors and artist profiles, and the queries it answers.

pub mod index;

pub use index::{ArtistInput, DIMS, FEATURES, Index, Related, TrackInput};
