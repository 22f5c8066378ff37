//! What scraping gathered: products, one product's history, the streamed export, and the
//! per-site scrape outcomes.

use antrian_core::store::ProductPage;
use antrian_core::store::{ExportFormat, ProductFilter, ProductStore};
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_util::io::ReaderStream;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

type Params<T> = Result<Path<T>, PathRejection>;
type Q<T> = Result<Query<T>, QueryRejection>;

/// How much of an export may wait for a slow client before the export waits too.
const EXPORT_BUFFER: usize = 256 * 1024;

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

#[utoipa::path(get, path = "/api/products", tag = "system", summary = "Scraped products, newest first", params(ProductQuery), responses((status = 200, description = "OK", body = ProductPage), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

#[utoipa::path(get, path = "/api/products/{id}", tag = "system", summary = "One product and its price/stock history", params(("id" = String, Path, description = "Product id")), responses((status = 200, description = "OK", body = Object), (status = 404, description = "Not found", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
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

/// `GET /api/products/export?format=csv|json`, streamed.
#[utoipa::path(get, path = "/api/products/export", tag = "system", summary = "Every product as CSV or JSON, streamed", params(ExportQuery), responses((status = 200, description = "OK", body = String, content_type = "text/csv"), (status = 400, description = "Invalid input (the message names the field and the rule)", body = ErrorBody), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn export(
    State(s): State<AppState>,
    query: Q<ExportQuery>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let format = ExportFormat::parse(q.format.as_deref().unwrap_or("csv"))?;
    let (mime, ext) = (format.media_type(), format.extension());
    let store = ProductStore::new(s.rt.connection.clone());
    // A bounded pipe: the export writes as fast as the client reads, and stops (broken
    // pipe) when the client leaves.
    let (mut writer, reader) = tokio::io::duplex(EXPORT_BUFFER);
    tokio::spawn(async move {
        if let Err(e) = store.export(format, &mut writer).await {
            tracing::warn!("product export stopped: {e}");
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"products.{ext}\""),
            ),
        ],
        Body::from_stream(ReaderStream::new(reader)),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/sites", tag = "system", summary = "Per-site scrape outcome counters", responses((status = 200, description = "OK", body = Object), (status = 503, description = "Redis unavailable", body = ErrorBody)))]
pub(crate) async fn sites(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let sites = antrian_jobs::scrape::stats::domain_stats(&s.rt.connection.redis())
        .await
        .map_err(antrian_core::Error::from)?;
    Ok(Json(json!(sites)))
}

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(products))
        .routes(routes!(product))
        .routes(routes!(export))
        .routes(routes!(sites))
}
