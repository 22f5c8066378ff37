//! The queue-wide settings (`QUEUE_*`), the pools' worker counts (`*_WORKERS`) and each
//! pool's overrides (`*_CONCURRENCY`, `*_RATE_LIMIT`).

use super::parser::Parser;
use super::targets::HttpTarget;
use crate::error::Result;

/// Queue defaults.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// BullMQ key prefix.
    pub prefix: String,
    /// Jobs each worker runs at once.
    pub concurrency: u32,
    /// Default attempts per job.
    pub retry_attempts: u32,
    /// Default backoff delay, milliseconds.
    pub retry_delay_ms: u64,
    /// Whether pools scale with load.
    pub auto_scaling: bool,
    /// Fewest workers per pool when scaling.
    pub min_workers: u32,
    /// Most workers per pool when scaling.
    pub max_workers: u32,
    /// Completed jobs kept when a job does not say.
    pub remove_on_complete: u32,
    /// Failed jobs kept when a job does not say.
    pub remove_on_fail: u32,
    /// Largest job data accepted, bytes.
    pub max_job_data: u32,
    /// Milliseconds between `health:check` events.
    pub health_interval_ms: u64,
    /// Waiting longer than this degrades health, milliseconds.
    pub health_max_wait_ms: u64,
    /// Percent of a minute's finished jobs that, failed, degrades health.
    pub health_max_failure_rate: u32,
    /// Auto-scaling adds workers above this many waiting jobs.
    pub scale_up_threshold: u64,
    /// Auto-scaling removes a worker below this many waiting jobs.
    pub scale_down_threshold: u64,
    /// Least time between two scaling actions of a pool, milliseconds.
    pub scale_cooldown_ms: u64,
    /// A worker's job lock, milliseconds.
    pub lock_duration_ms: u64,
    /// Between checks for stalled jobs, milliseconds.
    pub stalled_interval_ms: u64,
    /// Time workers get to finish on shutdown, milliseconds.
    pub shutdown_timeout_ms: u64,
    /// Resident memory, megabytes, past which a headless process with pools drains and
    /// stops for its service manager to start a fresh one; 0 for no limit.
    pub max_memory_mb: u64,
    /// Queues other workers (Node.js BullMQ services) also serve: job names Antrian has no
    /// handler for are accepted on them.
    pub other_workers: Vec<String>,
    /// Queues besides the four, created at start so jobs can be added to them.
    pub custom: Vec<String>,
    /// Custom queues whose jobs are POSTed to an HTTP endpoint (`QUEUE_HTTP_TARGETS`).
    pub http_targets: Vec<HttpTarget>,
}

/// Workers per pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerCounts {
    /// scraping-queue.
    pub scraping: u32,
    /// data-processing-queue.
    pub data_processing: u32,
    /// notifications-queue.
    pub notification: u32,
    /// cleanup-queue.
    pub cleanup: u32,
}

/// A rate limit: at most `max` jobs started per `per_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Jobs per window.
    pub max: u64,
    /// Window, milliseconds.
    pub per_ms: u64,
}

/// What one pool overrides of the queue-wide settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolOverrides {
    /// Jobs per worker at once, instead of QUEUE_CONCURRENCY.
    pub concurrency: Option<u32>,
    /// The queue's rate limit.
    pub rate_limit: Option<RateLimit>,
}

/// Per-pool overrides for the seed's four worker types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolOverridesByType {
    /// Scraping pool.
    pub scraping: PoolOverrides,
    /// Data-processing pool.
    pub data_processing: PoolOverrides,
    /// Notification pool.
    pub notification: PoolOverrides,
    /// Cleanup pool.
    pub cleanup: PoolOverrides,
}

