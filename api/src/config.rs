//! Typed configuration of the API server, from flags and environment variables.

use std::fmt;
use std::str::FromStr;

use clap::{ArgAction, Parser};
use sixpotify_loader::telemetry::LogFormat;

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
        f.write_str(&sixpotify_loader::db::redact_url(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The Sixpotify GraphQL API server.
#[derive(Clone, Debug, Parser)]
#[command(name = "sixpotify-api", version)]
pub struct Settings {
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

    /// HTTP worker threads; 0 for one per CPU.
    #[arg(long, env = "SIXPOTIFY_WORKERS", default_value_t = 0)]
    pub workers: usize,
}

impl Settings {
    /// Settings for tests and embedders: the given database, port 0 on loopback, no seeding.
    pub fn for_database(url: &str) -> Result<Self, String> {
        let defaults = crate::graphql::limits::QueryLimits::default();
        Ok(Self {
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
}
