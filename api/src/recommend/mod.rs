//! Content-based recommendations from audio features: the in-memory [`index::Index`] of
//! standardised feature vectors and artist profiles, the queries it answers, and the
//! [`store::IndexStore`] that swaps a rebuilt index in without making queries wait.

pub mod index;
pub mod store;

pub use index::{
    ArtistInput, DIMS, EQUAL_WEIGHTS, FEATURES, GENRE_PENALTY, Index, Recommendation, Related,
    TrackInput, Wanted, Weights,
};
pub use store::IndexStore;

/// The weight of each feature in distances, in [`FEATURES`] order. Liveness (whether an
/// audience is heard) counts a tenth and tempo half: on the shared dataset that keeps
/// recommendations in the seed's main genre more often than equal weights (0.438 against 0.429,
/// `recommend-quality`), and related artists as often.
pub const MODEL_WEIGHTS: Weights = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 1.0, 0.5];

/// The model's features of a source's audio features, in [`FEATURES`] order.
pub fn model_vector(f: &sixpotify_loader::csv_source::Features) -> [f64; DIMS] {
    [
        f.danceability,
        f.energy,
        f.loudness,
        f.speechiness,
        f.acousticness,
        f.instrumentalness,
        f.liveness,
        f.valence,
        f.tempo,
    ]
}
