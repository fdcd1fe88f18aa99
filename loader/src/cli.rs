//! The `sixpotify-loader` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use entity::RunKind;
use entity::telemetry::{self, LogFormat, error_chain};
use sea_orm::DatabaseConnection;

use crate::aliases::{AliasList, ArtistDirectory};
use crate::db;
use crate::error::{LoaderError, Result};
use crate::import::{CsvInput, ImportOptions, Source, import};
use crate::load_run;
use crate::monitor::{self, LoaderMetrics, Monitoring, RunRecord};
use crate::mpd::MpdInput;
use crate::musicbrainz::MusicBrainzInput;
use crate::reccobeats::{self, ReccoBeatsClient};
use crate::shutdown::Shutdown;
use crate::spotify::{
    self, Secret, Seed, SpotifyClient, SpotifyConfig, SpotifyLoadOptions, SpotifyReport,
    load_spotify,
};
use crate::web_api::ClientPolicy;

/// Loads music catalog data into the Sixpotify database.
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

    /// Export traces over OTLP/HTTP to this collector (its base URL, `http://otel:4318`;
    /// spans go to `/v1/traces` under it): a span per run, its batches and its HTTP requests.
    /// Off when unset.
    #[arg(
        long,
        env = "SIXPOTIFY_OTLP_ENDPOINT",
        value_name = "URL",
        value_parser = telemetry::otlp_endpoint,
        global = true
    )]
    pub otlp_endpoint: Option<String>,

    /// After each run, push its figures to this Prometheus Pushgateway
    /// (`http://pushgateway:9091`), grouped by job `sixpotify_loader` and the run's kind.
    #[arg(
        long,
        env = "SIXPOTIFY_PUSHGATEWAY_URL",
        value_name = "URL",
        global = true
    )]
    pub pushgateway: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database schema, then exit (every command also does this first).
    Migrate,
    /// Recompute the BI summaries (per genre, per release year, artists' track counts, the
    /// catalog's counts) from the catalog. Every load run that writes rows does this at its
    /// end; this is for data changed by other means.
    Summarize,
    /// Write the catalog out as a data lake: Parquet files, one folder per table (tracks with
    /// their album, features and main artist; artists; genres; track, artist and playlist
    /// links; playlists), partitioned by export date (`tracks/dt=2026-11-30/part-0.parquet`).
    /// Files are published only once all are written. S3 credentials come from
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), the region from
    /// `AWS_REGION`, an S3-compatible store's address from `AWS_ENDPOINT_URL_S3` or
    /// `AWS_ENDPOINT_URL`.
    Export(ExportArgs),
    /// Import a CSV or gzip-compressed CSV file (30000-songs or Kaggle tracks layout).
    ImportCsv {
        /// The `.csv` or `.csv.gz` file.
        path: PathBuf,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Import the Million Playlist Dataset: one `mpd.slice.<a>-<b>.json` file, or a folder of
    /// them. Rows are playlist entries; tracks, albums and artists are matched by Spotify id.
    ImportMpd {
        /// A slice file or the folder holding the slices.
        path: PathBuf,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Import artist aliases from a CSV list with the header `artist_id,alias,locale` (and
    /// optionally `primary`). The list replaces the aliases earlier lists gave each artist it
    /// names; without `primary`, an artist's first alias in a locale is its primary name there.
    ImportAliases {
        /// The `.csv` or `.csv.gz` file.
        path: PathBuf,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Import artist names and aliases from MusicBrainz's JSON dump: its `artist.tar.xz`, or
    /// the `mbdump/artist` file in it (plain, gzip or xz). Artists link to the catalog by their
    /// Spotify URL, else by a name exactly one catalog artist has; rows are dump lines.
    ImportMusicbrainz {
        /// The archive or the artist file.
        path: PathBuf,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Load artists, their albums, tracks, top tracks and audio features from the Spotify Web API.
    ///
    /// The client id comes from SPOTIFY_CLIENT_ID and the secret from SPOTIFY_CLIENT_SECRET or
    /// --client-secret-file; neither is ever printed.
    Spotify(Box<SpotifyArgs>),
    /// Give tracks audio features from ReccoBeats (by Spotify track id, no key needed).
    AudioFeatures(AudioFeaturesArgs),
}

/// Where ReccoBeats is.
#[derive(Debug, Args)]
pub struct ReccoBeatsArgs {
    /// The ReccoBeats API base URL.
    #[arg(long, env = "RECCOBEATS_API_URL", default_value = reccobeats::DEFAULT_URL)]
    pub reccobeats_url: String,
}

/// The `audio-features` arguments.
#[derive(Debug, Args)]
pub struct AudioFeaturesArgs {
    /// Every track that has no audio features.
    #[arg(long, required = true)]
    pub missing: bool,
    #[command(flatten)]
    pub reccobeats: ReccoBeatsArgs,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// The cap on requests per second.
    #[arg(long, env = "RECCOBEATS_REQUESTS_PER_SECOND", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub requests_per_second: u32,
    /// The most the run waits in all for 429 answers' `Retry-After` before it gives up (`5m`).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub max_rate_limit_wait: Duration,
}

impl AudioFeaturesArgs {
    fn client(&self) -> Result<ReccoBeatsClient> {
        let policy = ClientPolicy {
            requests_per_second: self.requests_per_second,
            concurrency: self.concurrency as usize,
            retry_after_budget: self.max_rate_limit_wait,
            ..ClientPolicy::default()
        };
        ReccoBeatsClient::new(&self.reccobeats.reccobeats_url, policy)
    }
}

/// What every import command takes.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Fail on any invalid row and write nothing, instead of skipping invalid rows.
    #[arg(long)]
    pub strict: bool,
    /// Write every rejected row (where, column or field, value, reason) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Source rows per transaction: CSV rows (default 5000) or playlist entries (default
    /// 50000; a playlist is never split).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: Option<u32>,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

impl ImportArgs {
    fn options(&self, default_batch: u32) -> ImportOptions {
        ImportOptions {
            batch_size: self.batch_size.unwrap_or(default_batch) as usize,
            strict: self.strict,
            rejects_path: self.rejects.clone(),
            progress: !self.no_progress,
        }
    }
}

/// Runs an import command and prints its report.
/// Connects to the database, saying why not on failure.
async fn connect_for(database_url: &str, label: &str) -> Option<DatabaseConnection> {
    match db::connect(database_url).await {
        Ok(conn) => Some(conn),
        Err(e) => {
            eprintln!(
                "import of {label} FAILED: {} ({})",
                error_chain(&e),
                telemetry::redact_url(database_url)
            );
            None
        }
    }
}

/// Imports an input that links to the catalog's artists, read once the database is open.
async fn run_alias_import<S: Source>(
    database_url: &str,
    label: String,
    input: impl FnOnce(Arc<ArtistDirectory>) -> S,
    args: &ImportArgs,
    monitoring: &Monitoring,
) -> ExitCode {
    let Some(conn) = connect_for(database_url, &label).await else {
        return ExitCode::FAILURE;
    };
    match ArtistDirectory::load(&conn).await {
        Ok(directory) => {
            run_import(&conn, input(Arc::new(directory)), args, 5000, monitoring).await
        }
        Err(e) => {
            eprintln!("import of {label} FAILED: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run_import<S: Source>(
    conn: &DatabaseConnection,
    input: S,
    args: &ImportArgs,
    default_batch: u32,
    monitoring: &Monitoring,
) -> ExitCode {
    let label = input.label();
    let conn = conn.clone();
    let report = match import(&conn, &input, &args.options(default_batch), "import").await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("import of {label} FAILED: {}", error_chain(&e));
            after_run(monitoring, &RunRecord::failed(input.kind())).await;
            return ExitCode::FAILURE;
        }
    };
    let run = RunRecord {
        kind: input.kind(),
        status: load_run::status_of(report.error.is_some(), false),
        counts: report.counts,
        elapsed: report.elapsed,
        endpoints: &Default::default(),
    };
    after_run(monitoring, &run).await;
    if report.counts.rejected > 0 {
        eprintln!("rejected rows by reason:");
        for (reason, n) in &report.reject_reasons {
            eprintln!("  {n:>7}  {reason}");
        }
        for r in &report.sample_rejects {
            eprintln!(
                "  e.g. {}: {} {:?}: {}",
                r.place(),
                r.column,
                r.value,
                r.reason
            );
        }
        match &args.rejects {
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

/// The formats `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Parquet,
}

/// The `export` arguments.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file format.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: ExportFormat,
    /// A directory, or `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR|s3://bucket/prefix")]
    pub out: String,
    /// The compression of every column.
    #[arg(long, value_enum, default_value = "zstd")]
    pub compression: crate::export::parquet::Codec,
    /// The partition's date (`YYYY-MM-DD`); today, in UTC, by default.
    #[arg(long)]
    pub date: Option<chrono::NaiveDate>,
    /// Rows per Parquet row group: what the export holds in memory per table at a time.
    #[arg(long, default_value_t = crate::export::parquet::ROW_GROUP_ROWS)]
    pub row_group_rows: usize,
}

/// What `spotify` does besides loading.
#[derive(Debug, Subcommand)]
pub enum SpotifyAction {
    /// Authorise the loader to read your playlists (OAuth 2.0 with PKCE): prints the URL to open,
    /// receives Spotify's redirect on the loopback redirect URI, and stores the refresh token in
    /// a file only you can read. The token is never printed.
    Login(LoginArgs),
}

/// The `spotify login` arguments.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The app's client id.
    #[arg(long, env = "SPOTIFY_CLIENT_ID")]
    pub client_id: String,
    /// The accounts service base URL.
    #[arg(
        long,
        env = "SPOTIFY_ACCOUNTS_URL",
        default_value = "https://accounts.spotify.com"
    )]
    pub accounts_url: String,
    /// The redirect URI registered for the app: a loopback address the loader listens on.
    #[arg(long, env = "SPOTIFY_REDIRECT_URI", default_value = spotify::auth::DEFAULT_REDIRECT_URI)]
    pub redirect_uri: String,
    /// Where to store the refresh token (default: ~/.config/sixpotify/spotify-token.json).
    #[arg(long, env = "SPOTIFY_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// How long to wait for the browser to come back (`5m`).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// The `spotify` subcommand's arguments.
#[derive(Debug, Args)]
#[command(
    group(clap::ArgGroup::new("seeds").required(true).multiple(true)),
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct SpotifyArgs {
    #[command(subcommand)]
    pub action: Option<SpotifyAction>,
    /// Load the playlists of the user who logged in (`spotify login`): those they own or
    /// collaborate on, with their tracks.
    #[arg(
        long,
        group = "seeds",
        conflicts_with_all = ["artists_file", "artists", "artist_ids", "every"]
    )]
    pub my_playlists: bool,
    /// The refresh token file `spotify login` wrote (default:
    /// ~/.config/sixpotify/spotify-token.json).
    #[arg(long, env = "SPOTIFY_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// A file of artist names, one per line (UTF-8; blank lines are ignored).
    #[arg(long, value_name = "FILE", group = "seeds")]
    pub artists_file: Option<PathBuf>,
    /// An artist name to load (repeatable).
    #[arg(long = "artist", value_name = "NAME", group = "seeds")]
    pub artists: Vec<String>,
    /// A Spotify artist id to load (repeatable).
    #[arg(long = "artist-id", value_name = "ID", group = "seeds")]
    pub artist_ids: Vec<String>,

    /// The app's client id.
    #[arg(long, env = "SPOTIFY_CLIENT_ID")]
    pub client_id: String,
    /// A file holding the client secret (instead of SPOTIFY_CLIENT_SECRET).
    #[arg(long, env = "SPOTIFY_CLIENT_SECRET_FILE", value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// The Web API base URL.
    #[arg(
        long,
        env = "SPOTIFY_API_URL",
        default_value = "https://api.spotify.com/v1"
    )]
    pub api_url: String,
    /// The accounts service base URL (for tokens).
    #[arg(
        long,
        env = "SPOTIFY_ACCOUNTS_URL",
        default_value = "https://accounts.spotify.com"
    )]
    pub accounts_url: String,
    #[command(flatten)]
    pub reccobeats: ReccoBeatsArgs,
    /// Do not ask ReccoBeats for the audio features of the run's tracks that have none.
    #[arg(long)]
    pub no_reccobeats: bool,

    /// The market of top tracks (ISO 3166-1 alpha-2).
    #[arg(long, default_value = "KR")]
    pub market: String,
    /// Albums a page of an artist's discography (Spotify allows at most 10).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub album_page_size: u32,
    /// Tracks a page of an album's track list.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub track_page_size: u32,
    /// Search results considered when resolving a name (Spotify allows at most 10).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub search_limit: u32,
    /// Also load up to N related artists of each seed (one level deep).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub follow_related: usize,
    /// Skip artists loaded from Spotify more recently than this (`12h`, `7d`).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_age: Option<Duration>,
    /// Keep running: a run, then a sleep of this long, until SIGTERM or Ctrl-C (`6h`).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub every: Option<Duration>,
    /// With `--every`, serve `/metrics` (runs, requests, retries and 429s per endpoint, the
    /// next run's time) and `/healthz` on this address (`127.0.0.1:9464`).
    #[arg(
        long,
        env = "SIXPOTIFY_LOADER_METRICS_ADDR",
        value_name = "ADDR",
        requires = "every"
    )]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Artists read and written together in one transaction.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub artists_per_batch: u32,

    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// The cap on requests per second.
    #[arg(long, env = "SPOTIFY_REQUESTS_PER_SECOND", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub requests_per_second: u32,
    /// Attempts per request on 5xx answers, timeouts and dropped connections.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,
    /// The longest one request may take (`15s`).
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
    /// The most a run waits in all for 429 answers' `Retry-After` before it gives up (`5m`).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub max_rate_limit_wait: Duration,
}

