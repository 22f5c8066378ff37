//! Condition-based schedules (the seed's `addDynamicSchedule`): the conditions, the job
//! each adds when it holds, and what is stored and shown of them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{empty_object, yes};
use crate::queue::JobOptionsInput;

/// How a condition compares a value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Operator {
    /// Above.
    #[serde(rename = ">")]
    Gt,
    /// At or above.
    #[serde(rename = ">=")]
    Ge,
    /// Below.
    #[serde(rename = "<")]
    Lt,
    /// At or below.
    #[serde(rename = "<=")]
    Le,
    /// Equal.
    #[serde(rename = "==")]
    Eq,
}

impl Operator {
    /// Whether `value op threshold` holds.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Gt => value > threshold,
            Self::Ge => value >= threshold,
            Self::Lt => value < threshold,
            Self::Le => value <= threshold,
            Self::Eq => (value - threshold).abs() < f64::EPSILON,
        }
    }

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "==",
        }
    }
}

/// A failure-rate condition's window when it does not say, seconds.
pub const DEFAULT_WINDOW_SECONDS: u64 = 300;
/// Finished jobs a failure-rate condition needs to judge when it does not say.
pub const DEFAULT_MIN_JOBS: u64 = 5;
/// Seconds a no-workers condition waits when it does not say.
pub const DEFAULT_FOR_SECONDS: u64 = 60;
/// Least seconds between two fires of a condition-based schedule when it does not say.
pub const DEFAULT_COOLDOWN_SECONDS: u64 = 300;

fn default_window() -> u64 {
    DEFAULT_WINDOW_SECONDS
}

fn default_min_jobs() -> u64 {
    DEFAULT_MIN_JOBS
}

fn default_for() -> u64 {
    DEFAULT_FOR_SECONDS
}

/// Which kind a [`Condition`] is: its `type`, spelled as in JSON (`queue_size`…), for
/// adapters that take the kind and the parts separately (the CLI's flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// [`QueueSize`].
    QueueSize,
    /// [`FailureRate`].
    FailureRate,
    /// [`QueueDrained`].
    QueueDrained,
    /// [`NoWorkers`].
    NoWorkers,
}

/// When a condition-based schedule fires: `{"type": "queue_size", …}` and so on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Condition {
    /// As the seed's `{type: 'queue_size', queueName, operator, threshold}`.
    QueueSize(QueueSize),
    /// Share of finished jobs that failed for good.
    FailureRate(FailureRate),
    /// The queue ran out of work.
    QueueDrained(QueueDrained),
    /// Jobs wait and no worker takes them.
    NoWorkers(NoWorkers),
}

/// Jobs waiting in a queue (prioritised and paused included) compared with a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct QueueSize {
    /// The queue watched.
    pub queue_name: String,
    /// How to compare.
    pub operator: Operator,
    /// The number compared with.
    pub threshold: f64,
}

/// Share of jobs that failed for good among those finished in the last `windowSeconds`
/// (from the queue's event stream, so every worker counts, Node.js included), in percent,
/// at or above `threshold`; needs `minJobs` finished jobs to judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct FailureRate {
    /// The queue watched.
    pub queue_name: String,
    /// Percent, 0–100.
    pub threshold: f64,
    /// Window in seconds (default 300).
    #[serde(default = "default_window")]
    #[ts(type = "number")]
    pub window_seconds: u64,
    /// Finished jobs needed in the window (default 5).
    #[serde(default = "default_min_jobs")]
    #[ts(type = "number")]
    pub min_jobs: u64,
}

/// The queue went from having work (waiting, delayed or active jobs) to none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct QueueDrained {
    /// The queue watched.
    pub queue_name: String,
}

/// Jobs are waiting but no worker (any process) has been connected for `forSeconds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct NoWorkers {
    /// The queue watched.
    pub queue_name: String,
    /// Seconds without a worker (default 60).
    #[serde(default = "default_for")]
    #[ts(type = "number")]
    pub for_seconds: u64,
}

impl Condition {
    /// Its kind (the JSON `type`).
    pub fn kind(&self) -> ConditionKind {
        match self {
            Self::QueueSize(_) => ConditionKind::QueueSize,
            Self::FailureRate(_) => ConditionKind::FailureRate,
            Self::QueueDrained(_) => ConditionKind::QueueDrained,
            Self::NoWorkers(_) => ConditionKind::NoWorkers,
        }
    }

    /// Sets the threshold of a condition that has one (queue size, failure rate).
    pub fn set_threshold(&mut self, threshold: f64) -> std::result::Result<(), String> {
        match self {
            Condition::QueueSize(c) => c.threshold = threshold,
            Condition::FailureRate(c) => c.threshold = threshold,
            Condition::QueueDrained(_) | Condition::NoWorkers(_) => {
                return Err(format!("{} has no threshold", self.describe()))
            }
        }
        Ok(())
    }

