//! Queues: the seed's endpoints (stats, a queue's jobs, pause, resume, clean), creating
//! queues, throughput, the job-type catalogue, and actions on every job of a state.

use antrian_core::audit::Actor;
use antrian_core::queue::{
    CleanOptions, CreatedQueue, JobFilter, JobState, NewQueue, QueueManager, DEFAULT_PAGE_SIZE,
};
use antrian_core::queue::{JobPage, QueueStats, QueueThroughput};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type Body<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// `GET /api/stats`: every queue's counts, and their totals.
#[utoipa::path(get, path = "/api/stats", tag = "queues", summary = "Every queue's counts and their totals (the seed's endpoint)", responses((status = 200, description = "OK", body = StatsResponse), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn stats(State(s): State<AppState>) -> ApiResult<Json<StatsResponse>> {
    let queues = s.rt.queues.get_all_queue_stats().await?;
    let total = |f: fn(&QueueStats) -> u64| queues.iter().map(f).sum::<u64>();
    Ok(Json(StatsResponse {
        totals: Totals {
            waiting: total(|q| q.waiting),
            active: total(|q| q.active),
            delayed: total(|q| q.delayed),
            completed: total(|q| q.completed),
            failed: total(|q| q.failed),
            paused: total(|q| q.paused),
        },
        queues,
    }))
}

/// `GET /api/queues`.
#[utoipa::path(get, path = "/api/queues", tag = "queues", summary = "Every queue's counts", responses((status = 200, description = "OK", body = Vec<QueueStats>), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult<Json<Vec<QueueStats>>> {
    Ok(Json(s.rt.queues.get_all_queue_stats().await?))
}

/// `POST /api/queues`: creates a queue so jobs can be added to it.
#[utoipa::path(post, path = "/api/queues", tag = "queues", summary = "Create a queue (jobs are refused on a queue nobody created); 201, or 200 when it exists", request_body = NewQueue, responses((status = 200, description = "It already existed: nothing changed", body = CreatedQueue), (status = 201, description = "Created", body = CreatedQueue), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    body: Body<NewQueue>,
) -> ApiResult<(StatusCode, Json<CreatedQueue>)> {
    let Json(new) = body?;
    let created = s.rt.create_queue(&new.name).await?;
    let status = if created.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(created)))
}

/// How far back `GET /api/throughput` reads.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ThroughputQuery {
    /// Minutes, 1 to 1440 (default 60).
    minutes: Option<u32>,
}

/// `GET /api/throughput`: every queue's completed and failed jobs per minute.
#[utoipa::path(get, path = "/api/throughput", tag = "queues", summary = "Every queue's completed and failed jobs per minute, oldest first (BullMQ's metrics)", params(ThroughputQuery), responses((status = 200, description = "OK", body = Vec<QueueThroughput>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn throughput(
    State(s): State<AppState>,
    query: Q<ThroughputQuery>,
) -> ApiResult<Json<Vec<QueueThroughput>>> {
    let Query(q) = query?;
    Ok(Json(s.rt.queues.throughput(q.minutes.unwrap_or(60)).await?))
}

/// Totals over every queue.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Totals {
    waiting: u64,
    active: u64,
    delayed: u64,
    completed: u64,
    failed: u64,
    paused: u64,
}

/// `GET /api/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatsResponse {
    totals: Totals,
    queues: Vec<QueueStats>,
}

/// `GET /api/queues/{queue}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueueDetails {
    queue: QueueStats,
    jobs: JobPage,
}

/// A queue's paused state after pause or resume.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueueAction {
    queue: String,
    paused: bool,
}

/// How many jobs an action touched (`removed`, `promoted` or `retried`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Count {
    queue: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promoted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retried: Option<u64>,
}

/// Paging of a queue's jobs.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// waiting, active, delayed, completed, failed, paused, prioritized…
    state: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `newest` (default) or `oldest`.
    order: Option<String>,
    /// Only jobs with this name.
    name: Option<String>,
    /// A data field (`url`, `shopId`, `accountId`, `options.useProxy`…) that must contain
    /// `text`.
    field: Option<String>,
    /// Text to find (in `field`, or anywhere in the data), ignoring case. A filtered page
    /// searches the newest (or oldest) 10,000 jobs of the state and says so in `search`.
    text: Option<String>,
}

