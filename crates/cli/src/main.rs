//! `antrian`: Antrian headless, for servers (the seed's `start-queue-system.js`).
//!
//! A thin adapter: parse arguments, call `antrian-core`, map errors to exit codes
//! (0 ok, 1 a server or resource is unavailable, 2 invalid input or configuration, 3 not
//! found, 4 conflicts with the current state).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::CancellationToken;
use antrian_core::{ErrorCode, Runtime};
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
    /// Start the complete system (Redis, embedded when none is configured) until SIGINT/SIGTERM.
    Start,
    /// Print the effective configuration with the source of each value (secrets redacted).
    Config {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&LoadOptions::from_process(cli.config.clone())) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    match cli.command {
        Command::Config { json } => print_config(&config, json),
        Command::Start => start(config),
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

fn print_config(config: &Config, json: bool) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, config.entries())
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        let rows: Vec<(String, String, String)> = config
            .entries()
            .iter()
            .map(|e| {
                (
                    e.variable.to_string(),
                    e.value.clone().unwrap_or_else(|| "(unset)".into()),
                    e.source.to_string(),
                )
            })
            .collect();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(8);
        let w1 = rows
            .iter()
            .map(|r| r.1.chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let mut text = format!("{:w0$}  {:w1$}  SOURCE\n", "VARIABLE", "VALUE");
        for (var, value, source) in rows {
            text.push_str(&format!("{var:w0$}  {value:w1$}  {source}\n"));
        }
        out.write_all(text.as_bytes())
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`antrian config | head`) is not worth an error message.
        Err(_) => ExitCode::SUCCESS,
    }
}

fn start(config: Config) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "antrian: cannot start the async runtime: {e}"
            );
            return ExitCode::from(1);
        }
    };
    rt.block_on(async move {
        let _log = match antrian_core::telemetry::init(&config.app.log_filter, &config.app.log_dir)
        {
            Ok(guard) => guard,
            Err(e) => return fail(&e),
        };
        let cancel = CancellationToken::new();
        tokio::spawn(cancel_on_signal(cancel.clone()));
        let board = Runtime::status_board(&config);
        let runtime = match Runtime::start(config, board, cancel.clone()).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("{e}");
                return exit_code(e.code());
            }
        };
        let status = runtime.status();
        tracing::info!(
            redis = %status.address,
            mode = %runtime.mode().as_str(),
            version = %status.redis_version.as_deref().unwrap_or("?"),
            "ready"
        );
        cancel.cancelled().await;
        tracing::info!("shutting down");
        runtime.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn cancel_on_signal(cancel: CancellationToken) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    cancel.cancel();
}
