//! `antrian workers stats` and `antrian nodes …`: the worker pools of every node.

use std::process::ExitCode;

use antrian_core::scheduler::cron::format_in;
use antrian_core::worker::{
    list_nodes, scaling_log, send_command, NodeCommand, WorkerType, GONE_AFTER, REPLY_TIMEOUT,
};
use antrian_core::Runtime;
use clap::Subcommand;

use crate::{output, CliError};

#[derive(Debug, Subcommand)]
pub enum WorkersCommand {
    /// Pool statistics of every live node.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The scaling history, newest first: the autoscaler's decisions and operators'
    /// sizes (pinned) and hand-backs.
    Scaling {
        /// How many (1 to 1000).
        #[arg(long, default_value_t = 20)]
        count: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// Every node with its pools and whether it is alive.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a pool's size on a node and pin it there (the autoscaler leaves it alone), or
    /// hand it back to auto-scaling with `auto`.
    Scale {
        /// Node id (from `antrian nodes list`).
        node: String,
        /// scraping, data-processing, notification, cleanup, or a custom queue's name.
        worker_type: String,
        /// Workers wanted (0 stops the pool; otherwise QUEUE_MIN_WORKERS to
        /// QUEUE_MAX_WORKERS), or `auto`.
        workers: String,
    },
    /// Stop a node's pool from taking jobs.
    Pause {
        /// Node id.
        node: String,
        /// The pool.
        worker_type: String,
    },
    /// Let a node's pool take jobs again.
    Resume {
        /// Node id.
        node: String,
        /// The pool.
        worker_type: String,
    },
    /// Let a node finish its active jobs and stop.
    Drain {
        /// Node id.
        node: String,
    },
}

/// Parses a pool argument: one of the four types, or a custom queue's name (pools that
/// library users run, `WorkerType::custom`).
pub fn worker_type(raw: &str) -> Result<WorkerType, CliError> {
    WorkerType::parse_any(raw).ok_or_else(|| {
        CliError::Usage(format!(
            "unknown worker type {raw:?}: use scraping, data-processing, notification, cleanup or a custom queue's name"
        ))
    })
}

/// Runs `antrian workers stats`.
pub async fn stats(rt: &Runtime, json: bool) -> Result<ExitCode, CliError> {
    let nodes: Vec<_> = list_nodes(rt.connection(), GONE_AFTER)
        .await?
        .into_iter()
        .filter(|n| n.alive)
        .collect();
    let _ = if json {
        output::json(
            &nodes
                .iter()
                .map(|n| serde_json::json!({"node": n.id, "stats": n.stats}))
                .collect::<Vec<_>>(),
        )
    } else if nodes.is_empty() {
        output::text(
            "no worker node is running: start one with `antrian workers` or `antrian start`\n",
        )
    } else {
        let mut rows = Vec::new();
        for n in &nodes {
            for (t, s) in &n.stats.by_type {
                rows.push(vec![
                    n.id.clone(),
                    t.clone(),
                    s.workers.to_string(),
                    s.concurrency.to_string(),
                    s.active.to_string(),
                    s.processed.to_string(),
                    s.failed.to_string(),
                    format!("{:.0}", s.avg_duration_ms),
                    s.p95_duration_ms.to_string(),
                    format!("{:.0}%", s.utilisation * 100.0),
                    if s.pinned { "pinned" } else { "auto" }.to_string(),
                ]);
            }
        }
        output::text(&output::table(
            &[
                "NODE",
                "TYPE",
                "WORKERS",
                "CONCURRENCY",
                "ACTIVE",
                "PROCESSED",
                "FAILED",
                "AVG MS",
                "P95 MS",
                "BUSY",
                "SIZE",
            ],
            &rows,
        ))
    };
    Ok(ExitCode::SUCCESS)
}

/// Runs `antrian workers scaling`.
pub async fn scaling(rt: &Runtime, count: usize, json: bool) -> Result<ExitCode, CliError> {
    let records = scaling_log(rt.connection(), count).await?;
    let _ = if json {
        output::json(&records)
    } else if records.is_empty() {
        output::text("no scaling yet\n")
    } else {
        let rows: Vec<Vec<String>> = records
            .iter()
            .map(|r| {
                vec![
                    format_in(
                        i64::try_from(r.at_ms).unwrap_or(i64::MAX),
                        &rt.config().scheduler.timezone,
                    ),
                    r.node.clone(),
                    r.worker_type.clone(),
                    format!("{} → {}", r.from, r.to),
                    r.waiting.to_string(),
                    r.reason.clone(),
                ]
            })
            .collect();
        output::text(&output::table(
            &["AT", "NODE", "TYPE", "WORKERS", "WAITING", "WHY"],
            &rows,
        ))
    };
    Ok(ExitCode::SUCCESS)
}

/// Runs a `nodes` subcommand.
pub async fn nodes(rt: &Runtime, cmd: NodesCommand) -> Result<ExitCode, CliError> {
    let (node, command) = match cmd {
        NodesCommand::List { json } => {
            let nodes = list_nodes(rt.connection(), GONE_AFTER).await?;
            let _ = if json {
                output::json(&nodes)
            } else {
                let rows: Vec<Vec<String>> = nodes
                    .iter()
                    .map(|n| {
                        vec![
                            n.id.clone(),
                            n.host.clone(),
                            n.version.clone(),
                            n.pools
                                .iter()
                                .map(|(t, w)| format!("{t}={w}"))
                                .collect::<Vec<_>>()
                                .join(" "),
                            if n.alive {
                                "alive".into()
                            } else {
                                "gone".into()
                            },
                        ]
                    })
                    .collect();
                output::text(&output::table(
                    &["NODE", "HOST", "VERSION", "POOLS", "STATUS"],
                    &rows,
                ))
            };
            return Ok(ExitCode::SUCCESS);
        }
        NodesCommand::Scale {
            node,
            worker_type: t,
            workers,
        } => {
            let worker_type = worker_type(&t)?;
            let command = if workers.trim() == "auto" {
                NodeCommand::Auto { worker_type }
            } else {
                NodeCommand::Scale {
                    worker_type,
                    workers: workers.trim().parse().map_err(|_| {
                        CliError::Usage(format!(
                            "WORKERS {workers:?}: give a whole number of workers, or `auto`"
                        ))
                    })?,
                }
            };
            (node, command)
        }
        NodesCommand::Pause {
            node,
            worker_type: t,
        } => (
            node,
            NodeCommand::Pause {
                worker_type: worker_type(&t)?,
            },
        ),
        NodesCommand::Resume {
            node,
            worker_type: t,
        } => (
            node,
            NodeCommand::Resume {
                worker_type: worker_type(&t)?,
            },
        ),
        NodesCommand::Drain { node } => (node, NodeCommand::Drain),
    };
    let reply = send_command(rt.connection(), &node, &command, REPLY_TIMEOUT).await?;
    let _ = output::text(&format!("{node}: {}\n", reply.message));
    Ok(if reply.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(4)
    })
}
