//! The Sixpotify GraphQL API: a read-only view of the catalogue for GraphiQL users, BI
//! dashboards and chatbots.
//!
//! [`app::Application`] is the server; [`graphql::build_schema`] the schema without HTTP;
//! [`service`] holds every database query; [`seed`] fills an empty database with the bundled
//! sample on first run; [`cache`] holds the caches across requests, which [`freshness`] drops
//! when the data version changes; [`metrics`] serves `/metrics`; [`protocol`] holds the
//! GraphQL-over-HTTP rules;
//! [`access`] API keys and rate limits; [`dashboard`] serves the BI page and [`chatbot`] the
//! Kakao skill webhook.

pub mod access;
pub mod app;
pub mod cache;
pub mod chatbot;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod freshness;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod protocol;
pub mod recommend;
pub mod seed;
pub mod service;
pub mod stats;

pub use app::Application;
pub use config::Settings;
pub use error::{ApiError, Result};
