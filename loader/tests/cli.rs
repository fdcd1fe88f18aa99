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
