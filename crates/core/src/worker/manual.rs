//! Scaling by hand. An operator's size wins: a pool set by hand (the window, `antrian nodes
//! scale`, the API, a remote node command) is pinned, and the autoscaler leaves it alone
//! until the operator hands it back to auto-scaling. Every size obeys one rule
//! ([`ScalingRules::check_size`]) and the shared Redis's client budget ([`super::budget`]).

use std::time::Duration;

use super::budget::{self, ClientRoom};
use super::pool::WorkerManager;
use super::registry::WorkerType;
use crate::error::{Error, Result};
use crate::rules::ScalingRules;

impl WorkerManager {
    /// Sets the bounds every pool size obeys (the runtime's `QUEUE_MIN_WORKERS`,
    /// `QUEUE_MAX_WORKERS`…).
    pub fn set_rules(&self, rules: ScalingRules) {
        *self
            .rules
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = rules;
    }

    /// The bounds every pool size obeys.
    pub fn rules(&self) -> ScalingRules {
        self.rules
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sets a pool to `n` workers by hand and pins it there; returns its size before. A
    /// size outside the rules is refused with the allowed range, and nothing changes.
    pub async fn scale_by_hand(
        &self,
        worker_type: WorkerType,
        n: u32,
        drain: Duration,
    ) -> Result<u32> {
        self.rules()
            .check_size(n)
            .map_err(|rule| Error::InvalidJob {
                field: "workers".into(),
                rule,
            })?;
        let from = self
            .pool_sizes()
            .await
            .get(&worker_type)
            .copied()
            .unwrap_or(0);
        let settings = self.pool_settings(worker_type).await.unwrap_or_default();
        self.scale_workers(worker_type, n, &settings, drain).await?;
        if let Some(pool) = self.pools.lock().await.get_mut(&worker_type) {
            pool.pinned = true;
        }
        Ok(from)
    }

    /// Hands a pinned pool back to the autoscaler. False when this node runs no such pool.
    pub async fn hand_back(&self, worker_type: WorkerType) -> bool {
        match self.pools.lock().await.get_mut(&worker_type) {
            Some(pool) => {
                pool.pinned = false;
                true
            }
            None => false,
        }
    }

    /// Whether the pool is pinned by hand.
    pub async fn is_pinned(&self, worker_type: WorkerType) -> bool {
        self.pools
            .lock()
            .await
            .get(&worker_type)
            .is_some_and(|p| p.pinned)
    }

    /// The shared Redis's client slots now, or `None` when it does not say (or cannot be
    /// asked: scaling then goes on, as it did before the budget existed).
    pub(super) async fn client_room(&self) -> Option<ClientRoom> {
        match budget::client_room(&self.conn).await {
            Ok(room) => room,
            Err(e) => {
                tracing::warn!("cannot read Redis's client count to budget workers: {e}");
                None
            }
        }
    }
}
