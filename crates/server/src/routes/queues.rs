//! Queues and jobs: the seed's endpoints, then adding, reading and bulk operations.

use antrian_core::audit::Actor;
use antrian_core::queue::{AddedJob, JobDetail, JobPage, QueueStats, QueueThroughput};
use antrian_core::queue::{
    BulkAction, BulkJobInput, BulkOutcome, CleanOptions, CreatedQueue, JobFilter, JobState, NewJob,
    NewQueue, QueueManager, DEFAULT_PAGE_SIZE,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type Body<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// `GET /api/stats`: every queue's counts, and their totals.
#[utoipa::path(get, path = "/api/stats", tag = "queues", summary = "Every queue's counts and their totals (the seed's endpoint)", responses((status = 200, description = "OK", body = StatsResponse), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/queues", tag = "queues", summary = "Every queue's counts", responses((status = 200, description = "OK", body = Vec<QueueStats>), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult<Json<Vec<QueueStats>>> {
    Ok(Json(s.rt.queues.get_all_queue_stats().await?))
}

/// `POST /api/queues`: creates a queue so jobs can be added to it.
#[utoipa::path(post, path = "/api/queues", tag = "queues", summary = "Create a queue (jobs are refused on a queue nobody created); 201, or 200 when it exists", request_body = NewQueue, responses((status = 200, description = "It already existed: nothing changed", body = CreatedQueue), (status = 201, description = "Created", body = CreatedQueue), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/throughput", tag = "queues", summary = "Every queue's completed and failed jobs per minute, oldest first (BullMQ's metrics)", params(ThroughputQuery), responses((status = 200, description = "OK", body = Vec<QueueThroughput>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

/// What a job action did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobAction {
    queue: String,
    job_id: String,
    /// Set by retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    retried: Option<bool>,
    /// Set by remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    removed: Option<bool>,
    /// Set by promote.
    #[serde(skip_serializing_if = "Option::is_none")]
    promoted: Option<bool>,
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
#[utoipa::path(get, path = "/api/queues/{queue}", tag = "queues", summary = "A queue's counts and a page of its jobs in one state (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), PageQuery), responses((status = 200, description = "OK", body = QueueDetails), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

/// Every job in a state that a filter keeps, and what to do with them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MatchingAction {
    /// waiting, delayed, failed…
    state: JobState,
    /// Which jobs (an empty filter keeps all).
    #[serde(default)]
    filter: JobFilter,
    /// retry, remove or promote.
    action: BulkAction,
}

/// `POST /api/queues/{queue}/jobs/matching`: retry, remove or promote every matching job.
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/matching", tag = "queues", summary = "Retry, remove or promote every job in a state that a filter keeps (the newest 10,000 searched)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = MatchingAction, responses((status = 200, description = "OK", body = BulkOutcome), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn act_on_matching(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<String>,
    body: Body<MatchingAction>,
) -> ApiResult<Json<BulkOutcome>> {
    let Path(queue) = path?;
    let Json(m) = body?;
    Ok(Json(
        s.rt.queues
            .by(who)
            .act_on_matching(&queue, m.state, &m.filter, m.action)
            .await?,
    ))
}

/// `POST /api/queues/{queue}/jobs/{id}/retry`.
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/{id}/retry", tag = "queues", summary = "Retry a failed job (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn retry(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<(String, String)>,
) -> ApiResult<Json<JobAction>> {
    let Path((queue, id)) = path?;
    s.rt.queues.by(who).retry_job(&queue, &id).await?;
    Ok(Json(JobAction {
        queue,
        job_id: id,
        retried: Some(true),
        removed: None,
        promoted: None,
    }))
}

/// `POST /api/queues/{queue}/jobs/{id}/promote`.
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/{id}/promote", tag = "queues", summary = "Run a delayed job now", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn promote_job(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<(String, String)>,
) -> ApiResult<Json<JobAction>> {
    let Path((queue, id)) = path?;
    s.rt.queues.by(who).promote_job(&queue, &id).await?;
    Ok(Json(JobAction {
        queue,
        job_id: id,
        retried: None,
        removed: None,
        promoted: Some(true),
    }))
}

/// `DELETE /api/queues/{queue}/jobs/{id}`.
#[utoipa::path(delete, path = "/api/queues/{queue}/jobs/{id}", tag = "queues", summary = "Remove a job (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn remove(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<(String, String)>,
) -> ApiResult<Json<JobAction>> {
    let Path((queue, id)) = path?;
    s.rt.queues.by(who).remove_job(&queue, &id).await?;
    Ok(Json(JobAction {
        queue,
        job_id: id,
        retried: None,
        removed: Some(true),
        promoted: None,
    }))
}

/// `GET /api/queues/{queue}/jobs/{id}`.
#[utoipa::path(get, path = "/api/queues/{queue}/jobs/{id}", tag = "queues", summary = "One job in full", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobDetail), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn job(
    State(s): State<AppState>,
    path: Params<(String, String)>,
) -> ApiResult<Json<JobDetail>> {
    let Path((queue, id)) = path?;
    Ok(Json(s.rt.queues.get_job(&queue, &id).await?))
}

/// `PUT /api/queues/{queue}/jobs/{id}/data`: the body is the job's new data.
#[utoipa::path(put, path = "/api/queues/{queue}/jobs/{id}/data", tag = "queues", summary = "Replace the data of a job no worker holds and that has not completed", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), request_body = Object, responses((status = 200, description = "OK", body = JobDetail), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn update_data(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
    path: Params<(String, String)>,
    body: Body<Value>,
) -> ApiResult<Json<JobDetail>> {
    let Path((queue, id)) = path?;
    let Json(data) = body?;
    s.rt.queues
        .by(who)
        .update_job_data(&queue, &id, data)
        .await?;
    Ok(Json(s.rt.queues.get_job(&queue, &id).await?))
}

