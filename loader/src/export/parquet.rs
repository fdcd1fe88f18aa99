//! One Parquet file of one table, written a row group at a time: rows are read from the
//! database into column buffers, and every [`ROW_GROUP_ROWS`] rows the buffers are encoded as a
//! row group and emptied, so memory stays bounded whatever the table's size.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use sea_orm::QueryResult;

use crate::error::{LoaderError, Result};

/// Rows a row group holds, unless told otherwise.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// A column's type, in the database and in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    Int32,
    Int64,
    Double,
    Bool,
    /// A calendar date (`INT32 (DATE)`).
    Date,
    /// An instant in UTC (`INT64 (TIMESTAMP(MILLIS, true))`).
    Timestamp,
}

/// A column of an exported table: its name in the file (and alias in the statement), its type,
/// whether it may be null, and the SQL expression that gives it.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub sql: &'static str,
}

/// The codec of every column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Codec {
    Zstd,
    Snappy,
}

impl Codec {
    fn compression(self) -> Compression {
        match self {
            Self::Zstd => Compression::ZSTD(ZstdLevel::default()),
            Self::Snappy => Compression::SNAPPY,
        }
    }
}

/// The Parquet schema of a table's columns.
fn schema(table: &str, columns: &[Column]) -> String {
    let fields: String = columns
        .iter()
        .map(|c| {
            let repetition = if c.nullable { "OPTIONAL" } else { "REQUIRED" };
            let (physical, logical) = match c.kind {
                Kind::Text => ("BYTE_ARRAY", " (UTF8)"),
                Kind::Int32 => ("INT32", ""),
                Kind::Int64 => ("INT64", ""),
                Kind::Double => ("DOUBLE", ""),
                Kind::Bool => ("BOOLEAN", ""),
                Kind::Date => ("INT32", " (DATE)"),
                Kind::Timestamp => ("INT64", " (TIMESTAMP(MILLIS,true))"),
            };
            format!("{repetition} {physical} {}{logical}; ", c.name)
        })
        .collect();
    format!("message {table} {{ {fields}}}")
}

/// The values of one column in the current row group, with their definition levels (0 for a
/// null, 1 for a value) when the column may be null.
enum Values {
    Text(Vec<ByteArray>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Double(Vec<f64>),
    Bool(Vec<bool>),
}

struct Buffer {
    column: Column,
    values: Values,
    levels: Vec<i16>,
}

impl Buffer {
    fn new(column: Column) -> Self {
        let values = match column.kind {
            Kind::Text => Values::Text(Vec::new()),
            Kind::Int32 | Kind::Date => Values::Int32(Vec::new()),
            Kind::Int64 | Kind::Timestamp => Values::Int64(Vec::new()),
            Kind::Double => Values::Double(Vec::new()),
            Kind::Bool => Values::Bool(Vec::new()),
        };
        Self {
            column,
            values,
            levels: Vec::new(),
        }
    }

    /// Appends the row's value of this column.
    fn push(&mut self, row: &QueryResult) -> Result<()> {
        let name = self.column.name;
        let read = |e: sea_orm::DbErr| LoaderError::Export(format!("reading column {name}: {e}"));
        let present = match &mut self.values {
            Values::Text(v) => push(
                v,
                row.try_get::<Option<String>>("", name)
                    .map_err(read)?
                    .map(|s| ByteArray::from(s.into_bytes())),
            ),
            Values::Int32(v) if self.column.kind == Kind::Date => {
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                let day = row
                    .try_get::<Option<NaiveDate>>("", name)
                    .map_err(read)?
                    .map(|d| i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX));
                push(v, day)
            }
            Values::Int32(v) => push(v, row.try_get::<Option<i32>>("", name).map_err(read)?),
            Values::Int64(v) if self.column.kind == Kind::Timestamp => {
                let at = row
                    .try_get::<Option<DateTime<Utc>>>("", name)
                    .map_err(read)?;
                push(v, at.map(|t| t.timestamp_millis()))
            }
            Values::Int64(v) => push(v, row.try_get::<Option<i64>>("", name).map_err(read)?),
            Values::Double(v) => push(v, row.try_get::<Option<f64>>("", name).map_err(read)?),
            Values::Bool(v) => push(v, row.try_get::<Option<bool>>("", name).map_err(read)?),
        };
        if !present && !self.column.nullable {
            return Err(LoaderError::Export(format!("column {name} is null")));
        }
        self.levels.push(i16::from(present));
        Ok(())
    }

