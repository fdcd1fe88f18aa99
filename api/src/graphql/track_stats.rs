//! `trackStats`: tracks grouped by up to three dimensions over any filter of `tracks`, with
//! counts and statistics per group, as a paged connection. The statistics computed are those
//! the document selects (read ahead), so a chart of one mean costs one aggregate per row.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, Result};
use entity::track_facts::{Dimension, Measure};

use super::connection::db;
use super::features::TrackMeasure;
use super::inputs::{SortDirection, TrackFilterInput};
use super::types::{Artist, Genre};
use crate::error::ApiError;
use crate::service::page::check_first;
use crate::service::track_stats::{
    self, Group, GroupKey, MAX_DIMENSIONS, Stat, StatsRequest, StatsSort, Wanted,
};

/// What tracks can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::track_facts::Dimension")]
pub enum TrackDimension {
    /// The track's genres: a track in several genres counts in each.
    Genre,
    /// The release year of the track's album.
    ReleaseYear,
    /// The decade of the release year: 1990 for 1990 to 1999.
    Decade,
    /// The pitch class (0 to 11, -1 when none was detected).
    Key,
    /// 1 major, 0 minor.
    Mode,
    /// Whether the track is explicit.
    Explicit,
    /// Beats per bar.
    TimeSignature,
    /// The main (first credited) artist.
    Artist,
    /// The album's type: album, single or compilation.
    AlbumType,
}

/// What groups are ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum TrackStatsSortBy {
    /// The value of a grouped dimension (`dimension`, the first grouped by default).
    Key,
    /// The track count.
    Count,
    /// The distinct main artists.
    Artists,
    /// The mean of `measure`.
    Mean,
    /// The minimum of `measure`.
    Min,
    /// The maximum of `measure`.
    Max,
    /// The standard deviation of `measure`.
    Stddev,
}

/// The order of `trackStats`. Without a direction, keys sort ascending and figures descending;
/// ties are broken by the grouped keys, ascending. Null values sort lowest.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct TrackStatsOrder {
    /// What to order by.
    pub by: TrackStatsSortBy,
    /// For `KEY`: which grouped dimension.
    pub dimension: Option<TrackDimension>,
    /// For `MEAN`, `MIN`, `MAX` and `STDDEV`: which measure.
    pub measure: Option<TrackMeasure>,
    /// Ascending or descending; when null, keys ascend and figures descend.
    pub direction: Option<SortDirection>,
}

impl TrackStatsOrder {
    /// The service's ordering, checked against the grouping.
    fn resolve(order: Option<Self>, group_by: &[Dimension]) -> Result<(StatsSort, bool)> {
        let order = order.unwrap_or(Self {
            by: TrackStatsSortBy::Count,
            dimension: None,
            measure: None,
            direction: None,
        });
        let bad = |m: &str| Err(ApiError::bad_input(format!("orderBy: {m}")).into());
        if order.dimension.is_some() && order.by != TrackStatsSortBy::Key {
            return bad("`dimension` goes with `by: KEY` only");
        }
        let stat = match order.by {
            TrackStatsSortBy::Mean => Some(Stat::Mean),
            TrackStatsSortBy::Min => Some(Stat::Min),
            TrackStatsSortBy::Max => Some(Stat::Max),
            TrackStatsSortBy::Stddev => Some(Stat::Stddev),
            _ => None,
        };
        if stat.is_none() && order.measure.is_some() {
            return bad("`measure` goes with `by: MEAN`, `MIN`, `MAX` or `STDDEV` only");
        }
        let sort = match (order.by, stat) {
            (TrackStatsSortBy::Key, _) => {
                let dimension = match order.dimension {
                    Some(d) => Dimension::from(d),
                    None => match group_by.first() {
                        Some(&d) => d,
                        None => return bad("`by: KEY` needs a `groupBy`"),
                    },
                };
                if !group_by.contains(&dimension) {
                    return bad("`dimension` must be one of `groupBy`");
                }
                StatsSort::Key(dimension)
            }
            (TrackStatsSortBy::Count, _) => StatsSort::Count,
            (TrackStatsSortBy::Artists, _) => StatsSort::Artists,
            (_, Some(stat)) => match order.measure {
                Some(m) => StatsSort::Stat(m.into(), stat),
                None => return bad("`by: MEAN`, `MIN`, `MAX` and `STDDEV` need a `measure`"),
            },
            (_, None) => StatsSort::Count,
        };
        let desc = match order.direction {
            Some(d) => d == SortDirection::Desc,
            None => order.by != TrackStatsSortBy::Key,
        };
        Ok((sort, desc))
    }
}

