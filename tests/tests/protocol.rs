//! The GraphQL-over-HTTP specification: the graphql-http package's audit (`tests/audit`, run
//! with Node when its npm packages are installed: `.ci/run` installs them and sets
//! `SIXPOTIFY_TEST_AUDIT=require`), and the rules it leaves to the server, checked one by one.

use std::path::Path;

use anyhow::Result;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sixpotify_tests::{TestApp, TestDb, import_sample};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn app() -> Result<(TestDb, TestApp)> {
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    Ok((db, app))
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_http_audit_passes_every_must_and_should() -> Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("audit");
    if !sixpotify_tests::optional(
        dir.join("node_modules/graphql-http").exists(),
        "SIXPOTIFY_TEST_AUDIT",
        "tests/audit/node_modules is missing",
        "GraphQL-over-HTTP audit: run `npm ci --prefix tests/audit`",
    )? {
        return Ok(());
    }
    let (_db, app) = app().await?;
    let url = format!("{}/graphql", app.base);
    let out = sixpotify_tests::run_node(dir.join("audit.mjs"), vec![url]).await?;
    let results: Vec<Value> = serde_json::from_slice(&out)?;
    assert!(
        results.len() > 40,
        "the audit ran only {} checks",
        results.len()
    );
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r["status"] != "ok" && r["status"] != "notice")
        .map(|r| format!("{} {}: {}", r["id"], r["name"], r["reason"]))
        .collect();
    assert!(failed.is_empty(), "failed audits:\n{}", failed.join("\n"));
    for r in results.iter().filter(|r| r["status"] == "notice") {
        sixpotify_tests::notice(&format!(
            "audit notice {} {}: {}",
            r["id"], r["name"], r["reason"]
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_are_400_without_data_for_graphql_response_clients_and_200_for_json_clients()
-> Result<()> {
    let (_db, app) = app().await?;
    let url = format!("{}/graphql", app.base);
    for (query, code) in [
        (
            "{ artists(first: 1) { edges { node { name } }",
            "GRAPHQL_PARSE_FAILED",
        ),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let body = json!({ "query": query });
        let resp = app
            .client
            .post(&url)
            .header("accept", GRAPHQL_RESPONSE)
            .json(&body)
            .send()
            .await?;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(content_type(&resp).starts_with(GRAPHQL_RESPONSE));
        let answer: Value = resp.json().await?;
        assert!(answer.get("data").is_none(), "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], code);

        let resp = app
            .client
            .post(&url)
            .header("accept", "application/json")
            .json(&body)
            .send()
            .await?;
        assert_eq!(resp.status(), StatusCode::OK, "{query}");
        assert!(content_type(&resp).starts_with("application/json"));
        let answer: Value = resp.json().await?;
        assert_eq!(answer["errors"][0]["extensions"]["code"], code);
    }

    // Variables that do not fit the operation are a request error too.
    let resp = app
        .client
        .post(&url)
        .header("accept", GRAPHQL_RESPONSE)
        .json(&json!({
            "query": "query Q($id: ID!) { artist(id: $id) { name } }",
            "variables": { "id": { "not": "an id" } }
        }))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // A field error is not: the response has data, and is 200.
    let resp = app
        .client
        .post(&url)
        .header("accept", GRAPHQL_RESPONSE)
        .json(&json!({ "query": "{ artists(first: -1) { totalCount } }" }))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::OK);
    let answer: Value = resp.json().await?;
    assert!(answer.get("data").is_some(), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_requests_get_4xx_with_a_code() -> Result<()> {
    let (_db, app) = app().await?;
    let url = format!("{}/graphql", app.base);
    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            app.client.post(&url).body(r#"{"query":"{ __typename }"}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            app.client
                .post(&url)
                .header("content-type", "text/plain")
                .body(r#"{"query":"{ __typename }"}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            app.client
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"query\": "),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            app.client
                .post(&url)
                .header("content-type", "application/json"),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            app.client.post(&url).json(&json!({ "query": ["array"] })),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            app.client
                .post(&url)
                .json(&json!({ "query": "{ __typename }", "variables": "string" })),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            app.client.get(format!("{url}?operationName=Q")),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        (
            app.client
                .get(format!("{url}?query=%7B__typename%7D&variables=%7B")),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
    ];
    for (request, status, code) in cases {
        let resp = request.send().await?;
        assert_eq!(resp.status(), status);
        let answer: Value = resp.json().await?;
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_runs_queries_only_and_other_methods_are_405() -> Result<()> {
    let (_db, app) = app().await?;
    let url = format!("{}/graphql", app.base);
    let resp = app
        .client
        .get(format!("{url}?query=mutation%20%7B%20__typename%20%7D"))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
    let answer: Value = resp.json().await?;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );

    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let resp = app.client.request(method.clone(), &url).send().await?;
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(resp.headers()["allow"], "GET, POST");
    }

    let resp = app
        .client
        .get(format!(
            "{url}?query=%7B%20__typename%20%7D&variables=null&operationName="
        ))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::OK);
    let answer: Value = resp.json().await?;
    assert_eq!(answer["data"]["__typename"], "QueryRoot");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_answers_follow_each_clients_accept_header() -> Result<()> {
    let (_db, app) = app().await?;
    let url = format!("{}/graphql", app.base);
    let body = r#"{"query":"{ artists(first: 2) { edges { node { name } } } }"}"#;
    for (accept, expected) in [
        (None, "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (Some("*/*"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
    ] {
        let mut request = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let resp = request.send().await?;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(content_type(&resp).starts_with(expected), "{accept:?}");
        let vary: Vec<&str> = resp
            .headers()
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(vary.iter().any(|v| v.contains("Accept")), "{vary:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_beyond_the_limits_are_refused_with_the_limits_code() -> Result<()> {
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn_with(&db, |s| {
        s.max_depth = 6;
        s.max_fields = 40;
        s.max_aliases = 3;
        s.max_root_fields = 4;
    })
    .await?;
    let url = format!("{}/graphql", app.base);
    let aliases: String = (0..4).map(|i| format!("a{i}: name ")).collect();
    let roots = "dataVersion ".repeat(5);
    let mut bomb = String::from("{ ...F12 } fragment F0 on QueryRoot { dataVersion }");
    for n in 1..=12 {
        bomb.push_str(&format!(
            " fragment F{n} on QueryRoot {{ ...F{m} ...F{m} }}",
            m = n - 1
        ));
    }
    for (query, code) in [
        (
            "{ artists(first: 1) { edges { node { tracks(first: 1) { edges { node { album { name } } } } } } } }",
            "QUERY_TOO_DEEP",
        ),
        (bomb.as_str(), "QUERY_TOO_COMPLEX"),
        (
            &format!("{{ artists(first: 1) {{ edges {{ node {{ {aliases} }} }} }} }}"),
            "TOO_MANY_ALIASES",
        ),
        (&format!("{{ {roots} }}"), "TOO_MANY_ROOT_FIELDS"),
    ] {
        let resp = app
            .client
            .post(&url)
            .header("accept", GRAPHQL_RESPONSE)
            .json(&json!({ "query": query }))
            .send()
            .await?;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{code}");
        let answer: Value = resp.json().await?;
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
        assert!(answer.get("data").is_none());
    }
    // Within the limits, the same shapes run.
    let ok = app
        .query("{ artists(first: 1) { edges { node { name a: name } } } dataVersion }")
        .await?;
    assert!(ok.get("errors").is_none(), "{ok}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limits_let_graphiqls_introspection_query_through() -> Result<()> {
    let (_db, app) = app().await?;
    let answer = app.query(INTROSPECTION).await?;
    assert!(answer.get("errors").is_none(), "{answer}");
    assert!(
        answer["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20)
    );
    Ok(())
}

/// The introspection query GraphiQL sends when it opens (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;
