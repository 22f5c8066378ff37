//! antrian-core: everything Antrian does, for the desktop app, the HTTP dashboard and the
//! CLI to call (DESIGN.md decision 4: one core, three faces).
//!
//! - [`alerts`]: failure alerts for the desktop's notifications (grouping, preferences).
//! - [`audit`]: who removed, retried, paused or edited which jobs (a capped log in Redis).
//! - [`config`]: settings from defaults, `config.toml`, `.env` and the environment.
//! - [`connection`]: the one way to connect to Redis (probe, retry, BullMQ's client), and
//!   [`connection::status`], the connection's state for the Overview.
//! - [`embedded`]: the supervised `redis-server` Antrian runs when none is configured.
//! - [`error`]: the crate's error type and its stable codes.
//! - [`keys`]: every Redis key of Antrian's own data.
//! - [`private_file`]: files only their owner may read, on every platform.
//! - [`queue`]: the queue manager over BullMQ's layout, job events, and the system's health
//!   verdict ([`queue::health`]).
//! - [`rules`]: rules the settings and the domains share (queue names, time zones, pool
//!   bounds), below both so `config` imports none of the modules it configures.
//! - [`runtime`]: start-up and shutdown of everything one process runs.
//! - [`scheduler`]: cron schedules on BullMQ job schedulers, and condition-based ones.
//! - [`store`]: Antrian's own data: products, orders, the desktop's saved connections.
//! - [`telemetry`]: logging to stderr and a daily-rotated file.
//! - [`worker`]: job handlers, worker pools, their autoscaler, nodes.

pub mod alerts;
pub mod audit;
pub mod config;
pub mod connection;
pub mod embedded;
pub mod error;
pub mod keys;
pub mod private_file;
pub mod queue;
pub mod rules;
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
