//! Group-by aggregates over any filter of tracks (`trackStats`): one statement over
//! the facts tables that groups the filtered tracks by up to three dimensions and computes, per
//! group, the track count, the distinct main artists and, for each measure asked for, its count,
//! mean, minimum, maximum and population standard deviation; ordered, cut to one page and
//! counted (`COUNT(*) OVER ()`) a level above, in the same statement. When the groups are genres or artists,
//! the page is joined to them (artists through `fact_artists`, which numbers them), still in
//! that statement.
//!
//! Neither backend computes a standard deviation the other can match: the bundled SQLite has
//! no `STDDEV` or `SQRT`. Both compute `COUNT`, `SUM(x − c)` and `SUM((x − c)²)` with `c` a
//! fixed value near the middle of the measure's range ([`Measure::center`]), and the variance
//! and its root are taken here from those three numbers. Ordering by the standard deviation
//! orders by the variance, computed by the database from the same sums. Medians are not
//! offered: SQLite has no median, and MariaDB's `MEDIAN` is a window function, not an
//! aggregate.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::track_facts::{self, Dimension, Measure};
use entity::{artist, genre};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, FromQueryResult, Iterable, QueryResult, Statement, Value,
};
use serde::{Deserialize, Serialize};

use super::catalog::{Range, TrackFilter, escape_like};
use crate::error::{ApiError, Result};

/// The most dimensions a request may group by.
pub const MAX_DIMENSIONS: usize = 3;

/// A statistic of a measure over a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stat {
    Mean,
    Min,
    Max,
    /// The population standard deviation.
    Stddev,
}

/// Which statistics of one measure a request reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Wanted {
    pub count: bool,
    pub mean: bool,
    pub min: bool,
    pub max: bool,
    pub stddev: bool,
}

impl Wanted {
    fn any(self) -> bool {
        self.count || self.mean || self.min || self.max || self.stddev
    }
}

/// What the groups are ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatsSort {
    /// The value of one of the grouped dimensions.
    Key(Dimension),
    /// The group's track count.
    Count,
    /// The group's distinct main artists.
    Artists,
    /// A statistic of a measure.
    Stat(Measure, Stat),
}

/// A request for groups of tracks.
#[derive(Clone, Debug)]
pub struct StatsRequest {
    pub filter: TrackFilter,
    pub group_by: Vec<Dimension>,
    /// The statistics to compute, per measure, in [`Measure::ALL`] order.
    pub wanted: [Wanted; Measure::COUNT],
    /// Whether to count each group's distinct main artists.
    pub artists: bool,
    pub sort: StatsSort,
    pub desc: bool,
    /// Groups with fewer tracks are left out.
    pub min_count: u64,
    pub first: u64,
    pub offset: u64,
}

impl StatsRequest {
    /// Names the grouping and ordering in cursors, so a cursor of another is refused.
    pub fn token(&self) -> String {
        let dims: Vec<&str> = self.group_by.iter().map(|d| d.name()).collect();
        format!(
            "trackStats:{}:{:?}:{}",
            dims.join(","),
            self.sort,
            if self.desc { "DESC" } else { "ASC" }
        )
    }
}

/// The value of each grouped dimension; `None` where not grouped, or where the group's tracks
/// have no value (no genre, no release year, no features, no artist).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupKey {
    pub genre: Option<genre::Model>,
    pub release_year: Option<i64>,
    pub decade: Option<i64>,
    pub key: Option<i64>,
    pub mode: Option<i64>,
    pub explicit: Option<bool>,
    pub time_signature: Option<i64>,
    pub artist: Option<artist::Model>,
    pub album_type: Option<String>,
}

/// The statistics of one measure over a group; each `None` when no track of the group has a
/// value.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeasureStats {
    /// Tracks of the group with a value.
    pub count: i64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
}

/// One group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub key: GroupKey,
    pub count: i64,
    /// Distinct main artists; `None` when not asked for.
    pub artists: Option<i64>,
    pub measures: [Option<MeasureStats>; Measure::COUNT],
    /// The group's place in the whole ordered list, from 1.
    pub position: u64,
}

