//! Worker nodes and their commands, the auto-scaling rules and the scaling log.

use antrian_core::queue::ScalingRecord;
use antrian_core::worker::{
    list_nodes, scaling_log, send_command, CommandReply, NodeCommand, NodeInfo, GONE_AFTER,
    REPLY_TIMEOUT,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type JsonBody<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// Every node (desktop apps and `antrian workers`), with its pools' statistics.
#[utoipa::path(get, path = "/api/workers", tag = "system", summary = "Every worker node with its pools' statistics", responses((status = 200, description = "OK", body = Vec<NodeInfo>), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn workers(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(list_nodes(&s.rt.connection, GONE_AFTER).await?)))
}

/// `POST /api/nodes/{id}/commands` with `{"command": "scale", "workerType": "scraping",
/// "workers": 3}` (or `pause`, `resume`, `drain`); answers the node's reply.
#[utoipa::path(post, path = "/api/nodes/{id}/commands", tag = "system", summary = "Scale, pause, resume or drain a node's pools; answers the node's reply", params(("id" = String, Path, description = "Node id")), request_body = NodeCommand, responses((status = 200, description = "OK", body = CommandReply), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn command(
    State(s): State<AppState>,
    path: Params<String>,
    body: JsonBody<NodeCommand>,
) -> ApiResult<Json<Value>> {
    let Path(node) = path?;
    let Json(cmd) = body?;
    let reply = send_command(&s.rt.connection, &node, &cmd, REPLY_TIMEOUT).await?;
    Ok(Json(json!(reply)))
}

/// How many entries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CountQuery {
    count: Option<usize>,
}

#[utoipa::path(get, path = "/api/scaling/log", tag = "system", summary = "The latest auto-scaling decisions", params(CountQuery), responses((status = 200, description = "OK", body = Vec<ScalingRecord>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn scaling(
    State(s): State<AppState>,
    query: Q<CountQuery>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    let count = q.count.unwrap_or(100);
    Ok(Json(json!(scaling_log(&s.rt.connection, count).await?)))
}

#[utoipa::path(get, path = "/api/scaling/settings", tag = "system", summary = "The auto-scaling rules the pools follow (QUEUE_AUTO_SCALING, QUEUE_MIN_WORKERS, QUEUE_MAX_WORKERS, thresholds, cooldown)", responses((status = 200, description = "OK", body = antrian_core::worker::ScalingRules)))]
pub(crate) async fn scaling_settings(State(s): State<AppState>) -> Json<Value> {
    Json(json!(s.rt.scaling))
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(workers))
        .routes(routes!(command))
        .routes(routes!(scaling))
        .routes(routes!(scaling_settings))
}
