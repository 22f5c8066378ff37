//! The API: the seed's endpoints exactly (`/api/stats`, `/api/queues/{queueName}` and its
//! job/pause/resume/clean routes) and, under the same conventions, what else the UI needs.
//! Each handler parses, calls one core operation and serialises its answer.

pub(crate) mod queues;
pub(crate) mod schedules;
pub(crate) mod system;

use axum::Router;

use crate::AppState;

/// Every `/api` route except the event stream.
pub fn api() -> Router<AppState> {
    queues::routes()
        .merge(schedules::routes())
        .merge(system::routes())
}
