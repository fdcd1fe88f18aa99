//! Typed configuration of the API server, from flags and environment variables.

use std::fmt;
use std::str::FromStr;

use clap::{ArgAction, Parser};
use entity::telemetry::{self, LogFormat};

/// A database URL. It may hold a password, so it prints only redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, to connect with. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.starts_with("sqlite:") || s.starts_with("mysql:") || s.starts_with("mariadb:") {
            Ok(Self(s.to_owned()))
        } else {
            Err("expected a mysql://… or sqlite://… URL".to_owned())
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&entity::telemetry::redact_url(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What `sixpotify-api` does instead of serving.
#[derive(Clone, Debug, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Prints the schema in GraphQL's SDL, as `api/schema.graphql` holds it, and exits.
    Schema,
    /// Prints the manifest of the dashboard's and the chatbot's documents, as
    /// `api/trusted-documents.json` holds it, and exits.
    TrustedDocuments,
}

/// The Sixpotify GraphQL API server.
#[derive(Clone, Debug, Parser)]
#[command(name = "sixpotify-api", version)]
pub struct Settings {
    /// Something to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SIXPOTIFY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,

    /// Database: `mysql://user:pass@host/db` or `sqlite://file.db` (created when missing).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://sixpotify.db",
        hide_env_values = true
    )]
    pub database_url: DatabaseUrl,

    /// Load the bundled sample into the database when it holds no tracks.
    #[arg(long, env = "SIXPOTIFY_SEED", default_value_t = true, action = ArgAction::Set)]
    pub seed: bool,

    /// Log format on standard error.
    #[arg(long, env = "SIXPOTIFY_LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: LogFormat,

    /// Export traces over OTLP/HTTP to this collector (its base URL, `http://otel:4318`;
    /// spans go to `/v1/traces` under it): a span per request with its children. Off when
    /// unset.
    #[arg(long, env = "SIXPOTIFY_OTLP_ENDPOINT", value_name = "URL", value_parser = telemetry::otlp_endpoint)]
    pub otlp_endpoint: Option<String>,

    /// How often to check the data version (the latest finished load run); on a change the
    /// recommendation index is rebuilt in the background (`5s`, `500ms`).
    #[arg(long, env = "SIXPOTIFY_POLL_INTERVAL", default_value = "5s", value_parser = humantime::parse_duration)]
    pub poll_interval: std::time::Duration,

    /// Megabytes of response bodies the whole-response cache holds; 0 turns it off.
    #[arg(long, env = "SIXPOTIFY_RESPONSE_CACHE_MB", default_value_t = 64)]
    pub response_cache_mb: u64,

    /// The longest a response stays cached, whatever the data version.
    #[arg(long, env = "SIXPOTIFY_RESPONSE_CACHE_TTL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub response_cache_ttl: std::time::Duration,

    /// Entries each entity cache (artists, albums, tracks, audio features, genre and credit
    /// lists by id) holds; 0 turns them off.
    #[arg(
        long,
        env = "SIXPOTIFY_ENTITY_CACHE_ENTRIES",
        default_value_t = 100_000
    )]
    pub entity_cache_entries: u64,

    /// The longest an entity stays cached, whatever the data version.
    #[arg(long, env = "SIXPOTIFY_ENTITY_CACHE_TTL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub entity_cache_ttl: std::time::Duration,

    /// Megabytes of documents kept for automatic persisted queries.
    #[arg(long, env = "SIXPOTIFY_PERSISTED_QUERIES_MB", default_value_t = 8)]
    pub persisted_queries_mb: u64,

    /// `Cache-Control: max-age` of cacheable `GET /graphql` answers.
    #[arg(long, env = "SIXPOTIFY_HTTP_MAX_AGE", default_value = "5s", value_parser = humantime::parse_duration)]
    pub http_max_age: std::time::Duration,

    /// The deepest nesting of fields a query may have.
    #[arg(long, env = "SIXPOTIFY_MAX_DEPTH", default_value_t = crate::graphql::limits::QueryLimits::default().max_depth)]
    pub max_depth: usize,

    /// The most fields a query may select, counted where they are selected, fragments expanded.
    #[arg(long, env = "SIXPOTIFY_MAX_FIELDS", default_value_t = crate::graphql::limits::QueryLimits::default().max_fields)]
    pub max_fields: usize,

    /// The most aliases a query may have.
    #[arg(long, env = "SIXPOTIFY_MAX_ALIASES", default_value_t = crate::graphql::limits::QueryLimits::default().max_aliases)]
    pub max_aliases: usize,

    /// The most root fields an operation may select.
    #[arg(long, env = "SIXPOTIFY_MAX_ROOT_FIELDS", default_value_t = crate::graphql::limits::QueryLimits::default().max_root_fields)]
    pub max_root_fields: usize,

    /// The largest page (`first`) a list may return.
    #[arg(long, env = "SIXPOTIFY_MAX_PAGE_SIZE", default_value_t = crate::graphql::SchemaOptions::default().max_page_size, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    pub max_page_size: i32,

    /// The largest request body, in bytes.
    #[arg(long, env = "SIXPOTIFY_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// The longest a GraphQL request may execute before it is answered with `REQUEST_TIMEOUT`.
    #[arg(long, env = "SIXPOTIFY_REQUEST_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,

    /// The most operations one batched request (a JSON array) may hold; 0 refuses batches.
    #[arg(long, env = "SIXPOTIFY_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// Answer introspection queries (turn off in production to hide the schema).
    #[arg(long, env = "SIXPOTIFY_INTROSPECTION", default_value_t = true, action = ArgAction::Set)]
    pub introspection: bool,

    /// Serve GraphiQL at `GET /graphql` to browsers.
    #[arg(long, env = "SIXPOTIFY_GRAPHIQL", default_value_t = true, action = ArgAction::Set)]
    pub graphiql: bool,

    /// Run only the documents of this manifest (JSON: SHA-256 to document, as GraphQL Code
    /// Generator's client preset or Apollo's persisted query manifest writes it); anything else
    /// is refused before it is parsed. Off when unset.
    #[arg(long, env = "SIXPOTIFY_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<std::path::PathBuf>,

    /// Serve the dashboard page at `GET /dashboard`.
    #[arg(long, env = "SIXPOTIFY_DASHBOARD", default_value_t = true, action = ArgAction::Set)]
    pub dashboard: bool,

    /// Answer the Kakao i Open Builder skill webhook at `POST /chatbot/kakao`.
    #[arg(long, env = "SIXPOTIFY_CHATBOT", default_value_t = true, action = ArgAction::Set)]
    pub chatbot: bool,

    /// Origins allowed to call the API from a browser page of theirs (CORS), comma-separated;
    /// `*` allows any. None by default: the API's own pages need no CORS.
    #[arg(long, env = "SIXPOTIFY_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// GraphQL requests per second each client may make (the sustained rate); 0 turns rate
    /// limiting off. A client is an API key when keys are configured, its IP address otherwise.
    #[arg(long, env = "SIXPOTIFY_RATE_LIMIT", default_value_t = 0)]
    pub rate_limit: u32,

    /// Requests a client may make at once above the sustained rate.
    #[arg(long, env = "SIXPOTIFY_RATE_LIMIT_BURST", default_value_t = 50)]
    pub rate_limit_burst: u32,

    /// API keys, comma-separated. When any are set, `/graphql` requires one in the API key
    /// header, and each key is rate-limited on its own.
    #[arg(
        long,
        env = "SIXPOTIFY_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub api_keys: Vec<ApiKey>,

    /// The header that carries an API key.
    #[arg(long, env = "SIXPOTIFY_API_KEY_HEADER", default_value = "x-api-key")]
    pub api_key_header: String,

    /// Take the client address from `Forwarded` / `X-Forwarded-For` (only behind a proxy that
    /// sets them), for rate limiting and logs.
    #[arg(long, env = "SIXPOTIFY_TRUST_FORWARDED", default_value_t = false, action = ArgAction::Set)]
    pub trust_forwarded: bool,

    /// On SIGTERM or SIGINT, how long requests in flight may take to finish.
    #[arg(long, env = "SIXPOTIFY_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: std::time::Duration,

    /// How long a request waits for a database connection before it is answered with
    /// `SERVICE_UNAVAILABLE`.
    #[arg(long, env = "SIXPOTIFY_DB_ACQUIRE_TIMEOUT", default_value = "3s", value_parser = humantime::parse_duration)]
    pub db_acquire_timeout: std::time::Duration,

    /// HTTP worker threads; 0 for one per CPU.
    #[arg(long, env = "SIXPOTIFY_WORKERS", default_value_t = 0)]
    pub workers: usize,
}

