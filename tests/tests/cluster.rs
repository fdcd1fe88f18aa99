//! On a real MariaDB Galera cluster behind HAProxy (`scripts/cluster.sh`, started here): an
//! import through HAProxy leaves every node holding exactly what a single server holds after
//! the same import, and loaders started together through different nodes on a new database
//! all come up.
//!
//! Runs when Debian's `galera-4` and `haproxy` are installed (`.ci/run` installs them and sets
//! `SIXPOTIFY_TEST_CLUSTER=require`); otherwise says it was skipped. The cluster's ports are
//! fixed, so every check runs in the one test below.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sixpotify_tests::{TestDb, import_sample, snapshot};

const WRITES: &str = "mysql://root@127.0.0.1:3320";
const NODES: [&str; 3] = [
    "mysql://root@127.0.0.1:3311",
    "mysql://root@127.0.0.1:3312",
    "mysql://root@127.0.0.1:3313",
];

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

/// The cluster, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    fn script(&self, args: &[&str]) -> Result<String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/cluster.sh");
        let out = Command::new("bash")
            .arg(script)
            .args(args)
            .env("CLUSTER_DIR", self.dir.path())
            .env("NODE_POOL_MB", "128")
            .output()?;
        if !out.status.success() {
            bail!(
                "cluster.sh {args:?} failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn start() -> Result<Self> {
        let cluster = Self {
            dir: tempfile::tempdir()?,
        };
        // The nodes run as `mysql`, which must reach their folders.
        Command::new("chmod")
            .arg("755")
            .arg(cluster.dir.path())
            .status()?;
        cluster.script(&["start"])?;
        Ok(cluster)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.script(&["stop"]) {
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

/// Polls node `url`'s snapshot of `name` until it equals `expected`, for at most 60 s: a node
/// applies what another certified a moment later.
async fn converges(url: &str, name: &str, expected: &[String]) -> Result<()> {
    let conn: DatabaseConnection = Database::connect(format!("{url}/{name}")).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let got = snapshot(&conn).await?;
        if got == expected {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "{url} differs from a single server: {} rows against {}",
                got.len(),
                expected.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_galera_cluster_behind_haproxy_holds_what_one_server_holds() -> Result<()> {
    if !cluster_ready()? {
        return Ok(());
    }
    let cluster = Cluster::start()?;
    let status = cluster.script(&["status"])?;
    assert_eq!(
        status.matches("wsrep_cluster_size=3").count(),
        3,
        "three nodes in one cluster: {status}"
    );

    // Loaders started together through each node on a new database all come up.
    create_database("started_together").await?;
    let starts: Vec<_> = NODES
        .iter()
        .map(|node| {
            let url = format!("{node}/started_together");
            tokio::spawn(async move {
                sixpotify_loader::db::connect_with(&url, Duration::from_secs(30)).await
            })
        })
        .collect();
    for start in starts {
        start
            .await?
            .context("a loader failed to start on the cluster")?;
    }

    // The sample imported through HAProxy's writer, against the same import into one server.
    create_database("imported").await?;
    let through_haproxy =
        sixpotify_loader::db::connect_with(&format!("{WRITES}/imported"), Duration::from_secs(30))
            .await?;
    import_sample(&through_haproxy).await?;
    let expected = match TestDb::mysql("a_galera_cluster_behind_haproxy").await? {
        Some(single) => {
            let conn = single.connect().await?;
            import_sample(&conn).await?;
            snapshot(&conn).await?
        }
        // Without a single server, node 1 (the writer) stands for it.
        None => snapshot(&through_haproxy).await?,
    };
    assert!(expected.len() > 1000, "the sample was imported");
    for node in NODES {
        converges(node, "imported", &expected).await?;
    }
    drop(cluster);
    Ok(())
}