    /// The queue watched.
    pub fn queue(&self) -> &str {
        match self {
            Self::QueueSize(c) => &c.queue_name,
            Self::FailureRate(c) => &c.queue_name,
            Self::QueueDrained(c) => &c.queue_name,
            Self::NoWorkers(c) => &c.queue_name,
        }
    }

    /// The condition in plain English.
    pub fn describe(&self) -> String {
        match self {
            Self::QueueSize(c) => format!(
                "jobs waiting in {} {} {}",
                c.queue_name,
                c.operator.as_str(),
                c.threshold
            ),
            Self::FailureRate(c) => format!(
                "{}% or more of {}'s jobs failed in the last {} s (at least {} finished)",
                c.threshold, c.queue_name, c.window_seconds, c.min_jobs
            ),
            Self::QueueDrained(c) => format!("{} has drained", c.queue_name),
            Self::NoWorkers(c) => format!(
                "{} has waiting jobs and no worker for {} s",
                c.queue_name, c.for_seconds
            ),
        }
    }
}

/// The job a condition-based schedule adds when it fires (the seed's action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct Action {
    /// Job name.
    pub job_name: String,
    /// Queue.
    pub queue_name: String,
    /// Job data.
    #[serde(default = "empty_object")]
    #[ts(type = "Record<string, unknown>")]
    pub job_data: serde_json::Value,
    /// Job options.
    #[serde(default)]
    pub options: JobOptionsInput,
}

fn default_cooldown() -> u64 {
    DEFAULT_COOLDOWN_SECONDS
}

/// A condition-based schedule as `add_dynamic` takes it: the seed's
/// `addDynamicSchedule(name, condition, action)` plus cooldown and enabled.
#[derive(Debug, Clone, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct DynamicScheduleInput {
    /// Unique name, e.g. `high-queue-alert`.
    pub name: String,
    /// When it fires.
    pub condition: Condition,
    /// What it adds.
    pub action: Action,
    /// Least seconds between two fires (default 300).
    #[serde(default = "default_cooldown")]
    #[ts(type = "number")]
    pub cooldown_seconds: u64,
    /// Whether it is evaluated (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A change to a condition-based schedule: fields left out stay as they are.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct DynamicScheduleUpdate {
    /// A new condition; the evaluation starts afresh (its fire count and cooldown stay).
    #[serde(default)]
    pub condition: Option<Condition>,
    /// A new job to add.
    #[serde(default)]
    pub action: Option<Action>,
    /// New least seconds between two fires.
    #[serde(default)]
    #[ts(as = "Option<f64>")]
    pub cooldown_seconds: Option<u64>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A condition-based schedule as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct DynamicSchedule {
    /// Unique name.
    pub name: String,
    /// When it fires.
    pub condition: Condition,
    /// What it adds.
    pub action: Action,
    /// Least seconds between two fires.
    #[ts(type = "number")]
    pub cooldown_seconds: u64,
    /// Whether it is evaluated.
    pub enabled: bool,
    /// Created (ms since the epoch).
    #[ts(type = "number")]
    pub created_at: i64,
    /// Last changed (ms since the epoch).
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// Evaluation state of a condition-based schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct DynamicState {
    /// Last evaluation (ms since the epoch).
    #[ts(type = "number | null")]
    pub last_evaluated: Option<i64>,
    /// The value last measured (jobs, percent…).
    pub last_value: Option<f64>,
    /// Whether the condition held at the last evaluation.
    pub holding: bool,
    /// Ready to fire: the condition has been false since the last fire.
    pub armed: bool,
    /// The queue had work at the last evaluation (for `queue_drained`).
    pub had_work: bool,
    /// Since when jobs have waited with no worker (for `no_workers`).
    #[ts(type = "number | null")]
    pub starved_since: Option<i64>,
    /// Last fire (ms since the epoch).
    #[ts(type = "number | null")]
    pub last_fired: Option<i64>,
    /// Fires so far.
    #[ts(type = "number")]
    pub fire_count: u64,
    /// The job the last fire added.
    pub last_job_id: Option<String>,
}

impl Default for DynamicState {
    fn default() -> Self {
        Self {
            last_evaluated: None,
            last_value: None,
            holding: false,
            armed: true,
            had_work: false,
            starved_since: None,
            last_fired: None,
            fire_count: 0,
            last_job_id: None,
        }
    }
}

/// A condition-based schedule as the adapters show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct DynamicScheduleView {
    /// The definition.
    #[serde(flatten)]
    #[ts(flatten)]
    pub schedule: DynamicSchedule,
    /// The condition in plain English.
    pub description: String,
    /// Evaluation state.
    pub state: DynamicState,
    /// No fire before this (ms since the epoch), while the cooldown runs.
    #[ts(type = "number | null")]
    pub cooldown_until: Option<i64>,
}
