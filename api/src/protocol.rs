//! The GraphQL-over-HTTP specification's rules for `/graphql`: which media type answers a
//! request (by its `Accept` header), which status code goes with a response, and the error
//! body of a request the server cannot even read.
//!
//! A client that accepts `application/graphql-response+json` gets it, with `400` for request
//! errors (a body that is not a GraphQL request, a document that does not parse, exceeds the
//! query limits or does not validate, variables that do not fit, no operation to run) and no `data` entry in their body. Any
//! other client gets `application/json`, the specification's default, with `200` for every
//! GraphQL response and `400` only for a body that is not a GraphQL request at all.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Bytes;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response};

use crate::codes;

/// The media type of a GraphQL response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: request errors are `400`.
    GraphqlResponse,
    /// `application/json`: every GraphQL response is `200`.
    Json,
}

impl Media {
    /// The `Content-Type` value.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }

    /// The media type the `Accept` header of `req` prefers: `application/graphql-response+json`
    /// when it is accepted at least as much as `application/json`, else `application/json`
    /// (also for a missing header, `*/*`, or only types the server does not produce).
    pub fn of(req: &HttpRequest) -> Self {
        let Some(accept) = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
        else {
            return Self::Json;
        };
        Self::from_accept(accept)
    }

    fn from_accept(accept: &str) -> Self {
        let mut graphql = 0.0f32;
        let mut json = 0.0f32;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match range.as_str() {
                "application/graphql-response+json" => graphql = graphql.max(q),
                "application/json" | "application/*" | "*/*" => json = json.max(q),
                _ => {}
            }
        }
        if graphql > 0.0 && graphql >= json {
            Self::GraphqlResponse
        } else {
            Self::Json
        }
    }

    /// The status code of `response`, a GraphQL response.
    pub fn status(self, response: &Response) -> StatusCode {
        if self == Self::GraphqlResponse && is_request_error(response) {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        }
    }
}

/// Whether `response` reports a request error: one raised before execution, so that no
/// `data` entry belongs in it.
pub fn is_request_error(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|code| {
                    matches!(code, async_graphql::Value::String(c) if [
                        codes::GRAPHQL_PARSE_FAILED,
                        codes::GRAPHQL_VALIDATION_FAILED,
                        codes::OPERATION_RESOLUTION_FAILURE,
                        codes::QUERY_TOO_DEEP,
                        codes::QUERY_TOO_COMPLEX,
                        codes::TOO_MANY_ALIASES,
                        codes::TOO_MANY_ROOT_FIELDS,
                        codes::INTROSPECTION_DISABLED,
                    ]
                    .contains(&c.as_str()))
                })
        })
}

/// The JSON body of `response`: without `data` for a request error.
pub fn response_body(response: &Response) -> serde_json::Result<Bytes> {
    if is_request_error(response) {
        let errors = serde_json::json!({ "errors": response.errors });
        return serde_json::to_vec(&errors).map(Bytes::from);
    }
    serde_json::to_vec(response).map(Bytes::from)
}

/// The body of an error that stops a request before GraphQL sees it.
pub fn error_body(message: &str, code: &str) -> Bytes {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    Bytes::from(body.to_string())
}

/// The type of the operation `request` would run, when its document parses and names one.
pub fn operation_type(request: &mut Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    }
}

/// The parameters of a GraphQL request, from a JSON body or a query string.
#[derive(Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    #[serde(default)]
    query: Option<String>,
    /// A trusted document's hash, in place of `query` (`--trusted-documents`).
    #[serde(default)]
    document_id: Option<String>,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Reads the parameters of a `GET /graphql` from its query string: `query`, `operationName`,
/// and `variables` and `extensions` as JSON objects (or `null`).
pub fn get_request(query_string: &str) -> Result<Request, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        query: Option<String>,
        document_id: Option<String>,
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    if !decodes_to_utf8(query_string) {
        return Err("the query string is not UTF-8 once percent-decoded".into());
    }
    let raw: Raw = serde_urlencoded::from_str(query_string)
        .map_err(|e| format!("invalid query string: {e}"))?;
    let object = |name: &str, value: Option<String>| match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => serde_json::from_str(v)
            .map_err(|e| format!("`{name}` is not a JSON object or null: {e}")),
    };
    request_from(Params {
        query: raw.query,
        document_id: raw.document_id,
        operation_name: raw.operation_name,
        variables: object("variables", raw.variables)?,
        extensions: object("extensions", raw.extensions)?,
    })
}

/// Whether every percent-encoded byte sequence of `query_string` is UTF-8 (the decoder would
/// otherwise replace bad bytes silently and run a different document than the one sent).
fn decodes_to_utf8(query_string: &str) -> bool {
    let bytes = query_string.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                decoded.push(((hex(h).unwrap_or(0) << 4) | hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// Reads a JSON `POST` body as a GraphQL request.
pub fn post_request(body: &[u8]) -> Result<Request, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the request body is empty".into());
    }
    let params: Params = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            format!("invalid GraphQL request parameters: {e}")
        } else {
            format!("the request body is not JSON: {e}")
        }
    })?;
    request_from(params)
}