impl SpotifyArgs {
    /// The client secret, from SPOTIFY_CLIENT_SECRET or the secret file.
    fn secret(&self) -> Result<Secret> {
        let value = match &self.client_secret_file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| LoaderError::File {
                action: "read the client secret file",
                path: path.clone(),
                source,
            })?,
            None => std::env::var("SPOTIFY_CLIENT_SECRET").map_err(|_| {
                LoaderError::SpotifyConfig(
                    "set SPOTIFY_CLIENT_SECRET or --client-secret-file".into(),
                )
            })?,
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(LoaderError::SpotifyConfig(
                "the client secret is empty".into(),
            ));
        }
        Ok(Secret::new(value))
    }

    fn seeds(&self) -> Result<Vec<Seed>> {
        let mut seeds = Vec::new();
        if let Some(path) = &self.artists_file {
            let bytes = std::fs::read(path).map_err(|source| LoaderError::File {
                action: "read the artists file",
                path: path.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                LoaderError::SpotifyConfig(format!(
                    "the artists file {} is not UTF-8 (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            seeds.extend(Seed::from_lines(&text));
        }
        seeds.extend(self.artists.iter().map(|n| Seed::Name(n.trim().to_owned())));
        seeds.extend(
            self.artist_ids
                .iter()
                .map(|i| Seed::Id(i.trim().to_owned())),
        );
        seeds.retain(|s| !matches!(s, Seed::Name(n) | Seed::Id(n) if n.is_empty()));
        if seeds.is_empty() {
            return Err(LoaderError::SpotifyConfig("no artist to load".into()));
        }
        Ok(seeds)
    }

    fn client(&self) -> Result<SpotifyClient> {
        // For the user's playlists the loader is a public client: PKCE, no secret.
        let secret = if self.my_playlists {
            Secret::new("")
        } else {
            self.secret()?
        };
        let mut config = SpotifyConfig::new(self.client_id.trim(), secret);
        if self.my_playlists {
            config.user_token_file = Some(
                self.token_file
                    .clone()
                    .unwrap_or_else(spotify::auth::default_token_file),
            );
        }
        config.api_url = self.api_url.trim_end_matches('/').to_owned();
        config.accounts_url = self.accounts_url.trim_end_matches('/').to_owned();
        config.policy = self.policy();
        SpotifyClient::new(config)
    }

    /// Rate cap, retries, 429 budget, timeouts and concurrency, for every web API of the run.
    fn policy(&self) -> ClientPolicy {
        ClientPolicy {
            requests_per_second: self.requests_per_second,
            concurrency: self.concurrency as usize,
            max_attempts: self.max_attempts,
            request_timeout: self.request_timeout,
            retry_after_budget: self.max_rate_limit_wait,
            ..ClientPolicy::default()
        }
    }

    /// ReccoBeats, unless turned off, with the run's policies.
    fn reccobeats(&self) -> Result<Option<ReccoBeatsClient>> {
        if self.no_reccobeats {
            return Ok(None);
        }
        ReccoBeatsClient::new(&self.reccobeats.reccobeats_url, self.policy()).map(Some)
    }

    fn options(&self) -> Result<SpotifyLoadOptions> {
        let mut opts = SpotifyLoadOptions::new(self.seeds()?);
        opts.market = self.market.trim().to_ascii_uppercase();
        opts.album_page_size = self.album_page_size;
        opts.track_page_size = self.track_page_size;
        opts.search_limit = self.search_limit;
        opts.follow_related = self.follow_related;
        opts.max_age = self.max_age;
        opts.artists_per_batch = self.artists_per_batch as usize;
        Ok(opts)
    }
}

/// Prints what a Spotify run did: names that did not resolve, ambiguous ones, the summary line.
fn print_spotify_report(report: &SpotifyReport) {
    let s = &report.summary;
    for u in &s.unmatched {
        eprintln!("  unmatched: {:?}: {}", u.seed, u.reason);
    }
    for a in &s.ambiguous {
        eprintln!(
            "  ambiguous: {:?} ({} match): chose {} ({}) over {}",
            a.name,
            a.matched,
            a.chosen_name,
            a.chosen_id,
            if a.others.is_empty() {
                "nothing else".to_owned()
            } else {
                a.others.join(", ")
            }
        );
    }
    for i in &s.incomplete {
        eprintln!("  incomplete: {}: {}", i.seed, i.reason);
    }
    for (endpoint, e) in &s.endpoints {
        if e.unavailable {
            eprintln!("  unavailable to this app: {endpoint}");
        }
    }
    eprintln!("{}", report.summary_line());
}

/// Records a run that ended, and pushes it when asked to; a failed push is said, and the run
/// stands.
async fn after_run(monitoring: &Monitoring, run: &RunRecord<'_>) {
    if let Err(e) = monitoring.after_run(run).await {
        eprintln!("monitoring: {}", error_chain(&e));
    }
}

/// One run, or with `--every` runs until a stop is asked for. The exit code is that of the
/// last run.
async fn run_spotify(
    db: &DatabaseConnection,
    args: &SpotifyArgs,
    pushgateway: Option<String>,
) -> Result<ExitCode> {
    let opts = args.options()?;
    let shutdown = Shutdown::on_signals();
    let mut monitoring = Monitoring {
        metrics: None,
        pushgateway,
    };
    if let Some(addr) = args.metrics_addr {
        let metrics = Arc::new(LoaderMetrics::new());
        monitor::serve(addr, metrics.clone())?;
        monitoring.metrics = Some(metrics);
    }
    loop {
        monitoring.next_run(None);
        let outcome = match (args.client(), args.reccobeats()) {
            (Ok(client), Ok(features)) => {
                load_spotify(db, &client, features.as_ref(), &opts, &shutdown).await
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let code = match outcome {
            Ok(report) => {
                print_spotify_report(&report);
                let run = RunRecord {
                    kind: RunKind::Spotify,
                    status: load_run::status_of(
                        report.error.is_some(),
                        report.summary.stopped_early,
                    ),
                    counts: report.counts,
                    elapsed: report.elapsed,
                    endpoints: &report.summary.endpoints,
                };
                after_run(&monitoring, &run).await;
                if report.error.is_some() {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                }
            }
            // A scheduled loader outlives a failed run (the database or Spotify may be back by
            // the next one); a single run reports the failure.
            Err(e) if args.every.is_some() => {
                eprintln!("spotify run FAILED: {}", error_chain(&e));
                after_run(&monitoring, &RunRecord::failed(RunKind::Spotify)).await;
                ExitCode::FAILURE
            }
            Err(e) => return Err(e),
        };
        let Some(every) = args.every else {
            return Ok(code);
        };
        if shutdown.is_requested() {
            return Ok(code);
        }
        tracing::info!(
            next_in = %humantime::format_duration(every),
            "sleeping until the next run"
        );
        monitoring.next_run(Some(std::time::SystemTime::now() + every));
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = shutdown.requested() => return Ok(code),
        }
    }
}

/// `spotify login`: the URL goes to standard error, and so does where the token went.
async fn run_login(args: &LoginArgs) -> ExitCode {
    let config = spotify::auth::LoginConfig {
        client_id: args.client_id.trim().to_owned(),
        accounts_url: args.accounts_url.trim_end_matches('/').to_owned(),
        redirect_uri: args.redirect_uri.clone(),
        token_file: args
            .token_file
            .clone()
            .unwrap_or_else(spotify::auth::default_token_file),
        timeout: args.timeout,
        request_timeout: Duration::from_secs(15),
    };
    let shown = |url: &str| {
        eprintln!("Open this address in a browser and allow Sixpotify to read your playlists:");
        eprintln!("{url}");
        eprintln!(
            "Waiting for Spotify to send the browser back to {} …",
            config.redirect_uri
        );
    };
    match spotify::auth::login(&config, shown).await {
        Ok(()) => {
            eprintln!(
                "logged in; the refresh token is stored in {} (readable by you only)",
                config.token_file.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("spotify login FAILED: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `spotify --my-playlists`: one run.
async fn run_my_playlists(
    db: &DatabaseConnection,
    args: &SpotifyArgs,
    monitoring: &Monitoring,
) -> Result<ExitCode> {
    let client = args.client()?;
    let shutdown = Shutdown::on_signals();
    let started = std::time::Instant::now();
    let report = spotify::playlists::load_my_playlists(db, &client, &shutdown).await?;
    let run = RunRecord {
        kind: RunKind::SpotifyPlaylists,
        status: load_run::status_of(report.error.is_some(), report.summary.stopped_early),
        counts: report.counts,
        elapsed: started.elapsed(),
        endpoints: &report.summary.endpoints,
    };
    after_run(monitoring, &run).await;
    for s in &report.summary.playlists_skipped {
        eprintln!("  skipped playlist {}: {}", s.seed, s.reason);
    }
    eprintln!("{}", report.summary_line());
    Ok(if report.error.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `audio-features --missing`: one run.
async fn run_audio_features(
    db: &DatabaseConnection,
    args: &AudioFeaturesArgs,
    monitoring: &Monitoring,
) -> Result<ExitCode> {
    let client = args.client()?;
    let shutdown = Shutdown::on_signals();
    let report = reccobeats::fill_missing(db, &client, &shutdown).await?;
    let run = RunRecord {
        kind: RunKind::ReccoBeats,
        status: load_run::status_of(report.error.is_some(), report.stopped_early),
        counts: report.run_counts,
        elapsed: report.elapsed,
        endpoints: &report.summary.endpoints,
    };
    after_run(monitoring, &run).await;
    for (endpoint, e) in &report.summary.endpoints {
        if e.unavailable {
            eprintln!("  unavailable: {endpoint}");
        }
    }
    eprintln!("{}", report.summary_line());
    Ok(if report.error.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `export`: one run, its tables listed with their rows and bytes.
async fn run_export(
    db: &DatabaseConnection,
    args: &ExportArgs,
    monitoring: &Monitoring,
) -> ExitCode {
    let ExportFormat::Parquet = args.format;
    let s3 = if crate::export::store::is_s3(&args.out) {
        match crate::export::store::S3Settings::from_env() {
            Ok(s3) => Some(s3),
            Err(e) => {
                eprintln!("export to {} FAILED: {}", args.out, error_chain(&e));
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let options = crate::export::ExportOptions {
        out: args.out.clone(),
        codec: args.compression,
        date: args.date.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        row_group_rows: args.row_group_rows,
        s3,
    };
    let started = std::time::Instant::now();
    let done = crate::export::export(db, &options).await;
    let counts = load_run::RunCounts {
        read: done.as_ref().map_or(0, |r| r.rows()),
        ..Default::default()
    };
    let run = RunRecord {
        kind: RunKind::Export,
        status: load_run::status_of(done.is_err(), false),
        counts,
        elapsed: started.elapsed(),
        endpoints: &Default::default(),
    };
    after_run(monitoring, &run).await;
    match done {
        Ok(report) => {
            for t in &report.tables {
                eprintln!(
                    "  {:<16} {:>12} rows {:>14} bytes  {}",
                    t.name, t.rows, t.bytes, t.key
                );
            }
            eprintln!(
                "export to {} succeeded: {} rows, {} bytes in {:.1}s, load run #{}",
                options.out,
                report.rows(),
                report.bytes(),
                report.elapsed.as_secs_f64(),
                report.run_id
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export to {} FAILED: {}", options.out, error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// Runs the command line; the exit code is non-zero when the load failed.
pub async fn run(cli: Cli) -> ExitCode {
    let traces = match telemetry::init(
        cli.log_format,
        "warn,sixpotify_loader=info",
        cli.otlp_endpoint.as_deref(),
        "sixpotify-loader",
    ) {
        Ok(traces) => traces,
        Err(e) => {
            eprintln!("could not start the OTLP exporter: {}", error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    let code = run_command(cli).await;
    traces.shutdown();
    code
}

/// Runs the command of `cli`, once logging is set up.
async fn run_command(cli: Cli) -> ExitCode {
    let monitoring = Monitoring {
        metrics: None,
        pushgateway: cli.pushgateway.clone(),
    };
    match cli.command {
        Command::Migrate => match db::connect(&cli.database_url).await {
            Ok(_) => {
                eprintln!(
                    "schema of {} is up to date",
                    telemetry::redact_url(&cli.database_url)
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "migration of {} FAILED: {}",
                    telemetry::redact_url(&cli.database_url),
                    error_chain(&e)
                );
                ExitCode::FAILURE
            }
        },
        Command::Export(args) => match db::connect(&cli.database_url).await {
            Ok(db) => run_export(&db, &args, &monitoring).await,
            Err(e) => {
                eprintln!("export to {} FAILED: {}", args.out, error_chain(&e));
                after_run(&monitoring, &RunRecord::failed(RunKind::Export)).await;
                ExitCode::FAILURE
            }
        },
        Command::Summarize => {
            let started = std::time::Instant::now();
            let done = match db::connect(&cli.database_url).await {
                Ok(db) => crate::summary::refresh(&db).await,
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => {
                    eprintln!(
                        "BI summaries of {} refreshed in {:.1} s",
                        telemetry::redact_url(&cli.database_url),
                        started.elapsed().as_secs_f64()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "refreshing the BI summaries of {} FAILED: {}",
                        telemetry::redact_url(&cli.database_url),
                        error_chain(&e)
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Command::ImportCsv { path, import } => {
            let label = path.display().to_string();
            match connect_for(&cli.database_url, &label).await {
                Some(conn) => {
                    run_import(&conn, CsvInput::File(path), &import, 5000, &monitoring).await
                }
                None => ExitCode::FAILURE,
            }
        }
        Command::ImportMpd { path, import } => {
            let label = path.display().to_string();
            match connect_for(&cli.database_url, &label).await {
                Some(conn) => run_import(&conn, MpdInput(path), &import, 50_000, &monitoring).await,
                None => ExitCode::FAILURE,
            }
        }
        Command::ImportAliases { path, import } => {
            let label = path.display().to_string();
            let input = |directory| AliasList {
                input: CsvInput::File(path),
                directory,
            };
            run_alias_import(&cli.database_url, label, input, &import, &monitoring).await
        }
        Command::ImportMusicbrainz { path, import } => {
            let label = path.display().to_string();
            let input = |directory| MusicBrainzInput { path, directory };
            run_alias_import(&cli.database_url, label, input, &import, &monitoring).await
        }
        Command::AudioFeatures(args) => {
            let outcome = match db::connect(&cli.database_url).await {
                Ok(conn) => run_audio_features(&conn, &args, &monitoring).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("audio-features FAILED: {}", error_chain(&e));
                    after_run(&monitoring, &RunRecord::failed(RunKind::ReccoBeats)).await;
                    ExitCode::FAILURE
                }
            }
        }
        Command::Spotify(args) => {
            if let Some(SpotifyAction::Login(login)) = &args.action {
                return run_login(login).await;
            }
            let kind = if args.my_playlists {
                RunKind::SpotifyPlaylists
            } else {
                RunKind::Spotify
            };
            let outcome = match db::connect(&cli.database_url).await {
                Ok(conn) if args.my_playlists => run_my_playlists(&conn, &args, &monitoring).await,
                Ok(conn) => run_spotify(&conn, &args, cli.pushgateway.clone()).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(code) => code,
                // A run that could not start or be recorded is pushed as failed too.
                Err(e) => {
                    eprintln!("spotify load FAILED: {}", error_chain(&e));
                    after_run(&monitoring, &RunRecord::failed(kind)).await;
                    ExitCode::FAILURE
                }
            }
        }
    }
}