/// A group's tracks do not carry a figure the document did not select.
pub(crate) fn not_computed(field: &str) -> async_graphql::Error {
    ApiError::Execution(format!("`{field}` of a track group was not computed")).into()
}

/// A group of tracks.
pub struct TrackGroup(pub Group);

impl TrackGroup {
    pub(crate) fn measure(&self, m: Measure) -> Result<MeasureStats> {
        self.0.measures[m.index()]
            .map(MeasureStats)
            .ok_or_else(|| not_computed(Self::MEASURE_FIELDS[m.index()]))
    }
}

/// The key of a group, as the `TrackGroupKey` object.
pub struct TrackGroupKey(pub GroupKey);

/// The key of a group: the value of each grouped dimension, null for the others. A grouped
/// dimension is null too for the group of tracks without a value (no genre, no release year,
/// no audio features).
#[Object]
impl TrackGroupKey {
    /// The genre, when grouped by `GENRE`.
    async fn genre(&self) -> Option<Genre> {
        self.0.genre.clone().map(Genre)
    }
    /// The release year of the tracks' albums, when grouped by `RELEASE_YEAR`.
    async fn release_year(&self) -> Option<i64> {
        self.0.release_year
    }
    /// The decade's first year (1990 for 1990 to 1999), when grouped by `DECADE`.
    async fn decade(&self) -> Option<i64> {
        self.0.decade
    }
    /// Pitch class 0 to 11; -1 when no key was detected.
    async fn key(&self) -> Option<i64> {
        self.0.key
    }
    /// 1 major, 0 minor.
    async fn mode(&self) -> Option<i64> {
        self.0.mode
    }
    /// Whether the tracks are explicit, when grouped by `EXPLICIT`.
    async fn explicit(&self) -> Option<bool> {
        self.0.explicit
    }
    /// Beats per bar, when grouped by `TIME_SIGNATURE`.
    async fn time_signature(&self) -> Option<i64> {
        self.0.time_signature
    }
    /// The main artist.
    async fn artist(&self) -> Option<Artist> {
        self.0.artist.clone().map(Artist::new)
    }
    /// `album`, `single` or `compilation`, when grouped by `ALBUM_TYPE`.
    async fn album_type(&self) -> Option<&str> {
        self.0.album_type.as_deref()
    }
}

/// The statistics of one measure over a group, as the `MeasureStats` object.
pub struct MeasureStats(track_stats::MeasureStats);

/// Statistics of one measure over a group, of its tracks that have a value; null when none
/// has.
#[Object]
impl MeasureStats {
    /// Tracks of the group with a value.
    async fn count(&self) -> i64 {
        self.0.count
    }
    /// The mean value, in the measure's unit.
    async fn mean(&self) -> Option<f64> {
        self.0.mean
    }
    /// The smallest value.
    async fn min(&self) -> Option<f64> {
        self.0.min
    }
    /// The largest value.
    async fn max(&self) -> Option<f64> {
        self.0.max
    }
    /// The population standard deviation (MariaDB's `STDDEV`, DuckDB's `stddev_pop`).
    async fn stddev(&self) -> Option<f64> {
        self.0.stddev
    }
}

/// How many groups the whole list holds.
pub struct GroupTotal {
    total: Option<u64>,
    request: StatsRequest,
}

#[Object]
impl GroupTotal {
    /// Groups across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        match self.total {
            Some(n) => Ok(n),
            None => Ok(track_stats::count_groups(db(ctx), &self.request).await?),
        }
    }
}

/// A page of groups.
pub type GroupConn = Connection<String, TrackGroup, GroupTotal>;

/// Tracks grouped and aggregated.
#[derive(Default)]
pub struct TrackStatsQuery;

