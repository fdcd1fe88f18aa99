//! `GET /metrics` in the Prometheus (OpenMetrics) text format: GraphQL requests by operation
//! name and outcome, a latency histogram, every cache's hits, misses, entries and bytes, the
//! database pool and whether the database answers, SQL statements run for requests, the data
//! version, the recommendation index, and the load pipeline as `load_runs` records it (per kind
//! of run: when the latest succeeded run ended, runs by status, the latest run's rows and
//! whether it failed), read at each scrape.
//!
//! Operation names come from clients, so at most [`MAX_OPERATIONS`] distinct names get series
//! of their own; the rest count as `other`. Anonymous operations count as `anonymous`.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{ActiveEnum as _, DatabaseBackend, DatabaseConnection};

use crate::cache::Caches;
use crate::recommend::IndexStore;
use crate::service::pipeline::Pipeline;
use crate::stats::StatementCounter;

/// Distinct operation names with series of their own.
pub const MAX_OPERATIONS: usize = 100;

/// How a GraphQL request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Executed without errors.
    Ok,
    /// Answered with errors (of the request or of fields).
    Error,
    /// Answered from the response cache.
    Cached,
    /// `304 Not Modified` for a matching `If-None-Match`.
    NotModified,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Cached => "cached",
            Self::NotModified => "not_modified",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

type HistogramFamily = Family<OperationLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The metrics of one API instance. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    operations: Arc<RwLock<HashSet<String>>>,
    pipeline: Arc<RwLock<Option<Pipeline>>>,
    /// One scrape at a time sets the pipeline's figures and renders them.
    scrape: Arc<std::sync::Mutex<()>>,
}

