//! The loader's own metrics, for operators: runs by kind and status, the latest run's end, its
//! success and rows, requests, retries, 429s and failures per endpoint, and when the next
//! scheduled run starts.
//!
//! A scheduled loader (`--every`) serves them on `--metrics-addr` (`/metrics` in the OpenMetrics
//! text format, `/healthz`); a one-shot run pushes its figures to a Prometheus Pushgateway with
//! `--pushgateway URL`, as gauges of the last run (the Pushgateway keeps the last push per job
//! and kind of run, the `source` label), which is Prometheus's convention for batch jobs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entity::run_summary::EndpointStats;
use entity::{RunKind, RunStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sea_orm::ActiveEnum as _;
use tracing::{info, warn};

use crate::error::{LoaderError, Result};
use crate::load_run::RunCounts;

/// How one run ended, as the metrics see it.
#[derive(Debug)]
pub struct RunRecord<'a> {
    pub kind: RunKind,
    pub status: RunStatus,
    pub counts: RunCounts,
    pub elapsed: Duration,
    /// Requests and their trouble per endpoint (`GET /artists/{id}`).
    pub endpoints: &'a BTreeMap<String, EndpointStats>,
}

impl RunRecord<'static> {
    /// A run of `kind` that failed before it could be recorded (no database, a bad option).
    pub fn failed(kind: RunKind) -> Self {
        static NO_ENDPOINTS: BTreeMap<String, EndpointStats> = BTreeMap::new();
        Self {
            kind,
            status: RunStatus::Failed,
            counts: RunCounts::default(),
            elapsed: Duration::ZERO,
            endpoints: &NO_ENDPOINTS,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    source: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RowLabels {
    source: String,
    rows: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

type Seconds = Gauge<f64, AtomicU64>;

/// Per endpoint: requests, retries, 429s and failures.
struct EndpointFamilies<M> {
    requests: Family<EndpointLabels, M>,
    retries: Family<EndpointLabels, M>,
    rate_limited: Family<EndpointLabels, M>,
    failures: Family<EndpointLabels, M>,
}

impl<M: prometheus_client::metrics::TypedMetric + Default + Clone + Send + Sync + 'static>
    EndpointFamilies<M>
where
    M: prometheus_client::encoding::EncodeMetric + std::fmt::Debug,
{
    fn register(registry: &mut Registry, what: &str) -> Self {
        let families = Self {
            requests: Family::default(),
            retries: Family::default(),
            rate_limited: Family::default(),
            failures: Family::default(),
        };
        for (name, help, family) in [
            ("requests", "Requests sent", &families.requests),
            ("retries", "Requests retried", &families.retries),
            ("rate_limited", "429 answers", &families.rate_limited),
            (
                "failures",
                "Failed attempts (5xx, timeouts, malformed answers)",
                &families.failures,
            ),
        ] {
            registry.register(
                format!("loader_{name}"),
                format!("{help} per endpoint, {what}"),
                family.clone(),
            );
        }
        families
    }
}

/// The metrics of a loader process. Cheap to share behind an `Arc`.
pub struct LoaderMetrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    last_run: Family<KindLabels, Seconds>,
    last_success: Family<KindLabels, Seconds>,
    last_rows: Family<RowLabels, Gauge>,
    next_run: Seconds,
    endpoints: EndpointFamilies<Counter>,
}

impl std::fmt::Debug for LoaderMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoaderMetrics").finish_non_exhaustive()
    }
}

fn epoch_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn kind_labels(kind: RunKind) -> KindLabels {
    KindLabels {
        source: kind.to_value(),
    }
}

