//! The routes around the API: health for load balancers, Prometheus metrics, and the OpenAPI
//! document itself.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::Health;
use crate::auth::Reader;
use crate::error::{ApiError, ErrorBody, ErrorChain};
use crate::startup::AppState;

/// Routes anyone may call.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
}

/// Routes behind a token.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Health
///
/// 200 when the database answers, 503 when it does not. No token needed.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "system",
    responses(
        (status = 200, description = "Serving", body = Health),
        (status = 503, description = "`unavailable`: the database does not answer", body = ErrorBody),
    )
)]
async fn healthz(State(app): State<AppState>) -> Result<Json<Health>, ApiError> {
    let store = app.store();
    match store.health().await {
        Ok(()) => Ok(Json(Health {
            status: "ok",
            backend: store.backend().as_str(),
        })),
        Err(e) => {
            tracing::warn!(error = %ErrorChain(&e), "health check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            ))
        }
    }
}

/// Metrics
///
/// Prometheus text format: requests by route and status, latency histograms, requests in
/// flight, the store's write queue depth, commits and writes.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4", body = String))
)]
async fn metrics(State(app): State<AppState>, Reader(_caller): Reader) -> Response {
    crate::metrics::record_store_stats(app.store().stats(), app.in_flight());
    let text = crate::metrics::handle().render();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// This document
///
/// The OpenAPI description of this API. No token needed.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "system",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
async fn openapi_json(State(app): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        app.openapi_json(),
    )
        .into_response()
}