    /// Writes the buffered values into `writer` and empties the buffer.
    fn write(&mut self, writer: &mut ColumnWriter<'_>) -> parquet::errors::Result<()> {
        let levels = self.column.nullable.then_some(self.levels.as_slice());
        match (&mut self.values, writer) {
            (Values::Text(v), ColumnWriter::ByteArrayColumnWriter(w)) => {
                w.write_batch(v, levels, None)?;
                v.clear();
            }
            (Values::Int32(v), ColumnWriter::Int32ColumnWriter(w)) => {
                w.write_batch(v, levels, None)?;
                v.clear();
            }
            (Values::Int64(v), ColumnWriter::Int64ColumnWriter(w)) => {
                w.write_batch(v, levels, None)?;
                v.clear();
            }
            (Values::Double(v), ColumnWriter::DoubleColumnWriter(w)) => {
                w.write_batch(v, levels, None)?;
                v.clear();
            }
            (Values::Bool(v), ColumnWriter::BoolColumnWriter(w)) => {
                w.write_batch(v, levels, None)?;
                v.clear();
            }
            _ => {
                return Err(parquet::errors::ParquetError::General(format!(
                    "column {} does not match its schema",
                    self.column.name
                )));
            }
        }
        self.levels.clear();
        Ok(())
    }
}

/// Keeps a value; says whether there was one.
fn push<T>(values: &mut Vec<T>, value: Option<T>) -> bool {
    match value {
        Some(v) => {
            values.push(v);
            true
        }
        None => false,
    }
}

/// A Parquet file being written.
pub struct TableWriter {
    writer: SerializedFileWriter<BufWriter<File>>,
    buffers: Vec<Buffer>,
    buffered: usize,
    row_group_rows: usize,
    rows: u64,
}

fn parquet_error(what: &str) -> impl Fn(parquet::errors::ParquetError) -> LoaderError + '_ {
    move |e| LoaderError::Export(format!("{what}: {e}"))
}

impl TableWriter {
    /// Creates `path` for `table`'s columns.
    pub fn create(
        path: &Path,
        table: &str,
        columns: &[Column],
        codec: Codec,
        row_group_rows: usize,
    ) -> Result<Self> {
        let schema = parse_message_type(&schema(table, columns))
            .map_err(parquet_error("building the Parquet schema"))?;
        let props = WriterProperties::builder()
            .set_compression(codec.compression())
            .set_created_by(format!("sixpotify-loader {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = File::create(path).map_err(|e| LoaderError::File {
            action: "create",
            path: path.to_owned(),
            source: e,
        })?;
        let writer =
            SerializedFileWriter::new(BufWriter::new(file), Arc::new(schema), Arc::new(props))
                .map_err(parquet_error("starting the Parquet file"))?;
        Ok(Self {
            writer,
            buffers: columns.iter().copied().map(Buffer::new).collect(),
            buffered: 0,
            row_group_rows: row_group_rows.max(1),
            rows: 0,
        })
    }

    /// Appends one row; a full row group is written out.
    pub fn push(&mut self, row: &QueryResult) -> Result<()> {
        for b in &mut self.buffers {
            b.push(row)?;
        }
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= self.row_group_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.buffered == 0 {
            return Ok(());
        }
        let mut group = self
            .writer
            .next_row_group()
            .map_err(parquet_error("starting a row group"))?;
        for b in &mut self.buffers {
            let mut column = group
                .next_column()
                .map_err(parquet_error("starting a column chunk"))?
                .ok_or_else(|| LoaderError::Export("fewer columns than the schema".into()))?;
            b.write(column.untyped())
                .map_err(parquet_error("writing a column chunk"))?;
            column
                .close()
                .map_err(parquet_error("closing a column chunk"))?;
        }
        group
            .close()
            .map_err(parquet_error("closing a row group"))?;
        self.buffered = 0;
        Ok(())
    }

    /// Writes what is buffered and the footer; gives the rows written.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.writer
            .close()
            .map_err(parquet_error("closing the Parquet file"))?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_names_each_column_with_its_repetition_and_logical_type() {
        let columns = [
            Column {
                name: "id",
                kind: Kind::Text,
                nullable: false,
                sql: "t.id",
            },
            Column {
                name: "release_date",
                kind: Kind::Date,
                nullable: true,
                sql: "al.release_date",
            },
        ];
        let s = schema("tracks", &columns);
        assert_eq!(
            s,
            "message tracks { REQUIRED BYTE_ARRAY id (UTF8); OPTIONAL INT32 release_date (DATE); }"
        );
        assert!(parse_message_type(&s).is_ok());
    }
}
