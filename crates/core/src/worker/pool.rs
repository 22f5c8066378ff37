//! Worker pools (the seed's `WorkerManager`): for each worker type, a number of BullMQ
//! workers on the type's queue, each running up to `concurrency` jobs at once through the
//! registry's handlers.
//!
//! Outcomes map onto BullMQ's own mechanics, so every BullMQ tool reads them right:
//! `Ok` completes; [`JobError::Retry`] fails the attempt and the job's backoff applies;
//! [`JobError::Discard`] is BullMQ's unrecoverable error (straight to failed);
//! [`JobError::RetryAfter`] moves the job to delayed until the given time and counts the
//! attempt; a job name without a handler is discarded with the names that are handled. A
//! handler runs in its own task, so a panic fails that attempt with the panic message and
//! leaves the pool running.
//!
//! Scaling down closes the last workers gracefully (they finish their active jobs first);
//! shutdown closes all of them the same way with a deadline, after which unfinished jobs
//! are left to BullMQ's stalled-job recovery by the next worker.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bullmq::options::{MetricsOptions, RateLimiterOptions, WorkerOptions};
use bullmq::redis_connection::AnyConnection;
use bullmq::types::BackoffStrategy;
use futures_util::FutureExt;
use serde::Serialize;

use super::handler::{JobContext, JobError, JobSlot};
use super::registry::{Registry, WorkerType};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::now_ms;
use crate::queue::options::backoff_delay;
use crate::queue::METRICS_MINUTES;
use crate::worker::autoscale::decision::ScalingRules;

/// How many recent job durations the statistics keep per type.
const DURATION_WINDOW: usize = 1000;

/// How one pool runs.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Jobs each worker runs at once.
    pub concurrency: usize,
    /// Jobs per `rate_limit_ms` window for the whole queue (BullMQ's limiter), if any.
    pub rate_limit: Option<(u64, u64)>,
    /// Lock duration, milliseconds: a worker silent this long loses its jobs.
    pub lock_duration_ms: u64,
    /// How often stalled jobs are looked for, milliseconds.
    pub stalled_interval_ms: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            concurrency: 10,
            rate_limit: None,
            lock_duration_ms: 30_000,
            stalled_interval_ms: 30_000,
        }
    }
}

/// Counters one pool's processor updates.
#[derive(Debug)]
struct Counters {
    active: AtomicU64,
    processed: AtomicU64,
    failed: AtomicU64,
    durations_ms: Mutex<VecDeque<u64>>,
    started: Instant,
}

impl Counters {
    fn new() -> Self {
        Self {
            active: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            durations_ms: Mutex::new(VecDeque::with_capacity(DURATION_WINDOW)),
            started: Instant::now(),
        }
    }

    fn record(&self, took: Duration, ok: bool) {
        if ok {
            self.processed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let mut d = self
            .durations_ms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if d.len() == DURATION_WINDOW {
            d.pop_front();
        }
        d.push_back(u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
    }
}

/// Statistics of one worker type (the seed's `getWorkerStats().byType[...]`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct TypeStats {
    /// Workers running.
    pub workers: u32,
    /// Jobs each runs at once.
    pub concurrency: u32,
    /// Jobs running now.
    #[ts(type = "number")]
    pub active: u64,
    /// Attempts that succeeded since start.
    #[ts(type = "number")]
    pub processed: u64,
    /// Attempts that failed since start.
    #[ts(type = "number")]
    pub failed: u64,
    /// Mean duration of the recent attempts, ms.
    pub avg_duration_ms: f64,
    /// 95th percentile of the recent attempts, ms.
    #[ts(type = "number")]
    pub p95_duration_ms: u64,
    /// Running jobs over capacity (workers × concurrency), 0–1.
    pub utilisation: f64,
    /// Since the pool started, ms.
    #[ts(type = "number")]
    pub uptime_ms: u64,
    /// Sized by an operator: the autoscaler leaves it alone until it is handed back.
    #[serde(default)]
    pub pinned: bool,
    /// The smallest size an operator may set besides 0 (which stops the pool).
    #[serde(default)]
    pub min_size: u32,
    /// The largest size an operator may set.
    #[serde(default)]
    pub max_size: u32,
    /// The sizes an operator may set, in words, for forms to show.
    #[serde(default)]
    pub size_hint: String,
}

/// Every pool's statistics (the seed's `getWorkerStats()`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct WorkerStats {
    /// Workers in all pools.
    pub total_workers: u32,
    /// Jobs running in all pools.
    #[ts(type = "number")]
    pub total_active: u64,
    /// Per worker type.
    pub by_type: BTreeMap<String, TypeStats>,
}