impl Metrics {
    pub fn new(
        db: DatabaseConnection,
        caches: Caches,
        index: IndexStore,
        statements: StatementCounter,
    ) -> Self {
        let mut registry = Registry::with_prefix("sixpotify");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation name and outcome",
            requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name",
            latency.clone(),
        );
        let pipeline: Arc<RwLock<Option<Pipeline>>> = Arc::default();
        registry.register_collector(Box::new(State {
            db,
            caches,
            index,
            statements,
            pipeline: pipeline.clone(),
        }));
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            operations: Arc::default(),
            pipeline,
            scrape: Arc::default(),
        }
    }

    /// Every metric, with the load pipeline's figures of this scrape (`None` when the
    /// database did not answer).
    pub fn render_scrape(&self, pipeline: Option<Pipeline>) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        *self.pipeline.write().unwrap_or_else(|e| e.into_inner()) = pipeline;
        self.render()
    }

    /// The label for an operation name: itself for the first [`MAX_OPERATIONS`] names made of
    /// letters, digits and `_`, `other` for the rest.
    fn operation(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return "anonymous".into();
        };
        let plain =
            name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plain {
            return "other".into();
        }
        let seen = self
            .operations
            .read()
            .map(|known| known.contains(name))
            .unwrap_or(false);
        if seen {
            return name.to_owned();
        }
        let mut known = self.operations.write().unwrap_or_else(|e| e.into_inner());
        if known.contains(name) || (known.len() < MAX_OPERATIONS && known.insert(name.to_owned())) {
            name.to_owned()
        } else {
            "other".into()
        }
    }

    /// Records one GraphQL request.
    pub fn observe(&self, operation: Option<&str>, outcome: Outcome, seconds: f64) {
        let operation = self.operation(operation);
        self.latency
            .get_or_create(&OperationLabels {
                operation: operation.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                operation,
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// Every metric in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// What is read at each scrape rather than counted as it happens.
#[derive(Debug)]
struct State {
    db: DatabaseConnection,
    caches: Caches,
    index: IndexStore,
    statements: StatementCounter,
    pipeline: Arc<RwLock<Option<Pipeline>>>,
}

/// A value as a constant counter (clamped at 0) or gauge.
fn encode_value(
    kind: MetricType,
    value: i64,
    metric: prometheus_client::encoding::MetricEncoder<'_>,
) -> Result<(), std::fmt::Error> {
    match kind {
        MetricType::Counter => ConstCounter::new(u64::try_from(value).unwrap_or(0)).encode(metric),
        _ => ConstGauge::new(value).encode(metric),
    }
}

/// One metric with a series per label set.
fn labelled<L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    series: &[(L, i64)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, v) in series {
        encode_value(kind, *v, family.encode_family(labels)?)?;
    }
    Ok(())
}

/// One series without labels.
fn single(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    value: i64,
) -> Result<(), std::fmt::Error> {
    encode_value(
        kind,
        value,
        encoder.encode_descriptor(name, help, None, kind)?,
    )
}

impl Collector for State {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let figures = self.caches.figures();
        let by_cache =
            |f: fn(&crate::cache::CacheFigures) -> u64| -> Vec<([(&str, &str); 1], i64)> {
                figures
                    .iter()
                    .map(|c| ([("cache", c.name)], i64::try_from(f(c)).unwrap_or(i64::MAX)))
                    .collect()
            };
        for (name, help, kind, f) in [
            (
                "cache_hits",
                "Cache hits",
                MetricType::Counter,
                (|c| c.hits) as fn(&crate::cache::CacheFigures) -> u64,
            ),
            ("cache_misses", "Cache misses", MetricType::Counter, |c| {
                c.misses
            }),
            (
                "cache_entries",
                "Entries held by each cache",
                MetricType::Gauge,
                |c| c.entries,
            ),
            (
                "cache_size",
                "Weighted size of each cache: bytes for responses and persisted queries, entries for the others",
                MetricType::Gauge,
                |c| c.bytes,
            ),
        ] {
            labelled(&mut encoder, name, help, kind, &by_cache(f))?;
        }

        let (size, idle, max) = pool_figures(&self.db);
        labelled(
            &mut encoder,
            "db_pool_connections",
            "Database pool connections by state",
            MetricType::Gauge,
            &[
                ([("state", "in_use")], i64::from(size.saturating_sub(idle))),
                ([("state", "idle")], i64::from(idle)),
                ([("state", "max")], i64::from(max)),
            ],
        )?;
        single(
            &mut encoder,
            "sql_statements",
            "SQL statements run for requests (background work not counted)",
            MetricType::Counter,
            i64::try_from(self.statements.get()).unwrap_or(i64::MAX),
        )?;
        single(
            &mut encoder,
            "data_version",
            "The data version the caches hold (the latest succeeded load run; 0 for none, -1 before the first check)",
            MetricType::Gauge,
            match self.caches.version() {
                None => -1,
                Some(v) => v.unwrap_or(0),
            },
        )?;
        single(
            &mut encoder,
            "cache_generation",
            "How many times the caches were dropped for a new data version or index",
            MetricType::Gauge,
            i64::try_from(self.caches.generation()).unwrap_or(i64::MAX),
        )?;
        let (version, tracks) = self.index.figures();
        single(
            &mut encoder,
            "recommendation_index_version",
            "The data version the recommendation index was built from (-1 before the first build)",
            MetricType::Gauge,
            version,
        )?;
        single(
            &mut encoder,
            "recommendation_index_tracks",
            "Tracks in the recommendation index",
            MetricType::Gauge,
            tracks,
        )?;
        let pipeline = self.pipeline.read().unwrap_or_else(|e| e.into_inner());
        single(
            &mut encoder,
            "database_up",
            "Whether the database answered the scrape's read of load_runs (1) or not (0)",
            MetricType::Gauge,
            i64::from(pipeline.is_some()),
        )?;
        if let Some(pipeline) = pipeline.as_ref() {
            encode_pipeline(&mut encoder, pipeline)?;
        }
        Ok(())
    }
}

/// The load pipeline's series, labelled by kind of run (`source`).
fn encode_pipeline(
    encoder: &mut DescriptorEncoder,
    pipeline: &Pipeline,
) -> Result<(), std::fmt::Error> {
    for (name, help, at) in [
        (
            "load_last_success_timestamp_seconds",
            "When the latest succeeded load run of each kind ended",
            (|k| k.last_success) as fn(&crate::service::pipeline::KindFigures) -> Option<f64>,
        ),
        (
            "load_running_since_timestamp_seconds",
            "When the oldest load run of each kind still recorded as running started",
            |k| k.running_since,
        ),
    ] {
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (kind, k) in pipeline {
            if let Some(at) = at(k) {
                ConstGauge::new(at)
                    .encode(family.encode_family(&[("source", kind.to_value())])?)?;
            }
        }
    }
    let mut runs = Vec::new();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for (kind, k) in pipeline {
        let source = kind.to_value();
        for (status, n) in &k.runs {
            runs.push(([("source", source.clone()), ("status", status.clone())], *n));
        }
        if let Some((status, counts)) = k.latest {
            for (what, n) in ["read", "written", "rejected"].into_iter().zip(counts) {
                rows.push(([("source", source.clone()), ("rows", what.to_owned())], n));
            }
            failed.push((
                [("source", source.clone())],
                i64::from(status == entity::RunStatus::Failed),
            ));
        }
    }
    labelled(
        encoder,
        "load_runs",
        "Load runs recorded, by kind and status",
        MetricType::Gauge,
        &runs,
    )?;
    labelled(
        encoder,
        "load_last_run_rows",
        "Rows the latest finished load run of each kind read, wrote and rejected",
        MetricType::Gauge,
        &rows,
    )?;
    labelled(
        encoder,
        "load_last_run_failed",
        "Whether the latest finished load run of each kind failed (1) or not (0)",
        MetricType::Gauge,
        &failed,
    )
}

/// Connections open, idle and allowed in the pool.
fn pool_figures(db: &DatabaseConnection) -> (u32, u32, u32) {
    match db.get_database_backend() {
        DatabaseBackend::MySql => {
            let pool = db.get_mysql_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle() as u32,
                pool.options().get_max_connections(),
            )
        }
        _ => (0, 0, 0),
    }
}
