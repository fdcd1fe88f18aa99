//! `export --format parquet`: the lake read back by DuckDB (PyPI's `duckdb`, `tests/lake`) and
//! compared with the API's `trackStats`, written to a real S3-compatible server (moto) started
//! here, and a failed export that publishes nothing.
//!
//! Runs when Python has `duckdb` and `moto` (`.ci/run` installs `tests/lake/requirements.txt`
//! and sets `SIXPOTIFY_TEST_LAKE=require`); otherwise says it was skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};
use chrono::NaiveDate;
use serde_json::{Value, json};
use sixpotify_loader::export::parquet::Codec;
use sixpotify_loader::export::store::S3Settings;
use sixpotify_loader::export::{ExportOptions, TABLES, export};
use sixpotify_loader::web_api::Secret;
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample, scalar};

fn lake_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lake")
}

/// Whether Python can run the lake scripts; an error when they are required and cannot.
fn lake_ready() -> Result<bool> {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb, boto3, moto"])
        .output()
        .is_ok_and(|o| o.status.success());
    sixpotify_tests::optional(
        ok,
        "SIXPOTIFY_TEST_LAKE",
        "python3 lacks duckdb, boto3 or moto",
        "lake test: pip install -r tests/lake/requirements.txt",
    )
}

/// Runs a script of `tests/lake` with `args` and `env`; its standard output.
async fn python(script: &str, args: Vec<String>, env: Vec<(String, String)>) -> Result<Vec<u8>> {
    sixpotify_tests::run_script("python3", lake_dir().join(script), args, env).await
}

const DATE: &str = "2026-11-30";

fn options(out: String, s3: Option<S3Settings>) -> Result<ExportOptions> {
    Ok(ExportOptions {
        out,
        codec: Codec::Zstd,
        date: NaiveDate::parse_from_str(DATE, "%Y-%m-%d")?,
        // Small row groups, so that files hold several.
        row_group_rows: 1000,
        s3,
    })
}

/// DuckDB's view of a lake, as `read_lake.py` prints it.
async fn read_lake(dir: &Path) -> Result<Value> {
    let out = python(
        "read_lake.py",
        vec![dir.display().to_string(), DATE.to_owned()],
        Vec::new(),
    )
    .await?;
    Ok(serde_json::from_slice(&out)?)
}

/// Groups by decade and mode, from the API and from DuckDB, as (count, mean energy, sd energy,
/// mean popularity) by key.
type Groups = BTreeMap<(Option<i64>, Option<i64>), (i64, Option<f64>, Option<f64>, Option<f64>)>;

async fn api_groups(app: &TestApp) -> Result<Groups> {
    let data = app
        .data("{ trackStats(groupBy: [DECADE, MODE], first: 100) { edges { node { key { decade mode } count energy { mean stddev } popularity { mean } } } } }")
        .await?;
    let mut groups = Groups::new();
    for e in data["trackStats"]["edges"].as_array().context("edges")? {
        let n = &e["node"];
        groups.insert(
            (n["key"]["decade"].as_i64(), n["key"]["mode"].as_i64()),
            (
                n["count"].as_i64().context("count")?,
                n["energy"]["mean"].as_f64(),
                n["energy"]["stddev"].as_f64(),
                n["popularity"]["mean"].as_f64(),
            ),
        );
    }
    Ok(groups)
}

fn duckdb_groups(lake: &Value) -> Result<Groups> {
    let mut groups = Groups::new();
    for g in lake["groups"].as_array().context("groups")? {
        groups.insert(
            (g[0].as_i64(), g[1].as_i64()),
            (
                g[2].as_i64().context("count")?,
                g[3].as_f64(),
                g[4].as_f64(),
                g[5].as_f64(),
            ),
        );
    }
    Ok(groups)
}

fn assert_same_groups(api: &Groups, duck: &Groups) {
    assert_eq!(
        api.keys().collect::<Vec<_>>(),
        duck.keys().collect::<Vec<_>>(),
        "the same groups"
    );
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        (None, None) => true,
        _ => false,
    };
    for (key, a) in api {
        let d = &duck[key];
        assert_eq!(a.0, d.0, "count of {key:?}");
        assert!(close(a.1, d.1), "mean energy of {key:?}: {a:?} {d:?}");
        assert!(close(a.2, d.2), "sd of energy of {key:?}: {a:?} {d:?}");
        assert!(close(a.3, d.3), "mean popularity of {key:?}: {a:?} {d:?}");
    }
}

