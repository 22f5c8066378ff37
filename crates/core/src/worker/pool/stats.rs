//! Each pool's counters, updated by its processor, and the statistics read from them (the
//! seed's `getWorkerStats()`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::WorkerManager;

/// How many recent job durations the statistics keep per type.
const DURATION_WINDOW: usize = 1000;

/// Counters one pool's processor updates.
#[derive(Debug)]
pub(super) struct Counters {
    pub(super) active: AtomicU64,
    pub(super) processed: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) durations_ms: Mutex<VecDeque<u64>>,
    pub(super) started: Instant,
}

impl Counters {
    pub(super) fn new() -> Self {
        Self {
            active: AtomicU64::new(0),
            processed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            durations_ms: Mutex::new(VecDeque::with_capacity(DURATION_WINDOW)),
            started: Instant::now(),
        }
    }

    pub(super) fn record(&self, took: Duration, ok: bool) {
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

impl WorkerManager {
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
}
