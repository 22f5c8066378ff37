//! Flags into core's typed inputs: each run's job options, the cron schedule's fields, a
//! `--file` of the API's JSON.

use std::path::PathBuf;

use antrian_core::queue::JobOptionsInput;
use antrian_core::scheduler::{DateInput, Overlap, ScheduleUpdate};
use clap::Args;
use serde_json::Value;

use crate::{args, CliError};

/// Options of each run's job, shared by `add` and `update`.
#[derive(Debug, Args)]
pub struct JobFlags {
    /// Job data as a JSON object.
    #[arg(long, conflicts_with = "data_file")]
    data: Option<String>,
    /// File with the job data (JSON object).
    #[arg(long, value_name = "FILE")]
    data_file: Option<PathBuf>,
    /// critical, high, normal, low, background, or 1–10 (10 most urgent).
    #[arg(long, allow_hyphen_values = true)]
    priority: Option<String>,
    /// Tries in all (1–100).
    #[arg(long, allow_hyphen_values = true)]
    attempts: Option<i64>,
    /// fixed:DELAY, exponential:DELAY[:FACTOR[:MAX_DELAY]] or linear:DELAY:INCREMENT.
    #[arg(long, allow_hyphen_values = true)]
    backoff: Option<String>,
}

impl JobFlags {
    pub(super) fn data(&self) -> Result<Option<Value>, CliError> {
        let raw = match (&self.data, &self.data_file) {
            (Some(d), _) => d.clone(),
            (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| {
                CliError::Usage(format!("cannot read --data-file {}: {e}", f.display()))
            })?,
            (None, None) => return Ok(None),
        };
        serde_json::from_str(&raw)
            .map(Some)
            .map_err(|e| CliError::Usage(format!("--data is not valid JSON: {e}")))
    }

    /// The options the flags give, or `None` when they give none.
    pub(super) fn options(&self) -> Result<Option<JobOptionsInput>, CliError> {
        let o = JobOptionsInput {
            priority: self.priority.as_deref().map(args::priority),
            attempts: self.attempts,
            backoff: self
                .backoff
                .as_deref()
                .map(args::backoff)
                .transpose()
                .map_err(CliError::Usage)?,
            ..JobOptionsInput::default()
        };
        Ok((o != JobOptionsInput::default()).then_some(o))
    }
}

pub(super) fn read_json(path: &PathBuf) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not valid JSON: {e}", path.display())))
}

pub(super) fn parse<T: serde::de::DeserializeOwned>(
    value: Value,
    what: &str,
) -> Result<T, CliError> {
    serde_json::from_value(value).map_err(|e| CliError::Usage(format!("{what}: {e}")))
}

/// A date flag: ms since the epoch when it is a number, otherwise the text (RFC 3339,
/// checked by core).
pub(super) fn date(raw: &str) -> DateInput {
    raw.trim().parse::<i64>().map_or_else(
        |_| DateInput::Text(raw.trim().to_string()),
        DateInput::Millis,
    )
}

/// The flags `add` and `update` share.
pub(super) struct ScheduleFlags<'a> {
    pub(super) cron: Option<String>,
    pub(super) job: Option<String>,
    pub(super) queue: Option<String>,
    pub(super) job_flags: &'a JobFlags,
    pub(super) tz: Option<String>,
    pub(super) start: Option<String>,
    pub(super) end: Option<String>,
    pub(super) limit: Option<String>,
    pub(super) overlap: Option<String>,
}

/// The change the flags give, as core's typed update; `none` for a date or the limit
/// clears it (no such bound).
pub(super) fn schedule_update(f: ScheduleFlags<'_>) -> Result<ScheduleUpdate, CliError> {
    let clearable = |raw: Option<String>| raw.map(|r| (r.trim() != "none").then_some(r));
    let limit = clearable(f.limit)
        .map(|l| {
            l.map(|l| {
                l.trim().parse::<u64>().map_err(|_| {
                    CliError::Usage(format!("--limit {l:?}: a whole number of runs, or none"))
                })
            })
            .transpose()
        })
        .transpose()?;
    let overlap = f
        .overlap
        .map(|o| parse::<Overlap>(Value::String(o), "--overlap"))
        .transpose()?;
    Ok(ScheduleUpdate {
        schedule: f.cron,
        job_name: f.job,
        queue_name: f.queue,
        job_data: f.job_flags.data()?,
        enabled: None,
        timezone: f.tz,
        options: f.job_flags.options()?,
        start_date: clearable(f.start).map(|d| d.as_deref().map(date)),
        end_date: clearable(f.end).map(|d| d.as_deref().map(date)),
        limit,
        overlap,
    })
}
