//! `GET /api/health`: the system's verdict for load balancers, watchdogs and people.

use antrian_core::queue::{HealthLevel, HealthStatus};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::AppState;

/// `GET /api/health`: 200 when healthy or degraded, 503 when unhealthy, so load balancers,
/// watchdogs and probes can act on the status code alone; the body says which and why.
#[utoipa::path(get, path = "/api/health", tag = "system", summary = "Healthy, degraded or unhealthy, with reasons: 200 when healthy or degraded, 503 when unhealthy", responses((status = 200, description = "Healthy or degraded", body = HealthStatus), (status = 503, description = "Unhealthy (Redis unreachable, say): the body says why", body = HealthStatus)))]
pub(crate) async fn health(
    State(s): State<AppState>,
) -> ApiResult<(StatusCode, Json<HealthStatus>)> {
    let health = s.rt.health_status().await?;
    let status = match health.status {
        HealthLevel::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
        HealthLevel::Healthy | HealthLevel::Degraded => StatusCode::OK,
    };
    Ok((status, Json(health)))
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}
