//! Pages in a real browser: headless Chromium driven by playwright-core (`tests/browser`).
//!
//! Runs when Chromium and the npm packages are installed (`.ci/run` installs them and sets
//! `SIXPOTIFY_TEST_BROWSER=require`); otherwise says it was skipped.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use sixpotify_tests::{TestApp, TestDb, import_sample};

fn browser_ready() -> Result<Option<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = Path::new(&chromium).exists() && dir.join("node_modules/playwright-core").exists();
    let ready = sixpotify_tests::optional(
        ready,
        "SIXPOTIFY_TEST_BROWSER",
        &format!("{chromium} or tests/browser/node_modules is missing"),
        "browser test: install Debian's chromium and run `npm ci --prefix tests/browser`",
    )?;
    Ok(ready.then_some(dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_opens_the_readme_examples_in_tabs_runs_a_query_and_explains_the_schema()
-> Result<()> {
    let Some(dir) = browser_ready()? else {
        return Ok(());
    };
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("graphiql.png");
    let url = format!("{}/graphql", app.base);
    sixpotify_tests::run_node(
        dir.join("graphiql.mjs"),
        vec![
            url,
            screenshot.display().to_string(),
            // The welcome tab, then one per example.
            (sixpotify_api::examples::examples().len() + 1).to_string(),
        ],
    )
    .await
    .context("GraphiQL failed in Chromium")?;
    Ok(())
}

/// Runs `dashboard.mjs` against a server over the sample; with `key`, the server needs it;
/// `trusted`, it runs the documents of the shipped manifest only.
async fn dashboard_in_chromium(screenshot: &str, key: Option<&str>, trusted: bool) -> Result<()> {
    let Some(dir) = browser_ready()? else {
        return Ok(());
    };
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn_with(&db, |s| {
        s.api_keys = key.into_iter().filter_map(|k| k.parse().ok()).collect();
        s.trusted_documents = trusted
            .then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/trusted-documents.json"));
    })
    .await?;
    app.ready().await?;
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(screenshot);
    let mut args = vec![
        format!("{}/dashboard", app.base),
        screenshot.display().to_string(),
        "black pink".into(),
        "BLACKPINK".into(),
    ];
    args.extend(key.map(str::to_owned));
    sixpotify_tests::run_node(dir.join("dashboard.mjs"), args)
        .await
        .context("the dashboard failed in Chromium")?;
    let size = std::fs::metadata(&screenshot)?.len();
    anyhow::ensure!(size > 10_000, "the screenshot has only {size} bytes");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_draws_every_chart_with_data_and_looks_up_an_artist() -> Result<()> {
    dashboard_in_chromium("dashboard.png", None, false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_api_keys_the_dashboard_asks_for_one_and_then_draws_everything() -> Result<()> {
    dashboard_in_chromium(
        "dashboard-with-key.png",
        Some("dashboard-key-0123456789"),
        false,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_server_that_runs_trusted_documents_only_the_dashboard_draws_everything() -> Result<()>
{
    dashboard_in_chromium("dashboard-trusted.png", None, true).await
}
