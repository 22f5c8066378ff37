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
//!
//! `run`: one attempt of one job, from the handler's answer to BullMQ's outcome.
//! `metrics`: BullMQ's per-minute metrics of the jobs a pool finished, written once a
//! second. `stats`: each pool's counters and the statistics read from them.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bullmq::options::{RateLimiterOptions, WorkerOptions};
use bullmq::types::BackoffStrategy;

use super::registry::{Registry, WorkerType};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::queue::options::backoff_delay;
use crate::rules::ScalingRules;

mod metrics;
mod run;
mod stats;

use stats::Counters;
pub use stats::{TypeStats, WorkerStats};

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

pub(super) struct Pool {
    workers: Vec<Arc<bullmq::Worker>>,
    counters: Arc<Counters>,
    /// Finished jobs for BullMQ's per-minute metrics, and the task that writes them.
    tally: Arc<metrics::Tally>,
    writer: metrics::Writer,
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
            tally: Arc::default(),
            writer: metrics::Writer::default(),
            settings: settings.clone(),
            next: 0,
            pinned: false,
        });
        if n > 0 && !pool.writer.running() {
            pool.writer = metrics::Writer::start(
                pool.tally.clone(),
                self.conn.redis(),
                metrics::MetricsKeys::new(worker_type.queue(), &self.prefix),
            );
        }
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
            // Boxed once here rather than copied (over 1 KB) into every future that holds it.
            let job = Box::new(job);
            let registry = registry.clone();
            let counters = counters.clone();
            let redis = redis.clone();
            let prefix = prefix.clone();
            let log_outcomes = log_outcomes.load(Ordering::Relaxed);
            async move {
                run::run_job(
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
            // dashboards read them too): counted here and written once a second (`metrics`)
            // rather than by the script that finishes each job.
            metrics: None,
            on_finished: Some(Arc::new({
                let tally = pool.tally.clone();
                move |finished| tally.record(finished)
            })),
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

    /// Stops taking jobs everywhere and waits up to `deadline` for active ones; what is
    /// still running then is left to BullMQ's stalled-job recovery.
    pub async fn shutdown(&self, deadline: Duration) {
        let started = Instant::now();
        let workers: Vec<Arc<bullmq::Worker>> = {
            let mut pools = self.pools.lock().await;
            pools
                .values_mut()
                .flat_map(|p| p.workers.drain(..))
                .collect()
        };
        close_all(workers, deadline).await;
        // The jobs the workers finished while closing are counted too.
        let writers: Vec<metrics::Writer> = {
            let mut pools = self.pools.lock().await;
            pools
                .values_mut()
                .map(|p| std::mem::take(&mut p.writer))
                .collect()
        };
        let left = deadline
            .saturating_sub(started.elapsed())
            .max(metrics::FLUSH_EVERY);
        futures_util::future::join_all(writers.into_iter().map(|w| w.finish(left))).await;
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
