//! The streaming import pipeline, and `import-csv` on it.
//!
//! A [`Source`] is read on a blocking thread that decompresses, parses and validates rows and
//! hands them over in batches through a small bounded channel; the async side writes each batch
//! in a transaction. Memory is bounded by the channel, not by the input. Rejected rows go to the
//! rejects file as they are met and are summarised by reason. `--strict` reads everything once
//! without writing and writes only when nothing was rejected. CSV files are one source;
//! `crate::mpd` (the Million Playlist Dataset) is another.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use tracing::{Instrument as _, info, warn};

use entity::telemetry::error_chain;

use crate::csv_source::{Item, Layout, Reject, RowReader};
use crate::error::{LoaderError, Result};
use crate::load_run::{self, RunCounts};
use crate::writer::Batch;

/// How many rejects are kept in memory as examples for the summary.
const SAMPLE_REJECTS: usize = 5;

/// Where rows come from.
#[derive(Clone, Debug)]
pub enum CsvInput {
    /// A `.csv` or `.csv.gz` file (gzip is recognised by its magic bytes).
    File(PathBuf),
    /// Bytes built into a binary, such as the bundled sample.
    Bytes { label: String, data: &'static [u8] },
}

impl CsvInput {
    /// What the run records as its source.
    pub fn label(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Bytes { label, .. } => label.clone(),
        }
    }

    pub(crate) fn open(&self, progress: &ProgressBar) -> Result<Box<dyn Read + Send>> {
        let (raw, len): (Box<dyn Read + Send>, u64) = match self {
            Self::File(path) => {
                let file = File::open(path).map_err(|source| LoaderError::File {
                    action: "open",
                    path: path.clone(),
                    source,
                })?;
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                (Box::new(file), len)
            }
            Self::Bytes { data, .. } => (Box::new(*data), data.len() as u64),
        };
        progress.set_length(len);
        progress.set_position(0);
        let mut reader = BufReader::with_capacity(256 * 1024, progress.wrap_read(raw));
        let gz = {
            use std::io::BufRead;
            let head = reader.fill_buf().map_err(|source| LoaderError::File {
                action: "read",
                path: PathBuf::from(self.label()),
                source,
            })?;
            head.starts_with(&[0x1f, 0x8b])
        };
        Ok(if gz {
            Box::new(MultiGzDecoder::new(reader))
        } else {
            Box::new(reader)
        })
    }
}

