//! Cron and condition-based schedules.

use antrian_core::queue::AddedJob;
use antrian_core::scheduler::{
    DynamicScheduleInput, DynamicScheduleUpdate, DynamicScheduleView, Preview, ScheduleInput,
    ScheduleUpdate, ScheduleView,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type Body<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

#[utoipa::path(get, path = "/api/schedules", tag = "schedules", summary = "Cron schedules with next run and recent runs", responses((status = 200, description = "OK", body = Vec<ScheduleView>), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.rt.scheduler.list_schedules().await?)))
}

#[utoipa::path(post, path = "/api/schedules", tag = "schedules", summary = "Add a cron schedule (the seed's addSchedule)", request_body = ScheduleInput, responses((status = 200, description = "OK", body = ScheduleView), (status = 201, description = "Created", body = ScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn add(
    State(s): State<AppState>,
    body: Body<ScheduleInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(input) = body?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.rt.scheduler.add_schedule(input).await?)),
    ))
}

#[utoipa::path(get, path = "/api/schedules/{name}", tag = "schedules", summary = "One cron schedule", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = ScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn get_one(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(s.rt.scheduler.get_schedule(&name).await?)))
}

#[utoipa::path(patch, path = "/api/schedules/{name}", tag = "schedules", summary = "Change a schedule in place", params(("name" = String, Path, description = "Schedule name")), request_body = ScheduleUpdate, responses((status = 200, description = "OK", body = ScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn update(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<ScheduleUpdate>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    let Json(update) = body?;
    Ok(Json(json!(
        s.rt.scheduler.update_schedule(&name, update).await?
    )))
}

#[utoipa::path(delete, path = "/api/schedules/{name}", tag = "schedules", summary = "Delete a schedule", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = Object), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn remove(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    s.rt.scheduler.remove_schedule(&name).await?;
    Ok(Json(json!({"name": name, "removed": true})))
}

#[utoipa::path(post, path = "/api/schedules/{name}/enable", tag = "schedules", summary = "Start firing again", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = ScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn enable(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(s.rt.scheduler.enable_schedule(&name).await?)))
}

#[utoipa::path(post, path = "/api/schedules/{name}/disable", tag = "schedules", summary = "Stop firing; the definition is kept", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = ScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn disable(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(s.rt.scheduler.disable_schedule(&name).await?)))
}

#[utoipa::path(post, path = "/api/schedules/{name}/run", tag = "schedules", summary = "Add one run now, outside the cadence", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = AddedJob), (status = 201, description = "Created", body = AddedJob), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn run(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Path(name) = path?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.rt.scheduler.run_schedule_now(&name).await?)),
    ))
}

/// How many fire times.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PreviewQuery {
    count: Option<usize>,
}

#[utoipa::path(get, path = "/api/schedules/{name}/preview", tag = "schedules", summary = "Next fire times of a schedule", params(("name" = String, Path, description = "Schedule name"), PreviewQuery), responses((status = 200, description = "OK", body = Preview), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn preview(
    State(s): State<AppState>,
    path: Params<String>,
    query: Q<PreviewQuery>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    let Query(q) = query?;
    Ok(Json(json!(
        s.rt.scheduler
            .preview_schedule(
                &name,
                q.count.unwrap_or(antrian_core::scheduler::DEFAULT_PREVIEW)
            )
            .await?
    )))
}

/// An expression to preview.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExpressionQuery {
    cron: String,
    tz: Option<String>,
    count: Option<usize>,
}

/// `GET /api/schedule-preview?cron=…&tz=…&count=…`: for an editor's live preview.
#[utoipa::path(get, path = "/api/schedule-preview", tag = "schedules", summary = "Next fire times of any expression", params(ExpressionQuery), responses((status = 200, description = "OK", body = Preview), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn preview_expression(
    State(s): State<AppState>,
    query: Q<ExpressionQuery>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    Ok(Json(json!(s.rt.scheduler.preview_expression(
        &q.cron,
        q.tz.as_deref(),
        q.count.unwrap_or(antrian_core::scheduler::DEFAULT_PREVIEW)
    )?)))
}

#[utoipa::path(get, path = "/api/dynamic-schedules", tag = "schedules", summary = "Condition-based schedules with their state", responses((status = 200, description = "OK", body = Vec<DynamicScheduleView>), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn list_dynamic(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.rt.scheduler.list_dynamic_schedules().await?)))
}

#[utoipa::path(post, path = "/api/dynamic-schedules", tag = "schedules", summary = "Add a condition-based schedule (the seed's addDynamicSchedule)", request_body = DynamicScheduleInput, responses((status = 200, description = "OK", body = DynamicScheduleView), (status = 201, description = "Created", body = DynamicScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 409, description = "Conflicts with the current state", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn add_dynamic(
    State(s): State<AppState>,
    body: Body<DynamicScheduleInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(input) = body?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.rt.scheduler.add_dynamic_schedule(input).await?)),
    ))
}

#[utoipa::path(get, path = "/api/dynamic-schedules/{name}", tag = "schedules", summary = "One condition-based schedule", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = DynamicScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn get_dynamic(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(
        s.rt.scheduler.get_dynamic_schedule(&name).await?
    )))
}

#[utoipa::path(delete, path = "/api/dynamic-schedules/{name}", tag = "schedules", summary = "Delete a condition-based schedule", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = Object), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn remove_dynamic(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    s.rt.scheduler.remove_dynamic_schedule(&name).await?;
    Ok(Json(json!({"name": name, "removed": true})))
}

#[utoipa::path(patch, path = "/api/dynamic-schedules/{name}", tag = "schedules", summary = "Change a condition-based schedule in place: condition, action, cooldown, enabled (left out: kept)", params(("name" = String, Path, description = "Schedule name")), request_body = DynamicScheduleUpdate, responses((status = 200, description = "OK", body = DynamicScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 413, description = "Body over 8 MiB", body = ErrorBody), (status = 415, description = "Body is not JSON", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn update_dynamic(
    State(s): State<AppState>,
    path: Params<String>,
    body: Body<DynamicScheduleUpdate>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    let Json(update) = body?;
    Ok(Json(json!(
        s.rt.scheduler
            .update_dynamic_schedule(&name, update)
            .await?
    )))
}

#[utoipa::path(post, path = "/api/dynamic-schedules/{name}/enable", tag = "schedules", summary = "Start evaluating again", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = DynamicScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn enable_dynamic(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(
        s.rt.scheduler.set_dynamic_enabled(&name, true).await?
    )))
}

#[utoipa::path(post, path = "/api/dynamic-schedules/{name}/disable", tag = "schedules", summary = "Stop evaluating; kept", params(("name" = String, Path, description = "Schedule name")), responses((status = 200, description = "OK", body = DynamicScheduleView), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 403, description = "Cross-site request or foreign Host", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn disable_dynamic(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(
        s.rt.scheduler.set_dynamic_enabled(&name, false).await?
    )))
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(get_one, update, remove))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(run))
        .routes(routes!(preview))
        .routes(routes!(preview_expression))
        .routes(routes!(list_dynamic, add_dynamic))
        .routes(routes!(get_dynamic, update_dynamic, remove_dynamic))
        .routes(routes!(enable_dynamic))
        .routes(routes!(disable_dynamic))
}
