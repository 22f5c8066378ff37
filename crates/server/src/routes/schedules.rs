//! Cron and condition-based schedules.

use antrian_core::scheduler::{DynamicScheduleInput, ScheduleInput, ScheduleUpdate};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::AppState;

type Body<T> = Result<Json<T>, JsonRejection>;
type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

async fn list(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.rt.scheduler.list_schedules().await?)))
}

async fn add(
    State(s): State<AppState>,
    body: Body<ScheduleInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(input) = body?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.rt.scheduler.add_schedule(input).await?)),
    ))
}

async fn get_one(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(s.rt.scheduler.get_schedule(&name).await?)))
}

async fn update(
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

async fn remove(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    s.rt.scheduler.remove_schedule(&name).await?;
    Ok(Json(json!({"name": name, "removed": true})))
}

async fn enable(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(s.rt.scheduler.enable_schedule(&name).await?)))
}

async fn disable(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(s.rt.scheduler.disable_schedule(&name).await?)))
}

async fn run(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Path(name) = path?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.rt.scheduler.run_schedule_now(&name).await?)),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewQuery {
    count: Option<usize>,
}

async fn preview(
    State(s): State<AppState>,
    path: Params<String>,
    query: Q<PreviewQuery>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    let Query(q) = query?;
    Ok(Json(json!(
        s.rt.scheduler
            .preview_schedule(&name, q.count.unwrap_or(5))
            .await?
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpressionQuery {
    cron: String,
    tz: Option<String>,
    count: Option<usize>,
}

/// `GET /api/schedule-preview?cron=…&tz=…&count=…`: for an editor's live preview.
async fn preview_expression(
    State(s): State<AppState>,
    query: Q<ExpressionQuery>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query?;
    Ok(Json(json!(s.rt.scheduler.preview_expression(
        &q.cron,
        q.tz.as_deref(),
        q.count.unwrap_or(5)
    )?)))
}

async fn list_dynamic(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(s.rt.scheduler.list_dynamic_schedules().await?)))
}

async fn add_dynamic(
    State(s): State<AppState>,
    body: Body<DynamicScheduleInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Json(input) = body?;
    Ok((
        StatusCode::CREATED,
        Json(json!(s.rt.scheduler.add_dynamic_schedule(input).await?)),
    ))
}

async fn get_dynamic(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(
        s.rt.scheduler.get_dynamic_schedule(&name).await?
    )))
}

async fn remove_dynamic(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    s.rt.scheduler.remove_dynamic_schedule(&name).await?;
    Ok(Json(json!({"name": name, "removed": true})))
}

async fn enable_dynamic(State(s): State<AppState>, path: Params<String>) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(
        s.rt.scheduler.set_dynamic_enabled(&name, true).await?
    )))
}

async fn disable_dynamic(
    State(s): State<AppState>,
    path: Params<String>,
) -> ApiResult<Json<Value>> {
    let Path(name) = path?;
    Ok(Json(json!(
        s.rt.scheduler.set_dynamic_enabled(&name, false).await?
    )))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/schedules", get(list).post(add))
        .route(
            "/api/schedules/{name}",
            get(get_one).patch(update).delete(remove),
        )
        .route("/api/schedules/{name}/enable", post(enable))
        .route("/api/schedules/{name}/disable", post(disable))
        .route("/api/schedules/{name}/run", post(run))
        .route("/api/schedules/{name}/preview", get(preview))
        .route("/api/schedule-preview", get(preview_expression))
        .route(
            "/api/dynamic-schedules",
            get(list_dynamic).post(add_dynamic),
        )
        .route(
            "/api/dynamic-schedules/{name}",
            get(get_dynamic).delete(remove_dynamic),
        )
        .route("/api/dynamic-schedules/{name}/enable", post(enable_dynamic))
        .route(
            "/api/dynamic-schedules/{name}/disable",
            post(disable_dynamic),
        )
}
