//! `antrian queues …`.

use std::process::ExitCode;

use antrian_core::audit::Actor;
use antrian_core::queue::{CleanOptions, QueueStats};
use antrian_core::Runtime;
use clap::Subcommand;

use crate::{args, output, CliError};

#[derive(Debug, Subcommand)]
pub enum QueuesCommand {
    /// Counts per state, workers and recent throughput of one queue or all.
    Stats {
        /// One queue (default: all).
        queue: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a queue so jobs can be added to it (jobs are refused on a queue nobody
    /// created). Creating an existing queue changes nothing.
    Create {
        /// Letters, digits, `-`, `_` and `.` (e.g. my-queue).
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop workers everywhere from taking jobs of a queue.
    Pause {
        /// The queue.
        #[arg(required_unless_present = "all")]
        queue: Option<String>,
        /// Every queue.
        #[arg(long, conflicts_with = "queue")]
        all: bool,
    },
    /// Let workers take jobs again.
    Resume {
        /// The queue.
        #[arg(required_unless_present = "all")]
        queue: Option<String>,
        /// Every queue.
        #[arg(long, conflicts_with = "queue")]
        all: bool,
    },
    /// Remove completed and/or failed jobs.
    Clean {
        /// The queue.
        queue: String,
        /// Remove completed jobs.
        #[arg(long)]
        completed: bool,
        /// Remove failed jobs.
        #[arg(long)]
        failed: bool,
        /// At most this many per state.
        #[arg(long)]
        count: Option<u32>,
        /// Keep jobs finished within this long: 10m, 1h, 1d or milliseconds.
        #[arg(long)]
        grace: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn row(s: &QueueStats) -> Vec<String> {
    vec![
        s.name.clone(),
        s.waiting.to_string(),
        s.active.to_string(),
        s.delayed.to_string(),
        s.completed.to_string(),
        s.failed.to_string(),
        s.workers.to_string(),
        if s.is_paused {
            "paused".into()
        } else {
            String::new()
        },
    ]
}

/// Runs a `queues` subcommand.
pub async fn run(rt: &Runtime, cmd: QueuesCommand) -> Result<ExitCode, CliError> {
    let q = rt.queues();
    let written = match cmd {
        QueuesCommand::Stats { queue, json } => {
            let stats = match &queue {
                Some(name) => vec![q.get_queue_stats(name).await?],
                None => q.get_all_queue_stats().await?,
            };
            if json {
                match (&queue, stats.as_slice()) {
                    (Some(_), [one]) => output::json(one),
                    _ => output::json(&stats),
                }
            } else {
                let rows: Vec<Vec<String>> = stats.iter().map(row).collect();
                output::text(&output::table(
                    &[
                        "QUEUE",
                        "WAITING",
                        "ACTIVE",
                        "DELAYED",
                        "COMPLETED",
                        "FAILED",
                        "WORKERS",
                        "",
                    ],
                    &rows,
                ))
            }
        }
        QueuesCommand::Create { name, json } => {
            let created = rt.handle().create_queue(&name).await?;
            if json {
                output::json(&created)
            } else if created.created {
                output::text(&format!("created queue {name}\n"))
            } else {
                output::text(&format!("queue {name} already exists; nothing changed\n"))
            }
        }
        QueuesCommand::Pause { queue, all } => {
            let names = match queue {
                Some(name) if !all => {
                    q.by(Actor::cli()).pause_queue(&name).await?;
                    vec![name]
                }
                _ => q.by(Actor::cli()).pause_all().await?,
            };
            output::text(&format!("paused {}\n", names.join(", ")))
        }
        QueuesCommand::Resume { queue, all } => {
            let names = match queue {
                Some(name) if !all => {
                    q.by(Actor::cli()).resume_queue(&name).await?;
                    vec![name]
                }
                _ => q.by(Actor::cli()).resume_all().await?,
            };
            output::text(&format!("resumed {}\n", names.join(", ")))
        }
        QueuesCommand::Clean {
            queue,
            completed,
            failed,
            count,
            grace,
            json,
        } => {
            let grace = grace
                .as_deref()
                .map(|g| args::duration_ms("--grace", g))
                .transpose()
                .map_err(CliError::Usage)?
                .map(|g| u64::try_from(g).unwrap_or(0));
            let removed = q
                .by(Actor::cli())
                .clean_queue(
                    &queue,
                    &CleanOptions {
                        completed,
                        failed,
                        count,
                        grace,
                    },
                )
                .await?;
            if json {
                output::json(&serde_json::json!({"queue": queue, "removed": removed}))
            } else {
                output::text(&format!("removed {removed} jobs from {queue}\n"))
            }
        }
    };
    // A closed pipe is not a failure of the command.
    let _ = written;
    Ok(ExitCode::SUCCESS)
}
