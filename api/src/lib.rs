//! The Sixpotify GraphQL API: a read-only view of the catalog for GraphiQL users, BI
//! dashboards and chatbots.
//!
//! [`app::Application`] is the server; [`graphql::build_schema`] the schema without HTTP;
//! [`service`] holds every database query; [`seed`] prepares the database through the loader
//! library and fills an empty one with the bundled sample on first run; [`cache`] holds the
//! caches across requests, which [`freshness`] drops when the data version changes; [`metrics`]
//! serves `/metrics`; [`protocol`] holds the GraphQL-over-HTTP rules; [`access`] API keys and
//! rate limits; [`http`] is the router, over the handlers of `/graphql` and operations,
//! [`dashboard`] (the BI page) and [`chatbot`] (the Kakao skill webhook), which share [`state`]
//! and [`body`].

pub mod access;
pub mod app;
pub(crate) mod body;
pub mod cache;
pub mod chatbot;
pub mod codes;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod examples;
pub mod freshness;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod protocol;
pub mod recommend;
pub mod search;
pub mod seed;
pub mod service;
pub mod state;
pub mod stats;
pub mod trusted;

pub use app::Application;
pub use config::{Command, Settings};
pub use error::{ApiError, Result};
