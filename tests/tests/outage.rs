//! Database outages, with a TCP proxy between the program and MariaDB: the API keeps serving
//! what it has cached, fails the rest fast with `SERVICE_UNAVAILABLE`, reports itself not ready,
//! and recovers by itself (the chatbot webhook likewise); a load cut off mid-import writes the
//! broken batch again once the database is back, and the same run completes with nothing lost
//! or duplicated. MariaDB only: SQLite is a file, not a server.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use entity::{RunStatus, load_run};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use sixpotify_loader::{CsvInput, ImportOptions, import_csv};
use sixpotify_tests::proxy::Proxy;
use sixpotify_tests::synth::{Sample, write_csv};
use sixpotify_tests::{TestApp, TestDb, import_sample, scalar, snapshot};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// What a test allows above the request timeout for the HTTP round trip on a busy machine.
const SLACK: Duration = Duration::from_secs(2);
const CACHED: &str = "{ searchArtists(query: \"bts\", first: 3) { name } }";

async fn post(app: &TestApp, query: &str, variables: Value) -> Result<(Duration, Value)> {
    let started = Instant::now();
    let body = app.query_with(query, variables).await?;
    Ok((started.elapsed(), body))
}

async fn readyz(app: &TestApp) -> Result<(u16, Value)> {
    let resp = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await?;
    Ok((resp.status().as_u16(), resp.json().await?))
}

/// An uncached query: each `n` is a different lookup, answered by the database only.
fn uncached(n: u64) -> (&'static str, Value) {
    (
        "query ($id: ID!) { track(id: $id) { name } }",
        json!({ "id": format!("no-such-track-{n}") }),
    )
}