/// An API key. It is a secret, so it prints only redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself, to compare with. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for ApiKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() < 16 {
            return Err("an API key needs at least 16 characters".to_owned());
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("an API key is printable ASCII without spaces".to_owned());
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl Settings {
    /// Settings for tests and embedders: the given database, port 0 on loopback, no seeding.
    pub fn for_database(url: &str) -> Result<Self, String> {
        let defaults = crate::graphql::limits::QueryLimits::default();
        Ok(Self {
            command: None,
            addr: "127.0.0.1:0".into(),
            database_url: url.parse()?,
            seed: false,
            log_format: LogFormat::Text,
            poll_interval: std::time::Duration::from_secs(5),
            response_cache_mb: 64,
            response_cache_ttl: std::time::Duration::from_secs(600),
            entity_cache_entries: 100_000,
            entity_cache_ttl: std::time::Duration::from_secs(600),
            persisted_queries_mb: 8,
            http_max_age: std::time::Duration::from_secs(5),
            workers: 0,
            max_page_size: crate::graphql::SchemaOptions::default().max_page_size,
            max_body_bytes: 256 * 1024,
            request_timeout: std::time::Duration::from_secs(10),
            max_batch: 10,
            introspection: true,
            graphiql: true,
            trusted_documents: None,
            otlp_endpoint: None,
            dashboard: true,
            chatbot: true,
            cors_origins: Vec::new(),
            rate_limit: 0,
            rate_limit_burst: 50,
            api_keys: Vec::new(),
            api_key_header: "x-api-key".to_owned(),
            trust_forwarded: false,
            shutdown_timeout: std::time::Duration::from_secs(30),
            db_acquire_timeout: std::time::Duration::from_secs(3),
            max_depth: defaults.max_depth,
            max_fields: defaults.max_fields,
            max_aliases: defaults.max_aliases,
            max_root_fields: defaults.max_root_fields,
        })
    }

    /// The largest document shape executed.
    pub fn query_limits(&self) -> crate::graphql::limits::QueryLimits {
        crate::graphql::limits::QueryLimits {
            max_depth: self.max_depth,
            max_fields: self.max_fields,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            introspection: self.introspection,
        }
    }

    /// What the schema enforces itself.
    pub fn schema_options(&self) -> crate::graphql::SchemaOptions {
        crate::graphql::SchemaOptions {
            max_page_size: self.max_page_size,
            introspection: self.introspection,
        }
    }

    /// The cache sizes and lifetimes.
    pub fn caches(&self) -> crate::cache::CacheSettings {
        crate::cache::CacheSettings {
            entity_entries: self.entity_cache_entries,
            entity_ttl: self.entity_cache_ttl,
            response_bytes: self.response_cache_mb.saturating_mul(1 << 20),
            response_ttl: self.response_cache_ttl,
            persisted_bytes: self.persisted_queries_mb.saturating_mul(1 << 20),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_print_the_database_password() {
        let settings = Settings::for_database("mysql://app:hunter2@db/music").expect("valid URL");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("mysql://app:***@db/music"), "{printed}");
    }

    #[test]
    fn settings_never_print_api_keys() {
        let settings = Settings::parse_from([
            "sixpotify-api",
            "--api-keys",
            "dashboard-0123456789,chatbot-0123456789",
        ]);
        assert_eq!(settings.api_keys.len(), 2);
        let printed = format!("{settings:?}");
        assert!(!printed.contains("0123456789"), "{printed}");
    }

    #[test]
    fn short_api_keys_are_refused() {
        assert!(Settings::try_parse_from(["sixpotify-api", "--api-keys", "short"]).is_err());
    }
}
