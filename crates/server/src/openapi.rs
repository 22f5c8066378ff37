//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, generated from the
//! handlers' annotations and core's types (utoipa).

use std::sync::OnceLock;

use axum::Json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::AppState;

/// What every route shares: HTTP basic auth, its 401 and 429 answers; and the condition
/// variants open to their `type` tag.
struct Adjust;

/// The structs of the internally tagged `Condition`: serde refuses unknown fields in them
/// but takes the `type` tag beside them, which a closed schema would forbid.
const TAGGED_VARIANTS: [&str; 4] = ["QueueSize", "FailureRate", "QueueDrained", "NoWorkers"];

/// The answers of the guard in front of every route (`crate::guard`).
fn guard_responses() -> [(&'static str, Response); 2] {
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    [
        ("401", error("No or wrong credentials")),
        ("429", error("Too many failed logins from this address")),
    ]
}

impl Modify for Adjust {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, response) in guard_responses() {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert(RefOr::T(response));
                }
            }
        }
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

/// The document's frame: everything but the paths, which the routers bring.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Antrian dashboard API",
        description = "The seed's dashboard endpoints and the rest of what the UI uses. Every route needs HTTP basic auth (QUEUE_DASHBOARD_USERNAME / QUEUE_DASHBOARD_PASSWORD). Errors are {\"error\": {\"code\", \"message\"}}."
    ),
    security(("basic" = [])),
    components(schemas(ErrorBody))
)]
struct Frame;

/// Every documented route of the dashboard, with the document they make.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Frame::openapi())
        .merge(crate::routes::api())
        .merge(crate::events::routes())
        .merge(crate::metrics::routes())
        .routes(routes!(openapi_json))
}

/// The document, built once from the routers (the handlers' annotations and core's types).
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = router().split_for_parts().1;
        Adjust.modify(&mut doc);
        doc
    })
}

/// The document as JSON.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", summary = "This document", responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub(crate) async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(document())
}
