//! trustdesk's HTTP server: the `/api/v1` JSON API with its OpenAPI document, token
//! authentication, metrics, configuration, and the start-up and shutdown of the whole app. It
//! talks to storage only through `trustdesk_store::Store`.

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod error;
pub mod extract;
pub mod html;
pub mod intake;
pub mod metrics;
pub mod promises;
pub mod startup;
pub mod telemetry;
pub mod tokens;

pub use config::{Config, LogFormat, Overrides};
pub use startup::{App, AppState, Limits, ShutdownHandle, open_store};
