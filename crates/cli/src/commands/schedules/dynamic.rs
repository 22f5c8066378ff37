//! `antrian schedules *-dynamic`: condition-based schedules from flags or a JSON file.

use std::path::PathBuf;
use std::process::ExitCode;

use antrian_core::scheduler::{
    Action, Condition, ConditionKind, DynamicScheduleInput, DynamicScheduleUpdate,
    DynamicScheduleView, FailureRate, NoWorkers, Operator, QueueDrained, QueueSize,
    DEFAULT_COOLDOWN_SECONDS, DEFAULT_FOR_SECONDS, DEFAULT_MIN_JOBS, DEFAULT_WINDOW_SECONDS,
};
use antrian_core::Runtime;
use clap::Args;
use serde_json::{Map, Value};

use super::input::{parse, read_json, JobFlags};
use super::{done, when};
use crate::{args, output, CliError};

/// `antrian schedules add-dynamic`.
#[derive(Debug, Args)]
pub struct DynamicArgs {
    /// Unique name, e.g. high-queue-alert.
    name: Option<String>,
    /// queue_size, failure_rate, queue_drained or no_workers.
    #[arg(long, required_unless_present = "file")]
    condition: Option<String>,
    /// The queue the condition watches.
    #[arg(long, required_unless_present = "file")]
    watch: Option<String>,
    /// queue_size: >, >=, <, <= or ==.
    #[arg(long)]
    operator: Option<String>,
    /// queue_size: jobs; failure_rate: percent.
    #[arg(long, allow_hyphen_values = true)]
    threshold: Option<f64>,
    /// failure_rate: window in seconds (default 300).
    #[arg(long)]
    window: Option<u64>,
    /// failure_rate: finished jobs needed to judge (default 5).
    #[arg(long)]
    min_jobs: Option<u64>,
    /// no_workers: seconds without a worker (default 60).
    #[arg(long = "for")]
    for_seconds: Option<u64>,
    /// Job to add when it fires, e.g. send-email.
    #[arg(long, required_unless_present = "file")]
    job: Option<String>,
    /// Queue of that job, e.g. notifications-queue.
    #[arg(long, required_unless_present = "file")]
    queue: Option<String>,
    #[command(flatten)]
    job_flags: JobFlags,
    /// Least time between two fires: 300s, 5m… (default 5m).
    #[arg(long)]
    cooldown: Option<String>,
    /// Store it without evaluating.
    #[arg(long)]
    disabled: bool,
    /// The whole schedule as JSON (`{name, condition, action, cooldownSeconds}`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["condition", "watch", "job", "queue", "name"])]
    file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A condition-based schedule in one line: what it watches, what it adds, its cooldown.
fn dynamic_summary(view: &DynamicScheduleView) -> String {
    format!(
        "dynamic schedule {}: when {}, add {} to {} (cooldown {} s)\n",
        view.schedule.name,
        view.description,
        view.schedule.action.job_name,
        view.schedule.action.queue_name,
        view.schedule.cooldown_seconds
    )
}

/// `--cooldown` as whole seconds.
fn cooldown_seconds(c: &str) -> Result<u64, CliError> {
    let ms = args::duration_ms("--cooldown", c).map_err(CliError::Usage)?;
    if ms % 1000 != 0 {
        return Err(CliError::Usage(format!(
            "--cooldown {c:?}: cooldowns are whole seconds (300s, 5m)"
        )));
    }
    u64::try_from(ms / 1000).map_err(|_| CliError::Usage(format!("--cooldown {c:?} is negative")))
}

/// A condition-based schedule from its flags, built as core's typed input: each condition
/// kind takes the flags it has, a missing one is named, and a flag the kind does not use is
/// refused rather than ignored.
fn dynamic_input(a: &DynamicArgs) -> Result<DynamicScheduleInput, CliError> {
    let usage = |m: String| CliError::Usage(m);
    let name = a
        .name
        .clone()
        .ok_or_else(|| usage("give the schedule's NAME, or --file".into()))?;
    let raw_kind = a.condition.as_deref().unwrap_or_default();
    let kind: ConditionKind = serde_json::from_value(Value::String(raw_kind.into()))
        .map_err(|e| usage(format!("--condition {raw_kind:?}: {e}")))?;
    let queue_name = a.watch.clone().unwrap_or_default();
    let needs = |flag: &str| usage(format!("--condition {raw_kind} needs {flag}"));
    let given = [
        ("--operator", a.operator.is_some()),
        ("--threshold", a.threshold.is_some()),
        ("--window", a.window.is_some()),
        ("--min-jobs", a.min_jobs.is_some()),
        ("--for", a.for_seconds.is_some()),
    ];
    let takes: &[&str] = match kind {
        ConditionKind::QueueSize => &["--operator", "--threshold"],
        ConditionKind::FailureRate => &["--threshold", "--window", "--min-jobs"],
        ConditionKind::QueueDrained => &[],
        ConditionKind::NoWorkers => &["--for"],
    };
    if let Some((flag, _)) = given.iter().find(|(f, set)| *set && !takes.contains(f)) {
        return Err(usage(format!(
            "{flag} does not apply to --condition {raw_kind}"
        )));
    }
    let condition = match kind {
        ConditionKind::QueueSize => {
            let op = a.operator.as_deref().ok_or_else(|| needs("--operator"))?;
            Condition::QueueSize(QueueSize {
                queue_name,
                operator: serde_json::from_value::<Operator>(Value::String(op.into()))
                    .map_err(|e| usage(format!("--operator {op:?}: {e}")))?,
                threshold: a.threshold.ok_or_else(|| needs("--threshold"))?,
            })
        }
        ConditionKind::FailureRate => Condition::FailureRate(FailureRate {
            queue_name,
            threshold: a.threshold.ok_or_else(|| needs("--threshold"))?,
            window_seconds: a.window.unwrap_or(DEFAULT_WINDOW_SECONDS),
            min_jobs: a.min_jobs.unwrap_or(DEFAULT_MIN_JOBS),
        }),
        ConditionKind::QueueDrained => Condition::QueueDrained(QueueDrained { queue_name }),
        ConditionKind::NoWorkers => Condition::NoWorkers(NoWorkers {
            queue_name,
            for_seconds: a.for_seconds.unwrap_or(DEFAULT_FOR_SECONDS),
        }),
    };
    Ok(DynamicScheduleInput {
        name,
        condition,
        action: Action {
            job_name: a.job.clone().unwrap_or_default(),
            queue_name: a.queue.clone().unwrap_or_default(),
            job_data: a
                .job_flags
                .data()?
                .unwrap_or_else(|| Value::Object(Map::new())),
            options: a.job_flags.options()?.unwrap_or_default(),
        },
        cooldown_seconds: a
            .cooldown
            .as_deref()
            .map(cooldown_seconds)
            .transpose()?
            .unwrap_or(DEFAULT_COOLDOWN_SECONDS),
        enabled: !a.disabled,
    })
}

fn dynamic_row(v: &DynamicScheduleView, tz: &str) -> Vec<String> {
    vec![
        v.schedule.name.clone(),
        v.description.clone(),
        format!(
            "{} on {}",
            v.schedule.action.job_name, v.schedule.action.queue_name
        ),
        if v.schedule.enabled { "yes" } else { "no" }.to_string(),
        when(v.state.last_evaluated, tz),
        when(v.state.last_fired, tz),
        v.state.fire_count.to_string(),
    ]
}

/// `antrian schedules add-dynamic`.
pub async fn add(rt: &Runtime, a: DynamicArgs) -> Result<ExitCode, CliError> {
    let sched = rt.scheduler();
    let input: DynamicScheduleInput = match &a.file {
        Some(path) => parse(read_json(path)?, "dynamic schedule")?,
        None => dynamic_input(&a)?,
    };
    let view = sched.add_dynamic_schedule(input).await?;
    done(if a.json {
        output::json(&view)
    } else {
        output::text(&format!("added {}", dynamic_summary(&view)))
    })
}

/// `antrian schedules update-dynamic`: from a JSON change, or `--threshold`/`--cooldown`.
pub async fn update(
    rt: &Runtime,
    name: String,
    file: Option<PathBuf>,
    threshold: Option<f64>,
    cooldown: Option<String>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let sched = rt.scheduler();
    let mut update: DynamicScheduleUpdate = match &file {
        Some(path) => parse(read_json(path)?, "dynamic schedule change")?,
        None => DynamicScheduleUpdate::default(),
    };
    if let Some(t) = threshold {
        let mut condition = match update.condition.take() {
            Some(c) => c,
            None => sched.get_dynamic_schedule(&name).await?.schedule.condition,
        };
        condition.set_threshold(t).map_err(CliError::Usage)?;
        update.condition = Some(condition);
    }
    if let Some(c) = &cooldown {
        update.cooldown_seconds = Some(cooldown_seconds(c)?);
    }
    if file.is_none() && threshold.is_none() && cooldown.is_none() {
        return Err(CliError::Usage(
            "nothing to change: give --file, --threshold or --cooldown".into(),
        ));
    }
    let view = sched.update_dynamic_schedule(&name, update).await?;
    done(if json {
        output::json(&view)
    } else {
        output::text(&format!("updated {}", dynamic_summary(&view)))
    })
}

/// `antrian schedules list-dynamic`.
pub async fn list(rt: &Runtime, json: bool) -> Result<ExitCode, CliError> {
    let sched = rt.scheduler();
    let all = sched.list_dynamic_schedules().await?;
    done(if json {
        output::json(&all)
    } else if all.is_empty() {
        output::text("no dynamic schedules; add one with `antrian schedules add-dynamic`\n")
    } else {
        // Times in SCHEDULER_TIMEZONE, the zone schedules default to.
        let tz = &rt.config().scheduler.timezone;
        let rows: Vec<Vec<String>> = all.iter().map(|v| dynamic_row(v, tz)).collect();
        output::text(&output::table(
            &[
                "NAME",
                "WHEN",
                "ADDS",
                "ENABLED",
                "LAST EVALUATED",
                "LAST FIRED",
                "FIRES",
            ],
            &rows,
        ))
    })
}
