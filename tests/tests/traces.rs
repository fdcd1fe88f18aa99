//! Traces over OTLP: the API's request spans with their stages and SQL batches, a client's
//! `traceparent` honoured, the loader's runs with their batches and HTTP requests, and no
//! variable, key or secret in any attribute. The spans go to an OTLP receiver the test starts.
//!
//! One test: the exporting subscriber is global to the process.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use serde_json::json;
use sixpotify_loader::shutdown::Shutdown;
use sixpotify_loader::spotify::{Seed, SpotifyClient, SpotifyLoadOptions, load_spotify};
use sixpotify_tests::fake_spotify::{CLIENT_SECRET, FakeSpotify};
use sixpotify_tests::otlp::{OtlpReceiver, ReceivedSpan};
use sixpotify_tests::{TestApp, TestDb, import_sample};
use tracing_subscriber::layer::SubscriberExt as _;

const API_KEY: &str = "key-never-in-a-span-0123456789";
const SECRET_VARIABLE: &str = "variable-value-never-exported";
const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

const QUERY: &str = "query NestedForTraces($first: Int!, $name: String!) {
  artists(first: $first) { edges { node { name genres { name } tracks(first: 2) { edges { node { name album { name } } } } } } }
  searchArtists(query: $name) { name }
}";

/// The spans, once `done` holds of them, flushing the exporter while waiting.
async fn spans_when(
    telemetry: &Arc<entity::telemetry::Telemetry>,
    receiver: &OtlpReceiver,
    done: impl Fn(&[ReceivedSpan]) -> bool,
) -> Result<Vec<ReceivedSpan>> {
    for _ in 0..100 {
        let t = telemetry.clone();
        tokio::task::spawn_blocking(move || t.flush()).await?;
        let spans = receiver.spans();
        if done(&spans) {
            return Ok(spans);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the spans awaited did not arrive: {:#?}", receiver.spans())
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> Vec<&'a ReceivedSpan> {
    spans.iter().filter(|s| s.name == name).collect()
}

fn children<'a>(spans: &'a [ReceivedSpan], parent: &ReceivedSpan) -> Vec<&'a ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.parent_span_id == parent.span_id && s.trace_id == parent.trace_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_loader_runs_reach_an_otlp_collector_as_trees_of_spans() -> Result<()> {
    let receiver = OtlpReceiver::start().await?;
    let (layer, telemetry) = entity::telemetry::otlp_layer(&receiver.base, "sixpotify-tests")?;
    let telemetry = Arc::new(telemetry);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))?;

    // The loader: an import of the sample, then a Spotify load from the fake.
    let db = TestDb::sqlite().await?;
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let fake = FakeSpotify::start().await?;
    let mut opts = SpotifyLoadOptions::new(vec![Seed::Name("bts".into())]);
    opts.artists_per_batch = 1;
    let report = load_spotify(
        &conn,
        &SpotifyClient::new(fake.config())?,
        None,
        &opts,
        &Shutdown::never(),
    )
    .await?;
    ensure!(report.error.is_none(), "{:?}", report.error);

    // The API, with an API key, asked by a client that traces.
    let app = TestApp::spawn_with(&db, |s| {
        s.otlp_endpoint = Some(receiver.base.clone());
        s.api_keys = vec![API_KEY.parse().expect("a valid key")];
    })
    .await?;
    let answer: serde_json::Value = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("x-api-key", API_KEY)
        .header("x-request-id", "trace-test-1")
        .header("traceparent", format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"))
        .json(&json!({ "query": QUERY, "variables": { "first": 5, "name": SECRET_VARIABLE } }))
        .send()
        .await?
        .json()
        .await?;
    ensure!(answer.get("errors").is_none(), "{answer}");

    let spans = spans_when(&telemetry, &receiver, |spans| {
        spans
            .iter()
            .any(|s| s.name == "request" && s.trace_id == CLIENT_TRACE)
    })
    .await?;

    // The request: a server span in the client's trace, under the client's span.
    let request = named(&spans, "request")
        .into_iter()
        .find(|s| s.trace_id == CLIENT_TRACE)
        .context("no request span in the client's trace")?;
    assert_eq!(request.parent_span_id, CLIENT_SPAN);
    assert_eq!(request.kind, 2, "a server span");
    assert_eq!(request.attributes["request_id"], "trace-test-1");
    assert_eq!(
        request.attributes["graphql.operation.name"],
        "NestedForTraces"
    );
    assert_eq!(request.attributes["status"], "200");
    assert_eq!(request.attributes["path"], "/graphql");

    // Its stages, and the SQL batches under the execution.
    let stages: BTreeSet<&str> = children(&spans, request)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    for stage in ["graphql.parse", "graphql.validate", "graphql.execute"] {
        ensure!(
            stages.contains(stage),
            "no {stage} under the request: {stages:?}"
        );
    }
    let execute = children(&spans, request)
        .into_iter()
        .find(|s| s.name == "graphql.execute")
        .context("no execution")?;
    let batches = children(&spans, execute);
    let relations: BTreeSet<&str> = batches
        .iter()
        .filter(|s| s.name == "dataloader.batch")
        .map(|s| s.attributes["relation"].as_str())
        .collect();
    for relation in [
        "relations::genres_of_artists",
        "relations::tracks_of_artists",
        "relations::albums_by_id",
    ] {
        ensure!(
            relations.contains(relation),
            "no batch of {relation} under the execution: {relations:?}"
        );
    }
    ensure!(
        batches
            .iter()
            .all(|b| b.attributes["keys"].parse::<u64>().is_ok_and(|k| k > 0)),
        "{batches:#?}"
    );

    // The loader's runs: the import with its batches and its refresh, the Spotify run with its
    // requests and batches.
    let import = named(&spans, "import")
        .into_iter()
        .next()
        .context("no import span")?;
    let under_import: Vec<&str> = children(&spans, import)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    ensure!(under_import.contains(&"batch"), "{under_import:?}");
    ensure!(
        under_import.contains(&"summary.refresh"),
        "{under_import:?}"
    );
    let run = named(&spans, "spotify_run")
        .into_iter()
        .next()
        .context("no Spotify run span")?;
    let under_run = children(&spans, run);
    let requests: Vec<&&ReceivedSpan> = under_run
        .iter()
        .filter(|s| s.name == "http.request")
        .collect();
    ensure!(
        !requests.is_empty(),
        "no request under the run: {under_run:#?}"
    );
    ensure!(
        requests
            .iter()
            .all(|r| r.kind == 3 && r.attributes["service"] == "Spotify"),
        "{requests:#?}"
    );
    ensure!(
        requests
            .iter()
            .any(|r| r.attributes["endpoint"] == "GET /artists/{id}/albums"),
        "{requests:#?}"
    );
    ensure!(
        under_run.iter().any(|s| s.name == "batch"),
        "{under_run:#?}"
    );

    // Nothing secret anywhere.
    for span in &spans {
        for (key, value) in &span.attributes {
            for secret in [API_KEY, SECRET_VARIABLE, CLIENT_SECRET] {
                ensure!(
                    !value.contains(secret),
                    "{secret} in {key} of {}",
                    span.name
                );
            }
        }
    }
    telemetry.shutdown();
    Ok(())
}
