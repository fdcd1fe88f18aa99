//! The test harness: a fresh database per test (a SQLite file, or a uniquely named MySQL
//! database when `SIXPOTIFY_TEST_MYSQL_URL` is set), the real API server on port 0, fixtures,
//! and a snapshot of the catalog for comparing end states.

pub mod fake_reccobeats;
pub mod fake_spotify;
pub mod otlp;
pub mod proxy;
pub mod schema_contract;
pub mod synth;
pub mod synth_playlists;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context as _, Result, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use sixpotify_api::stats::StatementCounter;
use sixpotify_api::{Application, Settings};
use sixpotify_loader::{CsvInput, ImportOptions, import_csv};

/// The environment variable naming a MySQL/MariaDB server for tests, e.g.
/// `mysql://root@127.0.0.1:3306`.
pub const MYSQL_ENV: &str = "SIXPOTIFY_TEST_MYSQL_URL";

/// Runs each named test function (`async fn name(db: TestDb) -> Result<()>`, an ordinary
/// function of the calling file, so that rustfmt formats it) once on SQLite and once on MySQL
/// (skipped, loudly, without a server). Each name becomes a module holding `on_sqlite` and
/// `on_mysql`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() -> ::anyhow::Result<()> {
                    super::$name($crate::TestDb::sqlite().await?).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_mysql() -> ::anyhow::Result<()> {
                    match $crate::TestDb::mysql(concat!(module_path!(), "::on_mysql")).await? {
                        Some(db) => super::$name(db).await,
                        None => Ok(()),
                    }
                }
            }
        )*
    };
}

/// Writes a line to the real standard error, past the test harness's capture, so that a skipped
/// test says so even when it passes.
pub fn notice(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether a test that needs more than Rust can run, given whether what it needs is `ready`.
/// When it is not, the test fails if the variable `env` is `require` (CI sets it), saying
/// `missing`; otherwise it says it was skipped and how to install what it needs (`hint`).
pub fn optional(ready: bool, env: &str, missing: &str, hint: &str) -> Result<bool> {
    if ready {
        return Ok(true);
    }
    if std::env::var(env).as_deref() == Ok("require") {
        bail!("{env}=require but {missing}");
    }
    notice(&format!("SKIPPED {hint}"));
    Ok(false)
}

/// Runs `node SCRIPT ARGS…` off the async runtime and returns its standard output, or fails
/// with everything it printed when it exits with an error.
pub async fn run_node(script: PathBuf, args: Vec<String>) -> Result<Vec<u8>> {
    run_script("node", script, args, Vec::new()).await
}

/// Runs `PROGRAM SCRIPT ARGS…` with `env` added, off the async runtime, and returns its standard
/// output, or fails with everything it printed when it exits with an error.
pub async fn run_script(
    program: &'static str,
    script: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
) -> Result<Vec<u8>> {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program)
            .arg(&script)
            .args(&args)
            .envs(env)
            .output()
    })
    .await??;
    if !out.status.success() {
        bail!(
            "{program} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// Which database engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
}

/// A fresh, empty database that is removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    mysql: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}/catalog.db", dir.path().display());
        Ok(Self {
            backend: Backend::Sqlite,
            url,
            mysql: None,
            _dir: Some(dir),
        })
    }

    /// A new database on the MySQL server of [`MYSQL_ENV`], or `None` (with a notice on
    /// stderr) when it is not set.
    pub async fn mysql(test: &str) -> Result<Option<Self>> {
        let Ok(server) = std::env::var(MYSQL_ENV) else {
            notice(&format!(
                "SKIPPED on MySQL: {test} (set {MYSQL_ENV}=mysql://root@127.0.0.1:3306 to run it)"
            ));
            return Ok(None);
        };
        let server = server.trim_end_matches('/').to_owned();
        let name = format!(
            "sixpotify_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .subsec_nanos()
        );
        let admin = Database::connect(&server)
            .await
            .with_context(|| format!("connecting to the MySQL server of {MYSQL_ENV}"))?;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ))
            .await?;
        admin.close().await?;
        Ok(Some(Self {
            backend: Backend::MySql,
            url: format!("{server}/{name}"),
            mysql: Some((server, name)),
            _dir: None,
        }))
    }

    /// Another fresh database on the same backend, to compare against.
    pub async fn twin(&self) -> Result<Self> {
        match self.backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::MySql => Self::mysql("twin")
                .await?
                .context("MySQL went away between two databases of one test"),
        }
    }

    /// Connects and migrates, as the binaries do.
    pub async fn connect(&self) -> Result<DatabaseConnection> {
        Ok(sixpotify_loader::db::connect(&self.url).await?)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.mysql.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee, so the cleanup gets a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(&server).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Everything logged, at every level, while the guard [`LogCapture::start`] returns lives (on
/// the current thread: use a current-thread runtime).
#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Starts capturing TRACE and everything above.
    pub fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|v| v.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// A fixture file of `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Imports a file with default options and fails the test if the import failed.
pub async fn import(db: &DatabaseConnection, path: PathBuf) -> Result<()> {
    let report = import_csv(db, &CsvInput::File(path), &ImportOptions::default()).await?;
    report.into_result()?;
    Ok(())
}

/// Imports the sample the API bundles, and its aliases.
pub async fn import_sample(db: &DatabaseConnection) -> Result<()> {
    let report = import_csv(
        db,
        &sixpotify_api::seed::sample_input(),
        &ImportOptions::default(),
    )
    .await?;
    report.into_result()?;
    sixpotify_api::seed::seed_aliases(db).await?;
    Ok(())
}

/// A running API server; clones share it.
#[derive(Clone, Debug)]
pub struct TestApp {
    pub base: String,
    pub statements: StatementCounter,
    pub client: reqwest::Client,
}

impl TestApp {
    /// Starts the real server on port 0 over `db` (already migrated and loaded as the test
    /// wants it).
    pub async fn spawn(db: &TestDb) -> Result<Self> {
        Self::spawn_with(db, |_| {}).await
    }

    /// Starts the server with settings changed by `configure` (which starts from port 0, a
    /// 200 ms poll interval and the default caches).
    pub async fn spawn_with(db: &TestDb, configure: impl FnOnce(&mut Settings)) -> Result<Self> {
        Self::spawn_at(&db.url, configure).await
    }

    /// [`TestApp::spawn_with`] over the database at `url` (a database of a test, or a proxy
    /// to one), connecting as the server does.
    pub async fn spawn_at(url: &str, configure: impl FnOnce(&mut Settings)) -> Result<Self> {
        let mut settings = Settings::for_database("sqlite::memory:").map_err(anyhow::Error::msg)?;
        settings.poll_interval = std::time::Duration::from_millis(200);
        configure(&mut settings);
        let mut conn = sixpotify_loader::db::connect_with(url, settings.db_acquire_timeout).await?;
        let statements = StatementCounter::install(&mut conn);
        let app = Application::serve(conn, statements.clone(), &settings)?;
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Ok(Self {
            base,
            statements,
            client: reqwest::Client::new(),
        })
    }

    /// POSTs a query with variables and returns the whole JSON response.
    pub async fn query_with(&self, query: &str, variables: Value) -> Result<Value> {
        let resp = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        if !status.is_success() {
            bail!("HTTP {status}: {body}");
        }
        Ok(body)
    }

    /// POSTs a query and returns the whole JSON response.
    pub async fn query(&self, query: &str) -> Result<Value> {
        self.query_with(query, Value::Null).await
    }

    /// Sends `request`, raw bytes of HTTP/1.1 (which should ask for `Connection: close`), and
    /// returns the status code and the whole answer as text: for requests no client library
    /// would send.
    pub async fn raw(&self, request: &[u8]) -> Result<(u16, String)> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(request).await?;
        let mut answer = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            stream.read_to_end(&mut answer),
        )
        .await
        .context("no answer within 30 s")??;
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {text:?}"))?;
        Ok((status, text))
    }

    /// Waits, a bounded time, until `/readyz` says the server is ready.
    pub async fn ready(&self) -> Result<()> {
        for _ in 0..200 {
            let res = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await?;
            if res.status().is_success() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        bail!("the server did not become ready within 10 s")
    }

    /// POSTs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str) -> Result<Value> {
        let body = self.query(query).await?;
        if let Some(errors) = body.get("errors") {
            bail!("query failed: {errors}");
        }
        Ok(body["data"].clone())
    }
}

