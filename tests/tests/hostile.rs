//! Hostile input: a corpus of requests built to break the server, and a few thousand
//! generated documents, valid and not. Every answer must be a well-formed GraphQL or HTTP
//! error with a code, never a server error, a driver message or a dropped connection, and the
//! server must stay healthy and its catalog intact.

use std::collections::BTreeSet;

use anyhow::{Context as _, Result, ensure};
use base64::Engine as _;
use serde_json::{Value, json};
use sixpotify_tests::synth::Rng;
use sixpotify_tests::{TestApp, TestDb, import_sample, scalar};

/// Every code a client may see.
const CODES: &[&str] = &[
    "BAD_REQUEST",
    "UNSUPPORTED_MEDIA_TYPE",
    "METHOD_NOT_ALLOWED",
    "PAYLOAD_TOO_LARGE",
    "BATCH_TOO_LARGE",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "OPERATION_RESOLUTION_FAILURE",
    "BAD_USER_INPUT",
    "PAGE_TOO_LARGE",
    "QUERY_TOO_DEEP",
    "QUERY_TOO_COMPLEX",
    "TOO_MANY_ALIASES",
    "TOO_MANY_ROOT_FIELDS",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_HASH_MISMATCH",
];

async fn app() -> Result<(TestDb, TestApp)> {
    let db = TestDb::sqlite().await?;
    import_sample(&db.connect().await?).await?;
    let app = TestApp::spawn(&db).await?;
    app.ready().await?;
    Ok((db, app))
}

/// What a well-formed answer tells: its status and the codes of its errors.
#[derive(Debug)]
struct Answer {
    status: u16,
    codes: Vec<String>,
    body: String,
}

/// Checks that `body` is a GraphQL response (or an error body): JSON, an object with `data`
/// or `errors`, each error with a message and a known code; returns the codes.
fn well_formed(status: u16, body: &str) -> Result<Answer> {
    ensure!(status < 500, "HTTP {status}: {body}");
    let value: Value =
        serde_json::from_str(body).with_context(|| format!("HTTP {status}, not JSON: {body}"))?;
    ensure!(
        value.get("data").is_some() || value.get("errors").is_some(),
        "neither data nor errors: {body}"
    );
    let lower = body.to_ascii_lowercase();
    for leak in [
        "select ",
        "sqlx",
        "sqlite",
        "panicked",
        "stack backtrace",
        "src/",
    ] {
        ensure!(!lower.contains(leak), "the answer shows `{leak}`: {body}");
    }
    let mut codes = Vec::new();
    for e in value["errors"].as_array().into_iter().flatten() {
        ensure!(
            e["message"].is_string(),
            "an error without a message: {body}"
        );
        let code = e["extensions"]["code"].as_str().unwrap_or_default();
        ensure!(CODES.contains(&code), "unknown code `{code}`: {body}");
        codes.push(code.to_owned());
    }
    Ok(Answer {
        status,
        codes,
        body: body.to_owned(),
    })
}

async fn post_raw(app: &TestApp, content_type: &str, body: Vec<u8>) -> Result<Answer> {
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await?;
    let status = resp.status().as_u16();
    well_formed(status, &resp.text().await?)
}

async fn post(app: &TestApp, query: &str, variables: Value) -> Result<Answer> {
    let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))?;
    post_raw(app, "application/json", body).await
}