/// Something the pipeline can import: read on a blocking thread, row by row.
pub trait Source: Clone + Send + 'static {
    /// The header of the rejects file; its first column is the line, or the place for
    /// inputs without lines.
    const REJECTS_HEADER: [&'static str; 4] = ["line", "column", "value", "reason"];

    /// What the run records as its source.
    fn label(&self) -> String;

    /// The kind of run it makes.
    fn kind(&self) -> entity::RunKind;

    /// Reads everything, handing rows and rejects to `reading`. Returns early, without error,
    /// when [`Reading::unit_done`] says the writer has stopped.
    fn read(&self, reading: &mut Reading<'_>) -> Result<()>;
}

impl Source for CsvInput {
    fn label(&self) -> String {
        CsvInput::label(self)
    }

    fn kind(&self) -> entity::RunKind {
        match self {
            Self::File(_) => entity::RunKind::Csv,
            Self::Bytes { .. } => entity::RunKind::Sample,
        }
    }

    fn read(&self, reading: &mut Reading<'_>) -> Result<()> {
        let mut rows = RowReader::new(self.open(reading.progress())?)?;
        reading.layout(rows.layout());
        // The next position in each playlist this pass has met.
        let mut positions: HashMap<String, i32> = HashMap::new();
        while let Some(item) = rows.next_item()? {
            reading.count_read(1);
            match item {
                Item::Row(mut row) => {
                    let Some(batch) = reading.batch() else {
                        continue;
                    };
                    if let Some(playlist) = row.playlist.take() {
                        let next = positions.entry(playlist.id.clone()).or_insert(0);
                        *next += 1;
                        let (position, first) = (*next, *next == 1);
                        batch.add_playlist_entry(
                            playlist,
                            PLAYLIST_SOURCE,
                            position,
                            (&row.track_id, None),
                            first,
                        );
                    }
                    batch.add(*row);
                    if !reading.unit_done() {
                        return Ok(());
                    }
                }
                Item::Reject(reject) => reading.reject(reject)?,
            }
        }
        Ok(())
    }
}

/// What a [`Source`] reads into: the batch being filled (none when only validating), the
/// tally, the rejects file and the progress bar.
pub struct Reading<'a> {
    progress: &'a ProgressBar,
    tx: &'a mpsc::Sender<Msg>,
    batch: Option<Box<Batch>>,
    batch_size: usize,
    tally: ReaderTally,
    rejects: Option<(csv::Writer<BufWriter<File>>, &'a Path)>,
}

impl Reading<'_> {
    /// The progress bar, to wrap the input's reader.
    pub fn progress(&self) -> &ProgressBar {
        self.progress
    }

    /// Says which layout the input has.
    pub fn layout(&self, layout: Layout) {
        let _ = self.tx.blocking_send(Msg::Layout(layout));
    }

    /// Counts rows read (rejected ones included).
    pub fn count_read(&mut self, n: u64) {
        self.tally.read += n;
    }

    /// The batch to add rows to; `None` on a validation pass.
    pub fn batch(&mut self) -> Option<&mut Batch> {
        self.batch.as_deref_mut()
    }

    /// Ends a unit that must not be split between transactions (a row, a playlist): sends
    /// the batch once it holds `batch_size` rows. `false` when the writer has stopped.
    pub fn unit_done(&mut self) -> bool {
        let full = self
            .batch
            .as_ref()
            .is_some_and(|b| b.rows() >= self.batch_size);
        if full && let Some(batch) = self.batch.replace(Box::default()) {
            let msg = Msg::Rows(batch, self.tally.read, self.tally.rejected);
            return self.tx.blocking_send(msg).is_ok();
        }
        true
    }

    /// Counts something worth reporting about the input that is neither written nor rejected
    /// (a dump's line that links to no catalog artist), under `what`.
    pub fn note(&mut self, what: &'static str) {
        *self.tally.notes.entry(what).or_default() += 1;
    }

    /// Records a rejected row: counted by reason, written to the rejects file, kept as an
    /// example while there are few.
    pub fn reject(&mut self, reject: Reject) -> Result<()> {
        let tally = &mut self.tally;
        tally.rejected += 1;
        let key = if reject.column.is_empty() {
            reject.reason.clone()
        } else {
            format!("{}: {}", reject.column, reject.reason)
        };
        *tally.reasons.entry(key).or_default() += 1;
        if let Some((w, path)) = self.rejects.as_mut() {
            let first = reject.at.clone().unwrap_or_else(|| reject.line.to_string());
            w.write_record([
                first.as_str(),
                &reject.column,
                &reject.value,
                &reject.reason,
            ])
            .map_err(|e| rejects_io(path, e))?;
        }
        if tally.samples.len() < SAMPLE_REJECTS {
            tally.samples.push(reject);
        }
        Ok(())
    }
}

/// How an import behaves.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Source rows per transaction.
    pub batch_size: usize,
    /// Fail on the first pass if any row is invalid, writing nothing.
    pub strict: bool,
    /// Where to write every rejected row as CSV (`line,column,value,reason`).
    pub rejects_path: Option<PathBuf>,
    /// Draw a progress bar on standard error (only where it is a terminal).
    pub progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            batch_size: 5000,
            strict: false,
            rejects_path: None,
            progress: false,
        }
    }
}

/// What an import did. `error` is set when the run failed after it was recorded; the counts then
/// say how far it got.
#[derive(Debug)]
pub struct ImportReport {
    pub run_id: i64,
    pub source: String,
    pub layout: Option<Layout>,
    pub counts: RunCounts,
    /// Rejected rows per `column: reason`.
    pub reject_reasons: BTreeMap<String, u64>,
    /// The first few rejected rows.
    pub sample_rejects: Vec<Reject>,
    /// What the source counted besides rows ([`Reading::note`]).
    pub notes: BTreeMap<&'static str, u64>,
    pub elapsed: Duration,
    pub error: Option<LoaderError>,
}

