//! Keyset pagination: orderings, opaque cursors and the pages they cut.
//!
//! A list is ordered by one sort expression and the id as a tie-break, both in the same
//! direction. A cursor carries the ordering it belongs to, the sort value and the id of the last
//! row seen; the next page starts strictly after it. NULL sort values sort as the databases sort
//! them (lowest: first ascending, last descending), alike on MySQL and SQLite.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, Func, Order, OverStatement, Query,
    SelectStatement, WindowStatement,
};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Result};

const SORT_VALUE: &str = "sort_value";
const SORT_ID: &str = "sort_id";
const PARENT_ID: &str = "parent_id";
const ROW_NUMBER: &str = "row_num";

/// The type of a sort expression, which says how to read and compare cursor values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKind {
    Int,
    Float,
    Text,
    Date,
}

/// A value of a sort expression.
#[derive(Clone, Debug, PartialEq)]
pub enum SortValue {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDate),
}

impl SortValue {
    fn read(row: &QueryResult, kind: SortKind) -> Result<Self, DbErr> {
        Ok(match kind {
            SortKind::Int => row
                .try_get::<Option<i64>>("", SORT_VALUE)?
                .map_or(Self::Null, Self::Int),
            SortKind::Float => row
                .try_get::<Option<f64>>("", SORT_VALUE)?
                .map_or(Self::Null, Self::Float),
            SortKind::Text => row
                .try_get::<Option<String>>("", SORT_VALUE)?
                .map_or(Self::Null, Self::Text),
            SortKind::Date => row
                .try_get::<Option<NaiveDate>>("", SORT_VALUE)?
                .map_or(Self::Null, Self::Date),
        })
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Int(v) => (*v).into(),
            Self::Float(v) => (*v).into(),
            Self::Text(v) => v.clone().into(),
            Self::Date(v) => v.to_string().into(),
        }
    }

    fn from_json(v: &serde_json::Value, kind: SortKind) -> Option<Self> {
        if v.is_null() {
            return Some(Self::Null);
        }
        Some(match kind {
            SortKind::Int => Self::Int(v.as_i64()?),
            SortKind::Float => Self::Float(v.as_f64()?),
            SortKind::Text => Self::Text(v.as_str()?.to_owned()),
            SortKind::Date => Self::Date(v.as_str()?.parse().ok()?),
        })
    }

    fn expr(&self) -> Expr {
        match self {
            Self::Null => Expr::cust("NULL"),
            Self::Int(v) => Expr::val(*v),
            Self::Float(v) => Expr::val(*v),
            Self::Text(v) => Expr::val(v.clone()),
            Self::Date(v) => Expr::val(*v),
        }
    }
}

/// How a list is ordered.
#[derive(Clone, Debug)]
pub struct Ordering {
    /// Names the ordering in cursors, e.g. `tracks:POPULARITY:DESC`.
    pub token: String,
    pub sort: Expr,
    pub kind: SortKind,
    pub id: Expr,
    pub desc: bool,
}

impl Ordering {
    fn order(&self) -> Order {
        if self.desc { Order::Desc } else { Order::Asc }
    }

    fn apply(&self, stmt: &mut SelectStatement) {
        stmt.order_by_expr(self.sort.clone(), self.order())
            .order_by_expr(self.id.clone(), self.order());
    }

    fn window(&self, partition: Expr) -> WindowStatement {
        let mut w = WindowStatement::new();
        w.add_partition_by(partition);
        w.order_by_expr(self.sort.clone(), self.order())
            .order_by_expr(self.id.clone(), self.order());
        w
    }

    /// The rows strictly after `cursor` in this ordering.
    fn after(&self, cursor: &Position) -> Condition {
        let (sort, id) = (self.sort.clone(), self.id.clone());
        let beyond = |a: Expr, b: Expr| if self.desc { a.lt(b) } else { a.gt(b) };
        let id_beyond = beyond(id.clone(), Expr::val(cursor.id.clone()));
        match (&cursor.value, self.desc) {
            (SortValue::Null, false) => Condition::any()
                .add(Condition::all().add(sort.clone().is_null()).add(id_beyond))
                .add(sort.is_not_null()),
            (SortValue::Null, true) => Condition::all().add(sort.is_null()).add(id_beyond),
            (v, desc) => {
                let mut c = Condition::any().add(beyond(sort.clone(), v.expr())).add(
                    Condition::all()
                        .add(sort.clone().eq(v.expr()))
                        .add(id_beyond),
                );
                if desc {
                    c = c.add(sort.is_null());
                }
                c
            }
        }
    }

    /// Decodes a client's cursor, checking it belongs to this ordering.
    pub fn decode(&self, cursor: &str) -> Result<Position> {
        let bad = || ApiError::bad_input("`after` is not a cursor of this list and ordering");
        let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
        let raw: RawCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if raw.o != self.token {
            return Err(bad());
        }
        let value = SortValue::from_json(&raw.v, self.kind).ok_or_else(bad)?;
        Ok(Position { value, id: raw.id })
    }

    fn encode(&self, pos: &Position) -> String {
        let raw = RawCursor {
            o: self.token.clone(),
            v: pos.value.to_json(),
            id: pos.id.clone(),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&raw).unwrap_or_default())
    }
}

