//! Health, worker nodes and their commands, the scaling log, products and per-site scrape
//! outcomes.

use std::time::Duration;

use antrian_core::store::{ExportFormat, ProductFilter, ProductStore};
use antrian_core::worker::{list_nodes, scaling_log, send_command, NodeCommand};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::error::{ApiError, ApiResult};
use crate::AppState;

type JsonBody<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// A node whose heartbeat is older than this is shown as gone.
const GONE_AFTER: Duration = Duration::from_secs(30);
/// How long a node may take to answer a command.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

async fn health(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.rt.health_status().await?)))
}

/// Every node (desktop apps and `antrian workers`), with its pools' statistics.
async fn workers(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(list_nodes(&s.rt.connection, GONE_AFTER).await?)))
}

/// `POST /api/nodes/{id}/commands` with `{"command": "scale", "workerType": "scraping",
/// "workers": 3}` (or `pause`, `resume`, `drain`); answers the node's reply.
async fn command(
    State(s): State<AppState>,
    path: Params<String>,
    body: JsonBody<NodeCommand>,
) -> ApiResult<Json<Value>> {
    let Path(node) = path?;
    let Json(cmd) = body?;
    let reply = send_command(&s.rt.connection, &node, &cmd, REPLY_TIMEOUT).await?;
    Ok(Json(json!(reply)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountQuery {
    count: Option<usize>,
}

async fn scaling(State(s): State<AppState>, query: Q<CountQuery>) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    let count = q.count.unwrap_or(100);
    if count == 0 || count > 1000 {
        return Err(ApiError::invalid(format!(
            "count: {count} must be from 1 to 1000"
        )));
    }
    Ok(Json(json!(scaling_log(&s.rt.connection, count).await?)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProductQuery {
    shop: Option<String>,
    q: Option<String>,
    page: Option<usize>,
    page_size: Option<usize>,
}

async fn products(State(s): State<AppState>, query: Q<ProductQuery>) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    let store = ProductStore::new(s.rt.connection.clone());
    let filter = ProductFilter {
        shop: q.shop,
        name: q.q,
    };
    Ok(Json(json!(
        store
            .list(&filter, q.page.unwrap_or(1), q.page_size.unwrap_or(50))
            .await?
    )))
}

async fn product(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(id) = path?;
    let store = ProductStore::new(s.rt.connection.clone());
    let record = store.get(&id).await?;
    let history = store.history(&id).await?;
    Ok(Json(json!({"product": record, "history": history})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
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
async fn export(State(s): State<AppState>, query: Q<ExportQuery>) -> ApiResult<Response> {
    let Query(q) = query?;
    let (format, mime, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "json" => (ExportFormat::Json, "application/json", "json"),
        other => {
            return Err(ApiError::invalid(format!(
                "format: `{other}` must be csv or json"
            )))
        }
    };
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

async fn sites(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let sites = antrian_jobs::scrape::stats::domain_stats(&s.rt.connection.redis())
        .await
        .map_err(antrian_core::Error::from)?;
    Ok(Json(json!(sites)))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/workers", get(workers))
        .route("/api/nodes/{id}/commands", post(command))
        .route("/api/scaling/log", get(scaling))
        .route("/api/products", get(products))
        .route("/api/products/export", get(export))
        .route("/api/products/{id}", get(product))
        .route("/api/sites", get(sites))
}