/// One page of groups.
#[derive(Clone, Debug, Default)]
pub struct GroupPage {
    pub groups: Vec<Group>,
    /// How many groups the whole list holds; `None` when the page is empty (the statement then
    /// returns no row to carry it).
    pub total: Option<u64>,
}

/// The expression of a dimension over `track_facts`.
fn key_expr(d: Dimension) -> String {
    match d {
        Dimension::Decade => "(release_year - release_year % 10)".to_owned(),
        d => format!("`{}`", d.column()),
    }
}

fn key_alias(d: Dimension) -> String {
    format!("k_{}", d.name())
}

/// The measure's column as a double: integer columns are cast, so that their sums never
/// overflow and every figure reads as a double on both backends.
fn value(m: Measure) -> String {
    if m.integer() {
        format!("CAST(`{}` AS DOUBLE)", m.column())
    } else {
        format!("`{}`", m.column())
    }
}

fn centered(m: Measure) -> String {
    format!("({} - ({:e}))", value(m), m.center())
}

/// The population variance, computed by the database from the centred sums.
fn variance(m: Measure) -> String {
    let (c, col) = (centered(m), format!("`{}`", m.column()));
    format!("((SUM({c} * {c}) - SUM({c}) * SUM({c}) / COUNT({col})) / COUNT({col}))")
}

fn sort_expr(sort: StatsSort) -> String {
    match sort {
        StatsSort::Key(d) => key_expr(d),
        StatsSort::Count => "COUNT(*)".to_owned(),
        StatsSort::Artists => "COUNT(DISTINCT artist_no)".to_owned(),
        StatsSort::Stat(m, Stat::Mean) => format!("AVG({})", value(m)),
        StatsSort::Stat(m, Stat::Min) => format!("MIN({})", value(m)),
        StatsSort::Stat(m, Stat::Max) => format!("MAX({})", value(m)),
        StatsSort::Stat(m, Stat::Stddev) => variance(m),
    }
}

/// The facts table a request reads, its where clauses and their values: each track once, or
/// once per genre when the groups are genres.
fn conditions(req: &StatsRequest) -> (&'static str, Vec<String>, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let f = &req.filter;
    let by_genre = req.group_by.contains(&Dimension::Genre);
    let table = match (&f.genre_id, by_genre) {
        (Some(g), true) => {
            clauses.push(
                "track_id IN (SELECT track_id FROM track_genres WHERE genre_id = ?)".to_owned(),
            );
            values.push(g.clone().into());
            track_facts::GENRE_TABLE
        }
        // No genre has the empty id: that id holds the rows of tracks without a genre.
        (Some(g), false) if g.is_empty() => {
            clauses.push("1 = 0".to_owned());
            track_facts::TABLE
        }
        // A track has one row under each genre it is in: one range of the primary key.
        (Some(g), false) => {
            clauses.push("genre_id = ?".to_owned());
            values.push(g.clone().into());
            track_facts::GENRE_TABLE
        }
        (None, true) => track_facts::GENRE_TABLE,
        (None, false) => track_facts::TABLE,
    };
    if let Some(name) = &f.name_contains {
        clauses.push(
            "track_id IN (SELECT id FROM tracks WHERE search_key LIKE ? ESCAPE '!')".to_owned(),
        );
        values.push(format!("%{}%", escape_like(name)).into());
    }
    if let Some(artist) = &f.artist_id {
        clauses.push(
            "track_id IN (SELECT track_id FROM track_artists WHERE artist_id = ?)".to_owned(),
        );
        values.push(artist.clone().into());
    }
    if let Some(playlist) = &f.playlist_id {
        clauses.push(
            "track_id IN (SELECT track_id FROM playlist_tracks WHERE playlist_id = ?)".to_owned(),
        );
        values.push(playlist.clone().into());
    }
    let mut range = |column: &str, r: Range<Value>| {
        if let Some(min) = r.min {
            clauses.push(format!("`{column}` >= ?"));
            values.push(min);
        }
        if let Some(max) = r.max {
            clauses.push(format!("`{column}` <= ?"));
            values.push(max);
        }
    };
    let ints = |r: Range<i32>| Range {
        min: r.min.map(Value::from),
        max: r.max.map(Value::from),
    };
    range("popularity", ints(f.popularity));
    range("release_year", ints(f.release_year));
    for (feature, r) in &f.features {
        range(
            feature.name(),
            Range {
                min: r.min.map(Value::from),
                max: r.max.map(Value::from),
            },
        );
    }
    (table, clauses, values)
}

