//! The README's example queries (which GraphiQL opens in tabs) run against the bundled sample
//! without an error, on both backends, and find what their comments promise.

use anyhow::{Result, ensure};
use sixpotify_api::examples::examples;
use sixpotify_tests::{TestApp, TestDb, backend_tests, import_sample};

async fn every_readme_example_runs_against_the_sample_without_errors(db: TestDb) -> Result<()> {
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    app.ready().await?;
    ensure!(!examples().is_empty(), "the README has no examples");
    for example in examples() {
        let body = app.query(example).await?;
        ensure!(
            body.get("errors").is_none(),
            "the example\n{example}\nanswered {body}"
        );
        ensure!(body["data"].is_object(), "no data for\n{example}");
    }
    // The first one's promise: a typo in Hangul still finds BTS.
    let first = app.data(&examples()[0]).await?;
    assert_eq!(first["bts"][0]["name"], "BTS", "{first}");
    // The global ids': a track found by its global id, a genre and a null among the nodes.
    let global = examples()
        .iter()
        .find(|e| e.contains("query GlobalIds"))
        .ok_or_else(|| anyhow::anyhow!("no GlobalIds example"))?;
    let global = app.data(global).await?;
    assert_eq!(
        global["node"]["catalogId"], "5KawlOMHjWeUjQtnuRs22c",
        "{global}"
    );
    assert_eq!(global["nodes"][0]["name"], "dance pop", "{global}");
    assert_eq!(global["nodes"][1], serde_json::Value::Null, "{global}");
    Ok(())
}

backend_tests!(every_readme_example_runs_against_the_sample_without_errors);
