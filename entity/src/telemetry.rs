//! What the Sixpotify binaries log and how: the subscriber (human-readable on a terminal, JSON
//! on request, filtered by `RUST_LOG`), traces exported over OTLP when asked, errors on one
//! line with their causes, and database URLs with their passwords hidden.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

pub use opentelemetry_otlp::ExporterBuildError;

/// The log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The crates whose spans are exported, and from which level: the request, parse, validation,
/// execution and SQL batch spans of the API, the run, batch and HTTP request spans of the
/// loader. Nothing of the libraries below them.
fn exported() -> Targets {
    Targets::new()
        .with_target("sixpotify_api", Level::DEBUG)
        .with_target("sixpotify_loader", Level::DEBUG)
}

/// Whether an OTLP layer was made ([`otlp_layer`]): code on hot paths asks before doing work
/// that only exported spans use.
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans are exported by this process.
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// The exporter of traces, while one runs. [`Telemetry::shutdown`] sends what is still
/// buffered; a process that ends without it loses the last spans.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans ended so far, waiting until the collector took them.
    pub fn flush(&self) {
        if let Some(provider) = &self.provider
            && let Err(e) = provider.force_flush()
        {
            tracing::warn!(error = %e, "could not send the spans");
        }
    }

    /// Sends the spans still buffered and stops the exporter.
    pub fn shutdown(&self) {
        if let Some(provider) = &self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "could not send the last spans");
        }
    }
}

/// The OTLP/HTTP (protobuf) URL of traces under a collector's base URL (`http://otel:4318`
/// gives `http://otel:4318/v1/traces`), as `OTEL_EXPORTER_OTLP_ENDPOINT` is read.
pub fn traces_url(endpoint: &str) -> String {
    format!("{}/v1/traces", endpoint.trim_end_matches('/'))
}

/// Reads `--otlp-endpoint`: an `http` or `https` URL with a host.
pub fn otlp_endpoint(s: &str) -> Result<String, String> {
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(s.to_owned()),
        Ok(_) => Err(format!("`{s}` is not an http(s) URL of an OTLP collector")),
        Err(e) => Err(format!("`{s}` is not a URL: {e}")),
    }
}

/// A layer that exports the spans of Sixpotify's crates to the OTLP collector at `endpoint`
/// (its base URL) as `service`, in batches from a thread of its own, and the exporter behind
/// it. Attributes are the spans' fields: what the code records, never a request's variables,
/// tokens or keys.
pub fn otlp_layer<S>(
    endpoint: &str,
    service: &'static str,
) -> Result<(impl Layer<S>, Telemetry), ExporterBuildError>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(endpoint))
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service)
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build();
    EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service))
        .with_threads(false)
        .with_filter(exported());
    Ok((
        layer,
        Telemetry {
            provider: Some(provider),
        },
    ))
}

/// Installs the global subscriber: log lines on standard error (`default_filter` applies when
/// `RUST_LOG` is unset) and, with `otlp_endpoint`, spans exported as `service`. The returned
/// [`Telemetry`] must be shut down before the process ends.
pub fn init(
    format: LogFormat,
    default_filter: &str,
    otlp_endpoint: Option<&str>,
    service: &'static str,
) -> Result<Telemetry, ExporterBuildError> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let Some(endpoint) = otlp_endpoint else {
        // Without traces, the formatter alone under one global filter: per-layer filtering costs
        // every span and event a little more, which a hot path that exports nothing need not pay.
        let lines = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(ansi);
        let _ = match format {
            LogFormat::Text => lines.try_init(),
            LogFormat::Json => lines.json().flatten_event(true).try_init(),
        };
        return Ok(Telemetry::default());
    };
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let lines = match format {
        LogFormat::Text => lines.boxed(),
        LogFormat::Json => lines.json().flatten_event(true).boxed(),
    };
    let (spans, telemetry) = otlp_layer(endpoint, service)?;
    let _ = tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(spans)
        .try_init();
    tracing::info!(endpoint = %traces_url(endpoint), "exporting traces over OTLP");
    Ok(telemetry)
}

/// An error and its causes on one line, for logs, `load_runs.error` and summaries. A cause whose
/// text its error already shows (drivers often repeat their source) is not repeated.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut shown = s.clone();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !shown.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        shown = text;
        cause = c.source();
    }
    s
}

/// A database URL fit for logs: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable database URL>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("mysql://app:s3cret@db:3306/music"),
            "mysql://app:***@db:3306/music"
        );
        assert_eq!(redact_url("not a url"), "<unparsable database URL>");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    #[test]
    fn an_error_chain_names_each_cause_once() {
        let leaf = Layer {
            text: "connection reset",
            source: None,
        };
        let repeating = Layer {
            text: "query failed: connection reset",
            source: Some(Box::new(leaf)),
        };
        let top = Layer {
            text: "writing a batch",
            source: Some(Box::new(repeating)),
        };
        assert_eq!(
            error_chain(&top),
            "writing a batch: query failed: connection reset"
        );
    }
}
