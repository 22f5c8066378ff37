//! Auto-scaling decisions (the seed's `autoScaling` block): a pure function of the queue's
//! depth, the pool's size, recent throughput and the time of the last action, so every
//! rule is table-tested and the loop that applies it can run on an injected clock.
//!
//! The rules, in order:
//! 1. Off → hold.
//! 2. Outside `[min, max]` → move inside at once (configuration changed; no cooldown).
//! 3. Within `cooldown` of the last action → hold (no flapping).
//! 4. More than `scale_up_threshold` waiting → grow to one worker per threshold's worth of
//!    backlog, at least one more, at most `max`; but when the queue's rate limit already
//!    caps throughput, more workers would only wait: hold (or grow only as far as the
//!    limit can use), and say so.
//! 5. Fewer than `scale_down_threshold` waiting → shrink by one, not below `min`.
//! 6. Otherwise hold. `scale_down_threshold < scale_up_threshold` is required, so a depth
//!    between the two never flips the pool back and forth.
//!
//! The loop that feeds it (per worker type, emitting `scaling:up` / `scaling:down` and
//! logging each decision in Redis) is the parent module, [`super`].

use serde::Serialize;

use crate::rules::ScalingRules;

/// What the pool looks like now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolSnapshot {
    /// Jobs waiting (prioritised included).
    pub waiting: u64,
    /// Workers running now.
    pub workers: u32,
    /// Jobs completed per second recently, by this pool.
    pub throughput_per_sec: f64,
    /// The queue's rate limit in jobs per second, when it has one.
    pub rate_limit_per_sec: Option<f64>,
    /// When the last scaling action happened, ms since the epoch.
    pub last_action_ms: Option<u64>,
    /// Now, ms since the epoch.
    pub now_ms: u64,
}

/// A scaling decision and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Decision {
    /// Grow to `to` workers.
    Up {
        /// The new size.
        to: u32,
        /// Why, in a sentence.
        reason: String,
    },
    /// Shrink to `to` workers.
    Down {
        /// The new size.
        to: u32,
        /// Why, in a sentence.
        reason: String,
    },
    /// Stay.
    Hold {
        /// Why, in a sentence.
        reason: String,
    },
}

/// `1 job waiting`, `11 jobs waiting`.
fn jobs_waiting(n: u64) -> String {
    if n == 1 {
        "1 job waiting".to_string()
    } else {
        format!("{n} jobs waiting")
    }
}

/// `1 worker is`, `3 workers are`.
fn workers_are(n: u32) -> String {
    if n == 1 {
        "1 worker is".to_string()
    } else {
        format!("{n} workers are")
    }
}