pub(super) struct Pool {
    workers: Vec<Arc<bullmq::Worker>>,
    counters: Arc<Counters>,
    settings: PoolSettings,
    /// Next worker number, so names stay unique across scale-downs.
    next: usize,
    /// Sized by hand: the autoscaler skips it (`manual`).
    pub(super) pinned: bool,
}

/// The worker pools of one process.
pub struct WorkerManager {
    /// Shared connection (for Antrian's own writes) and source of the workers' URL.
    pub(super) conn: Connection,
    prefix: String,
    /// Names workers register with (shown by BullMQ's getWorkers, bull-board, Taskforce).
    node_name: String,
    registry: Arc<Registry>,
    pub(super) pools: tokio::sync::Mutex<BTreeMap<WorkerType, Pool>>,
    /// The bounds every size obeys (`manual`).
    pub(super) rules: std::sync::RwLock<ScalingRules>,
    /// Whether the pools log each job they finish, as `antrian start` logs the events it
    /// reads: a process that reads no event streams, where nothing else would.
    log_outcomes: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for WorkerManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerManager")
            .field("node_name", &self.node_name)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".to_string())
}

impl WorkerManager {
    /// A manager with no pools running yet; `node_name` prefixes every worker's name.
    pub fn new(conn: Connection, prefix: &str, node_name: &str, registry: Registry) -> Self {
        Self {
            conn,
            prefix: prefix.to_string(),
            node_name: node_name.to_string(),
            registry: Arc::new(registry),
            pools: tokio::sync::Mutex::new(BTreeMap::new()),
            rules: std::sync::RwLock::new(ScalingRules::default()),
            log_outcomes: Arc::default(),
        }
    }

    /// Makes the pools log each job they finish — a failure for good at warn with its
    /// reason, a completion at debug — for a process that reads no queue events
    /// (`Services::Workers`), whose jobs would otherwise go unlogged.
    pub fn log_outcomes(&self, on: bool) {
        self.log_outcomes.store(on, Ordering::Relaxed);
    }

    /// Sets a type's pool to `n` workers (the seed's `scaleWorkers`). Adding starts them at
    /// once; removing closes the newest ones, each finishing its active jobs first (up to
    /// `drain` long). The first call for a type creates its pool with `settings`. Growing
    /// is refused when Redis has no room for the workers' connections ([`super::budget`]).
    pub async fn scale_workers(
        &self,
        worker_type: WorkerType,
        n: u32,
        settings: &PoolSettings,
        drain: Duration,
    ) -> Result<()> {
        if n > 0 && !self.registry.handles(worker_type) {
            return Err(Error::InvalidJob {
                field: "workers".into(),
                rule: format!(
                    "no handler is registered for {} jobs, so its workers would only fail them",
                    worker_type.as_str()
                ),
            });
        }
        let room = if n > 0 {
            self.client_room().await
        } else {
            None
        };
        let mut pools = self.pools.lock().await;
        let pool = pools.entry(worker_type).or_insert_with(|| Pool {
            workers: Vec::new(),
            counters: Arc::new(Counters::new()),
            settings: settings.clone(),
            next: 0,
            pinned: false,
        });
        let target = n as usize;
        let more = u32::try_from(target.saturating_sub(pool.workers.len())).unwrap_or(u32::MAX);
        if let Some(why) = room.and_then(|r| r.refuse(more)) {
            return Err(Error::InvalidJob {
                field: "workers".into(),
                rule: why,
            });
        }
        while pool.workers.len() < target {
            let worker = self.start_worker(worker_type, pool).await?;
            pool.workers.push(Arc::new(worker));
        }
        let removed: Vec<Arc<bullmq::Worker>> = pool
            .workers
            .drain(target.min(pool.workers.len())..)
            .collect();
        drop(pools);
        close_all(removed, drain).await;
        tracing::info!(
            worker_type = worker_type.as_str(),
            workers = n,
            "pool scaled"
        );
        Ok(())
    }

