//! Standardisation and the grid: each feature's mean, spread and weight over the catalog, and
//! the 65,536 steps a track's value is stored as.

use super::{DIMS, MIN_SPREAD, TrackInput};

/// How much each feature counts in distances, after standardisation.
pub type Weights = [f64; DIMS];

/// Every feature counts alike.
pub const EQUAL_WEIGHTS: Weights = [1.0; DIMS];

/// Mean and spread of each feature over the catalog, and the weight of each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub mean: [f64; DIMS],
    /// The population standard deviation; features below [`MIN_SPREAD`] get a scale of 0.
    pub spread: [f64; DIMS],
    /// Positive; a standardised value is multiplied by it.
    pub weight: Weights,
}

impl Scale {
    pub(super) fn of(tracks: &[TrackInput], weight: Weights) -> Self {
        let n = tracks.len().max(1) as f64;
        let mut mean = [0.0; DIMS];
        for t in tracks {
            for (m, x) in mean.iter_mut().zip(t.features) {
                *m += x / n;
            }
        }
        let mut spread = [0.0; DIMS];
        for t in tracks {
            for d in 0..DIMS {
                spread[d] += (t.features[d] - mean[d]).powi(2) / n;
            }
        }
        for s in &mut spread {
            *s = s.sqrt();
        }
        let weight = weight.map(|w| if w > 0.0 && w.is_finite() { w } else { 1.0 });
        Self {
            mean,
            spread,
            weight,
        }
    }

    /// A raw value of feature `d` standardised and weighted; 0 for a feature with no spread.
    pub fn standardise(&self, d: usize, x: f64) -> f32 {
        if self.spread[d] < MIN_SPREAD {
            0.0
        } else {
            ((x - self.mean[d]) / self.spread[d] * self.weight[d]) as f32
        }
    }

    /// A standardised value of feature `d` back on the raw scale.
    pub fn raw(&self, d: usize, z: f32) -> f64 {
        self.mean[d] + f64::from(z) / self.weight[d] * self.spread[d]
    }
}

/// Tracks scanned together: each feature's steps for a chunk are read as one run, and the
/// distances of a chunk stay in the first-level cache.
pub(super) const CHUNK: usize = 512;

/// The grid of each feature: 65,536 steps from the catalog's least value to its greatest.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Grid {
    /// The raw value of step 0.
    lo: [f64; DIMS],
    /// The raw size of one step; 0 for a feature with one value.
    step: [f64; DIMS],
    /// The standardised value of step 0 and of one step.
    pub(super) z_lo: [f32; DIMS],
    pub(super) z_step: [f32; DIMS],
}

impl Grid {
    pub(super) const STEPS: f64 = u16::MAX as f64;

    pub(super) fn of(tracks: &[TrackInput], scale: &Scale) -> Self {
        let mut lo = [f64::INFINITY; DIMS];
        let mut hi = [f64::NEG_INFINITY; DIMS];
        for t in tracks {
            for d in 0..DIMS {
                lo[d] = lo[d].min(t.features[d]);
                hi[d] = hi[d].max(t.features[d]);
            }
        }
        let mut grid = Self::default();
        for d in 0..DIMS {
            if !(lo[d].is_finite() && hi[d].is_finite()) {
                continue;
            }
            grid.lo[d] = lo[d];
            grid.step[d] = (hi[d] - lo[d]) / Self::STEPS;
            grid.z_lo[d] = scale.standardise(d, lo[d]);
            if scale.spread[d] >= MIN_SPREAD {
                grid.z_step[d] = (grid.step[d] / scale.spread[d] * scale.weight[d]) as f32;
            }
        }
        grid
    }

    /// Where a raw value falls on the grid, in steps, not clamped to it.
    pub(super) fn position(&self, d: usize, x: f64) -> f64 {
        if self.step[d] > 0.0 {
            ((x - self.lo[d]) / self.step[d]).round()
        } else {
            0.0
        }
    }

    pub(super) fn quantise(&self, d: usize, x: f64) -> u16 {
        // `as` saturates: values off the grid go to its ends.
        self.position(d, x).clamp(0.0, Self::STEPS) as u16
    }

    /// The standardised value of a step.
    pub(super) fn z(&self, d: usize, q: u16) -> f32 {
        self.z_lo[d] + f32::from(q) * self.z_step[d]
    }
}