impl Default for LoaderMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl LoaderMetrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("sixpotify");
        let runs = Family::<RunLabels, Counter>::default();
        let last_run = Family::<KindLabels, Seconds>::default();
        let last_success = Family::<KindLabels, Seconds>::default();
        let last_rows = Family::<RowLabels, Gauge>::default();
        let next_run = Seconds::default();
        registry.register(
            "loader_runs",
            "Load runs this process made, by kind (source) and status",
            runs.clone(),
        );
        registry.register(
            "loader_last_run_timestamp_seconds",
            "When this process's latest run of each kind ended",
            last_run.clone(),
        );
        registry.register(
            "loader_last_success_timestamp_seconds",
            "When this process's latest succeeded run of each kind ended",
            last_success.clone(),
        );
        registry.register(
            "loader_last_run_rows",
            "Rows the latest run of each kind read, wrote and rejected",
            last_rows.clone(),
        );
        registry.register(
            "loader_next_run_timestamp_seconds",
            "When the next scheduled run starts (0 when none is scheduled)",
            next_run.clone(),
        );
        let endpoints = EndpointFamilies::register(&mut registry, "since the process started");
        Self {
            registry,
            runs,
            last_run,
            last_success,
            last_rows,
            next_run,
            endpoints,
        }
    }

    /// Counts a run that ended now.
    pub fn record(&self, run: &RunRecord<'_>) {
        let now = epoch_seconds(SystemTime::now());
        let kind = kind_labels(run.kind);
        self.runs
            .get_or_create(&RunLabels {
                source: kind.source.clone(),
                status: run.status.to_value(),
            })
            .inc();
        self.last_run.get_or_create(&kind).set(now);
        if run.status == RunStatus::Succeeded {
            self.last_success.get_or_create(&kind).set(now);
        }
        for (rows, n) in rows(run.counts) {
            self.last_rows
                .get_or_create(&RowLabels {
                    source: kind.source.clone(),
                    rows,
                })
                .set(n);
        }
        for (endpoint, e) in run.endpoints {
            let labels = EndpointLabels {
                endpoint: endpoint.clone(),
            };
            self.endpoints
                .requests
                .get_or_create(&labels)
                .inc_by(e.requests);
            self.endpoints
                .retries
                .get_or_create(&labels)
                .inc_by(e.retries);
            self.endpoints
                .rate_limited
                .get_or_create(&labels)
                .inc_by(e.rate_limited);
            self.endpoints
                .failures
                .get_or_create(&labels)
                .inc_by(e.failures);
        }
    }

    /// When the next scheduled run starts; `None` when none is.
    pub fn set_next_run(&self, at: Option<SystemTime>) {
        self.next_run.set(at.map_or(0.0, epoch_seconds));
    }

    /// Every metric in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn rows(counts: RunCounts) -> [(&'static str, i64); 3] {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    [
        ("read", n(counts.read)),
        ("written", n(counts.written)),
        ("rejected", n(counts.rejected)),
    ]
}

/// Serves `/metrics` and `/healthz` on `addr` from a thread of its own, for as long as the
/// process lives; the address it listens on (port 0 picks one).
pub fn serve(addr: SocketAddr, metrics: Arc<LoaderMetrics>) -> Result<SocketAddr> {
    let server = tiny_http::Server::http(addr).map_err(|e| LoaderError::Monitoring {
        what: format!("listen on {addr} for /metrics"),
        reason: e.to_string(),
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| LoaderError::Monitoring {
            what: format!("listen on {addr} for /metrics"),
            reason: "not an IP address".into(),
        })?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for request in server.incoming_requests() {
                let (status, content_type, body) = match request.url() {
                    "/metrics" => (
                        200,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        metrics.render(),
                    ),
                    "/healthz" => (200, "application/json", r#"{"status":"ok"}"#.to_owned()),
                    _ => (404, "text/plain; charset=utf-8", "not found\n".to_owned()),
                };
                let mut response = tiny_http::Response::from_string(body).with_status_code(status);
                if let Ok(header) =
                    tiny_http::Header::from_bytes(&b"Content-Type"[..], content_type.as_bytes())
                {
                    response = response.with_header(header);
                }
                let _ = request.respond(response);
            }
        })
        .map_err(|e| LoaderError::Monitoring {
            what: "start the metrics thread".into(),
            reason: e.to_string(),
        })?;
    info!(address = %bound, "serving /metrics and /healthz");
    Ok(bound)
}