/// While the database is away: cached answers come back whole, everything else fails with
/// `SERVICE_UNAVAILABLE` (or `REQUEST_TIMEOUT`, when the network hangs) within the request
/// timeout, from 16 clients at once.
async fn hammer_while_away(app: &TestApp, expected: &Value, run: u64) -> Result<()> {
    let mut clients = Vec::new();
    for c in 0..16u64 {
        let app = app.clone();
        let expected = expected.clone();
        clients.push(tokio::spawn(async move {
            for i in 0..4u64 {
                let (elapsed, body) = post(&app, CACHED, Value::Null).await?;
                ensure!(body == expected, "a cached answer changed: {body}");
                ensure!(elapsed < SLACK, "a cached answer took {elapsed:?}");
                let (query, vars) = uncached(run * 1000 + c * 10 + i);
                let (elapsed, body) = post(&app, query, vars).await?;
                let code = body["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default();
                ensure!(
                    code == "SERVICE_UNAVAILABLE" || code == "REQUEST_TIMEOUT",
                    "an uncached answer: {body}"
                );
                ensure!(
                    !body.to_string().contains("mysql"),
                    "a client saw a driver error: {body}"
                );
                ensure!(
                    elapsed < REQUEST_TIMEOUT + SLACK,
                    "an uncached answer took {elapsed:?}"
                );
            }
            Ok(())
        }));
    }
    for c in clients {
        c.await??;
    }
    Ok(())
}

/// Restores the proxy and returns how long until the API answered an uncached query and
/// `/readyz` again.
async fn recovery(app: &TestApp, proxy: &Proxy, run: u64) -> Result<Duration> {
    proxy.restore();
    let restored = Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        let (query, vars) = uncached(run * 1000 + 900 + n);
        let body = app.query_with(query, vars).await?;
        if body.get("errors").is_none() && readyz(app).await?.0 == 200 {
            return Ok(restored.elapsed());
        }
        ensure!(
            restored.elapsed() < Duration::from_secs(30),
            "no recovery within 30 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The sample in a MariaDB database of its own, and a ready server reaching it through a proxy,
/// with short timeouts; `None` without MariaDB.
async fn sample_behind_proxy(
    test: &str,
    configure: impl FnOnce(&mut sixpotify_api::Settings),
) -> Result<Option<(TestDb, Proxy, TestApp)>> {
    let Some(db) = TestDb::mysql(test).await? else {
        return Ok(None);
    };
    import_sample(&db.connect().await?).await?;
    let (proxy, url) = Proxy::for_url(&db.url).await?;
    let app = TestApp::spawn_at(&url, |s| {
        s.request_timeout = REQUEST_TIMEOUT;
        s.db_acquire_timeout = Duration::from_secs(1);
        configure(s);
    })
    .await?;
    app.ready().await?;
    Ok(Some((db, proxy, app)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_rides_out_a_database_outage_and_recovers_by_itself() -> Result<()> {
    let Some((_db, proxy, app)) =
        sample_behind_proxy("outage::the_api_rides_out_a_database_outage", |_| {}).await?
    else {
        return Ok(());
    };
    let expected = app.query(CACHED).await?;
    ensure!(expected.get("errors").is_none(), "{expected}");

    // The database goes down: connections close and new ones are refused.
    proxy.cut();
    hammer_while_away(&app, &expected, 1).await?;
    let (status, body) = readyz(&app).await?;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["database"], "unreachable", "{body}");
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await?;
    assert_eq!(health.status(), 200, "alive all along");
    let back = recovery(&app, &proxy, 1).await?;
    sixpotify_tests::notice(&format!(
        "outage: recovered {back:?} after the database came back"
    ));
    assert!(back <= Duration::from_secs(5), "recovery took {back:?}");

    // The network hangs instead: nothing is refused, nothing answers.
    proxy.stall();
    hammer_while_away(&app, &expected, 2).await?;
    let back = recovery(&app, &proxy, 2).await?;
    sixpotify_tests::notice(&format!(
        "stall: recovered {back:?} after the network came back"
    ));
    assert!(back <= Duration::from_secs(5), "recovery took {back:?}");
    assert_eq!(app.query(CACHED).await?, expected);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_cut_off_mid_import_rides_out_the_cut_and_the_same_run_completes() -> Result<()> {
    let Some(db) = TestDb::mysql("outage::a_load_cut_off_mid_import").await? else {
        return Ok(());
    };
    let sample = Sample::read(flate2::read::MultiGzDecoder::new(
        sixpotify_api::seed::SAMPLE,
    ))?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("synthetic.csv");
    std::fs::write(&path, write_csv(Vec::new(), sample.generate(30_000, 11))?.1)?;
    let input = CsvInput::File(path);

    let direct = db.connect().await?;
    let (proxy, url) = Proxy::for_url(&db.url).await?;
    let through = sixpotify_loader::db::connect(&url).await?;
    let opts = ImportOptions {
        batch_size: 500,
        ..ImportOptions::default()
    };
    let load = {
        let (through, input, opts) = (through.clone(), input.clone(), opts.clone());
        tokio::spawn(async move { import_csv(&through, &input, &opts).await })
    };
    // Cut once part of the catalog is in.
    let waited = Instant::now();
    while scalar(&direct, "SELECT COUNT(*) FROM tracks").await? < 2_000 {
        ensure!(
            !load.is_finished(),
            "the import finished before it could be cut"
        );
        ensure!(
            waited.elapsed() < Duration::from_secs(60),
            "the import wrote nothing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    proxy.cut();
    let written = scalar(&direct, "SELECT COUNT(*) FROM tracks").await?;
    ensure!(
        written < 30_000,
        "the import finished before it could be cut"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    ensure!(!load.is_finished(), "the import gave up at once");
    proxy.restore();
    // The batch the cut broke is written again on a new connection, and the run goes on.
    let report = tokio::time::timeout(Duration::from_secs(150), load)
        .await
        .context("the cut import never ended")???
        .into_result()?;
    assert_eq!(report.counts.written, 30_000);
    let run = load_run::Entity::find_by_id(report.run_id)
        .one(&direct)
        .await?
        .context("no load run")?;
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(scalar(&direct, "SELECT COUNT(*) FROM load_runs").await?, 1);

    // Nothing lost, nothing duplicated: the catalog is what a clean load leaves.
    let twin = db.twin().await?;
    let clean = twin.connect().await?;
    import_csv(&clean, &input, &opts).await?.into_result()?;
    assert!(
        snapshot(&direct).await? == snapshot(&clean).await?,
        "the catalog of the cut run differs from a clean load"
    );
    drop(proxy);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_outlives_the_request_timeout_is_stopped_with_its_code() -> Result<()> {
    let Some(db) = TestDb::mysql("outage::a_request_that_outlives_the_request_timeout").await?
    else {
        return Ok(());
    };
    import_sample(&db.connect().await?).await?;
    let (proxy, url) = Proxy::for_url(&db.url).await?;
    let timeout = Duration::from_secs(1);
    let app = TestApp::spawn_at(&url, |s| {
        s.request_timeout = timeout;
        s.db_acquire_timeout = Duration::from_secs(30);
    })
    .await?;
    app.ready().await?;
    // The network hangs: the statement waits on a silent server, and only the request timeout
    // ends the wait.
    proxy.stall();
    let (query, vars) = uncached(7);
    let (elapsed, body) = post(&app, query, vars).await?;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "REQUEST_TIMEOUT",
        "{body}"
    );
    assert!(
        elapsed >= timeout,
        "answered in {elapsed:?}, before the timeout"
    );
    assert!(elapsed < timeout + SLACK, "answered in {elapsed:?}");
    let back = recovery(&app, &proxy, 7).await?;
    assert!(back <= Duration::from_secs(5), "recovery took {back:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chatbot_keeps_its_cached_answers_and_apologises_for_the_rest_while_the_database_is_away()
-> Result<()> {
    let Some((_db, proxy, app)) =
        sample_behind_proxy("outage::the_chatbot_keeps_its_cached_answers", |s| {
            s.poll_interval = Duration::from_secs(3600);
        })
        .await?
    else {
        return Ok(());
    };
    let ask = |name: &str| {
        app.client
            .post(format!("{}/chatbot/kakao", app.base))
            .json(&json!({ "userRequest": { "utterance": name } }))
            .send()
    };
    let cached: Value = ask("bts").await?.json().await?;
    ensure!(
        cached["template"]["outputs"][1]["carousel"].is_object(),
        "{cached}"
    );

    proxy.cut();
    let res = ask("BTS").await?;
    ensure!(res.status() == 200, "a cached answer: {}", res.status());
    ensure!(
        res.json::<Value>().await? == cached,
        "a cached answer changed"
    );
    let started = Instant::now();
    let res = ask("blackpink").await?;
    ensure!(res.status() == 503, "an uncached answer: {}", res.status());
    let body = res.text().await?;
    ensure!(
        started.elapsed() < REQUEST_TIMEOUT + SLACK,
        "an uncached answer took {:?}",
        started.elapsed()
    );
    let answer: Value = serde_json::from_str(&body)?;
    ensure!(answer["version"] == "2.0", "{answer}");
    ensure!(
        answer["template"]["outputs"][0]["simpleText"]["text"].is_string(),
        "{answer}"
    );
    for leak in ["sqlx", "mysql", "communicating", "Connection"] {
        ensure!(!body.contains(leak), "`{leak}` in {body}");
    }

    proxy.restore();
    for _ in 0..50 {
        let res = ask("blackpink").await?;
        if res.status() == 200 {
            let answer: Value = res.json().await?;
            let text = answer["template"]["outputs"][0]["simpleText"]["text"]
                .as_str()
                .unwrap_or_default();
            ensure!(text.starts_with("BLACKPINK"), "{answer}");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the webhook did not recover within 5 s")
}
