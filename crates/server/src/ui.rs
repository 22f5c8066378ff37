//! The UI the desktop window shows (`ui/dist`, built by `make ui`), served to browsers.
//! Release builds carry the files inside the binary; debug builds read them from disk.
//! Paths that are not files get `index.html`, so the UI's own routes load on refresh.

use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct Assets;

/// Serves one UI file, or `index.html` for the UI's own routes.
pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return ApiError::not_found(format!("no API route {}", uri.path())).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is read-only: {method} is not allowed", uri.path()),
        )
        .into_response();
    }
    let (file, name) = match Assets::get(path) {
        Some(f) if !path.is_empty() => (f, path),
        _ => match Assets::get("index.html") {
            Some(f) => (f, "index.html"),
            None => {
                return ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "the UI is not built into this binary: run `make ui` before building",
                )
                .into_response()
            }
        },
    };
    let cache = if name == "index.html" {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    (
        [
            (header::CONTENT_TYPE, file.metadata.mimetype().to_string()),
            (header::CACHE_CONTROL, cache.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        file.data,
    )
        .into_response()
}
