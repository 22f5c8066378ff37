//! The scheduler: the seed's `SchedulerService` (`addSchedule`, `addDynamicSchedule`).
//!
//! - Cron schedules are BullMQ job schedulers (DESIGN.md decision 6): BullMQ adds each
//!   run, so a schedule fires while any worker of its queue runs — a Node.js worker, or an
//!   Antrian node with the desktop app closed. Antrian's registry (`antrian:schedules`)
//!   keeps each definition beside it, so a schedule can be disabled (its BullMQ scheduler
//!   removed, the definition kept), enabled again, run now, updated and previewed.
//! - Condition-based schedules ([`dynamic`]) are evaluated every few seconds by the
//!   scheduler component ([`service`]) under a Redis lease, so with several instances
//!   running exactly one evaluates.
//! - [`runs`]: which jobs are a schedule's runs, what became of them, and the `skip`
//!   overlap policy Antrian's workers apply when a run starts.
//! - [`cron`]: parsing, previews and descriptions with the engine that fires.

pub mod cron;
pub mod dynamic;
pub mod model;
mod registry;
pub mod runs;
pub mod service;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use model::{
    Action, Condition, ConditionKind, DateInput, DynamicSchedule, DynamicScheduleInput,
    DynamicScheduleUpdate, DynamicScheduleView, DynamicState, FailureRate, NoWorkers, Operator,
    Overlap, Preview, QueueDrained, QueueSize, RunOutcome, Schedule, ScheduleInput, ScheduleRun,
    ScheduleStatus, ScheduleUpdate, ScheduleView, DEFAULT_COOLDOWN_SECONDS, DEFAULT_FOR_SECONDS,
    DEFAULT_MIN_JOBS, DEFAULT_WINDOW_SECONDS,
};
pub use service::SchedulerService;

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::queue::{EventHub, QueueEvent, QueueManager};

/// Most fire times a preview returns.
pub const MAX_PREVIEW: usize = 100;
/// Fire times a preview shows when the caller does not say (CLI, API and the window).
pub const DEFAULT_PREVIEW: usize = 5;
/// Runs kept per schedule for "recent runs".
pub const RUNS_KEPT: isize = 50;
/// Runs a schedule view shows.
pub const RUNS_SHOWN: isize = 10;

/// Schedules: the registry and the operations every adapter calls.
#[derive(Debug, Clone)]
pub struct Scheduler {
    conn: Connection,
    queues: Arc<QueueManager>,
    events: Arc<EventHub>,
    /// Zone of schedules that name none.
    default_timezone: String,
    /// How often conditions are evaluated.
    eval_interval: Duration,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn invalid(field: &str, rule: impl Into<String>) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.into(),
    }
}

/// A schedule name: it is the BullMQ scheduler id and part of job ids (`repeat:<name>:<ms>`),
/// which BullMQ splits on `:`.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 100 {
        return Err(invalid(
            "name",
            "a schedule name must be 1 to 100 characters",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "name",
            format!("`{name}` may use only letters, digits, `-`, `_` and `.`"),
        ));
    }
    Ok(())
}

impl Scheduler {
    /// The scheduler over `queues`, reading expressions without a zone in
    /// `default_timezone` and evaluating conditions every `eval_interval`.
    pub fn new(
        conn: Connection,
        queues: Arc<QueueManager>,
        events: Arc<EventHub>,
        default_timezone: &str,
        eval_interval: Duration,
    ) -> Self {
        Self {
            conn,
            queues,
            events,
            default_timezone: default_timezone.to_string(),
            eval_interval,
        }
    }

    /// How often conditions are evaluated.
    pub fn eval_interval(&self) -> Duration {
        self.eval_interval
    }

    /// Tells every subscriber, in this process and (through Redis) in the others, that a
    /// schedule fired.
    async fn announce(&self, event: QueueEvent) {
        self.events.share(event).await;
    }
}

#[cfg(test)]
mod tests;