/// `SELECT select FROM` the facts table of a request, filtered, grouped and bounded, and its
/// values.
fn grouped(req: &StatsRequest, select: &str) -> (String, Vec<Value>) {
    let (table, clauses, mut values) = conditions(req);
    let mut sql = format!("SELECT {select} FROM {table}");
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    if !req.group_by.is_empty() {
        let keys: Vec<String> = req.group_by.iter().map(|&d| key_expr(d)).collect();
        sql.push_str(" GROUP BY ");
        sql.push_str(&keys.join(", "));
    }
    // Without a grouping the one row is a group only when some track is selected.
    if req.group_by.is_empty() || req.min_count > 1 {
        sql.push_str(" HAVING COUNT(*) >= ?");
        values.push(Value::from(
            i64::try_from(req.min_count.max(1)).unwrap_or(i64::MAX),
        ));
    }
    (sql, values)
}

/// The statement of a request, and its values.
fn statement(req: &StatsRequest) -> (String, Vec<Value>) {
    let mut select = Vec::new();
    for &d in &req.group_by {
        select.push(format!("{} AS {}", key_expr(d), key_alias(d)));
    }
    select.push("COUNT(*) AS n".to_owned());
    if req.artists {
        select.push("COUNT(DISTINCT artist_no) AS artists".to_owned());
    }
    for m in Measure::ALL {
        let w = req.wanted[m.index()];
        if !w.any() {
            continue;
        }
        let name = m.column();
        select.push(format!("COUNT(`{name}`) AS {name}_n"));
        if w.mean || w.stddev {
            select.push(format!("SUM({}) AS {name}_s1", centered(m)));
        }
        if w.stddev {
            let c = centered(m);
            select.push(format!("SUM({c} * {c}) AS {name}_s2"));
        }
        if w.min {
            select.push(format!("MIN({}) AS {name}_min", value(m)));
        }
        if w.max {
            select.push(format!("MAX({}) AS {name}_max", value(m)));
        }
    }
    select.push(format!("{} AS sort_value", sort_expr(req.sort)));

    let (sql, values) = grouped(req, &select.join(", "));
    // Ordered, cut and counted over the groups, a level above the grouping: in one level,
    // MariaDB 10.11 ignored every sort key after the first when the statement also had a
    // `COUNT(DISTINCT …)` and a window function.
    let sql = format!(
        "SELECT g.*, COUNT(*) OVER () AS total FROM ({sql}) g ORDER BY {} LIMIT {} OFFSET {}",
        order_by(req, "g."),
        req.first,
        req.offset
    );

    let by_genre = req.group_by.contains(&Dimension::Genre);
    let by_artist = req.group_by.contains(&Dimension::Artist);
    if !(by_genre || by_artist) {
        return (sql, values);
    }
    // The page joined to the genres and artists it names.
    let mut outer = vec!["s.*".to_owned()];
    let mut joins = String::new();
    if by_genre {
        outer.push("ge.id AS ge_id, ge.name AS ge_name".to_owned());
        joins.push_str(&format!(
            " LEFT JOIN genres ge ON ge.id = s.{}",
            key_alias(Dimension::Genre)
        ));
    }
    if by_artist {
        for c in artist::Column::iter() {
            let c = sea_orm::IdenStatic::as_str(&c);
            outer.push(format!("ar.{c} AS ar_{c}"));
        }
        joins.push_str(&format!(
            " LEFT JOIN {} fa ON fa.no = s.{} LEFT JOIN artists ar ON ar.id = fa.artist_id",
            track_facts::ARTISTS,
            key_alias(Dimension::Artist)
        ));
    }
    let sql = format!(
        "SELECT {} FROM ({sql}) s{joins} ORDER BY {}",
        outer.join(", "),
        order_by(req, "s.")
    );
    (sql, values)
}

