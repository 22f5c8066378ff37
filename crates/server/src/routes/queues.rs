//! Queues and jobs: the seed's endpoints, then adding, reading and bulk operations.

use antrian_core::queue::{BulkJobInput, CleanOptions, JobOptionsInput, JobState};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::AppState;

type Body<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// `GET /api/stats`: every queue's counts, and their totals.
async fn stats(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let queues = s.rt.queues.get_all_queue_stats().await?;
    let total = |f: fn(&antrian_core::queue::QueueStats) -> u64| queues.iter().map(f).sum::<u64>();
    Ok(Json(json!({
        "totals": {
            "waiting": total(|q| q.waiting),
            "active": total(|q| q.active),
            "delayed": total(|q| q.delayed),
            "completed": total(|q| q.completed),
            "failed": total(|q| q.failed),
            "paused": total(|q| q.paused),
        },
        "queues": queues,
    })))
}

/// `GET /api/queues`.
async fn list(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.rt.queues.get_all_queue_stats().await?)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PageQuery {
    /// waiting, active, delayed, completed, failed, paused, prioritized…
    state: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `newest` (default) or `oldest`.
    order: Option<String>,
}

/// `GET /api/queues/{queue}`: its counts and one page of jobs in a state.
async fn details(
    State(s): State<AppState>,
    path: Params<String>,
    query: Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    let Query(q) = query?;
    let state_name = q.state.as_deref().unwrap_or("waiting");
    let state = JobState::parse(state_name).ok_or_else(|| {
        ApiError::invalid(format!(
            "state: `{state_name}` is not a job state; use waiting, active, delayed, completed, failed or paused"
        ))
    })?;
    let oldest_first = match q.order.as_deref() {
        None | Some("newest") => false,
        Some("oldest") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "order: `{other}` must be newest or oldest"
            )))
        }
    };
    let stats = s.rt.queues.get_queue_stats(&queue).await?;
    let jobs =
        s.rt.queues
            .list_jobs(
                &queue,
                state,
                q.page.unwrap_or(1),
                q.page_size.unwrap_or(20),
                oldest_first,
            )
            .await?;
    Ok(Json(json!({"queue": stats, "jobs": jobs})))
}

/// `POST /api/queues/{queue}/jobs/{id}/retry`.
async fn retry(
    State(s): State<AppState>,
    path: Params<(String, String)>,
) -> ApiResult<Json<Value>> {
    let Path((queue, id)) = path?;
    s.rt.queues.retry_job(&queue, &id).await?;
    Ok(Json(json!({"queue": queue, "jobId": id, "retried": true})))
}

/// `DELETE /api/queues/{queue}/jobs/{id}`.
async fn remove(
    State(s): State<AppState>,
    path: Params<(String, String)>,
) -> ApiResult<Json<Value>> {
    let Path((queue, id)) = path?;
    s.rt.queues.remove_job(&queue, &id).await?;
    Ok(Json(json!({"queue": queue, "jobId": id, "removed": true})))
}

/// `GET /api/queues/{queue}/jobs/{id}`.
async fn job(State(s): State<AppState>, path: Params<(String, String)>) -> ApiResult<Json<Value>> {
    let Path((queue, id)) = path?;
    Ok(Json(json!(s.rt.queues.get_job(&queue, &id).await?)))
}

/// `GET /api/queues/{queue}/jobs/{id}/logs`.
async fn logs(State(s): State<AppState>, path: Params<(String, String)>) -> ApiResult<Json<Value>> {
    let Path((queue, id)) = path?;
    Ok(Json(json!(s.rt.queues.job_logs(&queue, &id).await?)))
}

/// `POST /api/queues/{queue}/pause`.
async fn pause(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    s.rt.queues.pause_queue(&queue).await?;
    Ok(Json(json!({"queue": queue, "paused": true})))
}

/// `POST /api/queues/{queue}/resume`.
async fn resume(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    s.rt.queues.resume_queue(&queue).await?;
    Ok(Json(json!({"queue": queue, "paused": false})))
}

/// `POST /api/queues/{queue}/clean` with the seed's `cleanQueue` options.
async fn clean(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<CleanOptions>,
) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    let Json(opts) = body?;
    let removed = s.rt.queues.clean_queue(&queue, &opts).await?;
    Ok(Json(json!({"queue": queue, "removed": removed})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewJob {
    name: String,
    #[serde(default = "empty")]
    data: Value,
    #[serde(default, alias = "options")]
    opts: JobOptionsInput,
}

fn empty() -> Value {
    json!({})
}

/// `POST /api/queues/{queue}/jobs` (the seed's `addJob`).
async fn add(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<NewJob>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Path(queue) = path?;
    let Json(job) = body?;
    let added =
        s.rt.queues
            .add_job(&queue, &job.name, job.data, &job.opts)
            .await?;
    let status = if added.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(json!(added))))
}

/// `POST /api/queues/{queue}/jobs/bulk` (the seed's `addBulkJobs`).
async fn add_bulk(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<Vec<BulkJobInput>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Path(queue) = path?;
    let Json(jobs) = body?;
    let added = s.rt.queues.add_bulk_jobs(&queue, jobs).await?;
    Ok((StatusCode::CREATED, Json(json!(added))))
}

/// `POST /api/queues/{queue}/promote`: every delayed job runs now.
async fn promote(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    let n = s.rt.queues.promote_jobs(&queue).await?;
    Ok(Json(json!({"queue": queue, "promoted": n})))
}

/// `POST /api/queues/{queue}/retry-failed`.
async fn retry_failed(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    let n = s.rt.queues.retry_all_failed(&queue).await?;
    Ok(Json(json!({"queue": queue, "retried": n})))
}

/// `POST /api/queues/pause-all` and `resume-all`.
async fn pause_all(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"paused": s.rt.queues.pause_all().await?})))
}

async fn resume_all(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"resumed": s.rt.queues.resume_all().await?})))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/stats", get(stats))
        .route("/api/queues", get(list))
        .route("/api/queues/pause-all", post(pause_all))
        .route("/api/queues/resume-all", post(resume_all))
        .route("/api/queues/{queue}", get(details))
        .route("/api/queues/{queue}/pause", post(pause))
        .route("/api/queues/{queue}/resume", post(resume))
        .route("/api/queues/{queue}/clean", post(clean))
        .route("/api/queues/{queue}/promote", post(promote))
        .route("/api/queues/{queue}/retry-failed", post(retry_failed))
        .route("/api/queues/{queue}/jobs", post(add))
        .route("/api/queues/{queue}/jobs/bulk", post(add_bulk))
        .route("/api/queues/{queue}/jobs/{id}", get(job).delete(remove))
        .route("/api/queues/{queue}/jobs/{id}/retry", post(retry))
        .route("/api/queues/{queue}/jobs/{id}/logs", get(logs))
}
