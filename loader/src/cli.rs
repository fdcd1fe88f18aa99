//! The `sixpotify-loader` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::db;
use crate::import::{CsvInput, ImportOptions, error_chain, import_csv};
use crate::telemetry::{self, LogFormat};

/// Loads music catalogue data into the Sixpotify database.
#[derive(Debug, Parser)]
#[command(name = "sixpotify-loader", version)]
pub struct Cli {
    /// Database to load into: `mysql://user:pass@host/db` or `sqlite://file.db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://sixpotify.db",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,

    /// Log format on standard error.
    #[arg(
        long,
        env = "SIXPOTIFY_LOG_FORMAT",
        value_enum,
        default_value_t,
        global = true
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database schema, then exit (every command also does this first).
    Migrate,
    /// Import a CSV or gzip-compressed CSV file (30000-songs or Kaggle tracks layout).
    ImportCsv {
        /// The `.csv` or `.csv.gz` file.
        path: PathBuf,
        /// Fail on any invalid row and write nothing, instead of skipping invalid rows.
        #[arg(long)]
        strict: bool,
        /// Write every rejected row (line, column, value, reason) to this CSV file.
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
        /// Source rows per transaction.
        #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
        /// Never draw a progress bar.
        #[arg(long)]
        no_progress: bool,
    },
}

/// Runs the command line; the exit code is non-zero when the load failed.
pub async fn run(cli: Cli) -> ExitCode {
    telemetry::init(cli.log_format, "warn,sixpotify_loader=info");
    match cli.command {
        Command::Migrate => match db::connect(&cli.database_url).await {
            Ok(_) => {
                eprintln!(
                    "schema of {} is up to date",
                    db::redact_url(&cli.database_url)
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "migration of {} FAILED: {}",
                    db::redact_url(&cli.database_url),
                    error_chain(&e)
                );
                ExitCode::FAILURE
            }
        },
        Command::ImportCsv {
            path,
            strict,
            rejects,
            batch_size,
            no_progress,
        } => {
            let conn = match db::connect(&cli.database_url).await {
                Ok(conn) => conn,
                Err(e) => {
                    eprintln!(
                        "import of {} FAILED: {} ({})",
                        path.display(),
                        error_chain(&e),
                        db::redact_url(&cli.database_url)
                    );
                    return ExitCode::FAILURE;
                }
            };
            let opts = ImportOptions {
                batch_size: batch_size as usize,
                strict,
                rejects_path: rejects.clone(),
                progress: !no_progress,
            };
            let report = match import_csv(&conn, &CsvInput::File(path.clone()), &opts).await {
                Ok(report) => report,
                Err(e) => {
                    eprintln!("import of {} FAILED: {}", path.display(), error_chain(&e));
                    return ExitCode::FAILURE;
                }
            };
            if report.counts.rejected > 0 {
                eprintln!("rejected rows by reason:");
                for (reason, n) in &report.reject_reasons {
                    eprintln!("  {n:>7}  {reason}");
                }
                for r in &report.sample_rejects {
                    eprintln!(
                        "  e.g. line {}: {} {:?}: {}",
                        r.line, r.column, r.value, r.reason
                    );
                }
                match &rejects {
                    Some(p) => eprintln!("every rejected row is listed in {}", p.display()),
                    None => eprintln!("use --rejects FILE for the full list"),
                }
            }
            eprintln!("{}", report.summary());
            if report.error.is_some() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