    async fn start_worker(
        &self,
        worker_type: WorkerType,
        pool: &mut Pool,
    ) -> Result<bullmq::Worker> {
        let index = pool.next;
        pool.next += 1;
        let registry = self.registry.clone();
        let counters = pool.counters.clone();
        let log_outcomes = self.log_outcomes.clone();
        let redis = self.conn.redis();
        let prefix: Arc<str> = Arc::from(self.prefix.as_str());
        let processor = move |job: bullmq::Job, cancel: bullmq::worker::CancellationToken| {
            let registry = registry.clone();
            let counters = counters.clone();
            let redis = redis.clone();
            let prefix = prefix.clone();
            let log_outcomes = log_outcomes.load(Ordering::Relaxed);
            async move {
                run_job(
                    &registry,
                    (worker_type, log_outcomes),
                    &counters,
                    (redis, &*prefix),
                    job,
                    cancel,
                )
                .await
            }
        };
        let opts = WorkerOptions {
            connection: self.conn.options().clone(),
            prefix: self.prefix.clone(),
            name: Some(format!(
                "{}:{}:{index}",
                self.node_name,
                worker_type.as_str()
            )),
            concurrency: pool.settings.concurrency.max(1),
            lock_duration: pool.settings.lock_duration_ms,
            stalled_interval: pool.settings.stalled_interval_ms,
            limiter: pool
                .settings
                .rate_limit
                .map(|(max, duration)| RateLimiterOptions { max, duration }),
            backoff_strategy: Some(Arc::new(
                |attempts_made, kind: &str, _err: &str, _data: &serde_json::Value| {
                    // Antrian's custom strategies (capped exponential, linear) by name.
                    let delay =
                        backoff_delay(&BackoffStrategy::Custom(kind.to_string()), attempts_made)
                            .map_or(-1, |d| i64::try_from(d).unwrap_or(i64::MAX));
                    Box::pin(async move { delay })
                },
            )),
            skip_version_check: true,
            // An idle worker blocks on Redis for at most this many seconds; closing waits
            // for that call to return, so it bounds how long scaling down or quitting takes
            // (BullMQ's default of 5 s made every shutdown take 5 s).
            drain_delay: 1,
            // After a failed fetch (a dropped connection, Redis restarting) a worker waits
            // this long before fetching again; BullMQ's 15 s default left pools idle for
            // 15 s after every `CLIENT KILL` or failover (crates/cli/tests/faults.rs measures it). One
            // warning per worker per second while Redis is away is the price.
            run_retry_delay: 1_000,
            // Completed/failed per minute for the dashboards, in BullMQ's own keys (Node.js
            // dashboards read them too); two small writes inside the script that finishes
            // each job.
            metrics: Some(MetricsOptions {
                max_data_points: METRICS_MINUTES as usize,
            }),
            ..Default::default()
        };
        Ok(bullmq::Worker::with_options(worker_type.queue(), processor, opts).await?)
    }