/// The order of the groups: the sort value, then every key ascending; `prefix` qualifies the
/// columns of the outer statement.
fn order_by(req: &StatsRequest, prefix: &str) -> String {
    let dir = if req.desc { "DESC" } else { "ASC" };
    let mut parts = vec![format!("{prefix}sort_value {dir}")];
    for &d in &req.group_by {
        parts.push(format!("{prefix}{} ASC", key_alias(d)));
    }
    parts.join(", ")
}

fn read_stats(row: &QueryResult, m: Measure, w: Wanted) -> Result<MeasureStats, DbErr> {
    let name = m.column();
    let count: i64 = row.try_get("", &format!("{name}_n"))?;
    let n = count as f64;
    let s1: Option<f64> = if w.mean || w.stddev {
        row.try_get("", &format!("{name}_s1"))?
    } else {
        None
    };
    let s2: Option<f64> = if w.stddev {
        row.try_get("", &format!("{name}_s2"))?
    } else {
        None
    };
    let some = |x: Option<f64>| x.filter(|_| count > 0);
    Ok(MeasureStats {
        count,
        mean: some(s1.map(|s1| m.center() + s1 / n)).filter(|_| w.mean),
        min: if w.min {
            some(row.try_get("", &format!("{name}_min"))?)
        } else {
            None
        },
        max: if w.max {
            some(row.try_get("", &format!("{name}_max"))?)
        } else {
            None
        },
        stddev: match (s1, s2) {
            (Some(s1), Some(s2)) if count > 0 => Some(stddev(n, s1, s2)),
            _ => None,
        },
    })
}

/// The population standard deviation from the count and the centred sums. A variance within
/// the rounding error of the sums (a group of equal values far from the centre) is 0.
fn stddev(n: f64, s1: f64, s2: f64) -> f64 {
    let (mean, square) = (s1 / n, s2 / n);
    let variance = square - mean * mean;
    if variance <= square * 1e-12 {
        0.0
    } else {
        variance.sqrt()
    }
}

fn read_key(row: &QueryResult, group_by: &[Dimension]) -> Result<GroupKey, DbErr> {
    let mut key = GroupKey::default();
    for &d in group_by {
        let alias = key_alias(d);
        let int = || row.try_get::<Option<i64>>("", &alias);
        match d {
            Dimension::Genre => {
                let id: Option<String> = row.try_get("", "ge_id")?;
                key.genre = match id {
                    Some(_) => Some(genre::Model::from_query_result(row, "ge_")?),
                    None => None,
                };
            }
            Dimension::ReleaseYear => key.release_year = int()?,
            Dimension::Decade => key.decade = int()?,
            Dimension::Key => key.key = int()?,
            Dimension::Mode => key.mode = int()?,
            Dimension::Explicit => key.explicit = int()?.map(|v| v != 0),
            Dimension::TimeSignature => key.time_signature = int()?,
            Dimension::Artist => {
                let id: Option<String> = row.try_get("", "ar_id")?;
                key.artist = match id {
                    Some(_) => Some(artist::Model::from_query_result(row, "ar_")?),
                    None => None,
                };
            }
            Dimension::AlbumType => key.album_type = row.try_get("", &alias)?,
        }
    }
    Ok(key)
}