/// Where the command line asked the runs' figures to go.
#[derive(Debug, Default)]
pub struct Monitoring {
    /// Served on `--metrics-addr`.
    pub metrics: Option<Arc<LoaderMetrics>>,
    /// `--pushgateway`.
    pub pushgateway: Option<String>,
}

impl Monitoring {
    /// Records a run that just ended and pushes it when asked to. A failed push is returned; the
    /// run stands.
    pub async fn after_run(&self, run: &RunRecord<'_>) -> Result<()> {
        if let Some(metrics) = &self.metrics {
            metrics.record(run);
        }
        match &self.pushgateway {
            Some(url) => push(url, run).await,
            None => Ok(()),
        }
    }

    /// When the next scheduled run starts.
    pub fn next_run(&self, at: Option<SystemTime>) {
        if let Some(metrics) = &self.metrics {
            metrics.set_next_run(at);
        }
    }
}

/// The job name runs are pushed under.
pub const PUSH_JOB: &str = "sixpotify_loader";

/// A run's figures as gauges, in the Prometheus text format the Pushgateway takes.
pub fn push_body(run: &RunRecord<'_>) -> String {
    let mut registry = Registry::with_prefix("sixpotify");
    let now = epoch_seconds(SystemTime::now());
    let gauge = |registry: &mut Registry, name: &str, help: &str, value: f64| {
        let g = Seconds::default();
        g.set(value);
        registry.register(name, help, g);
    };
    gauge(
        &mut registry,
        "loader_last_run_timestamp_seconds",
        "When the pushed run ended",
        now,
    );
    gauge(
        &mut registry,
        "loader_last_run_succeeded",
        "Whether the pushed run succeeded (1) or not (0)",
        f64::from(u8::from(run.status == RunStatus::Succeeded)),
    );
    gauge(
        &mut registry,
        "loader_last_run_duration_seconds",
        "How long the pushed run took",
        run.elapsed.as_secs_f64(),
    );
    if run.status == RunStatus::Succeeded {
        gauge(
            &mut registry,
            "loader_last_success_timestamp_seconds",
            "When the pushed run ended, pushed only when it succeeded",
            now,
        );
    }
    let last_rows = Family::<RowLabels, Gauge>::default();
    for (rows, n) in rows(run.counts) {
        last_rows
            .get_or_create(&RowLabels {
                source: run.kind.to_value(),
                rows,
            })
            .set(n);
    }
    registry.register(
        "loader_last_run_rows",
        "Rows the pushed run read, wrote and rejected",
        last_rows,
    );
    let endpoints = EndpointFamilies::<Gauge>::register(&mut registry, "in the pushed run");
    for (endpoint, e) in run.endpoints {
        let labels = EndpointLabels {
            endpoint: endpoint.clone(),
        };
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        endpoints.requests.get_or_create(&labels).set(n(e.requests));
        endpoints.retries.get_or_create(&labels).set(n(e.retries));
        endpoints
            .rate_limited
            .get_or_create(&labels)
            .set(n(e.rate_limited));
        endpoints.failures.get_or_create(&labels).set(n(e.failures));
    }
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

/// Pushes a run's figures to the Pushgateway at `url`, grouped by job and kind (`source`),
/// replacing the metrics of the same names pushed before for that kind (POST): the last success
/// time stays until a run succeeds again. A failed push is the caller's to report; the run
/// stands.
pub async fn push(url: &str, run: &RunRecord<'_>) -> Result<()> {
    let target = format!(
        "{}/metrics/job/{PUSH_JOB}/source/{}",
        url.trim_end_matches('/'),
        run.kind.to_value()
    );
    let failed = |reason: String| LoaderError::Monitoring {
        what: format!(
            "push the run's metrics to {}",
            entity::telemetry::redact_url(url)
        ),
        reason,
    };
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| failed(e.to_string()))?
        .post(&target)
        .header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .body(push_body(run))
        .send()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        let text: String = text.chars().take(200).collect();
        warn!(%status, "the Pushgateway refused the run's metrics");
        return Err(failed(format!("HTTP {}: {text}", status.as_u16())));
    }
    Ok(())
}