impl ImportReport {
    /// The report if the run succeeded, its error otherwise.
    pub fn into_result(mut self) -> Result<Self> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// The one-line summary printed at the end of every import.
    pub fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.counts.read as f64 / secs
        } else {
            0.0
        };
        let outcome = match &self.error {
            None => "succeeded".to_owned(),
            Some(e) => format!("FAILED: {}", error_chain(e)),
        };
        let notes: String = self
            .notes
            .iter()
            .map(|(what, n)| format!(", {what}: {n}"))
            .collect();
        format!(
            "import of {} {outcome}: read {} rows, wrote {}, rejected {}{notes} in {secs:.1}s ({rate:.0} rows/s), load run #{}",
            self.source, self.counts.read, self.counts.written, self.counts.rejected, self.run_id
        )
    }
}

/// What `playlists.source` says for playlists a CSV file names.
pub const PLAYLIST_SOURCE: &str = "csv";

/// What the reader thread sends.
pub enum Msg {
    /// A merged batch, and how many rows had been read and rejected when it was cut.
    Rows(Box<Batch>, u64, u64),
    Layout(Layout),
    Done(ReaderTally),
    Failed(LoaderError),
}

#[derive(Debug, Default)]
pub struct ReaderTally {
    read: u64,
    rejected: u64,
    reasons: BTreeMap<String, u64>,
    samples: Vec<Reject>,
    notes: BTreeMap<&'static str, u64>,
}

/// Imports a CSV `input` into the catalog, recording a load run.
///
/// Returns `Err` only when the run could not even be recorded; any later failure is in the
/// report's `error`, and the run is marked failed with the reason.
pub async fn import_csv(
    db: &DatabaseConnection,
    input: &CsvInput,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    import(db, input, opts, "import_csv").await
}

/// Imports any [`Source`] into the catalog, recording a load run, under a span named `what`.
pub async fn import<S: Source>(
    db: &DatabaseConnection,
    input: &S,
    opts: &ImportOptions,
    what: &'static str,
) -> Result<ImportReport> {
    let started = Instant::now();
    let now = Utc::now();
    let source = input.label();
    let run_id = load_run::start(db, input.kind(), &source, now).await?;
    let span = tracing::info_span!("import", kind = what, run_id, source = %source);
    run_import(db, input, opts, run_id, source, now, started)
        .instrument(span)
        .await
}

async fn run_import<S: Source>(
    db: &DatabaseConnection,
    input: &S,
    opts: &ImportOptions,
    run_id: i64,
    source: String,
    now: chrono::DateTime<Utc>,
    started: Instant,
) -> Result<ImportReport> {
    info!(
        strict = opts.strict,
        batch_size = opts.batch_size,
        "import started"
    );

    let progress = progress_bar(opts.progress);
    let mut report = ImportReport {
        run_id,
        source,
        layout: None,
        counts: RunCounts::default(),
        reject_reasons: BTreeMap::new(),
        sample_rejects: Vec::new(),
        notes: BTreeMap::new(),
        elapsed: Duration::ZERO,
        error: None,
    };

    let mut result = Ok(());
    if opts.strict {
        progress.set_message("validating");
        match run_pass(db, input, opts, &progress, None, &mut report).await {
            Ok(()) if report.counts.rejected > 0 => {
                result = Err(LoaderError::StrictRejected {
                    rejected: report.counts.rejected,
                });
            }
            Ok(()) => {
                report.counts = RunCounts::default();
                report.reject_reasons.clear();
            }
            Err(e) => result = Err(e),
        }
    }
    if result.is_ok() {
        progress.set_message("importing");
        let writer = Writer { now };
        result = run_pass(db, input, opts, &progress, Some(writer), &mut report).await;
    }
    progress.finish_and_clear();
    report.elapsed = started.elapsed();

    report.error = load_run::conclude(
        db,
        run_id,
        load_run::Ending {
            counts: report.counts,
            ..Default::default()
        },
        result.err(),
    )
    .await;
    match &report.error {
        None => info!(
            read = report.counts.read,
            written = report.counts.written,
            rejected = report.counts.rejected,
            elapsed_ms = report.elapsed.as_millis() as u64,
            "import finished"
        ),
        Some(e) => warn!(error = %error_chain(e), "import failed"),
    }
    Ok(report)
}

