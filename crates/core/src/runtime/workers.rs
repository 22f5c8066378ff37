//! The worker side of a runtime: starting the pools a process runs, registering it as a
//! node, the recovery of dead nodes' jobs, the autoscaler's loop, and the memory ceiling.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::{Runtime, Services};
use crate::error::Result;
use crate::worker::{
    local_node_id, Autoscaler, NodeAgent, PoolSettings, Registry, WorkerManager, WorkerType,
};

/// How often a node writes its heartbeat.
const NODE_HEARTBEAT: Duration = Duration::from_secs(5);
/// How often the memory ceiling is checked.
const MEMORY_CHECK: Duration = Duration::from_secs(1);
/// How often the autoscaler looks at the pools (its cooldown decides how often it acts).
const AUTOSCALE_INTERVAL: Duration = Duration::from_secs(5);

/// Which pools [`Runtime::start_workers`] starts and how big.
#[derive(Debug, Clone, Default)]
pub struct WorkerPlan {
    /// Only these types (empty: all four).
    pub types: Vec<WorkerType>,
    /// Sizes that override the configured `*_WORKERS`.
    pub counts: BTreeMap<WorkerType, u32>,
}

impl Runtime {
    fn configured_workers(&self, t: WorkerType) -> u32 {
        let w = &self.config.workers;
        match t {
            WorkerType::Scraping => w.scraping,
            WorkerType::DataProcessing => w.data_processing,
            WorkerType::Notification => w.notification,
            WorkerType::Cleanup => w.cleanup,
            // A custom queue's pool starts small; the autoscaler or an operator sizes it.
            WorkerType::Custom(_) => 1,
        }
    }

    /// Starts the worker pools this process runs (the seed's `WorkerManager.initialize`),
    /// registers the process as a node that takes remote commands, and, with auto-scaling
    /// on, starts the autoscaler. A type with no handler in `registry` gets no pool: its
    /// workers would only fail jobs another service may be there to run.
    pub async fn start_workers(
        &mut self,
        registry: Registry,
        plan: &WorkerPlan,
    ) -> Result<Arc<WorkerManager>> {
        let node = local_node_id();
        let q = &self.config.queue;
        let pools = &self.config.pools;
        let settings_of = |t: WorkerType| {
            let o = match t {
                WorkerType::Scraping => pools.scraping,
                WorkerType::DataProcessing => pools.data_processing,
                WorkerType::Notification => pools.notification,
                WorkerType::Cleanup => pools.cleanup,
                WorkerType::Custom(_) => crate::config::PoolOverrides::default(),
            };
            PoolSettings {
                concurrency: o.concurrency.unwrap_or(q.concurrency) as usize,
                rate_limit: o.rate_limit.map(|r| (r.max, r.per_ms)),
                lock_duration_ms: q.lock_duration_ms,
                stalled_interval_ms: q.stalled_interval_ms,
            }
        };
        let manager = Arc::new(WorkerManager::new(
            self.connection.clone(),
            &q.prefix,
            &node,
            registry.clone(),
        ));
        // With no event readers, nothing else would log the jobs this node runs.
        manager.log_outcomes(self.services == Services::Workers);
        // The four, and every custom queue the registry has handlers for.
        let types: Vec<WorkerType> = if plan.types.is_empty() {
            let mut all = WorkerType::ALL.to_vec();
            for t in registry.types() {
                if !all.contains(&t) {
                    all.push(t);
                }
            }
            all
        } else {
            plan.types.clone()
        };
        let rules_all = self.scaling_rules();
        manager.set_rules(rules_all.clone());
        let mut rules = BTreeMap::new();
        for t in types {
            if let WorkerType::Custom(queue) = t {
                // Its queue exists from now on (producers may add to it), its events watched.
                self.handle().create_queue(queue).await?;
            }
            if !registry.handles(t) {
                tracing::info!(
                    worker_type = t.as_str(),
                    "no job handlers for this type in this build: its pool does not start"
                );
                continue;
            }
            let count = plan
                .counts
                .get(&t)
                .copied()
                .unwrap_or_else(|| self.configured_workers(t));
            let (n, changed_by) = rules_all.starting_size(count);
            if let Some(setting) = changed_by {
                tracing::info!(
                    worker_type = t.as_str(),
                    "the pool starts at {n} workers: its count of {count} is bounded by {setting}"
                );
            }
            manager
                .scale_workers(
                    t,
                    n,
                    &settings_of(t),
                    Duration::from_millis(q.shutdown_timeout_ms),
                )
                .await?;
            rules.insert(t, self.scaling_rules());
        }
        let mut agent = NodeAgent::new(&node, self.connection.clone(), manager.clone())
            .with_queues(self.queues.clone());
        // Registered before this returns, so the node takes commands at once.
        if let Err(e) = agent.register().await {
            tracing::warn!("node registration failed (the agent retries): {e}");
        }
        let stop = self.cancel.clone();
        self.tasks.push(tokio::spawn(async move {
            if let Err(e) = agent.run(NODE_HEARTBEAT, stop).await {
                tracing::warn!("node agent stopped: {e}");
            }
        }));
        // A node that dies (SIGKILL, power loss) has its jobs run again by the live ones.
        self.tasks.push(tokio::spawn(crate::worker::recovery::run(
            crate::worker::recovery::Recovery::new(
                &node,
                self.connection.clone(),
                self.queues.clone(),
            ),
            self.cancel.clone(),
        )));
        if q.auto_scaling && !rules.is_empty() {
            let autoscaler = Autoscaler::new(
                &node,
                rules,
                self.queues.clone(),
                manager.clone(),
                self.events.clone(),
                self.connection.clone(),
            );
            self.tasks.push(tokio::spawn(autoscale_loop(
                autoscaler,
                self.cancel.clone(),
            )));
        }
        self.workers = Some(manager.clone());
        Ok(manager)
    }

