//! The seed's `autoScaling` block and the sizes a pool may have: one set of bounds for a
//! pool's starting size, a size set by hand and the autoscaler's decisions
//! ([`crate::worker::autoscale::decision`]).

use serde::Serialize;
use ts_rs::TS;

/// The seed's `autoScaling` block, for one worker type.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ScalingRules {
    /// Whether the pool scales at all.
    pub enabled: bool,
    /// Fewest workers.
    pub min_workers: u32,
    /// Most workers.
    pub max_workers: u32,
    /// Scale up when more than this many jobs wait.
    #[ts(type = "number")]
    pub scale_up_threshold: u64,
    /// Scale down when fewer than this many jobs wait.
    #[ts(type = "number")]
    pub scale_down_threshold: u64,
    /// Least time between two actions, milliseconds.
    #[ts(type = "number")]
    pub cooldown_ms: u64,
}

impl Default for ScalingRules {
    /// The seed's values.
    fn default() -> Self {
        Self {
            enabled: true,
            min_workers: 2,
            max_workers: 20,
            scale_up_threshold: 10,
            scale_down_threshold: 2,
            cooldown_ms: 300_000,
        }
    }
}

/// Most workers one pool may have on one node, whatever `QUEUE_MAX_WORKERS` says (each
/// holds two Redis connections).
pub const POOL_HARD_CAP: u32 = 200;

impl ScalingRules {
    /// The largest pool: `max_workers`, or [`POOL_HARD_CAP`] when that is lower.
    pub fn largest_pool(&self) -> u32 {
        self.max_workers.min(POOL_HARD_CAP)
    }

    /// The smallest running pool: `min_workers` with auto-scaling on (the floor it keeps),
    /// 1 with it off.
    pub fn smallest_pool(&self) -> u32 {
        if self.enabled {
            self.min_workers.max(1)
        } else {
            1
        }
    }

    /// The sizes a pool may be given by hand, in words: "2 to 20 workers, or 0 to stop
    /// the pool".
    pub fn size_hint(&self) -> String {
        format!(
            "{} to {} workers, or 0 to stop the pool",
            self.smallest_pool(),
            self.largest_pool()
        )
    }

    /// Whether a pool may be set to `n` workers by hand: 0 stops it; otherwise from
    /// [`Self::smallest_pool`] to [`Self::largest_pool`]. The message gives the allowed
    /// range and the settings behind it.
    pub fn check_size(&self, n: u32) -> Result<(), String> {
        let (bottom, top) = (self.smallest_pool(), self.largest_pool());
        if n == 0 || (bottom..=top).contains(&n) {
            return Ok(());
        }
        let low = if self.enabled {
            "QUEUE_MIN_WORKERS"
        } else {
            "1"
        };
        let cap = if top < self.max_workers {
            format!(", capped at {POOL_HARD_CAP} per pool")
        } else {
            String::new()
        };
        Err(format!(
            "{n} is outside the allowed range: {bottom} to {top} workers ({low} to QUEUE_MAX_WORKERS{cap}), or 0 to stop the pool"
        ))
    }

    /// The size a pool starts at from its configured count (`SCRAPING_WORKERS`…), and the
    /// setting that changed it when it did: with auto-scaling on, a count below
    /// `QUEUE_MIN_WORKERS` is raised to it; a count above the largest pool is capped; 0
    /// stays 0 (no pool). The same bounds as every other size a pool can have.
    pub fn starting_size(&self, count: u32) -> (u32, Option<&'static str>) {
        let (bottom, top) = (self.smallest_pool(), self.largest_pool());
        if count == 0 {
            (0, None)
        } else if count < bottom {
            (bottom, Some("QUEUE_MIN_WORKERS"))
        } else if count > top {
            let by = if top < self.max_workers {
                "the per-pool cap"
            } else {
                "QUEUE_MAX_WORKERS"
            };
            (top, Some(by))
        } else {
            (count, None)
        }
    }

    /// Checks the rules; the message names the broken one.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_workers > self.max_workers {
            return Err(format!(
                "minWorkers ({}) is above maxWorkers ({})",
                self.min_workers, self.max_workers
            ));
        }
        if self.scale_down_threshold >= self.scale_up_threshold {
            return Err(format!(
                "scaleDownThreshold ({}) must be below scaleUpThreshold ({}), or the pool would flap",
                self.scale_down_threshold, self.scale_up_threshold
            ));
        }
        Ok(())
    }
}
