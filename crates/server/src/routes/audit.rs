//! `GET /api/audit`: who removed, retried, paused or edited which jobs.

use antrian_core::audit::{self, AuditEntry, DEFAULT_AUDIT_LIMIT};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type Q<T> = Result<Query<T>, QueryRejection>;

/// How many audit entries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct LimitQuery {
    /// 1 to 1000 (default 100).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/audit", tag = "system", summary = "The audit log: who removed, retried, promoted, cleaned, paused or edited which jobs, newest first", params(LimitQuery), responses((status = 200, description = "OK", body = Vec<AuditEntry>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn audit(
    State(s): State<AppState>,
    query: Q<LimitQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
    Ok(Json(audit::recent(&s.rt.connection, limit).await?))
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit))
}