async fn an_export_reads_back_in_duckdb_with_the_figures_of_track_stats(db: TestDb) -> Result<()> {
    if !lake_ready()? {
        return Ok(());
    }
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let app = TestApp::spawn(&db).await?;
    let version = app.data("{ dataVersion }").await?["dataVersion"].clone();
    let dir = tempfile::tempdir()?;
    let report = export(&conn, &options(dir.path().display().to_string(), None)?).await?;

    let lake = read_lake(dir.path()).await?;
    let tables = &lake["tables"];
    for (table, sql) in [
        ("tracks", "SELECT COUNT(*) FROM tracks"),
        ("artists", "SELECT COUNT(*) FROM artists"),
        ("genres", "SELECT COUNT(*) FROM genres"),
        ("track_genres", "SELECT COUNT(*) FROM track_genres"),
        ("artist_genres", "SELECT COUNT(*) FROM artist_genres"),
        ("track_artists", "SELECT COUNT(*) FROM track_artists"),
        ("playlists", "SELECT COUNT(*) FROM playlists"),
        ("playlist_tracks", "SELECT COUNT(*) FROM playlist_tracks"),
    ] {
        let rows = scalar(&conn, sql).await?;
        assert!(rows > 0, "{table} is empty in the sample");
        assert_eq!(tables[table]["rows"], rows, "{table}");
        let reported = report.tables.iter().find(|t| t.name == table);
        assert_eq!(reported.map(|t| t.rows as i64), Some(rows), "{table}");
        assert_eq!(
            tables[table]["types"]["id"], "VARCHAR",
            "{table} is keyed by id"
        );
        assert_eq!(
            tables[table]["types"]["dt"], "DATE",
            "{table} is partitioned by date"
        );
    }
    assert_eq!(report.tables.len(), TABLES.len());
    let types = &tables["tracks"]["types"];
    for (column, kind) in [
        ("release_date", "DATE"),
        ("release_year", "INTEGER"),
        ("duration_ms", "INTEGER"),
        ("explicit", "BOOLEAN"),
        ("energy", "DOUBLE"),
        ("key", "INTEGER"),
        ("main_artist_id", "VARCHAR"),
    ] {
        assert_eq!(types[column], kind, "tracks.{column}: {types}");
    }
    assert_eq!(tables["artists"]["types"]["followers"], "BIGINT");
    assert_eq!(
        tables["playlist_tracks"]["types"]["added_at"],
        "TIMESTAMP WITH TIME ZONE"
    );
    assert!(
        tables["tracks"]["row_groups"].as_i64() > Some(1),
        "written a row group at a time: {}",
        tables["tracks"]
    );
    for t in TABLES {
        assert!(
            dir.path()
                .join(t.name)
                .join(format!("dt={DATE}"))
                .join("part-0.parquet")
                .is_file(),
            "{} is published under its partition",
            t.name
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('_'))
        .collect();
    assert!(leftovers.is_empty(), "staging removed: {leftovers:?}");

    assert_same_groups(&api_groups(&app).await?, &duckdb_groups(&lake)?);

    let run = app
        .data("{ loadRuns(first: 1) { kind status rowsRead rowsWritten } }")
        .await?;
    assert_eq!(
        run["loadRuns"][0],
        json!({ "kind": "EXPORT", "status": "SUCCEEDED", "rowsRead": report.rows(), "rowsWritten": 0 })
    );
    assert_eq!(
        app.data("{ dataVersion }").await?["dataVersion"],
        version,
        "an export does not move the data version"
    );
    Ok(())
}

/// A moto server on a free port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const KEY_ID: &str = "sixpotify-test-key";
const SECRET: &str = "sixpotify-test-secret-0123456789";

fn aws_env() -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-east-1"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec()
}

async fn start_moto() -> Result<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        // Parts of 64 KiB, so that the sample's files take several.
        .env("S3_UPLOAD_PART_MIN_SIZE", "65536")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting moto_server")?;
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if reqwest::get(&moto.endpoint).await.is_ok() {
            return Ok(moto);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("moto_server did not answer within 10 s")
}

