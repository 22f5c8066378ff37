//! The auto-scaling loop: each tick, for every running pool, reads the queue's depth and
//! the pool's recent throughput, asks [`decision::decide`], applies the decision,
//! publishes `scaling:up` / `scaling:down`, and keeps it in a capped log in Redis for the UI
//! to chart. Time comes from the caller ([`Autoscaler::tick`] takes `now`), so tests drive
//! it without sleeping.
//!
//! [`decision`]: the decision itself, a pure function of the pool's numbers.

pub mod decision;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::pool::WorkerManager;
use super::registry::WorkerType;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;
use crate::queue::{EventHub, QueueEvent, QueueManager, ScalingRecord};
use crate::rules::ScalingRules;
use decision::{decide, Decision, PoolSnapshot};

/// Decisions kept in the scaling log.
pub const SCALING_LOG_LEN: isize = 1000;

/// What the loop remembers per pool between ticks.
#[derive(Debug, Clone, Copy, Default)]
struct PoolMemory {
    last_action_ms: Option<u64>,
    last_tick_ms: Option<u64>,
    last_processed: u64,
}

/// Scales every running pool by its rules.
#[derive(Debug)]
pub struct Autoscaler {
    node: String,
    rules: BTreeMap<WorkerType, ScalingRules>,
    queues: Arc<QueueManager>,
    workers: Arc<WorkerManager>,
    events: Arc<EventHub>,
    conn: Connection,
    memory: BTreeMap<WorkerType, PoolMemory>,
}

impl Autoscaler {
    /// An autoscaler for this node's pools; types without rules are left alone.
    pub fn new(
        node: &str,
        rules: BTreeMap<WorkerType, ScalingRules>,
        queues: Arc<QueueManager>,
        workers: Arc<WorkerManager>,
        events: Arc<EventHub>,
        conn: Connection,
    ) -> Self {
        Self {
            node: node.to_string(),
            rules,
            queues,
            workers,
            events,
            conn,
            memory: BTreeMap::new(),
        }
    }

    /// One pass over every pool at time `now_ms`; returns the actions taken.
    pub async fn tick(&mut self, now_ms: u64) -> Result<Vec<ScalingRecord>> {
        let stats = self.workers.get_worker_stats().await;
        let sizes = self.workers.pool_sizes().await;
        let mut actions = Vec::new();
        for (worker_type, size) in sizes {
            let Some(rules) = self.rules.get(&worker_type) else {
                continue;
            };
            if self.workers.is_pinned(worker_type).await {
                // An operator's size: left alone until it is handed back.
                continue;
            }
            let processed = stats
                .by_type
                .get(worker_type.as_str())
                .map_or(0, |s| s.processed);
            let memory = self.memory.entry(worker_type).or_default();
            let throughput = match memory.last_tick_ms {
                Some(last) if now_ms > last => {
                    processed.saturating_sub(memory.last_processed) as f64
                        / ((now_ms - last) as f64 / 1000.0)
                }
                _ => 0.0,
            };
            memory.last_tick_ms = Some(now_ms);
            memory.last_processed = processed;
            let queue = self.queues.get_queue_stats(worker_type.queue()).await?;
            if queue.is_paused {
                // Its jobs wait on purpose: more workers would only wait with them.
                continue;
            }
            let settings = self
                .workers
                .pool_settings(worker_type)
                .await
                .unwrap_or_default();
            let rate_limit_per_sec = settings
                .rate_limit
                .filter(|(_, ms)| *ms > 0)
                .map(|(max, ms)| max as f64 / (ms as f64 / 1000.0));
            let snapshot = PoolSnapshot {
                waiting: queue.waiting,
                workers: size,
                throughput_per_sec: throughput,
                rate_limit_per_sec,
                last_action_ms: memory.last_action_ms,
                now_ms,
            };
            let (mut to, mut reason, up) = match decide(rules, &snapshot) {
                Decision::Up { to, reason } => (to, reason, true),
                Decision::Down { to, reason } => (to, reason, false),
                Decision::Hold { .. } => continue,
            };
            if up {
                // Never past the shared Redis's client budget.
                if let Some(room) = self.workers.client_room().await {
                    let top = size.saturating_add(room.spare_workers());
                    if to > top {
                        if top <= size {
                            tracing::warn!(
                                worker_type = worker_type.as_str(),
                                "not scaling up: {}",
                                room.refuse(to - size).unwrap_or_default()
                            );
                            continue;
                        }
                        reason =
                            format!("{reason}; {to} would exceed Redis's client budget, so {top}");
                        to = top;
                    }
                }
            }
            self.workers
                .scale_workers(worker_type, to, &settings, Duration::from_secs(30))
                .await?;
            memory.last_action_ms = Some(now_ms);
            let record = ScalingRecord {
                at_ms: now_ms,
                node: self.node.clone(),
                worker_type: worker_type.as_str().to_string(),
                queue: worker_type.queue().to_string(),
                from: size,
                to,
                waiting: queue.waiting,
                reason,
            };
            tracing::info!(worker_type = worker_type.as_str(), from = size, to, reason = %record.reason, "autoscaled");
            self.log(&record).await?;
            self.events.publish(if up {
                QueueEvent::ScalingUp {
                    decision: record.clone(),
                }
            } else {
                QueueEvent::ScalingDown {
                    decision: record.clone(),
                }
            });
            actions.push(record);
        }
        Ok(actions)
    }

    async fn log(&self, record: &ScalingRecord) -> Result<()> {
        log_scaling(&self.conn, record).await
    }
}

/// Keeps a scaling decision (the autoscaler's or an operator's) in the capped log.
pub async fn log_scaling(conn: &Connection, record: &ScalingRecord) -> Result<()> {
    let cap = usize::try_from(SCALING_LOG_LEN).unwrap_or(usize::MAX);
    crate::store::capped::push(conn, &keys::scaling_log(), record, cap).await
}

/// The latest `count` scaling decisions (1 to [`SCALING_LOG_LEN`], all that are kept),
/// newest first.
pub async fn scaling_log(conn: &Connection, count: usize) -> Result<Vec<ScalingRecord>> {
    if count == 0 || isize::try_from(count).map_or(true, |c| c > SCALING_LOG_LEN) {
        return Err(Error::InvalidJob {
            field: "count".into(),
            rule: format!("{count} must be from 1 to {SCALING_LOG_LEN}"),
        });
    }
    crate::store::capped::latest(conn, &keys::scaling_log(), count).await
}
