//! antrian-core: everything Antrian does, for the desktop app, the HTTP dashboard and the
//! CLI to call (DESIGN.md decision 4: one core, three faces).
//!
//! - [`audit`]: who removed, retried, paused or edited which jobs (a capped log in Redis).
//! - [`autoscaler`]: scaling decisions for worker pools (pure, table-tested).
//! - [`config`]: settings from defaults, `config.toml`, `.env` and the environment.
//! - [`embedded`]: the supervised `redis-server` Antrian runs when none is configured.
//! - [`connection`]: the one way to connect to Redis (probe, retry, BullMQ's client).
//! - [`keys`]: every Redis key of Antrian's own data.
//! - [`health`]: connection status for the Overview, with the eviction-policy warning.
//! - [`runtime`]: start-up and shutdown of everything one process runs.
//! - [`scheduler`]: cron schedules on BullMQ job schedulers, and condition-based ones.
//! - [`store`]: Antrian's own data: the product store.
//! - [`worker`]: job handlers and worker pools.
//! - [`telemetry`]: logging to stderr and a daily-rotated file.
//! - [`error`]: the crate's error type and its stable codes.

pub mod alerts;
pub mod audit;
pub mod autoscaler;
pub mod config;
pub mod connection;
pub mod connections;
pub mod embedded;
pub mod error;
pub mod health;
pub mod keys;
pub mod private_file;
pub mod queue;
pub mod runtime;
pub mod scheduler;
pub mod store;
pub mod telemetry;
pub mod worker;

pub use config::Config;
pub use error::{Error, ErrorCode, Result};
pub use runtime::Runtime;
pub use tokio_util::sync::CancellationToken;

/// Milliseconds since the Unix epoch: BullMQ's clock for job timestamps and scores.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
