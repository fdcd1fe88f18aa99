//! On a real MariaDB Galera cluster behind HAProxy (`scripts/cluster.sh`, started here):
//!
//! 1. an import through HAProxy leaves every node holding exactly what a single server holds
//!    after the same import, and loaders started together through different nodes on a new
//!    database all come up;
//! 2. the node HAProxy sends writes to, killed in the middle of an import, does not stop the
//!    run: it completes through another node, and the killed node rejoins identical;
//! 3. two imports at once through two nodes meet certification conflicts, retry them, and
//!    both succeed with the catalog of one import;
//! 4. two API replicas on different nodes keep answering while a node is killed and
//!    restarted (errors coded `SERVICE_UNAVAILABLE`, for a few seconds), and both serve a new
//!    load within a poll interval;
//! 5. a node cut off from the others (a partition) refuses statements, the API on it reports
//!    `/readyz` 503 while the majority serves, and it is ready again once it has rejoined.
//!
//! Runs when Debian's `galera-4` and `haproxy` are installed (`.ci/run` installs them and sets
//! `SIXPOTIFY_TEST_CLUSTER=require`); otherwise says it was skipped. The cluster's ports are
//! fixed, so every check runs in the one test below, in that order.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use sixpotify_loader::{ImportOptions, import_csv};
use sixpotify_tests::{TestApp, TestDb, fixture, import_sample, scalar, snapshot};
use tokio::time::Instant;

const WRITES: &str = "mysql://root@127.0.0.1:3320";
const NODES: [&str; 3] = [
    "mysql://root@127.0.0.1:3311",
    "mysql://root@127.0.0.1:3312",
    "mysql://root@127.0.0.1:3313",
];

/// Small batches, so that an import of the sample is hundreds of transactions.
const SMALL_BATCHES: usize = 40;

fn cluster_ready() -> Result<bool> {
    let ready = ["/usr/lib/galera/libgalera_smm.so", "/usr/sbin/haproxy"]
        .iter()
        .all(|p| Path::new(p).exists());
    sixpotify_tests::optional(
        ready,
        "SIXPOTIFY_TEST_CLUSTER",
        "galera-4 or haproxy is missing",
        "cluster test: apt-get install galera-4 haproxy rsync",
    )
}

/// Runs `scripts/cluster.sh` with `args` on the cluster in `dir`.
fn cluster_sh(dir: &Path, args: &[&str]) -> Result<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cluster.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .env("CLUSTER_DIR", dir)
        .env("NODE_POOL_MB", "128")
        .output()?;
    ensure!(
        out.status.success(),
        "cluster.sh {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The cluster, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Result<Self> {
        let cluster = Self {
            dir: tempfile::tempdir()?,
        };
        // The nodes run as `mysql`, which must reach their folders.
        Command::new("chmod")
            .arg("755")
            .arg(cluster.dir.path())
            .status()?;
        cluster_sh(cluster.dir.path(), &["start"])?;
        Ok(cluster)
    }

    fn status(&self) -> Result<String> {
        cluster_sh(self.dir.path(), &["status"])
    }

    /// `cluster.sh <verb> <node>` (`kill 1`, `restart 1`, `isolate 3`…), off the runtime's
    /// threads.
    async fn node(&self, verb: &'static str, node: usize) -> Result<String> {
        let dir = self.dir.path().to_owned();
        tokio::task::spawn_blocking(move || cluster_sh(&dir, &[verb, &node.to_string()])).await?
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = cluster_sh(self.dir.path(), &["stop"]) {
            eprintln!("{e}");
        }
    }
}

/// A new database on the cluster, created through node 1.
async fn create_database(name: &str) -> Result<()> {
    let admin = Database::connect(NODES[0]).await?;
    admin
        .execute_unprepared(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))
        .await?;
    Ok(())
}

/// Connects as the loader and the API do, on database `name` of `server`.
async fn connect(server: &str, name: &str) -> Result<DatabaseConnection> {
    Ok(
        sixpotify_loader::db::connect_with(&format!("{server}/{name}"), Duration::from_secs(30))
            .await?,
    )
}

