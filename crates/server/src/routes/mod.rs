//! The API: the seed's endpoints exactly (`/api/stats`, `/api/queues/{queueName}` and its
//! job/pause/resume/clean routes) and, under the same conventions, what else the UI needs.
//! Each handler parses, calls one core operation and serialises its answer. Routes are
//! registered from their `#[utoipa::path]` annotations (utoipa-axum), so a route's path and
//! method are written once and the OpenAPI document cannot miss one.
//!
//! - [`queues`]: queues (the seed's endpoints), throughput, the job-type catalogue.
//! - [`jobs`]: a queue's jobs: add, read, edit, retry, promote, remove.
//! - [`schedules`]: cron and condition-based schedules, cron previews.
//! - [`nodes`]: worker nodes and their commands, scaling rules and log.
//! - [`products`]: products, the streamed export, per-site scrape outcomes.
//! - [`health`]: the system's verdict.
//! - [`audit`]: the audit log.

pub(crate) mod audit;
pub(crate) mod health;
pub(crate) mod jobs;
pub(crate) mod nodes;
pub(crate) mod products;
pub(crate) mod queues;
pub(crate) mod schedules;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every `/api` route except the event stream.
pub fn api() -> OpenApiRouter<AppState> {
    queues::routes()
        .merge(jobs::routes())
        .merge(schedules::routes())
        .merge(nodes::routes())
        .merge(products::routes())
        .merge(health::routes())
        .merge(audit::routes())
}
