//! `antrian schedules …`: cron and condition-based schedules.
//!
//! Flags become core's typed inputs (`ScheduleInput`, `ScheduleUpdate`, job options), which
//! core checks as it checks the HTTP API's; `--file` takes the API's JSON directly.
//!
//! - [`input`]: flags into those inputs, shared by `add` and `update`.
//! - [`dynamic`]: the condition-based schedules' commands.

use std::path::PathBuf;
use std::process::ExitCode;

use antrian_core::scheduler::cron::format_in;
use antrian_core::scheduler::{ScheduleInput, ScheduleUpdate, ScheduleView};
use antrian_core::Runtime;
use clap::Subcommand;
use serde_json::json;

use crate::{output, CliError};

pub mod dynamic;
mod input;

use dynamic::DynamicArgs;
use input::{parse, read_json, schedule_update, JobFlags, ScheduleFlags};

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
        SchedulesCommand::AddDynamic(a) => dynamic::add(rt, a).await,
        SchedulesCommand::UpdateDynamic {
            name,
            file,
            threshold,
            cooldown,
            json,
        } => dynamic::update(rt, name, file, threshold, cooldown, json).await,
        SchedulesCommand::ListDynamic { json } => dynamic::list(rt, json).await,
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