/// `GET /api/queues/{queue}`: its counts and one page of jobs in a state.
#[utoipa::path(get, path = "/api/queues/{queue}", tag = "queues", summary = "A queue's counts and a page of its jobs in one state (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), PageQuery), responses((status = 200, description = "OK", body = QueueDetails), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn details(
    State(s): State<AppState>,
    path: Params<String>,
    query: Q<PageQuery>,
) -> ApiResult<Json<QueueDetails>> {
    let Path(queue) = path?;
    let Query(q) = query?;
    let state_name = q.state.as_deref().unwrap_or("waiting");
    let state = JobState::from_name("state", state_name)?;
    let oldest_first = QueueManager::oldest_first(q.order.as_deref())?;
    let filter = JobFilter {
        name: q.name,
        field: q.field,
        text: q.text,
    };
    // Both at once: they read different keys.
    let (stats, jobs) = tokio::try_join!(
        s.rt.queues.get_queue_stats(&queue),
        s.rt.queues.find_jobs(
            &queue,
            state,
            &filter,
            q.page.unwrap_or(1),
            q.page_size.unwrap_or(DEFAULT_PAGE_SIZE),
            oldest_first,
        ),
    )?;
    Ok(Json(QueueDetails { queue: stats, jobs }))
}

/// `POST /api/queues/{queue}/pause`.
#[utoipa::path(post, path = "/api/queues/{queue}/pause", tag = "queues", summary = "Pause a queue (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = QueueAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn pause(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<String>,
) -> ApiResult<Json<QueueAction>> {
    let Path(queue) = path?;
    s.rt.queues.by(who).pause_queue(&queue).await?;
    Ok(Json(QueueAction {
        queue,
        paused: true,
    }))
}

/// `POST /api/queues/{queue}/resume`.
#[utoipa::path(post, path = "/api/queues/{queue}/resume", tag = "queues", summary = "Resume a queue (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = QueueAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn resume(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<String>,
) -> ApiResult<Json<QueueAction>> {
    let Path(queue) = path?;
    s.rt.queues.by(who).resume_queue(&queue).await?;
    Ok(Json(QueueAction {
        queue,
        paused: false,
    }))
}

/// `POST /api/queues/{queue}/clean` with the seed's `cleanQueue` options.
#[utoipa::path(post, path = "/api/queues/{queue}/clean", tag = "queues", summary = "Remove completed and/or failed jobs (the seed's endpoint and cleanQueue options)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = CleanOptions, responses((status = 200, description = "OK", body = Count), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn clean(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<String>,
    body: Body<CleanOptions>,
) -> ApiResult<Json<Count>> {
    let Path(queue) = path?;
    let Json(opts) = body?;
    let removed = s.rt.queues.by(who).clean_queue(&queue, &opts).await?;
    Ok(Json(Count {
        queue,
        removed: Some(removed),
        promoted: None,
        retried: None,
    }))
}

/// `GET /api/job-types`: the job-type catalogue forms are rendered from.
#[utoipa::path(get, path = "/api/job-types", tag = "queues", summary = "Every job type Antrian's pools run: queue, name, label, the JSON Schema of its data and an example; with the priority levels and the queue defaults", responses((status = 200, description = "{jobTypes: [{queue, name, label, description, schema, example, oneJobPer}], priorities: [{name, number}], defaults: {attempts, backoffDelayMs, keepCompleted, keepFailed}}", body = Object)))]
pub(crate) async fn job_types(
    State(s): State<AppState>,
) -> Json<antrian_jobs::catalogue::Catalogue> {
    Json(antrian_jobs::catalogue::catalogue(s.rt.queues.defaults()))
}

/// `POST /api/queues/{queue}/promote`: every delayed job runs now.
#[utoipa::path(post, path = "/api/queues/{queue}/promote", tag = "queues", summary = "Run every delayed job now", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = Count), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn promote(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<String>,
) -> ApiResult<Json<Count>> {
    let Path(queue) = path?;
    let n = s.rt.queues.by(who).promote_jobs(&queue).await?;
    Ok(Json(Count {
        queue,
        removed: None,
        promoted: Some(n),
        retried: None,
    }))
}

/// `POST /api/queues/{queue}/retry-failed`.
#[utoipa::path(post, path = "/api/queues/{queue}/retry-failed", tag = "queues", summary = "Retry every failed job", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = Count), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn retry_failed(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<String>,
) -> ApiResult<Json<Count>> {
    let Path(queue) = path?;
    let n = s.rt.queues.by(who).retry_all_failed(&queue).await?;
    Ok(Json(Count {
        queue,
        removed: None,
        promoted: None,
        retried: Some(n),
    }))
}

/// `POST /api/queues/pause-all` and `resume-all`.
#[utoipa::path(post, path = "/api/queues/pause-all", tag = "queues", summary = "Pause every queue", responses((status = 200, description = "OK", body = Object), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn pause_all(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"paused": s.rt.queues.by(who).pause_all().await?}),
    ))
}

#[utoipa::path(post, path = "/api/queues/resume-all", tag = "queues", summary = "Resume every queue", responses((status = 200, description = "OK", body = Object), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn resume_all(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"resumed": s.rt.queues.by(who).resume_all().await?}),
    ))
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(list, create))
        .routes(routes!(throughput))
        .routes(routes!(job_types))
        .routes(routes!(pause_all))
        .routes(routes!(resume_all))
        .routes(routes!(details))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(clean))
        .routes(routes!(promote))
        .routes(routes!(retry_failed))
}