#[derive(Serialize, Deserialize)]
struct RawCursor {
    o: String,
    v: serde_json::Value,
    id: String,
}

/// Where a row sits in an ordering.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub value: SortValue,
    pub id: String,
}

impl Eq for Position {}

impl std::hash::Hash for Position {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        match &self.value {
            SortValue::Null => 0u8.hash(state),
            SortValue::Int(v) => v.hash(state),
            SortValue::Float(v) => v.to_bits().hash(state),
            SortValue::Text(v) => v.hash(state),
            SortValue::Date(v) => v.hash(state),
        }
    }
}

/// Page size and start, checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: u64,
    pub after: Option<Position>,
}

impl PageArgs {
    /// Checks `first` against the cap `max` (an error, not a silent clamp) and decodes `after`.
    pub fn new(first: i32, max: i32, after: Option<&str>, ordering: &Ordering) -> Result<Self> {
        Ok(Self {
            first: check_first(first, max)?,
            after: after.map(|a| ordering.decode(a)).transpose()?,
        })
    }
}

/// Checks a page size: 0 to `max`. A negative size is bad input; one above `max` is
/// [`ApiError::PageTooLarge`].
pub fn check_first(first: i32, max: i32) -> Result<u64> {
    match u64::try_from(first) {
        Err(_) => Err(ApiError::bad_input(format!(
            "`first` must be between 0 and {max}, got {first}"
        ))),
        Ok(_) if first > max => Err(ApiError::PageTooLarge(format!(
            "`first` must be between 0 and {max}, got {first}"
        ))),
        Ok(n) => Ok(n),
    }
}

/// One page of rows, each with its cursor.
#[derive(Clone, Debug)]
pub struct Page<M> {
    pub items: Vec<(M, String)>,
    pub has_next: bool,
}

impl<M> Default for Page<M> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            has_next: false,
        }
    }
}

fn row_to_item<M: FromQueryResult>(
    row: &QueryResult,
    ordering: &Ordering,
) -> Result<(M, String), DbErr> {
    let model = M::from_query_result(row, "")?;
    let pos = Position {
        value: SortValue::read(row, ordering.kind)?,
        id: row.try_get("", SORT_ID)?,
    };
    Ok((model, ordering.encode(&pos)))
}

/// Runs `stmt` (a filtered select of `M`'s columns) for one page.
pub async fn fetch_page<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    mut stmt: SelectStatement,
    ordering: &Ordering,
    args: &PageArgs,
) -> Result<Page<M>, DbErr> {
    if args.first == 0 {
        return Ok(Page::default());
    }
    if let Some(after) = &args.after {
        stmt.cond_where(ordering.after(after));
    }
    stmt.expr_as(ordering.sort.clone(), Alias::new(SORT_VALUE))
        .expr_as(ordering.id.clone(), Alias::new(SORT_ID))
        .limit(args.first + 1);
    ordering.apply(&mut stmt);
    let rows = db.query_all(&stmt).await?;
    let has_next = rows.len() as u64 > args.first;
    let items = rows
        .iter()
        .take(args.first as usize)
        .map(|row| row_to_item(row, ordering))
        .collect::<Result<_, _>>()?;
    Ok(Page { items, has_next })
}

/// Pages of several parents in one statement: `stmt` selects `M`'s columns for every parent in
/// the batch, `parent` names each row's parent; a window function cuts each parent's page.
pub async fn fetch_pages_by_parent<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    mut stmt: SelectStatement,
    parent: Expr,
    ordering: &Ordering,
    args: &PageArgs,
) -> Result<HashMap<String, Page<M>>, DbErr> {
    let mut pages: HashMap<String, Page<M>> = HashMap::new();
    if args.first == 0 {
        return Ok(pages);
    }
    if let Some(after) = &args.after {
        stmt.cond_where(ordering.after(after));
    }
    stmt.expr_as(ordering.sort.clone(), Alias::new(SORT_VALUE))
        .expr_as(ordering.id.clone(), Alias::new(SORT_ID))
        .expr_as(parent.clone(), Alias::new(PARENT_ID))
        .expr_window_as(
            Func::cust("ROW_NUMBER"),
            ordering.window(parent),
            Alias::new(ROW_NUMBER),
        );
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(stmt, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new(ROW_NUMBER)).lte(args.first + 1))
        .order_by(Alias::new(PARENT_ID), Order::Asc)
        .order_by(Alias::new(ROW_NUMBER), Order::Asc)
        .to_owned();
    for row in db.query_all(&outer).await? {
        let parent: String = row.try_get("", PARENT_ID)?;
        let page = pages.entry(parent).or_default();
        if page.items.len() as u64 >= args.first {
            page.has_next = true;
            continue;
        }
        page.items.push(row_to_item(&row, ordering)?);
    }
    Ok(pages)
}

/// Counts the rows `stmt` selects.
pub async fn count(db: &impl ConnectionTrait, stmt: &SelectStatement) -> Result<u64, DbErr> {
    let mut inner = stmt.clone();
    inner.clear_order_by().clear_selects().expr(Expr::cust("1"));
    let outer = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(inner, Alias::new("counted"))
        .to_owned();
    let n: i64 = match db.query_one(&outer).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}