/// One page of groups, in one statement.
pub async fn track_stats(db: &impl ConnectionTrait, req: &StatsRequest) -> Result<GroupPage> {
    if req.first == 0 {
        return Ok(GroupPage::default());
    }
    let (sql, values) = statement(req);
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut page = GroupPage::default();
    for (i, row) in rows.iter().enumerate() {
        if page.total.is_none() {
            let total: i64 = row.try_get("", "total")?;
            page.total = Some(u64::try_from(total).unwrap_or(0));
        }
        let mut measures = [None; Measure::COUNT];
        for m in Measure::ALL {
            let w = req.wanted[m.index()];
            if w.any() {
                measures[m.index()] = Some(read_stats(row, m, w)?);
            }
        }
        page.groups.push(Group {
            key: read_key(row, &req.group_by)?,
            count: row.try_get("", "n")?,
            artists: if req.artists {
                Some(row.try_get("", "artists")?)
            } else {
                None
            },
            measures,
            position: req.offset + i as u64 + 1,
        });
    }
    Ok(page)
}

/// How many groups a request's whole list holds, for a page that returned none.
pub async fn count_groups(db: &impl ConnectionTrait, req: &StatsRequest) -> Result<u64> {
    let (inner, values) = grouped(req, "COUNT(*) AS c");
    let sql = format!("SELECT COUNT(*) AS n FROM ({inner}) g");
    let backend: DbBackend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let n: i64 = match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

#[derive(Serialize, Deserialize)]
struct RawCursor {
    o: String,
    /// The position of the group the cursor points at, from 1.
    p: u64,
}

/// The cursor of the group at `position` in a request's ordering.
pub fn cursor(req: &StatsRequest, position: u64) -> String {
    let raw = RawCursor {
        o: req.token(),
        p: position,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&raw).unwrap_or_default())
}

/// The offset a client's `after` cursor starts at; refused when it belongs to another grouping
/// or ordering.
pub fn offset_after(req: &StatsRequest, after: &str) -> Result<u64> {
    let bad = || ApiError::bad_input("`after` is not a cursor of this grouping and ordering");
    let bytes = URL_SAFE_NO_PAD.decode(after.trim()).map_err(|_| bad())?;
    let raw: RawCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if raw.o != req.token() || i64::try_from(raw.p).is_err() {
        return Err(bad());
    }
    Ok(raw.p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> StatsRequest {
        StatsRequest {
            filter: TrackFilter::default(),
            group_by: vec![Dimension::Decade, Dimension::Mode],
            wanted: [Wanted::default(); Measure::COUNT],
            artists: false,
            sort: StatsSort::Count,
            desc: true,
            min_count: 1,
            first: 10,
            offset: 0,
        }
    }

    #[test]
    fn equal_values_far_from_the_centre_have_no_deviation() {
        let (n, x, c) = (1000.0, 600_000.0, 240_000.0);
        let (s1, s2) = (n * (x - c), n * (x - c) * (x - c));
        assert_eq!(stddev(n, s1, s2), 0.0);
        // 1, 2, 3 around a centre of 0.5: sd = sqrt(2/3).
        let (s1, s2) = (0.5 + 1.5 + 2.5, 0.25 + 2.25 + 6.25);
        assert!((stddev(3.0, s1, s2) - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_cursor_gives_the_offset_after_its_group_and_only_to_its_own_ordering() {
        let req = request();
        let c = cursor(&req, 20);
        assert_eq!(offset_after(&req, &c).ok(), Some(20));
        let other = StatsRequest {
            desc: false,
            ..request()
        };
        assert!(offset_after(&other, &c).is_err());
        assert!(offset_after(&req, "not a cursor").is_err());
        assert!(offset_after(&req, &cursor(&req, u64::MAX)).is_err());
    }

    #[test]
    fn without_genre_grouping_each_track_is_read_once() {
        let (sql, values) = statement(&request());
        assert!(sql.contains("FROM track_facts "), "{sql}");
        assert!(values.is_empty());
        let by_genre = StatsRequest {
            group_by: vec![Dimension::Genre],
            ..request()
        };
        let (sql, _) = statement(&by_genre);
        assert!(sql.contains("FROM track_genre_facts "), "{sql}");
        assert!(sql.contains("LEFT JOIN genres ge"), "{sql}");
    }
}