/// Every catalog row as text, table by table, in key order, without timestamps: two
/// databases holding the same catalog give equal snapshots.
pub async fn snapshot(db: &DatabaseConnection) -> Result<Vec<String>> {
    const TABLES: &[(&str, &str, &str)] = &[
        (
            "artists",
            "id, name, search_key, popularity, followers, image_url, spotify_url",
            "id",
        ),
        ("genres", "id, name", "id"),
        (
            "artist_genres",
            "artist_id, genre_id",
            "artist_id, genre_id",
        ),
        (
            "albums",
            "id, name, album_type, release_date, release_year, release_date_precision, total_tracks, image_url",
            "id",
        ),
        (
            "tracks",
            "id, name, search_key, album_id, duration_ms, explicit, popularity, track_number, isrc",
            "id",
        ),
        (
            "track_artists",
            "track_id, artist_id, position",
            "track_id, artist_id",
        ),
        ("track_genres", "track_id, genre_id", "track_id, genre_id"),
        (
            "artist_top_tracks",
            "artist_id, market, rank, track_id",
            "artist_id, market, rank",
        ),
        ("playlists", "id, name, source", "id"),
        (
            "playlist_tracks",
            "playlist_id, position, track_id",
            "playlist_id, position",
        ),
        (
            "audio_features",
            "track_id, danceability, energy, key, loudness, mode, speechiness, acousticness, instrumentalness, liveness, valence, tempo, time_signature",
            "track_id",
        ),
    ];
    let backend = db.get_database_backend();
    let text = if backend == sea_orm::DatabaseBackend::MySql {
        "CHAR"
    } else {
        "TEXT"
    };
    let mut out = Vec::new();
    for (table, cols, key) in TABLES {
        // Quoted: `key` is a reserved word in MySQL; SQLite reads backticks alike.
        let casts: Vec<String> = cols
            .split(", ")
            .map(|c| format!("CAST(`{c}` AS {text}) AS `{c}`"))
            .collect();
        let sql = format!("SELECT {} FROM {table} ORDER BY {key}", casts.join(", "));
        for row in db
            .query_all_raw(Statement::from_string(backend, sql))
            .await?
        {
            let mut line = format!("{table}:");
            for col in cols.split(", ") {
                let v: Option<String> = row.try_get("", col)?;
                line.push_str(&format!("{v:?}|"));
            }
            out.push(line);
        }
    }
    Ok(out)
}

/// Runs one SQL query and returns its first column, a string, of every row.
pub async fn strings(db: &DatabaseConnection, sql: &str) -> Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

/// Runs one SQL query that returns a single integer.
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .context("no row")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}