    /// Stops a pool's workers from taking new jobs (active ones finish); the queue itself
    /// stays open for other consumers. Returns false when the type has no pool.
    pub async fn pause_pool(&self, worker_type: WorkerType) -> bool {
        let pools = self.pools.lock().await;
        let Some(pool) = pools.get(&worker_type) else {
            return false;
        };
        for worker in &pool.workers {
            worker.pause();
        }
        true
    }

    /// Lets a paused pool take jobs again. Returns false when the type has no pool.
    pub async fn resume_pool(&self, worker_type: WorkerType) -> bool {
        let pools = self.pools.lock().await;
        let Some(pool) = pools.get(&worker_type) else {
            return false;
        };
        for worker in &pool.workers {
            worker.resume();
        }
        true
    }

    /// Workers per type.
    pub async fn pool_sizes(&self) -> BTreeMap<WorkerType, u32> {
        self.pools
            .lock()
            .await
            .iter()
            .map(|(t, p)| (*t, u32::try_from(p.workers.len()).unwrap_or(u32::MAX)))
            .collect()
    }

    /// The settings a type's pool runs with, when it has one.
    pub async fn pool_settings(&self, worker_type: WorkerType) -> Option<PoolSettings> {
        self.pools
            .lock()
            .await
            .get(&worker_type)
            .map(|p| p.settings.clone())
    }

    /// Statistics of every pool.
    pub async fn get_worker_stats(&self) -> WorkerStats {
        let rules = self.rules();
        let pools = self.pools.lock().await;
        let mut by_type = BTreeMap::new();
        for (t, pool) in pools.iter() {
            let c = &pool.counters;
            let mut durations: Vec<u64> = c
                .durations_ms
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .copied()
                .collect();
            durations.sort_unstable();
            let avg = if durations.is_empty() {
                0.0
            } else {
                durations.iter().sum::<u64>() as f64 / durations.len() as f64
            };
            let p95 = durations
                .get((durations.len() * 95).div_ceil(100).saturating_sub(1))
                .copied()
                .unwrap_or(0);
            let workers = u32::try_from(pool.workers.len()).unwrap_or(u32::MAX);
            let concurrency = u32::try_from(pool.settings.concurrency).unwrap_or(u32::MAX);
            let active = c.active.load(Ordering::Relaxed);
            let capacity = f64::from(workers) * f64::from(concurrency);
            let utilisation = if capacity > 0.0 {
                active as f64 / capacity
            } else {
                0.0
            };
            by_type.insert(
                t.as_str().to_string(),
                TypeStats {
                    workers,
                    concurrency,
                    active,
                    processed: c.processed.load(Ordering::Relaxed),
                    failed: c.failed.load(Ordering::Relaxed),
                    avg_duration_ms: avg,
                    p95_duration_ms: p95,
                    utilisation,
                    uptime_ms: u64::try_from(c.started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    pinned: pool.pinned,
                    min_size: rules.smallest_pool(),
                    max_size: rules.largest_pool(),
                    size_hint: rules.size_hint(),
                },
            );
        }
        WorkerStats {
            total_workers: by_type.values().map(|s| s.workers).sum(),
            total_active: by_type.values().map(|s| s.active).sum(),
            by_type,
        }
    }

    /// Stops taking jobs everywhere and waits up to `deadline` for active ones; what is
    /// still running then is left to BullMQ's stalled-job recovery.
    pub async fn shutdown(&self, deadline: Duration) {
        let workers: Vec<Arc<bullmq::Worker>> = {
            let mut pools = self.pools.lock().await;
            pools
                .values_mut()
                .flat_map(|p| p.workers.drain(..))
                .collect()
        };
        close_all(workers, deadline).await;
    }
}

/// Closes workers in parallel, so they share one deadline instead of adding theirs up.
async fn close_all(workers: Vec<Arc<bullmq::Worker>>, deadline: Duration) {
    let ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
    let mut closing = tokio::task::JoinSet::new();
    for worker in workers {
        closing.spawn(async move { worker.close(ms).await });
    }
    while let Some(result) = closing.join_next().await {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("worker did not close cleanly: {e}"),
            Err(e) => tracing::warn!("worker close task failed: {e}"),
        }
    }
}

