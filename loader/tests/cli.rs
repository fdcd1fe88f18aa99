//! The `sixpotify-loader` binary as an operator runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn loader(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sixpotify-loader"))
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .expect("the loader binary runs")
}

#[test]
fn an_import_ends_with_a_one_line_summary_and_lists_rejects_by_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rejects = dir.path().join("rejects.csv");
    let out = loader(
        &dir.path().join("c.db"),
        &[
            "import-csv",
            fixture("quirks.csv").to_str().expect("utf-8 path"),
            "--rejects",
            rejects.to_str().expect("utf-8 path"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("succeeded: read 20 rows, wrote 14, rejected 6 in"),
        "{stderr}"
    );
    assert!(
        stderr.contains("      1  danceability: out of range 0..=1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("every rejected row is listed in"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&rejects)
            .expect("rejects file")
            .lines()
            .count(),
        7
    );
}

#[test]
fn a_failed_import_exits_non_zero_with_the_reason_in_its_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = loader(
        &dir.path().join("c.db"),
        &[
            "import-csv",
            fixture("quirks.csv").to_str().expect("utf-8 path"),
            "--strict",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .contains("FAILED: strict mode: 6 invalid rows, nothing was written"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error_that_hides_the_password() {
    let out = Command::new(env!("CARGO_BIN_EXE_sixpotify-loader"))
        .env("DATABASE_URL", "mysql://app:hunter2@127.0.0.1:1/music")
        .args([
            "import-csv",
            fixture("quirks.csv").to_str().expect("utf-8 path"),
        ])
        .output()
        .expect("the loader binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("FAILED: database error while connecting to the database"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// Counts of every catalog table and a digest of their rows, to compare two databases.
async fn catalog_digest(url: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sixpotify_loader::db::connect(url)
        .await
        .expect("database opens");
    let mut out = Vec::new();
    for (table, key) in [
        ("genres", "id"),
        ("artists", "id || '|' || name || '|' || search_key"),
        (
            "albums",
            "id || '|' || COALESCE(name, '') || '|' || COALESCE(release_date, '')",
        ),
        (
            "tracks",
            "id || '|' || COALESCE(name, '') || '|' || COALESCE(album_id, '') || '|' || COALESCE(popularity, '')",
        ),
        (
            "audio_features",
            "track_id || '|' || energy || '|' || tempo",
        ),
        (
            "track_artists",
            "track_id || '|' || artist_id || '|' || position",
        ),
        ("track_genres", "track_id || '|' || genre_id"),
        ("artist_genres", "artist_id || '|' || genre_id"),
    ] {
        let sql = format!("SELECT {key} AS k FROM {table} ORDER BY 1");
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("catalog query");
        out.push(format!("{table}: {} rows", rows.len()));
        for row in rows {
            out.push(row.try_get::<String>("", "k").expect("text key"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loader_process_killed_midway_and_run_again_ends_as_one_clean_run() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/data/sample.csv.gz");
    let sample = sample.to_str().expect("utf-8 path");
    let dir = tempfile::tempdir().expect("temp dir");
    let (killed_db, clean_db) = (dir.path().join("killed.db"), dir.path().join("clean.db"));
    let killed_url = format!("sqlite://{}", killed_db.display());

    let out = loader(&killed_db, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_sixpotify-loader"))
        .env("DATABASE_URL", &killed_url)
        .args(["import-csv", sample, "--batch-size", "50"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the loader binary starts");
    // SIGKILL as soon as some batches have landed: no chance to clean up.
    let db = sea_orm::Database::connect(&killed_url)
        .await
        .expect("database opens");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        use sea_orm::{EntityTrait, PaginatorTrait};
        let tracks = entity::track::Entity::find().count(&db).await.unwrap_or(0);
        if tracks >= 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import never got going"
        );
        assert!(
            child.try_wait().expect("child status").is_none(),
            "the import ended before it could be killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    db.close().await.expect("close");

    let partial = catalog_digest(&killed_url).await;
    let out = loader(&clean_db, &["import-csv", sample]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let clean = catalog_digest(&format!("sqlite://{}", clean_db.display())).await;
    assert_ne!(partial, clean, "the first run was cut before the end");

    let out = loader(&killed_db, &["import-csv", sample]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(catalog_digest(&killed_url).await, clean);
}

/// A `spotify` command line with the client id set, no secret and no network.
fn spotify(db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sixpotify-loader"));
    cmd.env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("SPOTIFY_CLIENT_ID", "an-id")
        .env_remove("SPOTIFY_CLIENT_SECRET")
        .env_remove("SPOTIFY_CLIENT_SECRET_FILE")
        .env_remove("RUST_LOG")
        // Nothing listens on the discard port: requests fail at once.
        .args([
            "spotify",
            "--api-url",
            "http://127.0.0.1:9/v1",
            "--accounts-url",
            "http://127.0.0.1:9",
        ]);
    cmd
}

#[test]
fn the_spotify_command_says_clearly_what_is_missing_or_wrong() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("s.db");

    let no_seed = spotify(&db).output().expect("runs");
    assert_eq!(no_seed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_seed.stderr);
    assert!(stderr.contains("--artists-file"), "{stderr}");

    let no_secret = spotify(&db)
        .args(["--artist", "BTS"])
        .output()
        .expect("runs");
    assert_eq!(no_secret.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&no_secret.stderr);
    assert!(
        stderr.contains("set SPOTIFY_CLIENT_SECRET or --client-secret-file"),
        "{stderr}"
    );

    let missing_file = dir.path().join("no-such-secret");
    let out = spotify(&db)
        .args(["--artist", "BTS", "--client-secret-file"])
        .arg(&missing_file)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed to read the client secret file")
            && stderr.contains("no-such-secret"),
        "{stderr}"
    );

    let latin1 = dir.path().join("artists.txt");
    std::fs::write(&latin1, b"Beyonc\xe9\n").expect("write");
    let out = spotify(&db)
        .env("SPOTIFY_CLIENT_SECRET", "s3cret-value-41")
        .arg("--artists-file")
        .arg(&latin1)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not UTF-8 (byte 6)"), "{stderr}");
    assert!(!stderr.contains("s3cret-value-41"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn sigterm_while_a_scheduled_loader_sleeps_stops_it_at_once() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = spotify(&dir.path().join("s.db"))
        .env("SPOTIFY_CLIENT_SECRET", "s3cret-value-41")
        .args(["--artist", "BTS", "--every", "1h", "--max-attempts", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen
        .iter()
        .any(|l: &String| l.contains("sleeping until the next run"))
    {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no sleep announced: {seen:#?}"));
        seen.push(line);
    }
    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = child.wait().expect("exits");
    assert!(signalled.elapsed() < Duration::from_secs(10));
    seen.extend(rx.try_iter());
    let text = seen.join("\n");
    // The run failed (nothing answers), so the loader's last word is a failure; it stopped on
    // the signal, not on a crash.
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("spotify run 1 FAILED"), "{text}");
    assert!(text.contains("SIGTERM"), "{text}");
    assert!(!text.contains("s3cret-value-41"), "{text}");
}
