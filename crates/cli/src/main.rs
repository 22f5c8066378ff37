//! `antrian`: Antrian headless, for servers (the seed's `start-queue-system.js`), and the
//! operator commands over the same core.
//!
//! A thin adapter: parse arguments, call `antrian-core`, print, and map errors to exit codes
//! (0 ok, 1 a server or resource is unavailable, 2 invalid input or configuration, 3 not
//! found, 4 conflicts with the current state).
//!
//! - [`args`]: argument syntax clap does not know (durations, backoff specs).
//! - [`commands`]: the commands that run against Redis, one module per resource.
//! - [`output`]: tables for people, JSON with `--json`.
//! - [`service`]: life under a service manager (systemd readiness, signals).

mod args;
mod commands;
mod output;
mod service;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::WorkerType;
use antrian_core::{CancellationToken, ErrorCode, Runtime};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "antrian",
    version,
    about = "Antrian: BullMQ-compatible job queues for scraping, run headless"
)]
struct Cli {
    /// Configuration file (default: $XDG_CONFIG_HOME/antrian/config.toml when it exists).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the complete system until SIGINT/SIGTERM.
    Start,
    /// Run the queue manager only: Redis, queue events and health checks.
    Queue,
    /// Run the HTTP dashboard only until SIGINT/SIGTERM (QUEUE_DASHBOARD_*): the API, live
    /// events, /metrics and the UI in a browser.
    Dashboard,
    /// Run the scheduler only until SIGINT/SIGTERM: condition-based schedules and cron
    /// housekeeping (cron runs themselves are added by BullMQ's workers).
    Scheduler,
    /// Cron and condition-based schedules: add, update, list, enable, disable, run now,
    /// preview, remove.
    #[command(subcommand)]
    Schedules(commands::schedules::SchedulesCommand),
    /// Print the effective configuration with the source of each value (secrets redacted).
    Config {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Health now: healthy, degraded or unhealthy, with reasons (exit 1 when unhealthy).
    Health {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add, inspect, retry and remove jobs.
    #[command(subcommand)]
    Jobs(commands::jobs::JobsCommand),
    /// Queue statistics and controls.
    #[command(subcommand)]
    Queues(commands::queues::QueuesCommand),
    /// Run worker pools headless until SIGINT/SIGTERM, or show their statistics.
    #[command(args_conflicts_with_subcommands = true)]
    Workers(WorkersArgs),
    /// Worker nodes: list them, scale, pause, resume or drain their pools remotely.
    #[command(subcommand)]
    Nodes(commands::workers::NodesCommand),
    /// Marketplace account sessions order-scraping uses (stored in Redis, never shown).
    #[command(subcommand)]
    Accounts(commands::accounts::AccountsCommand),
    /// The product store: list, search, look up and export what scraping saved.
    #[command(subcommand)]
    Products(commands::products::ProductsCommand),
    /// The audit log: who (desktop, dashboard user, CLI) removed, retried, promoted,
    /// cleaned, paused or edited which jobs, newest first.
    Audit {
        /// How many entries (1 to 1000; the log keeps the latest 1000).
        #[arg(long, default_value_t = antrian_core::audit::DEFAULT_AUDIT_LIMIT)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What scraping met at each site: successes, blocks (403/429), errors by status.
    Sites {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
struct WorkersArgs {
    #[command(subcommand)]
    command: Option<commands::workers::WorkersCommand>,
    /// Only these pools (comma-separated): scraping, data-processing, notification, cleanup.
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
    /// Scraping workers (default SCRAPING_WORKERS).
    #[arg(long)]
    scraping: Option<u32>,
    /// Data-processing workers (default DATA_PROCESSING_WORKERS).
    #[arg(long)]
    data_processing: Option<u32>,
    /// Notification workers (default NOTIFICATION_WORKERS).
    #[arg(long)]
    notification: Option<u32>,
    /// Cleanup workers (default CLEANUP_WORKERS).
    #[arg(long)]
    cleanup: Option<u32>,
}

impl WorkersArgs {
    fn plan(&self) -> Result<WorkerPlan, String> {
        let mut plan = WorkerPlan::default();
        for raw in &self.types {
            plan.types.push(WorkerType::parse(raw).ok_or_else(|| {
                format!("--types: unknown worker type {raw:?}: use scraping, data-processing, notification or cleanup")
            })?);
        }
        for (t, n) in [
            (WorkerType::Scraping, self.scraping),
            (WorkerType::DataProcessing, self.data_processing),
            (WorkerType::Notification, self.notification),
            (WorkerType::Cleanup, self.cleanup),
        ] {
            if let Some(n) = n {
                plan.counts.insert(t, n);
            }
        }
        Ok(plan)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&LoadOptions::from_process(cli.config.clone())) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    match cli.command {
        Command::Config { json } => output::config(&config, json),
        Command::Start => {
            let dashboard = config.dashboard.enabled;
            run_until_signal(
                config,
                Components {
                    workers: Some(WorkerPlan::default()),
                    scheduler: true,
                    dashboard,
                },
            )
        }
        Command::Queue => run_until_signal(config, Components::default()),
        Command::Scheduler => run_until_signal(
            config,
            Components {
                scheduler: true,
                ..Components::default()
            },
        ),
        Command::Dashboard => run_until_signal(
            config,
            Components {
                dashboard: true,
                ..Components::default()
            },
        ),
        Command::Schedules(cmd) => one_shot(config, async move |rt| {
            commands::schedules::run(rt, cmd).await
        }),
        Command::Workers(WorkersArgs {
            command: Some(commands::workers::WorkersCommand::Stats { json }),
            ..
        }) => one_shot(config, async move |rt| {
            commands::workers::stats(rt, json).await
        }),
        Command::Workers(WorkersArgs {
            command: Some(commands::workers::WorkersCommand::Scaling { count, json }),
            ..
        }) => one_shot(config, async move |rt| {
            commands::workers::scaling(rt, count, json).await
        }),
        Command::Workers(args) => match args.plan() {
            Ok(plan) => run_until_signal(
                config,
                Components {
                    workers: Some(plan),
                    ..Components::default()
                },
            ),
            Err(message) => {
                let _ = writeln!(std::io::stderr(), "antrian: {message}");
                ExitCode::from(2)
            }
        },
        Command::Nodes(cmd) => one_shot(config, async move |rt| {
            commands::workers::nodes(rt, cmd).await
        }),
        Command::Accounts(cmd) => one_shot(config, async move |rt| {
            commands::accounts::run(rt, cmd).await
        }),
        Command::Products(cmd) => one_shot(config, async move |rt| {
            commands::products::run(rt, cmd).await
        }),
        Command::Audit { limit, json } => one_shot(config, async move |rt| {
            commands::audit::run(rt, limit, json).await
        }),
        Command::Sites { json } => {
            one_shot(config, async move |rt| commands::sites::run(rt, json).await)
        }
        Command::Health { json } => {
            one_shot(config, async move |rt| commands::health(rt, json).await)
        }
        Command::Jobs(cmd) => one_shot(config, async move |rt| commands::jobs::run(rt, cmd).await),
        Command::Queues(cmd) => {
            one_shot(config, async move |rt| commands::queues::run(rt, cmd).await)
        }
    }
}

/// An error of a command: a core error, or an argument the CLI itself could not parse.
#[derive(Debug)]
pub enum CliError {
    /// From core; its code decides the exit status.
    Core(antrian_core::Error),
    /// A bad argument (exit 2).
    Usage(String),
}

impl From<antrian_core::Error> for CliError {
    fn from(e: antrian_core::Error) -> Self {
        CliError::Core(e)
    }
}

fn fail(e: &antrian_core::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "antrian: {e}");
    exit_code(e.code())
}

fn exit_code(code: ErrorCode) -> ExitCode {
    match code {
        ErrorCode::InvalidInput => ExitCode::from(2),
        ErrorCode::NotFound => ExitCode::from(3),
        ErrorCode::Conflict => ExitCode::from(4),
        ErrorCode::Unavailable | ErrorCode::Internal => ExitCode::from(1),
    }
}

fn tokio_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Runtime::new().map_err(|e| {
        let _ = writeln!(
            std::io::stderr(),
            "antrian: cannot start the async runtime: {e}"
        );
        ExitCode::from(1)
    })
}

/// Runs one command on a runtime without background services. With the embedded Redis,
/// the command attaches to a running Antrian's server, or starts the server for the
/// command's duration (its data persists in the AOF either way).
fn one_shot<F>(config: Config, command: F) -> ExitCode
where
    F: AsyncFnOnce(&Runtime) -> Result<ExitCode, CliError>,
{
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async move {
        let cancel = CancellationToken::new();
        tokio::spawn(service::cancel_on_signal(cancel.clone()));
        let board = Runtime::status_board(&config);
        let runtime = match Runtime::start(config, board, cancel, Services::OneShot).await {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
        antrian_jobs::install_checks(&runtime);
        let result = command(&runtime).await;
        runtime.shutdown().await;
        match result {
            Ok(code) => code,
            Err(CliError::Core(e)) => fail(&e),
            Err(CliError::Usage(message)) => {
                let _ = writeln!(std::io::stderr(), "antrian: {message}");
                ExitCode::from(2)
            }
        }
    })
}

/// What a long-running command runs besides the queue manager.
#[derive(Debug, Default)]
struct Components {
    /// Worker pools, and which.
    workers: Option<WorkerPlan>,
    /// The scheduler component.
    scheduler: bool,
    /// The HTTP dashboard.
    dashboard: bool,
}

/// Runs until SIGINT/SIGTERM, a remote drain or, with pools, the memory ceiling (exit 75):
/// the queue manager and `components`.
fn run_until_signal(config: Config, components: Components) -> ExitCode {
    let Components {
        workers,
        scheduler,
        dashboard,
    } = components;
    let rt = match tokio_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async move {
        let _log = match antrian_core::telemetry::init(&config.app.log_filter, &config.app.log_dir)
        {
            Ok(guard) => guard,
            Err(e) => return fail(&e),
        };
        let cancel = CancellationToken::new();
        tokio::spawn(service::cancel_on_signal(cancel.clone()));
        let board = Runtime::status_board(&config);
        service::notify(&[service::State::Status(&format!(
            "connecting to Redis at {}",
            board.current().address
        ))]);
        // A node that only runs workers reads no event streams: nothing in it needs job
        // events, and decoding them cost it a tenth of its CPU (bench/README.md).
        let services = if workers.is_some() && !scheduler && !dashboard {
            Services::Workers
        } else {
            Services::Full
        };
        let mut runtime = match Runtime::start(config, board, cancel.clone(), services).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("{e}");
                return exit_code(e.code());
            }
        };
        tokio::spawn(commands::log_events(runtime.events().subscribe()));
        if let Some(plan) = workers {
            let registry = match antrian_jobs::setup(&runtime) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("{e}");
                    runtime.shutdown().await;
                    return ExitCode::from(2);
                }
            };
            if let Err(e) = runtime.start_workers(registry, &plan).await {
                tracing::error!("{e}");
                let code = exit_code(e.code());
                runtime.shutdown().await;
                return code;
            }
        }
        if scheduler {
            runtime.start_scheduler();
        }
        runtime.stop_above_memory_limit();
        let server = if dashboard {
            let mut dashboard_config = runtime.config().dashboard.clone();
            let kept_in = match antrian_server::credentials::ensure_password(
                &mut dashboard_config,
                &runtime.config().app.data_dir,
            ) {
                Ok(kept_in) => kept_in,
                Err(e) => {
                    tracing::error!("{e}");
                    runtime.shutdown().await;
                    return ExitCode::from(2);
                }
            };
            match antrian_server::Server::start(runtime.handle(), &dashboard_config, cancel.clone())
                .await
            {
                Ok(server) => {
                    use antrian_server::credentials::sign_in_line;
                    use std::io::IsTerminal;
                    let (config, addr, kept) =
                        (&dashboard_config, server.addr(), kept_in.as_deref());
                    // The log (a file too) never holds the password; a person at a terminal
                    // is shown it.
                    tracing::info!("{}", sign_in_line(config, addr, kept, false));
                    if kept.is_some() && std::io::stderr().is_terminal() {
                        eprintln!("{}", sign_in_line(config, addr, kept, true));
                    }
                    Some(server)
                }
                Err(e) => {
                    tracing::error!("{e}");
                    runtime.shutdown().await;
                    return ExitCode::from(2);
                }
            }
        } else {
            None
        };
        let status = runtime.status();
        tracing::info!(
            redis = %status.address,
            mode = %runtime.mode().as_str(),
            version = %status.redis_version.as_deref().unwrap_or("?"),
            queues = runtime.queues().queue_names().await.map(|q| q.len()).unwrap_or(0),
            "ready"
        );
        service::notify(&[
            service::State::Ready,
            service::State::Status(&format!("ready; Redis at {}", status.address)),
        ]);
        let reporter = tokio::spawn(service::report_health(runtime.handle(), cancel.clone()));
        cancel.cancelled().await;
        let _ = reporter.await;
        tracing::info!("shutting down");
        service::notify(&[
            service::State::Stopping,
            service::State::Status("finishing the jobs in hand"),
        ]);
        if let Some(server) = server {
            server.stopped().await;
        }
        let over_memory = runtime.stopped_for_memory().is_some();
        runtime.shutdown().await;
        if over_memory {
            // EX_TEMPFAIL: a service manager restarts the process (the shipped systemd unit
            // does on any failure).
            ExitCode::from(75)
        } else {
            ExitCode::SUCCESS
        }
    })
}
