//! Evaluating condition-based schedules: what the queues look like now ([`Observation`]),
//! the edge-triggered rule ([`step`], pure), and applying it to every enabled schedule
//! under the scheduler's lease, recording each fire exactly once.

use std::collections::HashMap;

use super::corrupt;
use crate::error::{Error, Result};
use crate::keys;
use crate::queue::{FireKind, QueueEvent};
use crate::scheduler::model::{Condition, DynamicSchedule, DynamicState};
use crate::scheduler::Scheduler;

/// What a condition looks at, read from one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observation {
    /// Waiting (prioritised included) plus waiting in the paused list.
    pub waiting: u64,
    /// Being processed.
    pub active: u64,
    /// Scheduled for later (delays, retry backoffs).
    pub delayed: u64,
    /// Workers connected to the queue, any process.
    pub workers: u64,
    /// Jobs completed within the failure-rate window.
    pub completed: u64,
    /// Jobs failed for good within the failure-rate window.
    pub failed: u64,
}

/// Applies one evaluation at `now` to `state`; true when the schedule fires.
pub fn step(
    condition: &Condition,
    seen: &Observation,
    state: &mut DynamicState,
    now: i64,
    cooldown_ms: i64,
) -> bool {
    let (holds, value) = match condition {
        Condition::QueueSize(c) => {
            let v = seen.waiting as f64;
            (c.operator.holds(v, c.threshold), v)
        }
        Condition::FailureRate(c) => {
            let total = seen.completed + seen.failed;
            let rate = if total == 0 {
                0.0
            } else {
                seen.failed as f64 * 100.0 / total as f64
            };
            (total >= c.min_jobs && rate >= c.threshold, rate)
        }
        Condition::QueueDrained(_) => {
            let work = seen.waiting + seen.active + seen.delayed;
            let drained = work == 0 && state.had_work;
            state.had_work = work > 0;
            (drained, work as f64)
        }
        Condition::NoWorkers(c) => {
            let starved = seen.waiting > 0 && seen.workers == 0;
            state.starved_since = if starved {
                state.starved_since.or(Some(now))
            } else {
                None
            };
            let for_ms = i64::try_from(c.for_seconds).unwrap_or(i64::MAX / 1000) * 1000;
            let holds = state
                .starved_since
                .is_some_and(|since| now - since >= for_ms);
            (holds, seen.workers as f64)
        }
    };
    state.last_evaluated = Some(now);
    state.last_value = Some(value);
    state.holding = holds;
    if !holds {
        state.armed = true;
        return false;
    }
    let cooled = state.last_fired.is_none_or(|t| now - t >= cooldown_ms);
    if state.armed && cooled {
        state.armed = false;
        state.last_fired = Some(now);
        state.fire_count += 1;
        return true;
    }
    false
}

/// Records a fire's new state only if no one recorded another fire since it was read.
const SAVE_STATE: &str = r"
local current = redis.call('HGET', KEYS[1], 'fireCount') or '0'
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'fireCount', ARGV[3])
return 1
";

impl Scheduler {
    /// What `condition` looks at; a queue's counts are read once per evaluation round
    /// (`counts`), however many schedules watch it.
    async fn observe(
        &self,
        condition: &Condition,
        now: i64,
        counts: &mut HashMap<String, Observation>,
    ) -> Result<Observation> {
        let queue = condition.queue();
        let mut seen = match counts.get(queue) {
            Some(seen) => *seen,
            None => {
                let seen = match self.queues.get_queue_stats(queue).await {
                    Ok(stats) => Observation {
                        waiting: stats.waiting + stats.paused,
                        active: stats.active,
                        delayed: stats.delayed,
                        workers: stats.workers,
                        ..Observation::default()
                    },
                    // A queue nobody has used yet is empty.
                    Err(Error::NotFound { .. }) => Observation::default(),
                    Err(e) => return Err(e),
                };
                counts.insert(queue.to_string(), seen);
                seen
            }
        };
        if let Condition::FailureRate(c) = condition {
            let since = now - i64::try_from(c.window_seconds).unwrap_or(0) * 1000;
            (seen.completed, seen.failed) = self.finished_since(condition.queue(), since).await?;
        }
        Ok(seen)
    }

