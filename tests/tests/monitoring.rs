//! Monitoring with Prometheus's own tools: the shipped alert rules under `promtool test rules`,
//! the API's `/metrics` with the load pipeline's state, a one-shot run pushing to a real
//! `prometheus-pushgateway`, and a real `prometheus` scraping the API, a scheduled loader's
//! `/metrics` and the Pushgateway, with the shipped rules loaded.
//!
//! Runs when Debian's `prometheus` and `prometheus-pushgateway` are installed (`.ci/run`
//! installs them and sets `SIXPOTIFY_TEST_PROMETHEUS=require`); otherwise says it was skipped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail, ensure};
use clap::Parser as _;
use sixpotify_loader::cli::{Cli, run};
use sixpotify_tests::fake_spotify::{CLIENT_ID, CLIENT_SECRET, FakeSpotify};
use sixpotify_tests::{TestApp, TestDb, import_sample};
use tokio::io::AsyncWriteExt as _;

/// Debian's Prometheus binaries.
struct Tools {
    promtool: PathBuf,
    pushgateway: PathBuf,
    prometheus: PathBuf,
}

/// The Prometheus tools, or `None` (said) when they are missing.
fn prometheus_tools() -> Result<Option<Tools>> {
    let tools = Tools {
        promtool: PathBuf::from("/usr/bin/promtool"),
        pushgateway: PathBuf::from("/usr/bin/prometheus-pushgateway"),
        prometheus: PathBuf::from("/usr/bin/prometheus"),
    };
    let ready = tools.promtool.exists() && tools.pushgateway.exists() && tools.prometheus.exists();
    let ready = sixpotify_tests::optional(
        ready,
        "SIXPOTIFY_TEST_PROMETHEUS",
        "prometheus, promtool or prometheus-pushgateway is missing",
        "monitoring test: apt-get install prometheus prometheus-pushgateway",
    )?;
    Ok(ready.then_some(tools))
}

fn monitoring_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/monitoring")
}

