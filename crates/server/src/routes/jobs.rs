//! Jobs of a queue: adding (one, many, a dry-run check), reading one with its logs,
//! editing its data, retrying, promoting and removing it, and acting on every match.

use antrian_core::audit::Actor;
use antrian_core::queue::{AddedJob, JobDetail};
use antrian_core::queue::{BulkAction, BulkJobInput, BulkOutcome, JobFilter, JobState, NewJob};
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type Body<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;

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
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/matching", tag = "queues", summary = "Retry, remove or promote every job in a state that a filter keeps (the newest 10,000 searched)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = MatchingAction, responses((status = 200, description = "OK", body = BulkOutcome), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/{id}/retry", tag = "queues", summary = "Retry a failed job (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/{id}/promote", tag = "queues", summary = "Run a delayed job now", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(delete, path = "/api/queues/{queue}/jobs/{id}", tag = "queues", summary = "Remove a job (the seed's endpoint)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobAction), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/queues/{queue}/jobs/{id}", tag = "queues", summary = "One job in full", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = JobDetail), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn job(
    State(s): State<AppState>,
    path: Params<(String, String)>,
) -> ApiResult<Json<JobDetail>> {
    let Path((queue, id)) = path?;
    Ok(Json(s.rt.queues.get_job(&queue, &id).await?))
}

/// `PUT /api/queues/{queue}/jobs/{id}/data`: the body is the job's new data.
#[utoipa::path(put, path = "/api/queues/{queue}/jobs/{id}/data", tag = "queues", summary = "Replace the data of a job no worker holds and that has not completed", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), request_body = Object, responses((status = 200, description = "OK", body = JobDetail), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/queues/{queue}/jobs/{id}/logs", tag = "queues", summary = "A job's log lines", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue"), ("id" = String, Path, description = "Job id")), responses((status = 200, description = "OK", body = Vec<String>), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn logs(
    State(s): State<AppState>,
    path: Params<(String, String)>,
) -> ApiResult<Json<Vec<String>>> {
    let Path((queue, id)) = path?;
    Ok(Json(s.rt.queues.job_logs(&queue, &id).await?))
}

/// `POST /api/queues/{queue}/jobs` (the seed's `addJob`).
#[utoipa::path(post, path = "/api/queues/{queue}/jobs", tag = "queues", summary = "Add a job (the seed's addJob); 201, or 200 when its custom jobId exists", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = NewJob, responses((status = 200, description = "OK", body = AddedJob), (status = 201, description = "Created", body = AddedJob), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/check", tag = "queues", summary = "Check a job as adding it would, without adding it (forms call this as the user types)", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = NewJob, responses((status = 200, description = "OK", body = Object), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/queues/{queue}/jobs/bulk", tag = "queues", summary = "Add many jobs (the seed's addBulkJobs); one bad entry refuses all", params(("queue" = String, Path, description = "Queue name, e.g. scraping-queue")), request_body = Vec<BulkJobInput>, responses((status = 200, description = "OK", body = Vec<AddedJob>), (status = 201, description = "Created", body = Vec<AddedJob>), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add))
        .routes(routes!(add_bulk))
        .routes(routes!(check))
        .routes(routes!(act_on_matching))
        .routes(routes!(job, remove))
        .routes(routes!(retry))
        .routes(routes!(promote_job))
        .routes(routes!(logs))
        .routes(routes!(update_data))
}
