//! What the Sixpotify binaries log and how: the subscriber (human-readable on a terminal, JSON
//! on request, filtered by `RUST_LOG`), errors on one line with their causes, and database URLs
//! with their passwords hidden.

use tracing_subscriber::EnvFilter;

/// The log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber. `default_filter` applies when `RUST_LOG` is unset.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
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
