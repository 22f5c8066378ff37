//! The scheduler component (`antrian scheduler`, part of `antrian start` and the desktop
//! app): every `SCHEDULER_EVAL_INTERVAL` the one instance holding the Redis lease
//!
//! - evaluates the condition-based schedules and fires those that became true;
//! - looks after the cron schedules: records each one's next run (so its outcome shows),
//!   announces `schedule:fired` when a run came due, and makes BullMQ match the registry
//!   (restores a scheduler something else removed while the schedule is enabled, removes
//!   one left behind by a disabled schedule).
//!
//! Cron runs themselves do not depend on this component: BullMQ's workers add them.
//!
//! The lease is a key holding the instance id with a time-to-live of three intervals,
//! renewed each interval by its holder; when the holder dies another instance takes over
//! within that time.

use std::collections::HashMap;
use std::sync::Arc;

use super::model::ScheduleStatus;
use super::{now_ms, Scheduler};
use crate::error::Result;
use crate::keys;
use crate::queue::{FireKind, QueueEvent};
use crate::CancellationToken;

/// Takes the lease when free, renews it when ours.
const ACQUIRE: &str = r"
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Gives the lease up if ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// One scheduler instance.
#[derive(Debug)]
pub struct SchedulerService {
    scheduler: Arc<Scheduler>,
    instance: String,
    /// Each cron schedule's next run as last seen, to tell when one came due.
    next_seen: HashMap<String, i64>,
    leading: bool,
}

impl SchedulerService {
    /// An instance named `instance` (unique per process).
    pub fn new(scheduler: Arc<Scheduler>, instance: &str) -> Self {
        Self {
            scheduler,
            instance: instance.to_string(),
            next_seen: HashMap::new(),
            leading: false,
        }
    }

    fn lease_ms(&self) -> u64 {
        let interval =
            u64::try_from(self.scheduler.eval_interval().as_millis()).unwrap_or(u64::MAX / 3);
        (interval * 3).max(3000)
    }

    /// Takes or renews the lease; true while this instance holds it.
    pub async fn hold_lease(&mut self) -> Result<bool> {
        let mut redis = self.scheduler.conn.redis();
        let held: i32 = redis::Script::new(ACQUIRE)
            .key(keys::scheduler_lease())
            .arg(&self.instance)
            .arg(self.lease_ms())
            .invoke_async(&mut redis)
            .await?;
        let held = held == 1;
        if held != self.leading {
            tracing::info!(instance = %self.instance, "scheduler {}", if held { "took the lease: evaluating schedules" } else { "lost the lease: another instance evaluates" });
            self.leading = held;
            self.next_seen.clear();
        }
        Ok(held)
    }

    async fn release(&self) {
        let mut redis = self.scheduler.conn.redis();
        let released: redis::RedisResult<i32> = redis::Script::new(RELEASE)
            .key(keys::scheduler_lease())
            .arg(&self.instance)
            .invoke_async(&mut redis)
            .await;
        if let Err(e) = released {
            tracing::debug!("cannot release the scheduler lease: {e}");
        }
    }

    /// One round at `now`: cron housekeeping, then the conditions.
    pub async fn tick(&mut self, now: i64) -> Result<()> {
        self.watch_cron(now).await?;
        self.scheduler.evaluate(now).await?;
        Ok(())
    }

    async fn watch_cron(&mut self, now: i64) -> Result<()> {
        for view in self.scheduler.list_schedules().await? {
            let s = &view.schedule;
            if matches!(
                view.status,
                ScheduleStatus::Missing | ScheduleStatus::Disabled
            ) {
                match self.scheduler.reconcile(&s.name).await {
                    Ok(Some(what)) => tracing::warn!(schedule = %s.name, "{what}"),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(schedule = %s.name, "cannot reconcile with BullMQ: {e}")
                    }
                }
            }
            match view.status {
                ScheduleStatus::Active => {
                    let previous = match view.next_run {
                        Some(next) => self.next_seen.insert(s.name.clone(), next),
                        None => self.next_seen.remove(&s.name),
                    };
                    if let Some(fired) = previous.filter(|p| *p <= now && Some(*p) != view.next_run)
                    {
                        self.scheduler
                            .announce(QueueEvent::ScheduleFired {
                                name: s.name.clone(),
                                kind: FireKind::Cron,
                                queue: s.queue_name.clone(),
                                job_id: format!("repeat:{}:{fired}", s.name),
                                at: fired,
                            })
                            .await;
                    }
                }
                ScheduleStatus::Missing | ScheduleStatus::Disabled | ScheduleStatus::Finished => {
                    self.next_seen.remove(&s.name);
                }
            }
        }
        Ok(())
    }

    /// Runs until `cancel`, evaluating every interval while holding the lease, then gives
    /// the lease up so another instance takes over at once.
    pub async fn run(mut self, cancel: CancellationToken) {
        let mut ticker = tokio::time::interval(self.scheduler.eval_interval());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = ticker.tick() => {}
            }
            match self.hold_lease().await {
                Ok(true) => {
                    if let Err(e) = self.tick(now_ms()).await {
                        tracing::warn!("scheduler: {e}");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!("scheduler lease: {e}"),
            }
        }
        if self.leading {
            self.release().await;
        }
    }
}