impl QueueConfig {
    /// The `QUEUE_*` settings; `cluster` when Redis is a cluster (the prefix then needs a
    /// hash tag).
    pub(super) fn parse(p: &Parser<'_>, cluster: bool) -> Result<Self> {
        let min_workers = p.number(
            "QUEUE_MIN_WORKERS",
            0,
            1000,
            "a whole number from 0 to 1000",
        )?;
        let max_expected = format!("a whole number ≥ QUEUE_MIN_WORKERS ({min_workers}) and ≤ 1000");
        let queue = Self {
            prefix: p.prefix(cluster)?,
            concurrency: p.number(
                "QUEUE_CONCURRENCY",
                1,
                10_000,
                "a whole number from 1 to 10000",
            )?,
            retry_attempts: p.number(
                "QUEUE_RETRY_ATTEMPTS",
                1,
                1000,
                "a whole number from 1 to 1000",
            )?,
            retry_delay_ms: p.number(
                "QUEUE_RETRY_DELAY",
                0,
                86_400_000,
                "milliseconds from 0 to 86400000 (one day)",
            )?,
            auto_scaling: p.boolean("QUEUE_AUTO_SCALING")?,
            min_workers,
            max_workers: p.number("QUEUE_MAX_WORKERS", min_workers.max(1), 1000, &max_expected)?,
            remove_on_complete: p.number(
                "QUEUE_REMOVE_ON_COMPLETE",
                0,
                1_000_000,
                "a whole number of jobs from 0 to 1000000",
            )?,
            remove_on_fail: p.number(
                "QUEUE_REMOVE_ON_FAIL",
                0,
                1_000_000,
                "a whole number of jobs from 0 to 1000000",
            )?,
            max_job_data: p.number(
                "QUEUE_MAX_JOB_DATA",
                1024,
                64 * 1024 * 1024,
                "bytes from 1024 to 67108864 (64 MiB)",
            )?,
            health_interval_ms: p.number(
                "QUEUE_HEALTH_INTERVAL",
                1000,
                86_400_000,
                "milliseconds from 1000 to 86400000",
            )?,
            health_max_wait_ms: p.number(
                "QUEUE_HEALTH_MAX_WAIT",
                1000,
                604_800_000,
                "milliseconds from 1000 to 604800000 (a week)",
            )?,
            health_max_failure_rate: p.number(
                "QUEUE_HEALTH_MAX_FAILURE_RATE",
                1,
                100,
                "a percentage from 1 to 100",
            )?,
            scale_up_threshold: p.number(
                "QUEUE_SCALE_UP_THRESHOLD",
                1,
                10_000_000,
                "a whole number of jobs from 1 to 10000000",
            )?,
            scale_down_threshold: p.number(
                "QUEUE_SCALE_DOWN_THRESHOLD",
                0,
                10_000_000,
                "a whole number of jobs below QUEUE_SCALE_UP_THRESHOLD",
            )?,
            scale_cooldown_ms: p.number(
                "QUEUE_SCALE_COOLDOWN",
                0,
                86_400_000,
                "milliseconds from 0 to 86400000",
            )?,
            lock_duration_ms: p.number(
                "QUEUE_LOCK_DURATION",
                1000,
                3_600_000,
                "milliseconds from 1000 to 3600000",
            )?,
            stalled_interval_ms: p.number(
                "QUEUE_STALLED_INTERVAL",
                500,
                3_600_000,
                "milliseconds from 500 to 3600000",
            )?,
            shutdown_timeout_ms: p.number(
                "QUEUE_SHUTDOWN_TIMEOUT",
                0,
                3_600_000,
                "milliseconds from 0 to 3600000",
            )?,
            max_memory_mb: p.number(
                "QUEUE_MAX_MEMORY",
                0,
                1_048_576,
                "megabytes from 0 (no limit) to 1048576",
            )?,
            other_workers: p.queue_names("QUEUE_OTHER_WORKERS")?,
            custom: p.queue_names("QUEUE_CUSTOM")?,
            http_targets: p.http_targets("QUEUE_HTTP_TARGETS")?,
        };
        if queue.scale_down_threshold >= queue.scale_up_threshold {
            return Err(p.invalid(
                "QUEUE_SCALE_DOWN_THRESHOLD",
                &format!(
                    "a whole number below QUEUE_SCALE_UP_THRESHOLD ({}), or pools would flap",
                    queue.scale_up_threshold
                ),
            ));
        }
        Ok(queue)
    }
}

impl WorkerCounts {
    /// `SCRAPING_WORKERS`, `DATA_PROCESSING_WORKERS`, `NOTIFICATION_WORKERS`,
    /// `CLEANUP_WORKERS`.
    pub(super) fn parse(p: &Parser<'_>) -> Result<Self> {
        Ok(Self {
            scraping: p.number("SCRAPING_WORKERS", 0, 1000, "a whole number from 0 to 1000")?,
            data_processing: p.number(
                "DATA_PROCESSING_WORKERS",
                0,
                1000,
                "a whole number from 0 to 1000",
            )?,
            notification: p.number(
                "NOTIFICATION_WORKERS",
                0,
                1000,
                "a whole number from 0 to 1000",
            )?,
            cleanup: p.number("CLEANUP_WORKERS", 0, 1000, "a whole number from 0 to 1000")?,
        })
    }
}

impl PoolOverridesByType {
    /// `<TYPE>_CONCURRENCY` and `<TYPE>_RATE_LIMIT` of each of the four pools.
    pub(super) fn parse(p: &Parser<'_>) -> Result<Self> {
        let pool = |prefix: &str| -> Result<PoolOverrides> {
            let concurrency_var = format!("{prefix}_CONCURRENCY");
            Ok(PoolOverrides {
                concurrency: match p.raw(&concurrency_var) {
                    Some(_) => Some(p.number(
                        &concurrency_var,
                        1,
                        10_000,
                        "a whole number from 1 to 10000",
                    )?),
                    None => None,
                },
                rate_limit: p.rate_limit(&format!("{prefix}_RATE_LIMIT"))?,
            })
        };
        Ok(Self {
            scraping: pool("SCRAPING")?,
            data_processing: pool("DATA_PROCESSING")?,
            notification: pool("NOTIFICATION")?,
            cleanup: pool("CLEANUP")?,
        })
    }
}