fn s3_settings(moto: &Moto) -> S3Settings {
    S3Settings {
        access_key_id: KEY_ID.to_owned(),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
        region: "us-east-1".to_owned(),
        endpoint: Some(moto.endpoint.clone()),
        part_bytes: 64 * 1024,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_to_s3_publishes_every_partition_whole_and_a_failed_one_nothing() -> Result<()> {
    if !lake_ready()? {
        return Ok(());
    }
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let moto = start_moto().await?;
    python(
        "s3_lake.py",
        vec![moto.endpoint.clone(), "create".into(), "lake".into()],
        aws_env(),
    )
    .await?;

    // Into a bucket that does not exist: the run fails, and nothing is left anywhere.
    let failed = export(
        &conn,
        &options(
            "s3://no-such-bucket/catalog".into(),
            Some(s3_settings(&moto)),
        )?,
    )
    .await;
    let message = format!("{}", failed.err().context("the export should fail")?);
    assert!(message.contains("S3"), "{message}");
    assert!(!message.contains(SECRET), "no secret in errors: {message}");
    let status = sixpotify_tests::strings(
        &conn,
        "SELECT status FROM load_runs WHERE kind = 'export' ORDER BY id DESC LIMIT 1",
    )
    .await?;
    assert_eq!(status, ["failed"]);

    let report = export(
        &conn,
        &options("s3://lake/catalog".into(), Some(s3_settings(&moto)))?,
    )
    .await?;
    let fetched = tempfile::tempdir()?;
    let listing: Value = serde_json::from_slice(
        &python(
            "s3_lake.py",
            vec![
                moto.endpoint.clone(),
                "fetch".into(),
                "lake".into(),
                "catalog/".into(),
                fetched.path().display().to_string(),
            ],
            aws_env(),
        )
        .await?,
    )?;
    let expected: Vec<String> = TABLES
        .iter()
        .map(|t| format!("catalog/{}/dt={DATE}/part-0.parquet", t.name))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        listing["keys"],
        json!(expected),
        "one object per partition, nothing else"
    );
    assert_eq!(
        listing["open_uploads"], 0,
        "every multipart upload completed"
    );
    let tracks = report.tables.iter().find(|t| t.name == "tracks");
    assert!(
        tracks.is_some_and(|t| t.bytes > 3 * 64 * 1024),
        "the tracks file took several parts: {tracks:?}"
    );
    let lake = read_lake(fetched.path()).await?;
    assert_eq!(
        lake["tables"]["tracks"]["rows"],
        scalar(&conn, "SELECT COUNT(*) FROM tracks").await?
    );
    let app = TestApp::spawn(&db).await?;
    assert_same_groups(&api_groups(&app).await?, &duckdb_groups(&lake)?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_while_publishing_leaves_no_partial_partition() -> Result<()> {
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let dir = tempfile::tempdir()?;
    // The first table's partition cannot be created: a file stands where its folder goes.
    std::fs::write(dir.path().join("tracks"), b"not a folder")?;
    let failed = export(&conn, &options(dir.path().display().to_string(), None)?).await;
    assert!(failed.is_err(), "the export fails");
    let mut visible: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir.path())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        visible.push(name);
    }
    assert_eq!(visible, ["tracks"], "nothing published, staging removed");
    let status = sixpotify_tests::strings(
        &conn,
        "SELECT status FROM load_runs WHERE kind = 'export' ORDER BY id DESC LIMIT 1",
    )
    .await?;
    assert_eq!(status, ["failed"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_at_the_last_table_takes_back_every_file_the_run_published() -> Result<()> {
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let dir = tempfile::tempdir()?;
    let out = dir.path().display().to_string();
    export(&conn, &options(out.clone(), None)?).await?;
    let tracks = dir
        .path()
        .join("tracks")
        .join(format!("dt={DATE}"))
        .join("part-0.parquet");
    let before = std::fs::read(&tracks)?;
    // The catalog changes, and the last table's folder cannot be made.
    sea_orm::ConnectionTrait::execute_unprepared(&conn, "UPDATE tracks SET popularity = 1").await?;
    let last = TABLES.last().context("tables")?.name;
    std::fs::remove_dir_all(dir.path().join(last))?;
    std::fs::write(dir.path().join(last), b"not a folder")?;
    assert!(export(&conn, &options(out, None)?).await.is_err());
    assert_eq!(
        std::fs::read(&tracks)?,
        before,
        "the previous export's tracks are back"
    );
    let mut stray = Vec::new();
    for t in TABLES {
        let Ok(entries) = std::fs::read_dir(dir.path().join(t.name).join(format!("dt={DATE}")))
        else {
            continue;
        };
        for e in entries {
            let name = e?.file_name().to_string_lossy().into_owned();
            if name != "part-0.parquet" {
                stray.push(format!("{}/{name}", t.name));
            }
        }
    }
    assert!(stray.is_empty(), "nothing set aside is left: {stray:?}");
    Ok(())
}

backend_tests!(an_export_reads_back_in_duckdb_with_the_figures_of_track_stats);
