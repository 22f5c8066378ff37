//! Health, worker nodes and their commands, the scaling and audit logs, products and per-site scrape
//! outcomes.

use antrian_core::audit::{self, AuditEntry, DEFAULT_AUDIT_LIMIT};
use antrian_core::queue::{HealthLevel, HealthStatus, ScalingRecord};
use antrian_core::store::ProductPage;
use antrian_core::store::{ExportFormat, ProductFilter, ProductStore};
use antrian_core::worker::{
    list_nodes, scaling_log, send_command, CommandReply, NodeCommand, NodeInfo, GONE_AFTER,
    REPLY_TIMEOUT,
};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type JsonBody<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// `GET /api/health`: 200 when healthy or degraded, 503 when unhealthy, so load balancers,
/// watchdogs and probes can act on the status code alone; the body says which and why.
#[utoipa::path(get, path = "/api/health", tag = "system", summary = "Healthy, degraded or unhealthy, with reasons: 200 when healthy or degraded, 503 when unhealthy", responses((status = 200, description = "Healthy or degraded", body = HealthStatus), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Unhealthy (Redis unreachable, say): the body says why", body = HealthStatus)))]
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

/// Every node (desktop apps and `antrian workers`), with its pools' statistics.
#[utoipa::path(get, path = "/api/workers", tag = "system", summary = "Every worker node with its pools' statistics", responses((status = 200, description = "OK", body = Vec<NodeInfo>), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn workers(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(list_nodes(&s.rt.connection, GONE_AFTER).await?)))
}

/// `POST /api/nodes/{id}/commands` with `{"command": "scale", "workerType": "scraping",
/// "workers": 3}` (or `pause`, `resume`, `drain`); answers the node's reply.
#[utoipa::path(post, path = "/api/nodes/{id}/commands", tag = "system", summary = "Scale, pause, resume or drain a node's pools; answers the node's reply", params(("id" = String, Path, description = "Node id")), request_body = NodeCommand, responses((status = 200, description = "OK", body = CommandReply), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

#[utoipa::path(get, path = "/api/scaling/log", tag = "system", summary = "The latest auto-scaling decisions", params(CountQuery), responses((status = 200, description = "OK", body = Vec<ScalingRecord>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn scaling(
    State(s): State<AppState>,
    query: Q<CountQuery>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    let count = q.count.unwrap_or(100);
    Ok(Json(json!(scaling_log(&s.rt.connection, count).await?)))
}

/// How many audit entries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct LimitQuery {
    /// 1 to 1000 (default 100).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/audit", tag = "system", summary = "The audit log: who removed, retried, promoted, cleaned, paused or edited which jobs, newest first", params(LimitQuery), responses((status = 200, description = "OK", body = Vec<AuditEntry>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn audit(
    State(s): State<AppState>,
    query: Q<LimitQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(DEFAULT_AUDIT_LIMIT);
    Ok(Json(audit::recent(&s.rt.connection, limit).await?))
}

/// Which products.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProductQuery {
    shop: Option<String>,
    q: Option<String>,
    page: Option<usize>,
    page_size: Option<usize>,
}

#[utoipa::path(get, path = "/api/products", tag = "system", summary = "Scraped products, newest first", params(ProductQuery), responses((status = 200, description = "OK", body = ProductPage), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn products(
    State(s): State<AppState>,
    query: Q<ProductQuery>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    let store = ProductStore::new(s.rt.connection.clone());
    let filter = ProductFilter {
        shop: q.shop,
        name: q.q,
    };
    Ok(Json(json!(
        store
            .list(
                &filter,
                q.page.unwrap_or(1),
                q.page_size
                    .unwrap_or(antrian_core::store::products::DEFAULT_PAGE)
            )
            .await?
    )))
}

#[utoipa::path(get, path = "/api/products/{id}", tag = "system", summary = "One product and its price/stock history", params(("id" = String, Path, description = "Product id")), responses((status = 200, description = "OK", body = Object), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn product(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(id) = path?;
    let store = ProductStore::new(s.rt.connection.clone());
    let record = store.get(&id).await?;
    let history = store.history(&id).await?;
    Ok(Json(json!({"product": record, "history": history})))
}

/// `csv` (default) or `json`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportQuery {
    format: Option<String>,
}

/// Sends what the export writes to the response body as it is written.
struct ChunkWriter(mpsc::UnboundedSender<Bytes>);

impl std::io::Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .send(Bytes::copy_from_slice(buf))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `GET /api/products/export?format=csv|json`, streamed.
#[utoipa::path(get, path = "/api/products/export", tag = "system", summary = "Every product as CSV or JSON, streamed", params(ExportQuery), responses((status = 200, description = "OK", body = String, content_type = "text/csv"), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn export(
    State(s): State<AppState>,
    query: Q<ExportQuery>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let format = ExportFormat::parse(q.format.as_deref().unwrap_or("csv"))?;
    let (mime, ext) = (format.media_type(), format.extension());
    let store = ProductStore::new(s.rt.connection.clone());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut out = ChunkWriter(tx);
        if let Err(e) = store.export(format, &mut out).await {
            tracing::warn!("product export stopped: {e}");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"products.{ext}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/sites", tag = "system", summary = "Per-site scrape outcome counters", responses((status = 200, description = "OK", body = Object), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn sites(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let sites = antrian_jobs::scrape::stats::domain_stats(&s.rt.connection.redis())
        .await
        .map_err(antrian_core::Error::from)?;
    Ok(Json(json!(sites)))
}

#[utoipa::path(get, path = "/api/scaling/settings", tag = "system", summary = "The auto-scaling rules the pools follow (QUEUE_AUTO_SCALING, QUEUE_MIN_WORKERS, QUEUE_MAX_WORKERS, thresholds, cooldown)", responses((status = 200, description = "OK", body = antrian_core::worker::ScalingRules), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody)))]
pub(crate) async fn scaling_settings(State(s): State<AppState>) -> Json<Value> {
    Json(json!(s.rt.scaling))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/scaling/settings", get(scaling_settings))
        .route("/api/health", get(health))
        .route("/api/workers", get(workers))
        .route("/api/nodes/{id}/commands", post(command))
        .route("/api/scaling/log", get(scaling))
        .route("/api/audit", get(audit))
        .route("/api/products", get(products))
        .route("/api/products/export", get(export))
        .route("/api/products/{id}", get(product))
        .route("/api/sites", get(sites))
}
