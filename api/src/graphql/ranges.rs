//! Ranges clients give as inputs (`{ min max }`), checked into service-layer ranges.

use async_graphql::InputObject;
use entity::Feature;

use crate::error::{ApiError, Result};
use crate::service::catalog::Range;

/// An inclusive integer range; either end may be left out.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct IntRange {
    /// The smallest value included; no lower bound when null.
    pub min: Option<i32>,
    /// The largest value included; no upper bound when null.
    pub max: Option<i32>,
}

/// An inclusive range of numbers; either end may be left out.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct FloatRange {
    /// The smallest value included; no lower bound when null.
    pub min: Option<f64>,
    /// The largest value included; no upper bound when null.
    pub max: Option<f64>,
}

fn check_order<T: PartialOrd + std::fmt::Display>(
    name: &str,
    min: Option<T>,
    max: Option<T>,
) -> Result<()> {
    if let (Some(min), Some(max)) = (&min, &max)
        && min > max
    {
        return Err(ApiError::bad_input(format!(
            "`{name}`: min {min} is above max {max}"
        )));
    }
    Ok(())
}

impl IntRange {
    /// Checks that `min` is not above `max`; `name` names the argument in errors.
    pub(super) fn check(self, name: &str) -> Result<Range<i32>> {
        check_order(name, self.min, self.max)?;
        Ok(Range {
            min: self.min,
            max: self.max,
        })
    }
}

impl FloatRange {
    /// Checks both ends against the feature's range and their order.
    pub(super) fn check(self, name: &str, feature: Feature) -> Result<Range<f64>> {
        for v in [self.min, self.max].into_iter().flatten() {
            feature
                .check(v)
                .map_err(|e| ApiError::bad_input(format!("`{name}`: {v} is {e}")))?;
        }
        check_order(name, self.min, self.max)?;
        Ok(Range {
            min: self.min,
            max: self.max,
        })
    }
}
