//! `antrian schedules …`: cron and condition-based schedules.
//!
//! Flags become core's typed inputs (`ScheduleInput`, `ScheduleUpdate`, job options), which
//! core checks as it checks the HTTP API's; `--file` takes the API's JSON directly.

use std::path::PathBuf;
use std::process::ExitCode;

use antrian_core::queue::JobOptionsInput;
use antrian_core::scheduler::cron::format_in;
use antrian_core::scheduler::{
    Action, Condition, ConditionKind, DateInput, DynamicScheduleInput, DynamicScheduleUpdate,
    DynamicScheduleView, FailureRate, NoWorkers, Operator, Overlap, QueueDrained, QueueSize,
    ScheduleInput, ScheduleUpdate, ScheduleView, DEFAULT_COOLDOWN_SECONDS, DEFAULT_FOR_SECONDS,
    DEFAULT_MIN_JOBS, DEFAULT_WINDOW_SECONDS,
};
use antrian_core::Runtime;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::{args, output, CliError};

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
    fn data(&self) -> Result<Option<Value>, CliError> {
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
    fn options(&self) -> Result<Option<JobOptionsInput>, CliError> {
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

/// `antrian schedules …`.
#[derive(Debug, Subcommand)]
pub enum SchedulesCommand {
    /// Add a cron schedule (the seed's addSchedule).
    Add {
        /// Unique name, e.g. daily-cleanup.
        name: Option<String>,
        /// Cron expression: 5 fields (`0 2 * * *`), 6 with seconds first, or @daily…
        #[arg(long, required_unless_present = "file")]
        cron: Option<String>,
        /// Job name of each run, e.g. cleanup-old-data.
        #[arg(long, required_unless_present = "file")]
        job: Option<String>,
        /// Queue of each run, e.g. cleanup-queue.
        #[arg(long, required_unless_present = "file")]
        queue: Option<String>,
        #[command(flatten)]
        job_flags: JobFlags,
        /// IANA time zone, e.g. Asia/Jakarta (default SCHEDULER_TIMEZONE).
        #[arg(long)]
        tz: Option<String>,
        /// No run before this: RFC 3339 (2026-12-01T00:00:00+07:00) or ms since the epoch.
        #[arg(long)]
        start: Option<String>,
        /// No run after this: RFC 3339 or ms since the epoch.
        #[arg(long)]
        end: Option<String>,
        /// Most runs in all.
        #[arg(long)]
        limit: Option<u64>,
        /// allow (default) or skip: skip a run while the previous one is waiting or active.
        #[arg(long)]
        overlap: Option<String>,
        /// Store it without firing (enable later).
        #[arg(long)]
        disabled: bool,
        /// The whole schedule as JSON (the seed's fields) instead of flags.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["cron", "job", "queue", "name"])]
        file: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a schedule in place; flags left out keep their value.
    Update {
        /// The schedule.
        name: String,
        /// New cron expression.
        #[arg(long)]
        cron: Option<String>,
        /// New job name.
        #[arg(long)]
        job: Option<String>,
        /// New queue.
        #[arg(long)]
        queue: Option<String>,
        #[command(flatten)]
        job_flags: JobFlags,
        /// New time zone.
        #[arg(long)]
        tz: Option<String>,
        /// New start date, or `none`.
        #[arg(long)]
        start: Option<String>,
        /// New end date, or `none`.
        #[arg(long)]
        end: Option<String>,
        /// New run limit, or `none`.
        #[arg(long)]
        limit: Option<String>,
        /// allow or skip.
        #[arg(long)]
        overlap: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List cron schedules with next run and last outcome.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one schedule with its recent runs.
    Get {
        /// The schedule.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start firing again.
    Enable {
        /// The schedule.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop firing; the schedule is kept.
    Disable {
        /// The schedule.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add one run now, outside the cadence.
    Run {
        /// The schedule.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a schedule.
    Remove {
        /// The schedule.
        name: String,
    },
    /// Next fire times of a schedule, or of any expression with --cron.
    Preview {
        /// A stored schedule.
        #[arg(required_unless_present = "cron")]
        name: Option<String>,
        /// An expression to try instead.
        #[arg(long, conflicts_with = "name")]
        cron: Option<String>,
        /// Time zone for --cron.
        #[arg(long, requires = "cron")]
        tz: Option<String>,
        /// How many (1–100).
        #[arg(long, default_value_t = antrian_core::scheduler::DEFAULT_PREVIEW)]
        count: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a condition-based schedule (the seed's addDynamicSchedule).
    AddDynamic(DynamicArgs),
    /// Change a condition-based schedule in place; what is left out stays.
    UpdateDynamic {
        /// The schedule.
        name: String,
        /// The change as JSON: any of `condition`, `action`, `cooldownSeconds`, `enabled`.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// queue_size: a new threshold (jobs); failure_rate: percent.
        #[arg(long, allow_hyphen_values = true)]
        threshold: Option<f64>,
        /// Least time between two fires: 300s, 5m…
        #[arg(long)]
        cooldown: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List condition-based schedules with last evaluation, last fire and fire count.
    ListDynamic {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Start evaluating a condition-based schedule again.
    EnableDynamic {
        /// The schedule.
        name: String,
    },
    /// Stop evaluating a condition-based schedule; it is kept.
    DisableDynamic {
        /// The schedule.
        name: String,
    },
    /// Delete a condition-based schedule.
    RemoveDynamic {
        /// The schedule.
        name: String,
    },
}

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

fn read_json(path: &PathBuf) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not valid JSON: {e}", path.display())))
}

fn parse<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, CliError> {
    serde_json::from_value(value).map_err(|e| CliError::Usage(format!("{what}: {e}")))
}

/// A date flag: ms since the epoch when it is a number, otherwise the text (RFC 3339,
/// checked by core).
fn date(raw: &str) -> DateInput {
    raw.trim().parse::<i64>().map_or_else(
        |_| DateInput::Text(raw.trim().to_string()),
        DateInput::Millis,
    )
}

/// The flags `add` and `update` share.
struct ScheduleFlags<'a> {
    cron: Option<String>,
    job: Option<String>,
    queue: Option<String>,
    job_flags: &'a JobFlags,
    tz: Option<String>,
    start: Option<String>,
    end: Option<String>,
    limit: Option<String>,
    overlap: Option<String>,
}

/// The change the flags give, as core's typed update; `none` for a date or the limit
/// clears it (no such bound).
fn schedule_update(f: ScheduleFlags<'_>) -> Result<ScheduleUpdate, CliError> {
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

fn done(written: std::io::Result<()>) -> Result<ExitCode, CliError> {
    // A closed pipe is not a failure of the command.
    let _ = written;
    Ok(ExitCode::SUCCESS)
}

fn when(ms: Option<i64>, tz: &str) -> String {
    ms.map_or_else(|| "-".to_string(), |ms| format_in(ms, tz))
}

fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn show(v: &ScheduleView) -> String {
    let s = &v.schedule;
    let mut text = format!(
        "schedule {} ({})\n  cron:     {} ({}, {})\n  job:      {} on {}\n  data:     {}\n  next run: {}\n  overlap:  {}\n  runs:     {}{}\n",
        s.name,
        word(&v.status),
        s.schedule,
        v.description,
        s.timezone,
        s.job_name,
        s.queue_name,
        s.job_data,
        when(v.next_run, &s.timezone),
        word(&s.overlap),
        v.iterations,
        s.limit.map(|l| format!(" of {l}")).unwrap_or_default(),
    );
    for run in &v.recent_runs {
        text.push_str(&format!(
            "  run:      {} {} {}{}\n",
            format_in(run.fired_at, &s.timezone),
            word(&run.outcome),
            run.job_id,
            run.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    text
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

/// Runs a `schedules` subcommand.
pub async fn run(rt: &Runtime, cmd: SchedulesCommand) -> Result<ExitCode, CliError> {
    let sched = rt.scheduler();
    match cmd {
        SchedulesCommand::Add {
            name,
            cron,
            job,
            queue,
            job_flags,
            tz,
            start,
            end,
            limit,
            overlap,
            disabled,
            file,
            json,
        } => {
            let input: ScheduleInput = match file {
                Some(path) => parse(read_json(&path)?, "schedule")?,
                None => {
                    let name = name.ok_or_else(|| {
                        CliError::Usage("give the schedule's NAME, or --file".into())
                    })?;
                    let u = schedule_update(ScheduleFlags {
                        cron,
                        job,
                        queue,
                        job_flags: &job_flags,
                        tz,
                        start,
                        end,
                        limit: limit.map(|l| l.to_string()),
                        overlap,
                    })?;
                    // clap requires these three without --file.
                    let needed = |v: Option<String>, flag: &str| {
                        v.ok_or_else(|| CliError::Usage(format!("give {flag}")))
                    };
                    ScheduleInput {
                        name,
                        schedule: needed(u.schedule, "--cron")?,
                        job_name: needed(u.job_name, "--job")?,
                        queue_name: needed(u.queue_name, "--queue")?,
                        job_data: u.job_data.unwrap_or_else(|| json!({})),
                        enabled: !disabled,
                        timezone: u.timezone,
                        options: u.options.unwrap_or_default(),
                        start_date: u.start_date.flatten(),
                        end_date: u.end_date.flatten(),
                        limit: u.limit.flatten(),
                        overlap: u.overlap.unwrap_or_default(),
                    }
                }
            };
            let view = sched.add_schedule(input).await?;
            done(if json {
                output::json(&view)
            } else {
                output::text(&format!("added {}", show(&view)))
            })
        }
        SchedulesCommand::Update {
            name,
            cron,
            job,
            queue,
            job_flags,
            tz,
            start,
            end,
            limit,
            overlap,
            json,
        } => {
            let update = schedule_update(ScheduleFlags {
                cron,
                job,
                queue,
                job_flags: &job_flags,
                tz,
                start,
                end,
                limit,
                overlap,
            })?;
            if update == ScheduleUpdate::default() {
                return Err(CliError::Usage(
                    "nothing to change: give at least one of --cron, --job, --queue, --data, --tz, --start, --end, --limit, --overlap, --priority, --attempts, --backoff".into(),
                ));
            }
            let view = sched.update_schedule(&name, update).await?;
            done(if json {
                output::json(&view)
            } else {
                output::text(&format!("updated {}", show(&view)))
            })
        }
        SchedulesCommand::List { json } => {
            let all = sched.list_schedules().await?;
            done(if json {
                output::json(&all)
            } else if all.is_empty() {
                output::text("no schedules; add one with `antrian schedules add`\n")
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|v| {
                        let s = &v.schedule;
                        let last = v.recent_runs.first().map_or_else(
                            || "-".to_string(),
                            |r| {
                                format!(
                                    "{} {}",
                                    format_in(r.fired_at, &s.timezone),
                                    word(&r.outcome)
                                )
                            },
                        );
                        vec![
                            s.name.clone(),
                            s.schedule.clone(),
                            v.description.clone(),
                            s.timezone.clone(),
                            format!("{} on {}", s.job_name, s.queue_name),
                            word(&v.status),
                            when(v.next_run, &s.timezone),
                            last,
                        ]
                    })
                    .collect();
                output::text(&output::table(
                    &[
                        "NAME", "CRON", "MEANING", "TZ", "JOB", "STATUS", "NEXT RUN", "LAST RUN",
                    ],
                    &rows,
                ))
            })
        }
        SchedulesCommand::Get { name, json } => {
            let view = sched.get_schedule(&name).await?;
            done(if json {
                output::json(&view)
            } else {
                output::text(&show(&view))
            })
        }
        SchedulesCommand::Enable { name, json } => {
            let view = sched.enable_schedule(&name).await?;
            done(if json {
                output::json(&view)
            } else {
                output::text(&format!(
                    "enabled {name}; next run {}\n",
                    when(view.next_run, &view.schedule.timezone)
                ))
            })
        }
        SchedulesCommand::Disable { name, json } => {
            let view = sched.disable_schedule(&name).await?;
            done(if json {
                output::json(&view)
            } else {
                output::text(&format!(
                    "disabled {name}; `antrian schedules enable {name}` resumes it\n"
                ))
            })
        }
        SchedulesCommand::Run { name, json } => {
            let added = sched.run_schedule_now(&name).await?;
            done(if json {
                output::json(&added)
            } else {
                output::text(&format!(
                    "added job {} ({}) to {}\n",
                    added.id, added.name, added.queue
                ))
            })
        }
        SchedulesCommand::Remove { name } => {
            sched.remove_schedule(&name).await?;
            done(output::text(&format!("removed schedule {name}\n")))
        }
        SchedulesCommand::Preview {
            name,
            cron,
            tz,
            count,
            json,
        } => {
            let preview = match (name, cron) {
                (Some(name), _) => sched.preview_schedule(&name, count).await?,
                (None, Some(expr)) => sched.preview_expression(&expr, tz.as_deref(), count)?,
                (None, None) => {
                    return Err(CliError::Usage("give a schedule NAME or --cron".into()))
                }
            };
            done(if json {
                output::json(&preview)
            } else {
                let mut text = format!(
                    "{} — {} ({})\n",
                    preview.schedule, preview.description, preview.timezone
                );
                for t in &preview.times {
                    text.push_str(&format!("  {t}\n"));
                }
                output::text(&text)
            })
        }
        SchedulesCommand::AddDynamic(a) => {
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
        SchedulesCommand::UpdateDynamic {
            name,
            file,
            threshold,
            cooldown,
            json,
        } => {
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
        SchedulesCommand::ListDynamic { json } => {
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
        SchedulesCommand::EnableDynamic { name } => {
            sched.set_dynamic_enabled(&name, true).await?;
            done(output::text(&format!("enabled dynamic schedule {name}\n")))
        }
        SchedulesCommand::DisableDynamic { name } => {
            sched.set_dynamic_enabled(&name, false).await?;
            done(output::text(&format!("disabled dynamic schedule {name}\n")))
        }
        SchedulesCommand::RemoveDynamic { name } => {
            sched.remove_dynamic_schedule(&name).await?;
            done(output::text(&format!("removed dynamic schedule {name}\n")))
        }
    }
}
