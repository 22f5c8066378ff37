//! Logging: human-readable lines on stderr, and the same in a daily-rotated file in the
//! log directory (`antrian.log.YYYY-MM-DD`, a week kept).

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

use crate::error::{Error, Result};

/// Log lines that can wait for the file writer at once (~32 bytes each while empty).
const LOG_QUEUE_LINES: usize = 16_384;

/// Keeps the file writer flushing; hold it until the process exits.
#[derive(Debug)]
pub struct LogGuard {
    _file: WorkerGuard,
}

/// Installs the global subscriber. `filter` is a checked `tracing` directive.
pub fn init(filter: &str, log_dir: &Path) -> Result<LogGuard> {
    std::fs::create_dir_all(log_dir).map_err(|source| Error::DirNotWritable {
        path: log_dir.to_path_buf(),
        source,
    })?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("antrian")
        .filename_suffix("log")
        .max_log_files(7)
        .build(log_dir)
        .map_err(|e| Error::DirNotWritable {
            path: log_dir.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
    // The file writer's queue: lines wait here while its thread writes. The crate's default
    // (128,000 lines) takes 4 MB on its own from the start; this many lines still covers a
    // burst far longer than a write to the log file takes.
    let (file, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(appender);
    let env_filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal: not in pipes, journald or CI logs.
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Several adapters may call init in one test process; only the first one installs.
    let _ = tracing_subscriber::registry()
        .with(env_filter)
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false)
                .with_ansi(ansi),
        )
        .with(fmt::layer().with_writer(file).with_ansi(false))
        .try_init();
    Ok(LogGuard { _file: guard })
}