    /// Jobs completed and failed for good since `since` (ms), from the queue's event
    /// stream (BullMQ keeps its latest ~10,000 events; the newest 10,000 in the window
    /// are counted).
    async fn finished_since(&self, queue: &str, since: i64) -> Result<(u64, u64)> {
        let stream = format!("{}:{queue}:events", self.queues.prefix());
        let mut redis = self.conn.redis();
        let entries: Vec<(String, HashMap<String, String>)> = redis::cmd("XREVRANGE")
            .arg(&stream)
            .arg("+")
            .arg(format!("{since}-0"))
            .arg("COUNT")
            .arg(10_000)
            .query_async(&mut redis)
            .await?;
        let count = |event: &str| {
            entries
                .iter()
                .filter(|(_, f)| f.get("event").map(String::as_str) == Some(event))
                .count() as u64
        };
        Ok((count("completed"), count("failed")))
    }

    /// Evaluates every enabled condition-based schedule once at `now` and fires those that
    /// became true; returns the names that fired. The scheduler component calls this
    /// while it holds the lease; tests call it with their own clock.
    pub async fn evaluate(&self, now: i64) -> Result<Vec<String>> {
        let mut fired = Vec::new();
        let mut counts = HashMap::new();
        for s in self.dynamic_definitions().await? {
            if !s.enabled {
                continue;
            }
            match self.evaluate_one(&s, now, &mut counts).await {
                Ok(true) => fired.push(s.name.clone()),
                Ok(false) => {}
                Err(e) => tracing::warn!(schedule = %s.name, "cannot evaluate: {e}"),
            }
        }
        Ok(fired)
    }

    async fn evaluate_one(
        &self,
        s: &DynamicSchedule,
        now: i64,
        counts: &mut HashMap<String, Observation>,
    ) -> Result<bool> {
        let seen = self.observe(&s.condition, now, counts).await?;
        let mut state = self.dynamic_state(&s.name).await?;
        let before = state.fire_count;
        let was_holding = state.holding;
        let cooldown_ms = i64::try_from(s.cooldown_seconds).unwrap_or(i64::MAX / 1000) * 1000;
        let fires = step(&s.condition, &seen, &mut state, now, cooldown_ms);
        if fires {
            let mut opts = s.action.options.clone();
            opts.job_id = Some(format!(
                "dynamic:{}:{}-{}",
                s.name, s.created_at, state.fire_count
            ));
            let added = self
                .queues
                .add_job(
                    &s.action.queue_name,
                    &s.action.job_name,
                    s.action.job_data.clone(),
                    &opts,
                )
                .await?;
            state.last_job_id = Some(added.id.clone());
        }
        let json = serde_json::to_string(&state).map_err(|e| corrupt(&s.name, &e))?;
        let mut redis = self.conn.redis();
        let saved: i32 = redis::Script::new(SAVE_STATE)
            .key(keys::dynamic_schedule_state(&s.name))
            .arg(before)
            .arg(json)
            .arg(state.fire_count)
            .invoke_async(&mut redis)
            .await?;
        if saved == 0 {
            // Another evaluator recorded a fire first; its job id is the same one.
            return Ok(false);
        }
        if was_holding && !state.holding {
            tracing::info!(schedule = %s.name, condition = %s.condition.describe(), "dynamic schedule condition cleared");
        }
        if fires {
            tracing::info!(schedule = %s.name, condition = %s.condition.describe(), job = ?state.last_job_id, "dynamic schedule fired");
            self.announce(QueueEvent::ScheduleFired {
                name: s.name.clone(),
                kind: FireKind::Condition,
                queue: s.action.queue_name.clone(),
                job_id: state.last_job_id.clone().unwrap_or_default(),
                at: now,
            })
            .await;
        }
        Ok(fires)
    }
}
