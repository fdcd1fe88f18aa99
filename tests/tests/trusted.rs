//! Trusted documents (`--trusted-documents`): the shipped manifest is the dashboard's and the
//! chatbot's documents, each of which validates; with it on, listed documents run by hash or
//! by text and anything else is refused with a code before it is parsed.

use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use serde_json::{Value, json};
use sixpotify_api::cache::persisted::sha256_hex;
use sixpotify_api::trusted::shipped_manifest;
use sixpotify_tests::{TestApp, TestDb, import_sample};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/trusted-documents.json")
}

/// A server over the sample that runs the shipped manifest's documents only.
async fn trusted_server() -> Result<(TestDb, TestApp)> {
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn_with(&db, |s| s.trusted_documents = Some(shipped())).await?;
    app.ready().await?;
    Ok((db, app))
}

/// POSTs `body` and gives the status and the JSON answer.
async fn post(app: &TestApp, body: Value) -> Result<(u16, Value)> {
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await?;
    Ok((res.status().as_u16(), res.json().await?))
}

#[test]
fn the_shipped_manifest_is_the_dashboard_s_and_the_chatbot_s_documents() -> Result<()> {
    let file = std::fs::read_to_string(shipped())?;
    assert!(
        file == shipped_manifest(),
        "api/trusted-documents.json is not the documents the dashboard and the chatbot send; \
         regenerate it with `cargo run -p sixpotify-api -- trusted-documents > api/trusted-documents.json`"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_document_runs_by_its_hash() -> Result<()> {
    let (_db, app) = trusted_server().await?;
    let manifest: serde_json::Map<String, Value> = serde_json::from_str(&shipped_manifest())?;
    // Values for every variable the documents declare.
    let variables = json!({
        "genre": null, "feature": "ENERGY", "q": "BTS", "groupBy": ["DECADE", "MODE"],
        "orderBy": { "by": "KEY" }, "id": "0", "cards": 3, "items": 3,
    });
    for (hash, document) in &manifest {
        let (status, body) = post(
            &app,
            json!({ "documentId": format!("sha256:{hash}"), "variables": variables }),
        )
        .await?;
        ensure!(
            status == 200 && body.get("errors").is_none(),
            "{document}\nanswered {status} {body}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_listed_documents_run_and_the_rest_is_refused_before_parsing() -> Result<()> {
    let (_db, app) = trusted_server().await?;
    let manifest: serde_json::Map<String, Value> = serde_json::from_str(&shipped_manifest())?;
    let (hash, document) = manifest
        .iter()
        .find(|(_, d)| d.as_str().is_some_and(|d| d.contains("DashboardCounts")))
        .map(|(h, d)| (h.clone(), d.as_str().unwrap_or_default().to_owned()))
        .ok_or_else(|| anyhow::anyhow!("no DashboardCounts in the manifest"))?;

    // By its text, by documentId (bare or prefixed), by Apollo's persisted query hash, by GET.
    for body in [
        json!({ "query": document }),
        json!({ "documentId": hash }),
        json!({ "documentId": format!("sha256:{hash}") }),
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
    ] {
        let (status, answer) = post(&app, body.clone()).await?;
        assert_eq!(status, 200, "{body} → {answer}");
        assert!(
            answer["data"]["catalogStats"]["tracks"].as_i64() > Some(1000),
            "{answer}"
        );
    }
    let get = app
        .client
        .get(format!("{}/graphql?documentId=sha256:{hash}", app.base))
        .header("accept", "application/json")
        .send()
        .await?;
    assert_eq!(get.status(), 200);

    // Anything else: a valid document not listed, text that would not even parse (refused
    // before parsing: not GRAPHQL_PARSE_FAILED), an unknown hash, a known hash with another
    // text, nothing at all, and a batch holding one unlisted document.
    let refused = [
        (
            json!({ "query": "{ catalogStats { tracks } }" }),
            "PERSISTED_QUERY_NOT_IN_LIST",
        ),
        (
            json!({ "query": "{{{ not graphql" }),
            "PERSISTED_QUERY_NOT_IN_LIST",
        ),
        (
            json!({ "documentId": sha256_hex("{ x }") }),
            "PERSISTED_QUERY_NOT_FOUND",
        ),
        (
            json!({ "documentId": hash, "query": "{ __typename }" }),
            "PERSISTED_QUERY_NOT_IN_LIST",
        ),
    ];
    for (body, code) in refused {
        let (status, answer) = post(&app, body.clone()).await?;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], code,
            "{body} → {answer}"
        );
        assert!(answer.get("data").is_none(), "{answer}");
    }
    let (_, batch) = post(
        &app,
        json!([{ "query": document }, { "query": "{ __typename }" }]),
    )
    .await?;
    assert!(batch[0]["data"]["catalogStats"].is_object(), "{batch}");
    assert_eq!(
        batch[1]["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_IN_LIST"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_documents_a_document_id_alone_is_a_bad_request() -> Result<()> {
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    let (status, answer) = post(&app, json!({ "documentId": sha256_hex("{ x }") })).await?;
    assert_eq!(status, 400);
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_whose_hash_is_not_its_document_s_stops_the_server_from_starting() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("manifest.json");
    std::fs::write(&path, json!({ sha256_hex("{ a }"): "{ b }" }).to_string())?;
    let mut settings =
        sixpotify_api::Settings::for_database("sqlite::memory:").map_err(anyhow::Error::msg)?;
    settings.trusted_documents = Some(path);
    let started = sixpotify_api::Application::build(&settings).await;
    let error = started.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("not the SHA-256 of its document"), "{error}");
    Ok(())
}