    /// Enforces `QUEUE_MAX_MEMORY` (nothing when it is 0): once this process's resident
    /// memory is over it, the runtime stops as on SIGTERM — the pools take no new job and
    /// finish the ones in hand, nothing accepted is lost — so that a service manager starts
    /// a fresh process. [`Runtime::stopped_for_memory`] then tells the size. For headless
    /// processes that run pools (nothing without them: only job handlers leak); the desktop
    /// app does not stop itself.
    pub fn stop_above_memory_limit(&mut self) {
        let limit_mb = self.config.queue.max_memory_mb;
        if limit_mb == 0 || self.workers.is_none() {
            return;
        }
        let (cancel, stopped) = (self.cancel.clone(), self.memory_stop.clone());
        self.tasks.push(tokio::spawn(async move {
            let limit = limit_mb * 1024 * 1024;
            tokio::select! {
                rss = crate::worker::memory::over_limit(limit, MEMORY_CHECK) => {
                    tracing::error!(
                        resident_mb = rss >> 20,
                        limit_mb,
                        "resident memory is over QUEUE_MAX_MEMORY (a job handler may be \
                         leaking): finishing the jobs in hand and stopping, for the service \
                         manager to start a fresh process"
                    );
                    let _ = stopped.set(rss);
                    cancel.cancel();
                }
                () = cancel.cancelled() => {}
            }
        }));
    }

    /// The resident size, bytes, at which the memory ceiling stopped the runtime.
    pub fn stopped_for_memory(&self) -> Option<u64> {
        self.memory_stop.get().copied()
    }
}

async fn autoscale_loop(mut autoscaler: Autoscaler, cancel: CancellationToken) {
    let mut ticker = tokio::time::interval(AUTOSCALE_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        if let Err(e) = autoscaler.tick(now).await {
            tracing::warn!("autoscaler: {e}");
        }
    }
}