/// Runs `promtool ARGS…` with `stdin`, failing with what it printed when it fails.
async fn promtool(tool: &Path, args: &[&str], stdin: &[u8]) -> Result<String> {
    let mut child = tokio::process::Command::new(tool)
        .args(args)
        .current_dir(monitoring_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting promtool")?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).await?;
    }
    let out = child.wait_with_output().await?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(out.status.success(), "promtool {args:?} failed:\n{text}");
    Ok(text)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn get(url: &str) -> Result<(u16, String)> {
    let resp = reqwest::get(url).await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

/// The value of the first sample of `series` (its name and labels as printed) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .trim()
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_alert_rules_are_valid_and_fire_as_their_tests_say() -> Result<()> {
    let Some(tools) = prometheus_tools()? else {
        return Ok(());
    };
    promtool(&tools.promtool, &["check", "rules", "alerts.yml"], b"").await?;
    let tested = promtool(&tools.promtool, &["test", "rules", "alerts.test.yml"], b"").await?;
    ensure!(tested.contains("SUCCESS"), "{tested}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_metrics_carry_the_pipeline_state() -> Result<()> {
    let db = TestDb::sqlite().await?;
    let started = now();
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let (status, text) = get(&format!("{}/metrics", app.base)).await?;
    ensure!(status == 200, "{status}");
    ensure!(
        sample(&text, "sixpotify_database_up") == Some(1.0),
        "{text}"
    );
    let success = sample(
        &text,
        "sixpotify_load_last_success_timestamp_seconds{source=\"sample\"}",
    )
    .context("no last success of the csv import")?;
    ensure!(
        success >= started - 1.0 && success <= now() + 1.0,
        "{success}"
    );
    ensure!(
        sample(
            &text,
            "sixpotify_load_runs{source=\"sample\",status=\"succeeded\"}"
        ) == Some(1.0),
        "{text}"
    );
    ensure!(
        sample(
            &text,
            "sixpotify_load_last_run_rows{source=\"sample\",rows=\"written\"}"
        )
        .is_some_and(|n| n > 0.0),
        "{text}"
    );
    ensure!(
        sample(&text, "sixpotify_load_last_run_failed{source=\"sample\"}") == Some(0.0),
        "{text}"
    );
    ensure!(
        sample(
            &text,
            "sixpotify_load_runs{source=\"aliases\",status=\"succeeded\"}"
        ) == Some(1.0),
        "the sample's aliases: {text}"
    );
    Ok(())
}

/// A Pushgateway on a port of its own, stopped when dropped.
struct Pushgateway {
    child: tokio::process::Child,
    url: String,
}

impl Pushgateway {
    async fn start(bin: &Path) -> Result<Self> {
        let (child, url) = serve(bin, &[]).await?;
        Ok(Self { child, url })
    }
}

/// Starts one of Prometheus's servers on a port of its own with `args`, killed when dropped,
/// and waits until it says it is ready; the child and its base URL.
async fn serve(bin: &Path, args: &[String]) -> Result<(tokio::process::Child, String)> {
    let port = free_port()?;
    let mut child = tokio::process::Command::new(bin)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if get(&format!("{url}/-/ready"))
            .await
            .is_ok_and(|(s, _)| s == 200)
        {
            return Ok((child, url));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.start_kill();
    bail!("{} did not become ready", bin.display())
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_run_pushes_its_figures_to_the_pushgateway() -> Result<()> {
    let Some(tools) = prometheus_tools()? else {
        return Ok(());
    };
    let gateway = Pushgateway::start(&tools.pushgateway).await?;
    let db = TestDb::sqlite().await?;
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/data/sample.csv.gz");
    let cli = Cli::try_parse_from([
        "sixpotify-loader",
        "--database-url",
        &db.url,
        "--pushgateway",
        &gateway.url,
        "import-csv",
        &csv.display().to_string(),
        "--no-progress",
    ])?;
    ensure!(run(cli).await == std::process::ExitCode::SUCCESS);
    let (_, text) = get(&format!("{}/metrics", gateway.url)).await?;
    let labels = "instance=\"\",job=\"sixpotify_loader\",source=\"csv\"";
    ensure!(
        sample(
            &text,
            &format!("sixpotify_loader_last_run_succeeded{{{labels}}}")
        ) == Some(1.0),
        "{text}"
    );
    let written = "sixpotify_loader_last_run_rows{instance=\"\",job=\"sixpotify_loader\",rows=\"written\",source=\"csv\"}";
    ensure!(sample(&text, written).is_some_and(|n| n > 1000.0), "{text}");
    ensure!(
        sample(
            &text,
            &format!("sixpotify_loader_last_success_timestamp_seconds{{{labels}}}")
        )
        .is_some_and(|t| (t - now()).abs() < 120.0),
        "{text}"
    );

    let succeeded_at = sample(
        &text,
        &format!("sixpotify_loader_last_success_timestamp_seconds{{{labels}}}"),
    );

    // A failed run of the same kind replaces the run's figures and keeps the success time.
    let cli = Cli::try_parse_from([
        "sixpotify-loader",
        "--database-url",
        &db.url,
        "--pushgateway",
        &gateway.url,
        "import-csv",
        "/nonexistent/catalog.csv",
        "--no-progress",
    ])?;
    ensure!(run(cli).await == std::process::ExitCode::FAILURE);
    let (_, text) = get(&format!("{}/metrics", gateway.url)).await?;
    ensure!(
        sample(
            &text,
            &format!("sixpotify_loader_last_run_succeeded{{{labels}}}")
        ) == Some(0.0),
        "{text}"
    );
    ensure!(
        sample(
            &text,
            &format!("sixpotify_loader_last_success_timestamp_seconds{{{labels}}}")
        ) == succeeded_at,
        "{text}"
    );
    Ok(())
}

/// A Prometheus server scraping `targets` (job name, address) every second with the shipped
/// rules loaded, stopped when dropped.
struct Prometheus {
    child: tokio::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    async fn start(bin: &Path, targets: &[(&str, &str)]) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let rules = monitoring_dir().join("alerts.yml");
        let mut config = format!(
            "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\nrule_files: [{:?}]\nscrape_configs:\n",
            rules.display().to_string()
        );
        for (job, address) in targets {
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs: [{{ targets: [\"{address}\"] }}]\n"
            ));
        }
        let config_file = dir.path().join("prometheus.yml");
        std::fs::write(&config_file, config)?;
        let (child, url) = serve(
            bin,
            &[
                format!("--config.file={}", config_file.display()),
                format!("--storage.tsdb.path={}", dir.path().join("data").display()),
                "--log.level=warn".to_owned(),
            ],
        )
        .await?;
        Ok(Self {
            child,
            url,
            _dir: dir,
        })
    }

    async fn api(&self, path: &str) -> Result<serde_json::Value> {
        let (status, body) = get(&format!("{}/api/v1/{path}", self.url)).await?;
        ensure!(status == 200, "{path}: {status} {body}");
        Ok(serde_json::from_str::<serde_json::Value>(&body)?["data"].clone())
    }

    /// Waits until every target was scraped without error and every rule evaluated cleanly.
    async fn settled(&self) -> Result<()> {
        let mut last = serde_json::Value::Null;
        for _ in 0..300 {
            let targets = self.api("targets").await?;
            let rules = self.api("rules").await?;
            let targets_up = targets["activeTargets"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["health"] == "up"));
            let rules_ok = rules["groups"].as_array().is_some_and(|g| {
                !g.is_empty()
                    && g.iter().all(|g| {
                        g["rules"]
                            .as_array()
                            .is_some_and(|r| r.iter().all(|r| r["health"] == "ok"))
                    })
            });
            if targets_up && rules_ok {
                return Ok(());
            }
            last = serde_json::json!({ "targets": targets, "rules": rules });
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("Prometheus did not settle: {last}")
    }

    /// The value of the one series `query` gives.
    async fn value(&self, query: &str) -> Result<f64> {
        let data = self
            .api(&format!("query?query={}", urlencode(query)))
            .await?;
        let result = &data["result"];
        ensure!(
            result.as_array().map(Vec::len) == Some(1),
            "{query}: {result}"
        );
        result[0]["value"][1]
            .as_str()
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("{query}: {result}"))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_a_scheduled_loader_and_the_api_with_the_rules_loaded() -> Result<()> {
    let Some(tools) = prometheus_tools()? else {
        return Ok(());
    };
    let fake = FakeSpotify::start().await?;
    let db = TestDb::sqlite().await?;
    let dir = tempfile::tempdir()?;
    let secret = dir.path().join("secret");
    std::fs::write(&secret, CLIENT_SECRET)?;
    let port = free_port()?;
    let cli = Cli::try_parse_from([
        "sixpotify-loader",
        "--database-url",
        &db.url,
        "spotify",
        "--artist",
        "BTS",
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        &secret.display().to_string(),
        "--api-url",
        &fake.api_url(),
        "--accounts-url",
        &fake.accounts_url(),
        "--requests-per-second",
        "1000",
        "--every",
        "1h",
        "--metrics-addr",
        &format!("127.0.0.1:{port}"),
    ])?;
    let loader = format!("127.0.0.1:{port}");
    // Everything is checked while the loader sleeps until its next run; then it is dropped.
    let checks = async {
        let text = loop {
            if let Ok((200, text)) = get(&format!("http://{loader}/metrics")).await
                && sample(&text, "sixpotify_loader_next_run_timestamp_seconds").unwrap_or(0.0) > 0.0
            {
                break text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let next =
            sample(&text, "sixpotify_loader_next_run_timestamp_seconds").context("no next run")?;
        ensure!((next - now() - 3600.0).abs() < 120.0, "{next}\n{text}");
        ensure!(
            sample(
                &text,
                "sixpotify_loader_runs_total{source=\"spotify\",status=\"succeeded\"}"
            ) == Some(1.0),
            "{text}"
        );
        ensure!(
            sample(
                &text,
                "sixpotify_loader_requests_total{endpoint=\"GET /search\"}"
            )
            .is_some_and(|n| n >= 1.0),
            "{text}"
        );
        let (status, health) = get(&format!("http://{loader}/healthz")).await?;
        ensure!(status == 200 && health.contains("ok"), "{status} {health}");

        // The API over the same database, and Prometheus over both.
        let app = TestApp::spawn(&db).await?;
        let api = app.base.trim_start_matches("http://").to_owned();
        let prometheus = Prometheus::start(
            &tools.prometheus,
            &[("sixpotify-api", &api), ("sixpotify-loader", &loader)],
        )
        .await?;
        prometheus.settled().await?;
        let ended = prometheus
            .value("sixpotify_load_last_success_timestamp_seconds{source=\"spotify\"}")
            .await?;
        ensure!((ended - now()).abs() < 120.0, "{ended}");
        ensure!(prometheus.value("sixpotify_database_up").await? == 1.0);
        ensure!(
            prometheus
                .value("sixpotify_loader_runs_total{source=\"spotify\",status=\"succeeded\"}")
                .await?
                == 1.0
        );
        ensure!(
            prometheus
                .value("sixpotify_loader_last_run_rows{rows=\"written\"}")
                .await?
                == 54.0
        );
        let firing = prometheus.api("alerts").await?;
        ensure!(
            firing["alerts"].as_array().is_some_and(Vec::is_empty),
            "a fresh, healthy deployment fires nothing: {firing}"
        );
        Ok(())
    };
    tokio::select! {
        code = run(cli) => bail!("the scheduled loader stopped: {code:?}"),
        checked = tokio::time::timeout(Duration::from_secs(120), checks) => checked?,
    }
}