/// Whether a `POST` body is a batch: a JSON array of requests.
pub fn is_batch(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// Why a batch cannot be run.
#[derive(Debug, PartialEq, Eq)]
pub enum BatchError {
    /// Not a JSON array of GraphQL requests, or an empty one.
    Invalid(String),
    /// More requests than the limit.
    TooLarge(String),
}

/// Reads a batch body (a JSON array of requests) of at most `max` requests.
pub fn post_batch(body: &[u8], max: usize) -> Result<Vec<Request>, BatchError> {
    let items: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|e| {
        BatchError::Invalid(if e.is_data() {
            format!("a batch is a JSON array of GraphQL requests: {e}")
        } else {
            format!("the request body is not JSON: {e}")
        })
    })?;
    if items.is_empty() {
        return Err(BatchError::Invalid("the batch is empty".into()));
    }
    if max == 0 {
        return Err(BatchError::TooLarge(
            "this server does not accept batched requests".into(),
        ));
    }
    if items.len() > max {
        return Err(BatchError::TooLarge(format!(
            "a batch may hold at most {max} requests, not {}",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let params: Params = serde_json::from_value(item).map_err(|e| {
                BatchError::Invalid(format!("invalid GraphQL request at index {i}: {e}"))
            })?;
            request_from(params)
                .map_err(|e| BatchError::Invalid(format!("request at index {i}: {e}")))
        })
        .collect()
}

/// The request `params` ask for. `variables`, `operationName` and `extensions` may be absent or
/// `null` (and `operationName` empty); `query` may be absent only when `extensions` names a
/// persisted query or `documentId` names a trusted document, which travels on in
/// `extensions.documentId`.
fn request_from(params: Params) -> Result<Request, String> {
    let persisted = params.document_id.is_some()
        || params
            .extensions
            .as_ref()
            .is_some_and(|x| x.contains_key("persistedQuery"));
    let query = match params.query {
        Some(q) => q,
        None if persisted => String::new(),
        None => return Err("the `query` parameter is missing".into()),
    };
    let mut request = Request::new(query);
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    if let Some(vars) = params.variables {
        request = request.variables(async_graphql::Variables::from_json(
            serde_json::Value::Object(vars),
        ));
    }
    if let Some(ext) = params.extensions {
        for (k, v) in ext {
            let value = async_graphql::Value::from_json(v).map_err(|e| e.to_string())?;
            request.extensions.insert(k, value);
        }
    }
    if let Some(id) = params.document_id {
        request.extensions.insert(
            crate::trusted::DOCUMENT_ID.to_owned(),
            async_graphql::Value::String(id),
        );
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_that_are_not_utf8_are_refused() {
        assert!(get_request("query=%7B%20a%20%7D").is_ok());
        assert!(get_request("query=%7B%20%C3%A4%20%7D").is_ok());
        assert!(get_request("query=%7B%20a%20%7D%FF").is_err());
        assert!(get_request("query=%C3").is_err());
    }

    #[test]
    fn batches_are_read_within_their_limit() {
        assert!(is_batch(b"  [{}]"));
        assert!(!is_batch(b"{\"query\": \"[\"}"));
        let two = br#"[{"query": "{ a }"}, {"query": "{ b }", "variables": null}]"#;
        assert_eq!(post_batch(two, 2).map(|v| v.len()), Ok(2));
        assert!(matches!(post_batch(two, 1), Err(BatchError::TooLarge(_))));
        assert!(matches!(post_batch(two, 0), Err(BatchError::TooLarge(_))));
        assert!(matches!(post_batch(b"[]", 5), Err(BatchError::Invalid(_))));
        assert!(matches!(post_batch(b"[1]", 5), Err(BatchError::Invalid(_))));
        assert!(matches!(
            post_batch(b"[{}]", 5),
            Err(BatchError::Invalid(_))
        ));
        assert!(matches!(post_batch(b"[{", 5), Err(BatchError::Invalid(_))));
    }

    #[test]
    fn accept_headers_choose_the_media_type() {
        for (accept, media) in [
            ("application/graphql-response+json", Media::GraphqlResponse),
            ("application/json", Media::Json),
            ("*/*", Media::Json),
            ("text/html", Media::Json),
            (
                "application/graphql-response+json, application/json;q=0.9",
                Media::GraphqlResponse,
            ),
            (
                "application/json, application/graphql-response+json;q=0.5",
                Media::Json,
            ),
            ("application/graphql-response+json;q=0", Media::Json),
            ("Application/GraphQL-Response+JSON", Media::GraphqlResponse),
        ] {
            assert_eq!(Media::from_accept(accept), media, "{accept}");
        }
    }

    #[test]
    fn post_bodies_accept_null_and_absent_parameters() {
        for body in [
            r#"{"query":"{ __typename }"}"#,
            r#"{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}"#,
            r#"{"query":"{ __typename }","variables":{},"extensions":{}}"#,
        ] {
            assert!(post_request(body.as_bytes()).is_ok(), "{body}");
        }
    }

    #[test]
    fn post_bodies_of_the_wrong_shape_are_refused_with_a_reason() {
        for (body, reason) in [
            ("", "empty"),
            ("{", "not JSON"),
            ("[1]", "parameters"),
            (r#"{"query":{"obj":"ect"}}"#, "parameters"),
            (r#"{"query":"{ a }","variables":"x"}"#, "parameters"),
            (r#"{"query":"{ a }","extensions":[1]}"#, "parameters"),
            (r#"{"query":"{ a }","operationName":0}"#, "parameters"),
            (r#"{"variables":{}}"#, "missing"),
        ] {
            let err = post_request(body.as_bytes()).expect_err(body);
            assert!(err.contains(reason), "{body}: {err}");
        }
    }

    #[test]
    fn get_parameters_are_read_from_the_query_string() {
        let mut request = get_request(
            "query=query%20Q(%24a%3A%20Int)%20%7B%20__typename%20%7D&operationName=Q&variables=%7B%22a%22%3A1%7D",
        )
        .expect("valid");
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(operation_type(&mut request), Some(OperationType::Query));
        assert!(get_request("operationName=Q").is_err());
        assert!(get_request("query=%7Ba%7D&variables=%7B").is_err());
        let mut mutation = get_request("query=mutation%20%7B%20a%20%7D").expect("parses");
        assert_eq!(operation_type(&mut mutation), Some(OperationType::Mutation));
    }
}
