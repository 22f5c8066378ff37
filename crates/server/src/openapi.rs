//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, generated from the
//! handlers' annotations and core's types (utoipa).

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::routes::{queues, schedules, system};
use crate::AppState;

/// Every route behind HTTP basic auth; and the condition variants open to their `type`
/// tag.
struct Adjust;

/// The structs of the internally tagged `Condition`: serde refuses unknown fields in them
/// but takes the `type` tag beside them, which a closed schema would forbid.
const TAGGED_VARIANTS: [&str; 4] = ["QueueSize", "FailureRate", "QueueDrained", "NoWorkers"];

impl Modify for Adjust {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        for name in TAGGED_VARIANTS {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                object.additional_properties = None;
            }
        }
    }
}

/// The document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Antrian dashboard API",
        description = "The seed's dashboard endpoints and the rest of what the UI uses. Every route needs HTTP basic auth (QUEUE_DASHBOARD_USERNAME / QUEUE_DASHBOARD_PASSWORD). Errors are {\"error\": {\"code\", \"message\"}}."
    ),
    security(("basic" = [])),
    modifiers(&Adjust),
    paths(
        queues::stats, queues::list, queues::create, queues::throughput, queues::details, queues::retry, queues::promote_job, queues::remove,
        queues::job, queues::logs, queues::update_data, queues::pause, queues::resume, queues::clean, queues::add,
        queues::add_bulk, queues::check, queues::act_on_matching, queues::promote, queues::retry_failed, queues::pause_all,
        queues::resume_all, queues::job_types,
        schedules::list, schedules::add, schedules::get_one, schedules::update,
        schedules::remove, schedules::enable, schedules::disable, schedules::run,
        schedules::preview, schedules::preview_expression, schedules::list_dynamic,
        schedules::add_dynamic, schedules::get_dynamic, schedules::update_dynamic, schedules::remove_dynamic,
        schedules::enable_dynamic, schedules::disable_dynamic,
        system::health, system::workers, system::command, system::scaling, system::audit, system::scaling_settings, system::products,
        system::product, system::export, system::sites,
        crate::events::stream_events, crate::metrics::metrics, openapi_json,
    )
)]
pub struct ApiDoc;

/// The document as JSON.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", summary = "This document", responses((status = 200, description = "OpenAPI 3.1", body = Object), (status = 401, description = "No or wrong credentials", body = crate::error::ErrorBody), (status = 429, description = "Too many failed logins from this address", body = crate::error::ErrorBody)))]
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// `GET /api/openapi.json`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}