/// Runs one attempt: routes to the handler, isolates panics, maps the outcome.
async fn run_job(
    registry: &Registry,
    (worker_type, log_outcomes): (WorkerType, bool),
    counters: &Counters,
    (mut redis, prefix): (AnyConnection, &str),
    job: bullmq::Job,
    cancel: bullmq::worker::CancellationToken,
) -> std::result::Result<serde_json::Value, bullmq::Error> {
    let Some(handler) = registry.get(worker_type, job.name()) else {
        counters.record(Duration::ZERO, false);
        return Err(bullmq::Error::Unrecoverable(format!(
            "no handler for job `{}` on {}: it handles {}",
            job.name(),
            worker_type.queue(),
            registry.names(worker_type).join(", ")
        )));
    };
    // A run of a schedule whose overlap policy is skip may have to give way.
    match crate::scheduler::runs::skip_reason(&mut redis, prefix, job.id()).await {
        Ok(Some(reason)) => {
            tracing::info!(job = %job.id(), "{reason}: run skipped");
            counters.record(Duration::ZERO, true);
            return Ok(serde_json::json!({"skipped": true, "reason": reason}));
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(job = %job.id(), "cannot check the schedule's overlap policy, running it: {e}")
        }
    }
    let attempts = job.opts().attempts.unwrap_or(1);
    let last_attempt = job.attempts_made() + 1 >= attempts;
    // The handler owns the job while it runs; its context hands the job back here when it
    // is dropped (no copy of the job and its data per run).
    let slot = JobSlot::default();
    counters.active.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    // The engine already runs each job on a task of its own; a panicking handler is caught
    // here (the job fails with the panic's message) rather than in yet another task.
    let outcome = std::panic::AssertUnwindSafe(handler.handle(JobContext::new(
        job,
        worker_type.queue(),
        cancel,
        slot.clone(),
    )))
    .catch_unwind()
    .await;
    counters.active.fetch_sub(1, Ordering::Relaxed);
    counters.record(
        started.elapsed(),
        matches!(outcome, Ok(Ok(_) | Err(JobError::WaitingChildren))),
    );
    // `None` only when a handler kept its context past its own end (moved it into a task
    // of its own): the attempt's outcome stands, its log line and log record are skipped.
    let handle = slot.lock().ok().and_then(|mut slot| slot.take());
    if let (true, Some(handle)) = (log_outcomes, &handle) {
        match &outcome {
            Ok(Ok(_)) => {
                tracing::debug!(queue = %worker_type.queue(), job = %handle.id(), "job completed")
            }
            Ok(Err(e)) => log_final_failure(worker_type, handle, e, attempts),
            Err(_) => {}
        }
    }
    if let (Ok(Err(e)), Some(handle)) = (&outcome, &handle) {
        if let Some(line) = decision(e, job_attempt(handle), attempts) {
            // The job's own log says what became of each attempt; it is evidence, not
            // the outcome, so a failed write is only traced.
            if let Err(e) = handle.log(&line).await {
                tracing::debug!(job = %handle.id(), "cannot write the job log: {e}");
            }
        }
    }
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(JobError::Retry(reason))) => Err(bullmq::Error::ProcessingError(reason)),
        Ok(Err(JobError::Discard(reason))) => Err(bullmq::Error::Unrecoverable(reason)),
        Ok(Err(JobError::WaitingChildren)) => Err(bullmq::Error::WaitingChildren),
        Ok(Err(JobError::RetryAfter { reason, .. })) if last_attempt => {
            Err(bullmq::Error::ProcessingError(reason))
        }
        Ok(Err(JobError::RetryAfter { reason, after })) => {
            let Some(handle) = handle else {
                return Err(bullmq::Error::ProcessingError(reason));
            };
            retry_after(redis, prefix, worker_type, &handle, &reason, after)
                .await
                .map_err(|e| {
                    bullmq::Error::ProcessingError(format!(
                        "{reason} (and it could not be delayed: {e})"
                    ))
                })?;
            Err(bullmq::Error::Delayed)
        }
        Err(e) => Err(bullmq::Error::ProcessingError(format!(
            "handler panicked: {}",
            panic_message(&*e)
        ))),
    }
}