#[Object]
impl TrackStatsQuery {
    /// Tracks grouped by up to three dimensions (none: one group of every track), filtered like
    /// `tracks`: per group its key, track count, distinct main artists, and the count, mean,
    /// minimum, maximum and standard deviation of popularity, duration and each audio feature
    /// over its tracks that have them. Computed by the database in one statement, for the
    /// figures the query selects. Groups of fewer than `minCount` tracks are left out. Most
    /// tracks first unless ordered otherwise; a page at a time.
    // The arguments are the GraphQL field's.
    #[allow(clippy::too_many_arguments)]
    async fn track_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which tracks to group, as for `tracks`; every track when null.")]
        filter: Option<TrackFilterInput>,
        #[graphql(
            default,
            desc = "Up to three dimensions to group by, none twice; none makes one group of \
                    every track."
        )]
        group_by: Vec<TrackDimension>,
        #[graphql(
            desc = "The order of the groups; when null, by track count, most tracks first \
                    (ties by the grouped keys)."
        )]
        order_by: Option<TrackStatsOrder>,
        #[graphql(
            default = 1,
            desc = "The fewest tracks a group may have to be listed; 0 or more."
        )]
        min_count: i32,
        #[graphql(
            default = 20,
            desc = "How many items to return: 0 to the page size limit (100 by default); more \
                    is a `PAGE_TOO_LARGE` error."
        )]
        first: i32,
        #[graphql(
            desc = "Continue after this cursor: the `endCursor` (or an edge's `cursor`) of \
                    an earlier page of this list with the same arguments; cursors are \
                    opaque. Omit for the first page."
        )]
        after: Option<String>,
    ) -> Result<GroupConn> {
        let group_by = check_group_by(&group_by)?;
        let (sort, desc) = TrackStatsOrder::resolve(order_by, &group_by)?;
        let min_count = u64::try_from(min_count).map_err(|_| {
            ApiError::bad_input(format!("minCount must be 0 or more, not {min_count}"))
        })?;
        // A group is selected under `edges { node }` or under `nodes`.
        let look = ctx.look_ahead();
        let nodes = [look.field("edges").field("node"), look.field("nodes")];
        let selected = |path: &[&str]| {
            nodes.iter().any(|n| {
                let mut l = n.field(path[0]);
                for f in &path[1..] {
                    l = l.field(f);
                }
                l.exists()
            })
        };
        let mut wanted = [Wanted::default(); Measure::COUNT];
        for m in Measure::ALL {
            let field = TrackGroup::MEASURE_FIELDS[m.index()];
            wanted[m.index()] = Wanted {
                count: selected(&[field, "count"]),
                mean: selected(&[field, "mean"]),
                min: selected(&[field, "min"]),
                max: selected(&[field, "max"]),
                stddev: selected(&[field, "stddev"]),
            };
        }
        let mut request = StatsRequest {
            filter: filter.unwrap_or_default().check()?,
            group_by,
            wanted,
            artists: selected(&["artists"]),
            sort,
            desc,
            min_count,
            first: check_first(first, super::page_limit(ctx))?,
            offset: 0,
        };
        if let Some(after) = &after {
            request.offset = track_stats::offset_after(&request, after)?;
        }
        let page = track_stats::track_stats(db(ctx), &request).await?;
        let has_next = page
            .total
            .is_some_and(|total| request.offset + (page.groups.len() as u64) < total);
        let mut conn = Connection::with_additional_fields(
            request.offset > 0,
            has_next,
            GroupTotal {
                total: page.total,
                request: request.clone(),
            },
        );
        conn.edges.extend(
            page.groups
                .into_iter()
                .map(|g| Edge::new(track_stats::cursor(&request, g.position), TrackGroup(g))),
        );
        Ok(conn)
    }
}

/// The dimensions of `groupBy`: at most [`MAX_DIMENSIONS`], none twice.
fn check_group_by(group_by: &[TrackDimension]) -> Result<Vec<Dimension>> {
    if group_by.len() > MAX_DIMENSIONS {
        return Err(ApiError::bad_input(format!(
            "groupBy takes at most {MAX_DIMENSIONS} dimensions, not {}",
            group_by.len()
        ))
        .into());
    }
    let dims: Vec<Dimension> = group_by.iter().map(|&d| d.into()).collect();
    for (i, d) in dims.iter().enumerate() {
        if dims[..i].contains(d) {
            return Err(ApiError::bad_input(format!("groupBy names {} twice", d.name())).into());
        }
    }
    Ok(dims)
}