/// `GET /api/queues/{queue}/jobs/{id}/logs`.
#[utoipa::path(get, path = "/api/queues/{queue}/jobs/{id}/logs", tag = "queues", summary = "A job's log lines", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = Vec<String>), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn logs(
    State(s): State<AppState>,
    path: Params<(String, String)>,
) -> ApiResult<Json<Vec<String>>> {
    let Path((queue, id)) = path?;
    Ok(Json(s.rt.queues.job_logs(&queue, &id).await?))
}

/// `POST /api/queues/{queue}/pause`.
#[utoipa::path(post, path = "/api/queues/{queue}/pause", tag = "queues", summary = "Pause a queue (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = QueueAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/resume", tag = "queues", summary = "Resume a queue (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = QueueAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/clean", tag = "queues", summary = "Remove completed and/or failed jobs (the seed's endpoint and cleanQueue options)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = CleanOptions, responses((status = 200, description = "OK", body = Count), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

/// `POST /api/queues/{queue}/jobs` (the seed's `addJob`).
#[utoipa::path(post, path = "/api/queues/{queue}/jobs", tag = "queues", summary = "Add a job (the seed's addJob); 201, or 200 when its custom jobId exists", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = NewJob, responses((status = 200, description = "OK", body = AddedJob), (status = 201, description = "Created", body = AddedJob), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn add(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<NewJob>,
) -> ApiResult<(StatusCode, Json<AddedJob>)> {
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
    Ok((status, Json(added)))
}

/// `POST /api/queues/{queue}/jobs/check`: whether `add` would take this job.
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/check", tag = "queues", summary = "Check a job as adding it would, without adding it (forms call this as the user types)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = NewJob, responses((status = 200, description = "OK", body = Object), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody)))]
pub(crate) async fn check(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<NewJob>,
) -> ApiResult<Json<Value>> {
    let Path(queue) = path?;
    let Json(job) = body?;
    s.rt.queues
        .check_new_job(&queue, &job.name, &job.data, &job.opts)
        .await?;
    Ok(Json(json!({"ok": true})))
}

/// `POST /api/queues/{queue}/jobs/bulk` (the seed's `addBulkJobs`).
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/bulk", tag = "queues", summary = "Add many jobs (the seed's addBulkJobs); one bad entry refuses all", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = Vec<BulkJobInput>, responses((status = 200, description = "OK", body = Vec<AddedJob>), (status = 201, description = "Created", body = Vec<AddedJob>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn add_bulk(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<Vec<BulkJobInput>>,
) -> ApiResult<(StatusCode, Json<Vec<AddedJob>>)> {
    let Path(queue) = path?;
    let Json(jobs) = body?;
    Ok((
        StatusCode::CREATED,
        Json(s.rt.queues.add_bulk_jobs(&queue, jobs).await?),
    ))
}

/// `GET /api/job-types`: the job-type catalogue forms are rendered from.
#[utoipa::path(get, path = "/api/job-types", tag = "queues", summary = "Every job type Antrian's pools run: queue, name, label, the JSON Schema of its data and an example; with the priority levels and the queue defaults", responses((status = 200, description = "{jobTypes: [{queue, name, label, description, schema, example, oneJobPer}], priorities: [{name, number}], defaults: {attempts, backoffDelayMs, keepCompleted, keepFailed}}", body = Object), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody)))]
pub(crate) async fn job_types(
    State(s): State<AppState>,
) -> Json<antrian_jobs::catalogue::Catalogue> {
    Json(antrian_jobs::catalogue::catalogue(s.rt.queues.defaults()))
}

/// `POST /api/queues/{queue}/promote`: every delayed job runs now.
#[utoipa::path(post, path = "/api/queues/{queue}/promote", tag = "queues", summary = "Run every delayed job now", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = Count), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/retry-failed", tag = "queues", summary = "Retry every failed job", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), responses((status = 200, description = "OK", body = Count), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/pause-all", tag = "queues", summary = "Pause every queue", responses((status = 200, description = "OK", body = Object), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn pause_all(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"paused": s.rt.queues.by(who).pause_all().await?}),
    ))
}

#[utoipa::path(post, path = "/api/queues/resume-all", tag = "queues", summary = "Resume every queue", responses((status = 200, description = "OK", body = Object), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 401, description = "No or wrong credentials", body = ErrorBody), (status = 429, description = "Too many failed logins from this address", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn resume_all(
    State(s): State<AppState>,
    Extension(who): Extension<Actor>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({"resumed": s.rt.queues.by(who).resume_all().await?}),
    ))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/stats", get(stats))
        .route("/api/queues", get(list).post(create))
        .route("/api/throughput", get(throughput))
        .route("/api/job-types", get(job_types))
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
        .route("/api/queues/{queue}/jobs/check", post(check))
        .route("/api/queues/{queue}/jobs/matching", post(act_on_matching))
        .route("/api/queues/{queue}/jobs/{id}", get(job).delete(remove))
        .route("/api/queues/{queue}/jobs/{id}/retry", post(retry))
        .route("/api/queues/{queue}/jobs/{id}/promote", post(promote_job))
        .route("/api/queues/{queue}/jobs/{id}/logs", get(logs))
        .route("/api/queues/{queue}/jobs/{id}/data", put(update_data))
}