/// Logs a job that failed for good (no retry follows), as `antrian start` logs the
/// failures it reads from the event streams.
fn log_final_failure(worker_type: WorkerType, job: &bullmq::Job, error: &JobError, attempts: u32) {
    let last = job_attempt(job) >= attempts;
    let reason = match error {
        JobError::Discard(reason) => reason,
        JobError::Retry(reason) | JobError::RetryAfter { reason, .. } if last => reason,
        _ => return,
    };
    tracing::warn!(queue = %worker_type.queue(), job = %job.id(), attempts = job_attempt(job), %reason, "job failed");
}

/// The attempt a job is on (1 for its first run).
fn job_attempt(job: &bullmq::Job) -> u32 {
    job.attempts_made() + 1
}

/// The line a failed attempt adds to the job's log: what failed and what happens next.
fn decision(error: &JobError, attempt: u32, attempts: u32) -> Option<String> {
    let left = attempts.saturating_sub(attempt);
    let failed = format!("attempt {attempt} of {attempts} failed");
    Some(match error {
        JobError::WaitingChildren => return None,
        JobError::Discard(reason) => {
            format!("{failed}: {reason}; not retried: retrying cannot change this")
        }
        JobError::Retry(reason) | JobError::RetryAfter { reason, .. } if left == 0 => {
            format!("{failed}: {reason}; no attempts left, the job has failed")
        }
        JobError::Retry(reason) => {
            format!("{failed}: {reason}; retrying after the job's backoff ({left} left)")
        }
        JobError::RetryAfter { reason, after } => format!(
            "{failed}: {reason}; retrying in {} s as the site asked ({left} left)",
            after.as_secs().max(1)
        ),
    })
}

/// Moves a job to delayed until `after` from now, counting the attempt: bullmq-official's
/// `move_to_delayed` skips the attempt counter (as Node's DelayedError does), so a site
/// answering 429 forever would be retried forever; the attempt is counted on BullMQ's own
/// `atm` field of the job hash first, with its error kept as a failed attempt's is
/// (`failedReason`, and the `stacktrace` list the job's page shows attempt by attempt).
async fn retry_after(
    mut redis: AnyConnection,
    prefix: &str,
    worker_type: WorkerType,
    job: &bullmq::Job,
    reason: &str,
    after: Duration,
) -> std::result::Result<(), bullmq::Error> {
    let key = bullmq::QueueKeys::new(worker_type.queue(), Some(prefix)).job_key(job.id());
    let mut traces: Vec<String> = serde_json::from_str(job.stacktrace()).unwrap_or_default();
    traces.push(reason.to_string());
    if let Some(limit) = job.opts().stack_trace_limit {
        let keep = limit as usize;
        if traces.len() > keep {
            traces.drain(..traces.len() - keep);
        }
    }
    let _: () = redis::pipe()
        .hincr(&key, "atm", 1)
        .ignore()
        .hset_multiple(
            &key,
            &[
                ("failedReason", reason.to_string()),
                (
                    "stacktrace",
                    serde_json::to_string(&traces).unwrap_or_else(|_| "[]".into()),
                ),
            ],
        )
        .ignore()
        .query_async(&mut redis)
        .await?;
    job.move_to_delayed(now_ms() + u64::try_from(after.as_millis()).unwrap_or(u64::MAX))
        .await
}