/// Decides what the pool should do now. See the module documentation for the rules.
pub fn decide(rules: &ScalingRules, s: &PoolSnapshot) -> Decision {
    let hold = |reason: String| Decision::Hold { reason };
    if !rules.enabled {
        return hold("auto-scaling is off".into());
    }
    if s.workers < rules.min_workers {
        return Decision::Up {
            to: rules.min_workers,
            reason: format!(
                "{} below the minimum of {}",
                workers_are(s.workers),
                rules.min_workers
            ),
        };
    }
    if s.workers > rules.largest_pool() {
        return Decision::Down {
            to: rules.largest_pool(),
            reason: format!(
                "{} above the maximum of {}",
                workers_are(s.workers),
                rules.largest_pool()
            ),
        };
    }
    if let Some(last) = s.last_action_ms {
        let since = s.now_ms.saturating_sub(last);
        if since < rules.cooldown_ms {
            return hold(format!(
                "cooling down: {} s until the next change is allowed",
                (rules.cooldown_ms - since).div_ceil(1000)
            ));
        }
    }
    if s.waiting > rules.scale_up_threshold {
        if s.workers >= rules.largest_pool() {
            return hold(format!(
                "{}, but the pool is at its maximum of {} workers",
                jobs_waiting(s.waiting),
                rules.largest_pool()
            ));
        }
        let wanted =
            u32::try_from(s.waiting.div_ceil(rules.scale_up_threshold.max(1))).unwrap_or(u32::MAX);
        let mut to = wanted.max(s.workers + 1).min(rules.largest_pool());
        let mut limit_note = String::new();
        if let Some(limit) = s.rate_limit_per_sec.filter(|l| *l > 0.0) {
            if s.throughput_per_sec >= 0.9 * limit {
                return hold(format!(
                    "{}, but the queue's rate limit of {limit:.1} jobs/s already caps throughput ({:.1} jobs/s); more workers would only wait",
                    jobs_waiting(s.waiting), s.throughput_per_sec
                ));
            }
            if s.workers > 0 && s.throughput_per_sec > 0.0 {
                let per_worker = s.throughput_per_sec / f64::from(s.workers);
                // a small positive count
                let useful = (limit / per_worker)
                    .ceil()
                    .max(1.0)
                    .min(f64::from(u32::MAX)) as u32;
                if useful < to {
                    to = useful.max(s.workers + 1);
                    limit_note = format!(
                        "; the rate limit of {limit:.1} jobs/s can use no more than {useful}"
                    );
                }
            }
        }
        return Decision::Up {
            to,
            reason: format!(
                "{} is above the threshold of {}{limit_note}",
                jobs_waiting(s.waiting),
                rules.scale_up_threshold
            ),
        };
    }
    if s.waiting < rules.scale_down_threshold && s.workers > rules.min_workers {
        return Decision::Down {
            to: s.workers - 1,
            reason: format!(
                "{} is below the threshold of {}",
                jobs_waiting(s.waiting),
                rules.scale_down_threshold
            ),
        };
    }
    hold(format!(
        "{} is within the thresholds ({}–{})",
        jobs_waiting(s.waiting),
        rules.scale_down_threshold,
        rules.scale_up_threshold
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::POOL_HARD_CAP;

    #[test]
    fn a_size_by_hand_is_zero_or_within_min_and_max_and_starting_sizes_follow_the_same_rule() {
        let r = ScalingRules::default();
        for ok in [0, 2, 5, 20] {
            assert_eq!(r.check_size(ok), Ok(()), "{ok}");
        }
        for bad in [1, 21, 5000] {
            let why = r.check_size(bad).expect_err("refused");
            assert!(
                why.contains("2 to 20 workers (QUEUE_MIN_WORKERS to QUEUE_MAX_WORKERS)"),
                "{why}"
            );
        }
        let wide = ScalingRules {
            max_workers: 1000,
            ..r.clone()
        };
        assert!(wide
            .check_size(500)
            .expect_err("over the cap")
            .contains(&format!("capped at {POOL_HARD_CAP} per pool")));
        assert_eq!(r.size_hint(), "2 to 20 workers, or 0 to stop the pool");
        assert_eq!(r.starting_size(1), (2, Some("QUEUE_MIN_WORKERS")));
        assert_eq!(r.starting_size(30), (20, Some("QUEUE_MAX_WORKERS")));
        assert_eq!(r.starting_size(5), (5, None));
        assert_eq!(r.starting_size(0), (0, None));
        assert_eq!(
            wide.starting_size(500),
            (POOL_HARD_CAP, Some("the per-pool cap"))
        );
        let off = ScalingRules {
            enabled: false,
            ..r.clone()
        };
        assert_eq!(
            off.starting_size(1),
            (1, None),
            "no floor without auto-scaling"
        );
        assert_eq!(off.check_size(1), Ok(()));
        assert!(off
            .check_size(21)
            .expect_err("over the max")
            .contains("1 to 20 workers (1 to QUEUE_MAX_WORKERS)"));
        let up = decide(&wide, &snap(100_000, 150));
        assert!(
            matches!(up, Decision::Up { to, .. } if to == POOL_HARD_CAP),
            "the autoscaler stops at the cap too: {up:?}"
        );
    }

    fn snap(waiting: u64, workers: u32) -> PoolSnapshot {
        PoolSnapshot {
            waiting,
            workers,
            throughput_per_sec: 0.0,
            rate_limit_per_sec: None,
            last_action_ms: None,
            now_ms: 1_000_000,
        }
    }

    fn to(d: &Decision) -> Option<u32> {
        match d {
            Decision::Up { to, .. } | Decision::Down { to, .. } => Some(*to),
            Decision::Hold { .. } => None,
        }
    }

    fn reason(d: &Decision) -> &str {
        match d {
            Decision::Up { reason, .. }
            | Decision::Down { reason, .. }
            | Decision::Hold { reason } => reason,
        }
    }

    #[test]
    fn the_seed_rules_table() {
        let rules = ScalingRules::default();
        // (waiting, workers, expected size or None for hold, words in the reason)
        let table: &[(u64, u32, Option<u32>, &str)] = &[
            (0, 0, Some(2), "0 workers are below the minimum of 2"),
            (0, 1, Some(2), "1 worker is below the minimum of 2"),
            (0, 25, Some(20), "above the maximum of 20"),
            (
                11,
                2,
                Some(3),
                "11 jobs waiting is above the threshold of 10",
            ),
            (50, 2, Some(5), "above the threshold"),
            (500, 2, Some(20), "above the threshold"),
            (500, 20, None, "at its maximum of 20"),
            (10, 4, None, "within the thresholds (2–10)"),
            (2, 4, None, "within the thresholds"),
            (1, 4, Some(3), "1 job waiting is below the threshold of 2"),
            (0, 2, None, "within the thresholds"),
        ];
        for &(waiting, workers, expected, words) in table {
            let d = decide(&rules, &snap(waiting, workers));
            assert_eq!(
                to(&d),
                expected,
                "waiting {waiting}, workers {workers}: {d:?}"
            );
            assert!(
                reason(&d).contains(words),
                "waiting {waiting}, workers {workers}: {d:?}"
            );
        }
    }

    #[test]
    fn off_means_hold() {
        let rules = ScalingRules {
            enabled: false,
            ..ScalingRules::default()
        };
        assert_eq!(
            decide(&rules, &snap(1000, 2)),
            Decision::Hold {
                reason: "auto-scaling is off".into()
            }
        );
    }

    #[test]
    fn cooldown_blocks_a_second_action_and_says_how_long() {
        let rules = ScalingRules::default();
        let mut s = snap(100, 3);
        s.last_action_ms = Some(s.now_ms - 60_000);
        let d = decide(&rules, &s);
        assert!(
            matches!(&d, Decision::Hold { reason } if reason.contains("cooling down: 240 s")),
            "{d:?}"
        );
        s.last_action_ms = Some(s.now_ms - 300_000);
        assert_eq!(to(&decide(&rules, &s)), Some(10));
    }

    #[test]
    fn no_flapping_at_the_thresholds() {
        let rules = ScalingRules::default();
        // Walk the depth up and down across both thresholds with no cooldown in the way:
        // each threshold moves the pool one way only, and the band between holds.
        let mut workers = 4;
        let mut changes = Vec::new();
        for waiting in [2, 3, 9, 10, 11, 10, 9, 3, 2, 1, 2, 3, 10] {
            let d = decide(&rules, &snap(waiting, workers));
            if let Some(n) = to(&d) {
                changes.push((waiting, workers, n));
                workers = n;
            }
        }
        assert_eq!(changes, [(11, 4, 5), (1, 5, 4)]);
    }

    #[test]
    fn a_rate_limited_queue_is_not_given_workers_it_cannot_use() {
        let rules = ScalingRules::default();
        let mut s = snap(200, 4);
        s.rate_limit_per_sec = Some(10.0);
        s.throughput_per_sec = 9.5;
        let d = decide(&rules, &s);
        assert!(
            matches!(&d, Decision::Hold { reason } if reason.contains("rate limit of 10.0 jobs/s already caps")),
            "{d:?}"
        );

        // 4 workers do 4 jobs/s; a limit of 6 jobs/s can use 6 workers, not the 20 the
        // backlog asks for.
        s.throughput_per_sec = 4.0;
        s.rate_limit_per_sec = Some(6.0);
        let d = decide(&rules, &s);
        assert_eq!(to(&d), Some(6), "{d:?}");
        assert!(reason(&d).contains("can use no more than 6"), "{d:?}");
    }

    #[test]
    fn rules_that_would_flap_are_rejected() {
        assert!(ScalingRules::default().validate().is_ok());
        let flappy = ScalingRules {
            scale_down_threshold: 10,
            ..ScalingRules::default()
        };
        assert!(flappy.validate().expect_err("flaps").contains("would flap"));
        let inverted = ScalingRules {
            min_workers: 30,
            ..ScalingRules::default()
        };
        assert!(inverted
            .validate()
            .expect_err("min > max")
            .contains("above maxWorkers"));
    }
}
