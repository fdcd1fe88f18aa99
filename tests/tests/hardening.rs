//! Limits and access: page size, body size, request time and batches, each configurable and
//! each with its code; introspection and GraphiQL turned off; CORS; API keys and rate limits;
//! readiness and request ids.

use anyhow::Result;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, import_sample};

async fn app_with(
    configure: impl FnOnce(&mut sixpotify_api::Settings),
) -> Result<(TestDb, TestApp)> {
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn_with(&db, configure).await?;
    Ok((db, app))
}

async fn post(app: &TestApp, body: &Value) -> Result<(StatusCode, Value)> {
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(body)
        .send()
        .await?;
    Ok((resp.status(), resp.json().await?))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_size_limit_is_configurable() -> Result<()> {
    let (_db, app) = app_with(|s| s.max_page_size = 150).await?;
    let data = app
        .data("{ tracks(first: 150) { edges { cursor } } }")
        .await?;
    assert_eq!(data["tracks"]["edges"].as_array().map(Vec::len), Some(150));
    let body = app
        .query("{ searchTracks(query: \"love\", first: 151) { name } }")
        .await?;
    assert_eq!(code(&body), "PAGE_TOO_LARGE", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("between 0 and 150")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413_with_a_code_and_the_server_carries_on() -> Result<()> {
    let (_db, app) = app_with(|s| s.max_body_bytes = 4096).await?;
    let query = format!("{{ dataVersion }} # {}", "x".repeat(8192));
    let (status, body) = post(&app, &json!({ "query": query })).await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "PAYLOAD_TOO_LARGE", "{body}");
    // Without Content-Length, sent in chunks: the limit holds all the same.
    let chunk = " ".repeat(3000);
    let chunked = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nbb8\r\n{chunk}\r\nbb8\r\n{chunk}\r\n0\r\n\r\n"
    );
    let (status, answer) = app.raw(chunked.as_bytes()).await?;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    let (status, body) = post(&app, &json!({ "query": "{ dataVersion }" })).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_answer_each_request_in_order_within_their_limit() -> Result<()> {
    let (_db, app) = app_with(|s| s.max_batch = 3).await?;
    let (status, body) = post(
        &app,
        &json!([
            { "query": "{ searchArtists(query: \"bts\", first: 1) { name } }" },
            { "query": "query Q($n: Int!) { tracks(first: $n) { edges { cursor } } }", "variables": { "n": 2 } },
            { "query": "{ nope }" },
        ]),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let answers = body.as_array().cloned().unwrap_or_default();
    assert_eq!(answers.len(), 3, "{body}");
    assert_eq!(
        answers[0]["data"]["searchArtists"][0]["name"], "BTS",
        "{body}"
    );
    assert_eq!(
        answers[1]["data"]["tracks"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(code(&answers[2]), "GRAPHQL_VALIDATION_FAILED", "{body}");

    let four = json!([{ "query": "{ dataVersion }" }, { "query": "{ dataVersion }" }, { "query": "{ dataVersion }" }, { "query": "{ dataVersion }" }]);
    let (status, body) = post(&app, &four).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "BATCH_TOO_LARGE", "{body}");
    for bad in [json!([]), json!([1]), json!([{ "query": 5 }])] {
        let (status, body) = post(&app, &bad).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(code(&body), "BAD_REQUEST", "{bad}: {body}");
    }

    let (_db2, off) = app_with(|s| s.max_batch = 0).await?;
    let (status, body) = post(&off, &json!([{ "query": "{ dataVersion }" }])).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "BATCH_TOO_LARGE", "{body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_and_graphiql_can_be_turned_off() -> Result<()> {
    let (_db, app) = app_with(|s| {
        s.introspection = false;
        s.graphiql = false;
    })
    .await?;
    let body = app.query("{ __schema { queryType { name } } }").await?;
    assert_eq!(code(&body), "INTROSPECTION_DISABLED", "{body}");
    let body = app.query("{ __type(name: \"Track\") { name } }").await?;
    assert_eq!(code(&body), "INTROSPECTION_DISABLED", "{body}");
    // Plain queries still run, `__typename` included.
    let data = app.data("{ __typename dataVersion }").await?;
    assert_eq!(data["__typename"], "QueryRoot");

    let page = app
        .client
        .get(format!("{}/graphql", app.base))
        .header("accept", "text/html")
        .send()
        .await?;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST, "no GraphiQL page");
    for path in ["/graphiql/init.js", "/"] {
        let resp = app.client.get(format!("{}{path}", app.base)).send().await?;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_loads_nothing_beyond_the_server_and_can_be_turned_off() -> Result<()> {
    let (db, app) = app_with(|_| {}).await?;
    let page = app
        .client
        .get(format!("{}/dashboard", app.base))
        .send()
        .await?;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text().await?;
    for src in [
        "/dashboard/chart.umd.min.js",
        "/dashboard/dashboard.js",
        "/dashboard/dashboard.css",
    ] {
        assert!(html.contains(src), "{src}");
        let asset = app.client.get(format!("{}{src}", app.base)).send().await?;
        assert_eq!(asset.status(), StatusCode::OK, "{src}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "a page that names another host"
    );
    let missing = app
        .client
        .get(format!("{}/dashboard/nothing.js", app.base))
        .send()
        .await?;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let off = TestApp::spawn_with(&db, |s| s.dashboard = false).await?;
    for path in ["/dashboard", "/dashboard/dashboard.js"] {
        let resp = off.client.get(format!("{}{path}", off.base)).send().await?;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_admits_the_configured_origins_only() -> Result<()> {
    let (_db, app) = app_with(|s| s.cors_origins = vec!["https://bi.example.com".into()]).await?;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("https://bi.example.com").await?;
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://bi.example.com"
    );
    let other = preflight("https://evil.example.com").await?;
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("origin", "https://bi.example.com")
        .json(&json!({ "query": "{ dataVersion }" }))
        .send()
        .await?;
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://bi.example.com"
    );

    // Without configured origins, no page elsewhere may call the API.
    let (_db2, closed) = app_with(|_| {}).await?;
    let resp = closed
        .client
        .post(format!("{}/graphql", closed.base))
        .header("origin", "https://bi.example.com")
        .json(&json!({ "query": "{ dataVersion }" }))
        .send()
        .await?;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_over_their_rate_are_told_to_retry_later() -> Result<()> {
    let (_db, app) = app_with(|s| {
        s.rate_limit = 1;
        s.rate_limit_burst = 3;
    })
    .await?;
    let query = json!({ "query": "{ dataVersion }" });
    for _ in 0..3 {
        let (status, body) = post(&app, &query).await?;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&query)
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"].to_str()?.parse()?;
    assert!((1..=2).contains(&retry), "Retry-After: {retry}");
    let body: Value = resp.json().await?;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    // Health, readiness and metrics are not rate-limited.
    for path in ["/healthz", "/metrics"] {
        let resp = app.client.get(format!("{}{path}", app.base)).send().await?;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_api_keys_are_required_and_each_has_its_own_rate() -> Result<()> {
    const DASHBOARD: &str = "dashboard-key-0123456789";
    const CHATBOT: &str = "chatbot-key-0123456789";
    let (_db, app) = app_with(|s| {
        s.api_keys = vec![DASHBOARD.parse().unwrap(), CHATBOT.parse().unwrap()];
        s.rate_limit = 1;
        s.rate_limit_burst = 2;
    })
    .await?;
    let send = |key: Option<&'static str>| {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({ "query": "{ dataVersion }" }));
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        req.send()
    };
    for key in [None, Some("not-a-key-0123456789")] {
        let resp = send(key).await?;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{key:?}");
        let body: Value = resp.json().await?;
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
        assert!(!body.to_string().contains(DASHBOARD));
    }
    for _ in 0..2 {
        assert_eq!(send(Some(DASHBOARD)).await?.status(), StatusCode::OK);
    }
    assert_eq!(
        send(Some(DASHBOARD)).await?.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(Some(CHATBOT)).await?.status(),
        StatusCode::OK,
        "another key, another budget"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_the_database_migrations_and_index() -> Result<()> {
    let (_db, app) = app_with(|_| {}).await?;
    app.ready().await?;
    let body: Value = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        body,
        json!({ "status": "ready", "checks": { "database": "ok", "migrations": "ok", "recommendationIndex": "ok" } })
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id_and_a_sensible_one_is_kept() -> Result<()> {
    let (_db, app) = app_with(|_| {}).await?;
    let id = |resp: &reqwest::Response| {
        resp.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let a = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await?;
    let b = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await?;
    assert_eq!(id(&a).len(), 32, "{}", id(&a));
    assert_ne!(id(&a), id(&b));
    let kept = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("x-request-id", "chatbot-7f3a.42")
        .json(&json!({ "query": "{ nope }" }))
        .send()
        .await?;
    assert_eq!(id(&kept), "chatbot-7f3a.42");
    let replaced = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "no spaces <script>")
        .send()
        .await?;
    assert_eq!(id(&replaced).len(), 32);
    Ok(())
}