fn expect(answer: &Answer, code: &str, what: &str) -> Result<()> {
    ensure!(
        answer.codes.iter().any(|c| c == code),
        "{what}: expected {code}, got {answer:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corpus_of_hostile_requests_gets_coded_errors_and_the_server_stays_healthy() -> Result<()>
{
    let (db, app) = app().await?;
    let tracks_before = scalar(&db.connect().await?, "SELECT COUNT(*) FROM tracks").await?;

    // Bodies that are not GraphQL requests.
    for (body, what) in [
        (
            b"{\"query\": \"{ dataVersion }\"".to_vec(),
            "truncated JSON",
        ),
        (
            b"{\"query\": \"{ dataVersion }\"}}".to_vec(),
            "trailing brace",
        ),
        (b"\"{ dataVersion }\"".to_vec(), "a JSON string"),
        (b"null".to_vec(), "null"),
        (
            b"{\"query\": [\"{ dataVersion }\"]}".to_vec(),
            "query as a list",
        ),
        (
            b"{\"query\": \"{ dataVersion }\", \"variables\": [1]}".to_vec(),
            "variables as a list",
        ),
        (
            b"{\"query\": \"{ dataVersion }\", \"variables\": \"{}\"}".to_vec(),
            "variables as a string",
        ),
        (
            b"{\"query\": \"{ dataVersion }\", \"operationName\": 7}".to_vec(),
            "a numeric operation name",
        ),
        (
            b"{\"query\": \"\xff\xfe{ dataVersion }\"}".to_vec(),
            "invalid UTF-8",
        ),
        (
            b"\xef\xbb\xbf{\"query\": \"{ dataVersion }\"}".to_vec(),
            "a byte order mark",
        ),
        (
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "deeply nested JSON arrays",
        ),
        (
            format!(
                "{{\"query\": \"{{ dataVersion }}\", \"variables\": {}1{}}}",
                "{\"a\":".repeat(5_000),
                "}".repeat(5_000)
            )
            .into_bytes(),
            "deeply nested variables",
        ),
    ] {
        let answer = post_raw(&app, "application/json", body)
            .await
            .context(what)?;
        ensure!(answer.status == 400, "{what}: {answer:?}");
        expect(&answer, "BAD_REQUEST", what)?;
    }
    let answer = post_raw(&app, "text/plain", b"{ dataVersion }".to_vec()).await?;
    expect(&answer, "UNSUPPORTED_MEDIA_TYPE", "a text body")?;
    let (status, text) = app
        .raw(b"GET /graphql?query=%7B%20dataVersion%20%7D%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    ensure!(status == 400, "invalid UTF-8 in a query string: {text}");

    // Documents.
    let deep = |n: usize| format!("{}dataVersion{}", "{ a ".repeat(n), " }".repeat(n));
    let alias_bomb: String = (0..500).map(|i| format!("a{i}: name ")).collect();
    let mut fragment_bomb = String::from("{ ...F40 } fragment F0 on QueryRoot { dataVersion }");
    for n in 1..=40 {
        fragment_bomb.push_str(&format!(
            " fragment F{n} on QueryRoot {{ ...F{m} ...F{m} }}",
            m = n - 1
        ));
    }
    let huge = "x".repeat(200_000);
    for (query, code, what) in [
        (deep(30), "QUERY_TOO_DEEP", "nesting 30 deep"),
        (deep(20_000), "GRAPHQL_PARSE_FAILED", "nesting 20,000 deep"),
        (
            "{".repeat(100_000),
            "GRAPHQL_PARSE_FAILED",
            "100,000 opening braces",
        ),
        (
            format!(
                "{{ tracks(filter: {}1{}) {{ totalCount }} }}",
                "[".repeat(20_000),
                "]".repeat(20_000)
            ),
            "GRAPHQL_PARSE_FAILED",
            "a list literal nested 20,000 deep",
        ),
        (
            format!("{{ {alias_bomb} }}"),
            "TOO_MANY_ALIASES",
            "5,000 aliases",
        ),
        (fragment_bomb, "QUERY_TOO_COMPLEX", "a fragment bomb"),
        (
            "{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }".into(),
            "GRAPHQL_VALIDATION_FAILED",
            "a fragment cycle",
        ),
        (
            "{ ...A } fragment A on QueryRoot { dataVersion ...A }".into(),
            "GRAPHQL_VALIDATION_FAILED",
            "a fragment spreading itself",
        ),
        (
            format!("{{ searchTracks(query: \"{huge}\") {{ name }} }}"),
            "BAD_USER_INPUT",
            "a 200,000-character search",
        ),
        (
            format!("{{ dataVersion }} # {huge}"),
            "",
            "a 200,000-character comment",
        ),
        (
            "{ tracks(first: -1) { totalCount } }".into(),
            "BAD_USER_INPUT",
            "a negative first",
        ),
        (
            "{ tracks(first: 2147483647) { totalCount } }".into(),
            "PAGE_TOO_LARGE",
            "the largest Int as first",
        ),
        (
            "{ tracks(first: 99999999999999) { totalCount } }".into(),
            "BAD_USER_INPUT",
            "first beyond Int",
        ),
        (
            "{ tracks(first: 1.5) { totalCount } }".into(),
            "GRAPHQL_VALIDATION_FAILED",
            "a fractional first",
        ),
        (
            "{ artist(id: \"\\u0000\") { name } }".into(),
            "",
            "a NUL in an id",
        ),
        (
            "mutation { x }".into(),
            "GRAPHQL_VALIDATION_FAILED",
            "a mutation on a read-only schema",
        ),
        (
            "subscription { dataVersion }".into(),
            "GRAPHQL_VALIDATION_FAILED",
            "a subscription",
        ),
        ("".into(), "GRAPHQL_PARSE_FAILED", "an empty document"),
        (
            "\u{feff}{ dataVersion }".into(),
            "",
            "a byte order mark in the document",
        ),
    ] {
        let answer = post(&app, &query, Value::Null).await.context(what)?;
        if code.is_empty() {
            ensure!(answer.codes.is_empty(), "{what}: {answer:?}");
        } else {
            expect(&answer, code, what)?;
        }
    }

    // SQL in search strings finds nothing and changes nothing.
    for needle in [
        "'; DROP TABLE tracks; --",
        "\" OR 1=1 --",
        "%",
        "_",
        "!",
        "\\",
        "' UNION SELECT name FROM sqlite_master --",
        // Any script, or none: emoji, combining marks alone, right-to-left, lone jamo and
        // syllable parts, control and zero-width characters, mixed scripts, 200 characters.
        "😀🎵",
        "\u{301}\u{301}\u{301}",
        "שלום مرحبا",
        "ㅏㅏㅏ",
        "ᅡᆫ",
        "ㄳㄺ",
        "\u{200B}\u{0}\u{7}",
        "BTS방탄😀ﾎﾞ",
        &*"방".repeat(200),
        &*"가나다라마바사 ".repeat(25),
    ] {
        for field in ["searchTracks", "searchArtists"] {
            let answer = post(
                &app,
                &format!("query ($q: String!) {{ {field}(query: $q) {{ name }} }}"),
                json!({ "q": needle }),
            )
            .await?;
            ensure!(answer.codes.is_empty(), "{field}({needle:?}): {answer:?}");
        }
    }

    // Forged cursors.
    let first_page: Value = app
        .data("{ tracks(first: 2, orderBy: { field: POPULARITY }) { edges { cursor } } }")
        .await?;
    let real = first_page["tracks"]["edges"][0]["cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let mut flipped = real.clone().into_bytes();
    if let Some(last) = flipped.last_mut() {
        *last = if *last == b'A' { b'B' } else { b'A' };
    }
    for cursor in [
        "not a cursor!".to_owned(),
        b64("{\"o\":\"nope\"}"),
        b64("garbage"),
        b64(&"[".repeat(10_000)),
        String::from_utf8(flipped).unwrap_or_default(),
        "A".repeat(100_000),
    ] {
        let answer = post(
            &app,
            "query ($c: String) { tracks(first: 2, after: $c) { totalCount } }",
            json!({ "c": cursor }),
        )
        .await?;
        expect(&answer, "BAD_USER_INPUT", "a forged cursor").or_else(|e| {
            // A flipped byte may still decode to a valid position; then it is simply a page.
            if answer.codes.is_empty() {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    }
    let other_order = post(
        &app,
        "query ($c: String) { tracks(first: 2, after: $c, orderBy: { field: NAME }) { totalCount } }",
        json!({ "c": real }),
    )
    .await?;
    expect(
        &other_order,
        "BAD_USER_INPUT",
        "a cursor of another ordering",
    )?;

    // Still healthy, catalog intact.
    still_serves(&app).await?;
    assert_eq!(
        scalar(&db.connect().await?, "SELECT COUNT(*) FROM tracks").await?,
        tracks_before
    );
    Ok(())
}

/// The schema as introspection gives it: each object type's fields, with their arguments and
/// type references.
struct Schema {
    types: std::collections::HashMap<String, Value>,
}

impl Schema {
    async fn fetch(app: &TestApp) -> Result<Self> {
        const TYPE_REF: &str =
            "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
        let query = format!(
            "{{ __schema {{ types {{ name kind fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} inputFields {{ name type {{ {TYPE_REF} }} }} enumValues {{ name }} }} }} }}"
        );
        let data = app.data(&query).await?;
        let types = data["__schema"]["types"]
            .as_array()
            .context("no types")?
            .iter()
            .map(|t| (t["name"].as_str().unwrap_or_default().to_owned(), t.clone()))
            .collect();
        Ok(Self { types })
    }

    /// The named type under lists and non-nulls.
    fn named(ty: &Value) -> &Value {
        let mut t = ty;
        while t["name"].is_null() && !t["ofType"].is_null() {
            t = &t["ofType"];
        }
        t
    }
}

/// Builds random documents from the schema.
struct Generator<'a> {
    schema: &'a Schema,
    rng: Rng,
}

impl Generator<'_> {
    fn pick<'v>(&mut self, items: &'v [Value]) -> Option<&'v Value> {
        (!items.is_empty()).then(|| &items[self.rng.below(items.len())])
    }

    /// A literal for an input type: usually fitting, sometimes hostile.
    fn literal(&mut self, ty: &Value, depth: usize) -> String {
        if ty["kind"] == "NON_NULL" {
            return self.literal(&ty["ofType"], depth);
        }
        if ty["kind"] == "LIST" {
            let n = self.rng.below(3);
            let items: Vec<String> = (0..n)
                .map(|_| self.literal(&ty["ofType"], depth + 1))
                .collect();
            return format!("[{}]", items.join(", "));
        }
        let name = ty["name"].as_str().unwrap_or_default();
        match name {
            "Int" => [
                "0",
                "1",
                "5",
                "-1",
                "100",
                "101",
                "2147483647",
                "-2147483648",
            ][self.rng.below(8)]
            .into(),
            "Float" => ["0.5", "-3", "1e300", "0"][self.rng.below(4)].into(),
            "Boolean" => ["true", "false"][self.rng.below(2)].into(),
            "String" | "ID" => {
                let s = [
                    "bts",
                    "",
                    "love",
                    "ÄÖü 방탄",
                    "'; DROP TABLE tracks; --",
                    "%_!",
                    "3Nrfpe0tUJi4K4DXYWgMUX",
                    "US",
                    "k-pop",
                ][self.rng.below(9)];
                serde_json::to_string(s).unwrap_or_default()
            }
            _ => {
                let t = &self.schema.types[name];
                if t["kind"] == "ENUM" {
                    let values = t["enumValues"].as_array().cloned().unwrap_or_default();
                    return self
                        .pick(&values)
                        .and_then(|v| v["name"].as_str())
                        .unwrap_or("X")
                        .to_owned();
                }
                if depth > 3 {
                    return "{}".into();
                }
                let fields = t["inputFields"].as_array().cloned().unwrap_or_default();
                let mut parts = Vec::new();
                for f in &fields {
                    if f["type"]["kind"] == "NON_NULL" || self.rng.below(3) == 0 {
                        parts.push(format!(
                            "{}: {}",
                            f["name"].as_str().unwrap_or_default(),
                            self.literal(&f["type"], depth + 1)
                        ));
                    }
                }
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }

    /// A selection set on the object type `name`.
    fn selection(&mut self, name: &str, depth: usize) -> String {
        let fields = self.schema.types[name]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut picked = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let Some(field) = self.pick(&fields).cloned() else {
                break;
            };
            let mut text = field["name"].as_str().unwrap_or_default().to_owned();
            let mut args = Vec::new();
            for a in field["args"].as_array().into_iter().flatten() {
                if a["type"]["kind"] == "NON_NULL" || self.rng.below(4) == 0 {
                    let value = self.literal(&a["type"], 0);
                    args.push(format!(
                        "{}: {value}",
                        a["name"].as_str().unwrap_or_default()
                    ));
                }
            }
            if !args.is_empty() {
                text.push_str(&format!("({})", args.join(", ")));
            }
            let inner = Schema::named(&field["type"]);
            let kind = inner["kind"].as_str().unwrap_or_default();
            if kind == "OBJECT" || kind == "INTERFACE" {
                let inner_name = inner["name"].as_str().unwrap_or_default().to_owned();
                if depth >= 4 {
                    text = "__typename".into();
                } else {
                    text.push_str(&format!(
                        " {{ {} }}",
                        self.selection(&inner_name, depth + 1)
                    ));
                }
            }
            picked.push(text);
        }
        picked.join(" ")
    }

    /// A document: a valid-looking query, or one broken on purpose.
    fn document(&mut self) -> String {
        let doc = format!("{{ {} }}", self.selection("QueryRoot", 0));
        match self.rng.below(6) {
            // Drop a character.
            0 if doc.len() > 2 => {
                let at = self.rng.below(doc.len());
                doc.char_indices()
                    .filter(|(i, _)| *i != at)
                    .map(|(_, c)| c)
                    .collect()
            }
            // Unknown field.
            1 => doc.replacen("{ ", "{ noSuchField ", 1),
            // Truncate.
            2 => doc.chars().take(self.rng.below(doc.len() + 1)).collect(),
            _ => doc,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_generated_documents_get_well_formed_answers() -> Result<()> {
    let (_db, app) = app().await?;
    let schema = Schema::fetch(&app).await?;
    const DOCUMENTS: u64 = 3_000;
    const CLIENTS: u64 = 8;
    let mut tasks = Vec::new();
    let schema = std::sync::Arc::new(schema);
    for c in 0..CLIENTS {
        let app = app.clone();
        let schema = schema.clone();
        tasks.push(tokio::spawn(async move {
            let mut generator = Generator {
                schema: &schema,
                rng: Rng::new(1000 + c),
            };
            let mut seen = BTreeSet::new();
            let (mut ok, mut failed) = (0u64, 0u64);
            for _ in 0..DOCUMENTS / CLIENTS {
                let doc = generator.document();
                let answer = post(&app, &doc, Value::Null)
                    .await
                    .with_context(|| doc.clone())?;
                if answer.codes.is_empty() {
                    ok += 1;
                } else {
                    failed += 1;
                }
                ensure!(
                    answer.body.contains("\"data\"") || !answer.codes.is_empty(),
                    "{doc}: {answer:?}"
                );
                seen.extend(answer.codes);
            }
            Ok::<_, anyhow::Error>((ok, failed, seen))
        }));
    }
    let (mut ok, mut failed, mut seen) = (0, 0, BTreeSet::new());
    for t in tasks {
        let (o, f, s) = t.await??;
        ok += o;
        failed += f;
        seen.extend(s);
    }
    sixpotify_tests::notice(&format!(
        "generated documents: {ok} answered without errors, {failed} with errors; codes seen: {seen:?}"
    ));
    ensure!(
        ok > DOCUMENTS / 10 && failed > DOCUMENTS / 10,
        "too one-sided to test anything: {ok} / {failed}"
    );
    still_serves(&app).await?;
    Ok(())
}

/// The server is alive and still answers a real query.
async fn still_serves(app: &TestApp) -> Result<()> {
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await?;
    ensure!(health.status() == 200, "/healthz: {}", health.status());
    let data = app
        .data("{ searchArtists(query: \"bts\", first: 1) { name } }")
        .await?;
    ensure!(data["searchArtists"][0]["name"] == "BTS", "{data}");
    Ok(())
}