#[derive(Clone, Copy)]
struct Writer {
    now: chrono::DateTime<Utc>,
}

/// One pass over the input: validation only when `writer` is `None`.
async fn run_pass<S: Source>(
    db: &DatabaseConnection,
    input: &S,
    opts: &ImportOptions,
    progress: &ProgressBar,
    writer: Option<Writer>,
    report: &mut ImportReport,
) -> Result<()> {
    let (tx, mut rx) = mpsc::channel::<Msg>(2);
    let reader = {
        let input = input.clone();
        let progress = progress.clone();
        let rejects_path = opts.rejects_path.clone();
        let batch_size = opts.batch_size.max(1);
        let send_rows = writer.is_some();
        tokio::task::spawn_blocking(move || {
            let outcome = read_all(
                &input,
                &progress,
                rejects_path.as_deref(),
                batch_size,
                send_rows,
                &tx,
            );
            let last = match outcome {
                Ok(tally) => Msg::Done(tally),
                Err(e) => Msg::Failed(e),
            };
            let _ = tx.blocking_send(last);
        })
    };

    let mut outcome = Err(LoaderError::ReaderPanicked);
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Layout(layout) => {
                report.layout = Some(layout);
            }
            Msg::Rows(batch, read, rejected) => {
                let Some(w) = writer else { continue };
                if let Err(e) = batch.write(db, w.now).await {
                    outcome = Err(e);
                    break;
                }
                report.counts.written += batch.rows() as u64;
                report.counts.read = read;
                report.counts.rejected = rejected;
            }
            Msg::Done(tally) => {
                report.counts.read = tally.read;
                report.counts.rejected = tally.rejected;
                report.reject_reasons = tally.reasons;
                report.sample_rejects = tally.samples;
                report.notes = tally.notes;
                outcome = Ok(());
            }
            Msg::Failed(e) => {
                outcome = Err(e);
            }
        }
    }
    drop(rx);
    let _ = reader.await;
    outcome
}

fn read_all<S: Source>(
    input: &S,
    progress: &ProgressBar,
    rejects_path: Option<&Path>,
    batch_size: usize,
    send_rows: bool,
    tx: &mpsc::Sender<Msg>,
) -> Result<ReaderTally> {
    let rejects = rejects_path
        .map(|path| -> Result<_> {
            let file = File::create(path).map_err(|source| LoaderError::File {
                action: "create",
                path: path.to_owned(),
                source,
            })?;
            let mut w = csv::Writer::from_writer(BufWriter::new(file));
            w.write_record(S::REJECTS_HEADER)
                .map_err(|e| rejects_io(path, e))?;
            Ok((w, path))
        })
        .transpose()?;
    // Rows are merged here, off the writer's path: the writer only sends statements.
    let mut reading = Reading {
        progress,
        tx,
        batch: send_rows.then(Box::<Batch>::default),
        batch_size,
        tally: ReaderTally::default(),
        rejects,
    };
    input.read(&mut reading)?;
    let Reading {
        batch,
        tally,
        rejects,
        ..
    } = reading;
    if let Some(batch) = batch.filter(|b| !b.is_empty())
        && tx
            .blocking_send(Msg::Rows(batch, tally.read, tally.rejected))
            .is_err()
    {
        return Ok(tally);
    }
    if let Some((mut w, path)) = rejects {
        w.flush().map_err(|source| LoaderError::File {
            action: "write",
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(tally)
}

fn rejects_io(path: &Path, e: csv::Error) -> LoaderError {
    LoaderError::File {
        action: "write",
        path: path.to_owned(),
        source: std::io::Error::other(e),
    }
}

fn progress_bar(wanted: bool) -> ProgressBar {
    use std::io::IsTerminal;
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
