//! What schedules look like: as users give them (the seed's `addSchedule` /
//! `addDynamicSchedule` fields, camelCase, unknown fields refused), as Antrian stores them,
//! and as the adapters show them. The condition-based schedules' model is in
//! `conditions`.

use serde::{Deserialize, Deserializer, Serialize};
use ts_rs::TS;

use crate::queue::JobOptionsInput;

mod conditions;

pub use conditions::{
    Action, Condition, ConditionKind, DynamicSchedule, DynamicScheduleInput, DynamicScheduleUpdate,
    DynamicScheduleView, DynamicState, FailureRate, NoWorkers, Operator, QueueDrained, QueueSize,
    DEFAULT_COOLDOWN_SECONDS, DEFAULT_FOR_SECONDS, DEFAULT_MIN_JOBS, DEFAULT_WINDOW_SECONDS,
};

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

fn yes() -> bool {
    true
}

/// `Some(None)` for an explicit `null` (clear the field), `None` when the field is absent.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A date as given: milliseconds since the epoch, or RFC 3339 text
/// (`2026-12-01T00:00:00+07:00`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum DateInput {
    /// Milliseconds since the epoch.
    Millis(#[ts(type = "number")] i64),
    /// RFC 3339.
    Text(String),
}

/// What a schedule does when its previous run is still waiting or active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum Overlap {
    /// Run anyway.
    #[default]
    Allow,
    /// Skip this run (it completes at once with `{"skipped": true}`).
    Skip,
}

/// A cron schedule as `add` takes it: the seed's fields plus timezone, job options, dates,
/// run limit and overlap policy.
#[derive(Debug, Clone, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct ScheduleInput {
    /// Unique name, e.g. `daily-cleanup`.
    pub name: String,
    /// Cron expression (5 fields, 6 with seconds, or `@daily`…).
    #[serde(alias = "cron")]
    pub schedule: String,
    /// Job name of each run.
    pub job_name: String,
    /// Queue of each run.
    pub queue_name: String,
    /// Job data of each run.
    #[serde(default = "empty_object")]
    #[ts(type = "Record<string, unknown>")]
    pub job_data: serde_json::Value,
    /// Whether it fires (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// IANA time zone the expression is read in (default `SCHEDULER_TIMEZONE`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Options of each run's job (priority, attempts, backoff, retention).
    #[serde(default, alias = "jobOptions")]
    pub options: JobOptionsInput,
    /// No run before this.
    #[serde(default)]
    pub start_date: Option<DateInput>,
    /// No run after this.
    #[serde(default)]
    pub end_date: Option<DateInput>,
    /// Most runs in all.
    #[serde(default)]
    #[ts(as = "Option<f64>")]
    pub limit: Option<u64>,
    /// What to do while the previous run is still waiting or active.
    #[serde(default)]
    pub overlap: Overlap,
}

/// A change to a cron schedule: fields left out stay as they are; `null` clears an
/// optional one (dates, limit).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct ScheduleUpdate {
    /// New cron expression.
    #[serde(default, alias = "cron")]
    pub schedule: Option<String>,
    /// New job name.
    #[serde(default)]
    pub job_name: Option<String>,
    /// New queue.
    #[serde(default)]
    pub queue_name: Option<String>,
    /// New job data (replaces the old).
    #[serde(default)]
    #[ts(optional, type = "Record<string, unknown>")]
    pub job_data: Option<serde_json::Value>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// New time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// New job options (replace the old).
    #[serde(default, alias = "jobOptions")]
    pub options: Option<JobOptionsInput>,
    /// New start date, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    pub start_date: Option<Option<DateInput>>,
    /// New end date, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    pub end_date: Option<Option<DateInput>>,
    /// New run limit, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    #[ts(as = "Option<Option<f64>>")]
    pub limit: Option<Option<u64>>,
    /// New overlap policy.
    #[serde(default)]
    pub overlap: Option<Overlap>,
}

/// A cron schedule as stored in Antrian's registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct Schedule {
    /// Unique name; also the BullMQ job scheduler id.
    pub name: String,
    /// Cron expression.
    pub schedule: String,
    /// IANA time zone.
    pub timezone: String,
    /// Job name of each run.
    pub job_name: String,
    /// Queue of each run.
    pub queue_name: String,
    /// Job data of each run.
    #[ts(type = "Record<string, unknown>")]
    pub job_data: serde_json::Value,
    /// Job options of each run, as given.
    pub options: JobOptionsInput,
    /// No run before this (ms since the epoch).
    #[ts(type = "number | null")]
    pub start_date: Option<i64>,
    /// No run after this (ms since the epoch).
    #[ts(type = "number | null")]
    pub end_date: Option<i64>,
    /// Most runs in all.
    #[ts(type = "number | null")]
    pub limit: Option<u64>,
    /// Overlap policy.
    pub overlap: Overlap,
    /// Whether it fires.
    pub enabled: bool,
    /// Created (ms since the epoch).
    #[ts(type = "number")]
    pub created_at: i64,
    /// Last changed (ms since the epoch).
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// Where a schedule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum ScheduleStatus {
    /// Enabled, and BullMQ has its next run.
    Active,
    /// Disabled: kept, not firing.
    Disabled,
    /// Enabled, but its run limit or end date is reached.
    Finished,
    /// Enabled, but BullMQ has no scheduler for it (removed by another tool); the
    /// scheduler component restores it.
    Missing,
}

/// What became of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum RunOutcome {
    /// Waiting for a worker.
    Waiting,
    /// Being processed.
    Active,
    /// Completed.
    Completed,
    /// Failed for good.
    Failed,
    /// Skipped by the overlap policy.
    Skipped,
    /// No longer kept (removeOnComplete / removeOnFail).
    Removed,
}

/// One run of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ScheduleRun {
    /// The job id (`repeat:<name>:<ms>` for the cadence, `run:<name>:<ms>` for run-now).
    pub job_id: String,
    /// When it fired (ms since the epoch).
    #[ts(type = "number")]
    pub fired_at: i64,
    /// What became of it.
    pub outcome: RunOutcome,
    /// When it finished (ms since the epoch).
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
}

/// A cron schedule as the adapters show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ScheduleView {
    /// The definition.
    #[serde(flatten)]
    #[ts(flatten)]
    pub schedule: Schedule,
    /// The expression in plain English.
    pub description: String,
    /// Where it stands.
    pub status: ScheduleStatus,
    /// Next run (ms since the epoch), from BullMQ.
    #[ts(type = "number | null")]
    pub next_run: Option<i64>,
    /// Runs BullMQ has made (the count `limit` applies to).
    #[ts(type = "number")]
    pub iterations: u64,
    /// Latest runs, newest first.
    pub recent_runs: Vec<ScheduleRun>,
}

/// Fire times of an expression.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct Preview {
    /// The expression.
    pub schedule: String,
    /// The zone the times are in.
    pub timezone: String,
    /// The expression in plain English.
    pub description: String,
    /// Fire times, RFC 3339 with the zone's offset.
    pub times: Vec<String>,
}
