//! Tauri commands: one-line adapters over core, named `verb_noun` and grouped by resource.
//! Each answers core's value or a `StatusError` (`{code, message}`) the UI branches on.
//!
//! - [`queues`]: queues and jobs, the job-type catalogue, health.
//! - [`schedules`]: cron and condition-based schedules, cron previews.
//! - [`workers`]: nodes, scaling rules and log, the audit log.
//! - [`results`]: products, per-site statistics, the export.
//! - [`app`]: the desktop's own settings and saved connections.

pub mod app;
pub mod queues;
pub mod results;
pub mod schedules;
pub mod workers;

use antrian_core::connection::status::StatusError;
use antrian_core::{Error, ErrorCode};

pub(crate) type Reply<T> = Result<T, StatusError>;

pub(crate) fn fail(e: Error) -> StatusError {
    StatusError::from(&e)
}

/// Runs `f` on a blocking thread (keyring and file work).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Reply<T> + Send + 'static,
) -> Reply<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| StatusError {
            code: ErrorCode::Internal,
            message: e.to_string(),
        })?
}

pub(crate) fn unavailable(message: String) -> StatusError {
    StatusError {
        code: ErrorCode::Unavailable,
        message,
    }
}