/// Imports the bundled sample in small batches and fails if the run failed.
async fn import_in_small_batches(db: &DatabaseConnection) -> Result<()> {
    let opts = ImportOptions {
        batch_size: SMALL_BATCHES,
        ..ImportOptions::default()
    };
    import_csv(db, &sixpotify_api::seed::sample_input(), &opts)
        .await?
        .into_result()?;
    Ok(())
}

/// Polls node `url`'s snapshot of `name` until it equals `expected`, for at most 60 s: a node
/// applies what another certified a moment later.
async fn converges(url: &str, name: &str, expected: &[String]) -> Result<()> {
    let conn: DatabaseConnection = Database::connect(format!("{url}/{name}")).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = snapshot(&conn).await?;
        if got == expected {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let missing = expected.iter().filter(|r| !got.contains(r)).take(3);
            let extra = got.iter().filter(|r| !expected.contains(r)).take(3);
            bail!(
                "{url}/{name} differs from a single server: {} rows against {}; missing {:?}, extra {:?}",
                got.len(),
                expected.len(),
                missing.collect::<Vec<_>>(),
                extra.collect::<Vec<_>>()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Certification failures and transactions aborted by replicated ones, summed over the nodes.
async fn conflicts_so_far() -> Result<i64> {
    let mut total = 0;
    for node in NODES {
        let conn = Database::connect(node).await?;
        for name in ["wsrep_local_cert_failures", "wsrep_local_bf_aborts"] {
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(
                    conn.get_database_backend(),
                    format!("SHOW GLOBAL STATUS LIKE '{name}'"),
                ))
                .await?
                .context("a wsrep status")?;
            let value: String = row.try_get_by_index(1)?;
            total += value.parse::<i64>()?;
        }
    }
    Ok(total)
}

/// One answer of a replica under load: when, and the error code if it failed.
struct Answer {
    at: Instant,
    error: Option<String>,
}

/// Asks `app` for track `id` and sorts the answer into success or an error code.
async fn ask(app: &TestApp, id: &str) -> Answer {
    let query = format!(r#"{{ track(id: "{id}") {{ catalogId name album {{ name }} }} }}"#);
    let error = match app.query(&query).await {
        Ok(body) => match body.get("errors").and_then(Value::as_array) {
            Some(errors) => Some(
                errors[0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or("NO_CODE")
                    .to_owned(),
            ),
            None if body["data"]["track"]["catalogId"] == id => None,
            None => Some(format!("WRONG_ANSWER {body}")),
        },
        Err(e) => Some(format!("HTTP {e}")),
    };
    Answer {
        at: Instant::now(),
        error,
    }
}

/// The longest stretch from a failed answer to the next good one.
fn longest_outage(answers: &[Answer]) -> Duration {
    let mut longest = Duration::ZERO;
    let mut since: Option<Instant> = None;
    for a in answers {
        match (&a.error, since) {
            (Some(_), None) => since = Some(a.at),
            (None, Some(start)) => {
                longest = longest.max(a.at - start);
                since = None;
            }
            _ => {}
        }
    }
    if let (Some(start), Some(last)) = (since, answers.last()) {
        longest = longest.max(last.at - start);
    }
    longest
}

/// Polls `app` until track `id` is there; how long it took.
async fn until_served(app: &TestApp, id: &str, patience: Duration) -> Result<Duration> {
    let started = Instant::now();
    loop {
        if ask(app, id).await.error.is_none() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > patience {
            bail!("{} did not serve track {id} within {patience:?}", app.base);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn readyz(app: &TestApp) -> Result<u16> {
    Ok(app
        .client
        .get(format!("{}/readyz", app.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await?
        .status()
        .as_u16())
}

/// Polls `/readyz` until it answers `status`, for at most `patience`.
async fn until_readyz(app: &TestApp, status: u16, patience: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        if readyz(app).await? == status {
            return Ok(());
        }
        if started.elapsed() > patience {
            bail!(
                "{} /readyz did not answer {status} within {patience:?}",
                app.base
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_galera_cluster_behind_haproxy_holds_what_one_server_holds_through_failures() -> Result<()>
{
    if !cluster_ready()? {
        return Ok(());
    }
    let cluster = Cluster::start()?;
    let status = cluster.status()?;
    assert_eq!(
        status.matches("wsrep_cluster_size=3").count(),
        3,
        "three nodes in one cluster: {status}"
    );

    // What one server holds after the same imports.
    let single = TestDb::mysql("a_galera_cluster_behind_haproxy").await?;
    let (expected_sample, expected_batches) = match &single {
        Some(single) => {
            let conn = single.connect().await?;
            import_sample(&conn).await?;
            let sample = snapshot(&conn).await?;
            let twin = single.twin().await?;
            let conn = twin.connect().await?;
            import_in_small_batches(&conn).await?;
            (sample, Some(snapshot(&conn).await?))
        }
        None => (Vec::new(), None),
    };

    // 1. Loaders started together through each node on a new database all come up.
    create_database("started_together").await?;
    let starts: Vec<_> = NODES
        .iter()
        .map(|node| tokio::spawn(async move { connect(node, "started_together").await }))
        .collect();
    for start in starts {
        start
            .await?
            .context("a loader failed to start on the cluster")?;
    }
    // The sample imported through HAProxy's writer holds what one server holds, on every node.
    create_database("imported").await?;
    let through_haproxy = connect(WRITES, "imported").await?;
    import_sample(&through_haproxy).await?;
    // Without a single server, node 1 (the writer) stands for it.
    let expected_sample = match single {
        Some(_) => expected_sample,
        None => snapshot(&through_haproxy).await?,
    };
    assert!(expected_sample.len() > 1000, "the sample was imported");
    for node in NODES {
        converges(node, "imported", &expected_sample).await?;
    }

    // 2. The writer node killed in the middle of an import: the same run completes.
    create_database("failover").await?;
    let db = connect(WRITES, "failover").await?;
    let run = {
        let db = db.clone();
        tokio::spawn(async move { import_in_small_batches(&db).await })
    };
    let node2 = connect(NODES[1], "failover").await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while scalar(&node2, "SELECT COUNT(*) FROM tracks").await? < 200 {
        ensure!(Instant::now() < deadline, "the import wrote nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ensure!(
        !run.is_finished(),
        "the import ended before the writer was killed"
    );
    cluster.node("kill", 1).await?;
    run.await?
        .context("the import did not survive its writer's death")?;
    cluster.node("restart", 1).await?;
    let expected_batches = match expected_batches {
        Some(expected) => expected,
        None => snapshot(&node2).await?,
    };
    for node in NODES {
        converges(node, "failover", &expected_batches).await?;
    }
    let runs = sixpotify_tests::strings(&node2, "SELECT status FROM load_runs").await?;
    assert_eq!(runs, ["succeeded"], "one run, and it succeeded");

    // 3. Two imports at once through two nodes: conflicts are retried, both succeed.
    create_database("concurrent").await?;
    let (one, two) = (
        connect(NODES[0], "concurrent").await?,
        connect(NODES[1], "concurrent").await?,
    );
    let conflicts_before = conflicts_so_far().await?;
    let (a, b) = tokio::join!(import_in_small_batches(&one), import_in_small_batches(&two));
    a.context("the import through node 1")?;
    b.context("the import through node 2")?;
    let conflicts = conflicts_so_far().await? - conflicts_before;
    assert!(
        conflicts > 0,
        "two imports of the same rows through two nodes met no certification conflict"
    );
    for node in NODES {
        converges(node, "concurrent", &expected_batches).await?;
    }
    let runs = sixpotify_tests::strings(&one, "SELECT status FROM load_runs").await?;
    assert_eq!(runs, ["succeeded", "succeeded"]);

    // 4. Two API replicas, on node 1 (through HAProxy's writer) and node 2, under load while
    // node 1 is killed and restarted.
    let poll = Duration::from_secs(1);
    let settings = |s: &mut sixpotify_api::Settings| s.poll_interval = poll;
    let replicas = [
        TestApp::spawn_at(&format!("{WRITES}/imported"), settings).await?,
        TestApp::spawn_at(&format!("{}/imported", NODES[1]), settings).await?,
    ];
    for app in &replicas {
        app.ready().await?;
    }
    let ids =
        sixpotify_tests::strings(&through_haproxy, "SELECT id FROM tracks ORDER BY id").await?;
    let load = |app: TestApp, ids: Vec<String>, stop: Instant| {
        tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut i = 0;
            while Instant::now() < stop {
                // A few tracks over and over (cached), and the others once each (not cached:
                // there are more than the loop asks for).
                let id = if i % 2 == 0 {
                    &ids[i % 10]
                } else {
                    &ids[(i / 2) % ids.len()]
                };
                answers.push(ask(&app, id).await);
                i += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            answers
        })
    };
    let stop = Instant::now() + Duration::from_secs(40);
    let loads: Vec<_> = replicas
        .iter()
        .map(|app| load(app.clone(), ids.clone(), stop))
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.node("kill", 1).await?;
    tokio::time::sleep(Duration::from_secs(8)).await;
    cluster.node("restart", 1).await?;
    for (load, name) in loads.into_iter().zip(["node 1", "node 2"]) {
        let answers = load.await?;
        let failed: Vec<_> = answers.iter().filter_map(|a| a.error.as_ref()).collect();
        assert!(
            failed.iter().all(|code| *code == "SERVICE_UNAVAILABLE"),
            "the replica on {name} answered {:?}",
            failed
                .iter()
                .filter(|c| c.as_str() != "SERVICE_UNAVAILABLE")
                .take(3)
                .collect::<Vec<_>>()
        );
        let outage = longest_outage(&answers);
        eprintln!(
            "replica on {name}: {} answers, {} failed, longest outage {outage:?}",
            answers.len(),
            failed.len()
        );
        assert!(
            outage <= Duration::from_secs(6),
            "the replica on {name} failed for {outage:?}"
        );
        assert!(answers.iter().rev().take(20).all(|a| a.error.is_none()));
    }
    // A load through HAProxy reaches both within a poll interval.
    let new_track = "3P3UA61WRQqwCXaoFOTENd";
    for app in &replicas {
        assert!(
            ask(app, new_track).await.error.is_some(),
            "not there before"
        );
    }
    sixpotify_tests::import(&through_haproxy, fixture("korean.csv")).await?;
    for app in &replicas {
        let took = until_served(app, new_track, Duration::from_secs(30)).await?;
        eprintln!("{} served the new load after {took:?}", app.base);
        assert!(
            took <= poll + Duration::from_millis(500),
            "{} served the new load after {took:?}",
            app.base
        );
    }

    // 5. Node 3 cut off: it refuses, its API is not ready, the majority serves on.
    let minority = TestApp::spawn_at(&format!("{}/imported", NODES[2]), settings).await?;
    minority.ready().await?;
    cluster.node("isolate", 3).await?;
    until_readyz(&minority, 503, Duration::from_secs(30)).await?;
    let refused = minority
        .query(r#"{ artists(first: 3, orderBy: {field: NAME, direction: DESC}) { nodes { catalogId } } }"#)
        .await?;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{refused}"
    );
    replicas[0]
        .data(r#"{ artists(first: 3, orderBy: {field: NAME, direction: DESC}) { nodes { catalogId } } }"#)
        .await
        .context("the majority serves")?;
    sixpotify_tests::import(&through_haproxy, fixture("quirks.csv"))
        .await
        .context("the majority takes a load")?;
    cluster.node("rejoin", 3).await?;
    until_readyz(&minority, 200, Duration::from_secs(30)).await?;
    // Once rejoined, it serves what the majority serves, the load made meanwhile included.
    let same = r#"{ dataVersion artists(first: 5, orderBy: {field: NAME, direction: DESC}) { nodes { catalogId name } } }"#;
    let started = Instant::now();
    loop {
        let (rejoined, majority) = (minority.data(same).await?, replicas[0].data(same).await?);
        if rejoined == majority {
            break;
        }
        ensure!(
            started.elapsed() < poll * 5,
            "the rejoined node serves {rejoined}, the majority {majority}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caught_up = snapshot(&through_haproxy).await?;
    converges(NODES[2], "imported", &caught_up).await?;
    drop(cluster);
    Ok(())
}
