//! Every error code a client can see, in one list: `extensions.code` of GraphQL errors, and
//! `code` of the errors the HTTP routes, access checks and the chatbot webhook answer with
//! before GraphQL runs. Codes are part of the API: a client branches on them, so they never
//! change once published.

/// Defines each code as a constant whose value is its name.
macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $name:ident ),* $(,)?) => {
        $( $(#[doc = $doc])* pub const $name: &str = stringify!($name); )*
    };
}

codes! {
    /// A document that does not parse.
    GRAPHQL_PARSE_FAILED,
    /// A document that does not validate against the schema, or variables that do not fit it.
    GRAPHQL_VALIDATION_FAILED,
    /// A valid document from which no operation can be chosen: an unknown `operationName`, or none
    /// given where the document holds several operations.
    OPERATION_RESOLUTION_FAILURE,
    /// Input the resolvers refuse.
    BAD_USER_INPUT,
    /// Execution took longer than the request timeout and was stopped.
    REQUEST_TIMEOUT,
    /// A document nested deeper than allowed.
    QUERY_TOO_DEEP,
    /// A document with more fields (fragments expanded) than allowed.
    QUERY_TOO_COMPLEX,
    /// A document with more aliases than allowed.
    TOO_MANY_ALIASES,
    /// An operation selecting more root fields than allowed.
    TOO_MANY_ROOT_FIELDS,
    /// An introspection query (`__schema` or `__type`) where introspection is turned off.
    INTROSPECTION_DISABLED,
    /// A chatbot webhook body that is not a Kakao skill payload (`400`).
    BAD_SKILL_PAYLOAD,
    /// A request the server cannot read as a GraphQL request: malformed JSON, parameters of the
    /// wrong type, a missing `query`.
    BAD_REQUEST,
    /// A `POST` without a content type the server reads.
    UNSUPPORTED_MEDIA_TYPE,
    /// A mutation or subscription sent with `GET`, or a method `/graphql` does not answer.
    METHOD_NOT_ALLOWED,
    /// A request body larger than the configured limit.
    PAYLOAD_TOO_LARGE,
    /// A batch of more operations than the configured limit (or any batch, when batches are off).
    BATCH_TOO_LARGE,
    /// A request without a valid API key, where keys are required.
    UNAUTHENTICATED,
    /// A client over its rate limit.
    RATE_LIMITED,
    /// A database that cannot be reached, or a part of the service not ready yet: worth retrying.
    SERVICE_UNAVAILABLE,
    /// A list asked for more items than the page size limit.
    PAGE_TOO_LARGE,
    /// An automatic persisted query sent by hash only, not known to this server: send the
    /// document with its hash.
    PERSISTED_QUERY_NOT_FOUND,
    /// A document that is not in the trusted documents manifest, where only those run
    /// (`--trusted-documents`), or a request that names no document.
    PERSISTED_QUERY_NOT_IN_LIST,
    /// Anything else: logged with its cause chain, never shown to the client.
    INTERNAL_SERVER_ERROR,
}
