//! Condition-based schedules (the seed's `addDynamicSchedule`): a condition on a queue and
//! a job to add when it becomes true.
//!
//! Edge-triggered: a schedule fires when its condition becomes true, then not again until
//! the condition has been false, and never within its cooldown. A condition that becomes
//! true during the cooldown stays pending and fires when the cooldown ends if it still
//! holds. [`step`] is that rule alone (pure, table-tested); [`Scheduler::evaluate`] reads
//! the queues and applies it to every enabled schedule.
//!
//! A fire adds its job under the id `dynamic:<name>:<created>-<n>` (n = fire number), so
//! adding it twice adds one job, and the fire is then recorded with a compare-and-set on
//! the fire count, so two evaluators racing (the lease normally prevents that) record one.

use std::collections::HashMap;

use super::model::{
    Action, Condition, DynamicSchedule, DynamicScheduleInput, DynamicScheduleUpdate,
    DynamicScheduleView, DynamicState,
};
use super::{invalid, now_ms, validate_name, Scheduler};
use crate::error::{Error, Result};
use crate::keys;

mod evaluate;

pub use evaluate::{step, Observation};

fn not_found(name: &str) -> Error {
    Error::NotFound {
        what: format!("dynamic schedule {name}"),
    }
}

fn corrupt(name: &str, e: &serde_json::Error) -> Error {
    Error::Corrupt(format!(
        "dynamic schedule {name} in Redis cannot be read: {e}"
    ))
}

impl Scheduler {
    async fn check_dynamic(&self, s: &DynamicSchedule) -> Result<()> {
        validate_name(&s.name)?;
        crate::rules::validate_queue_name(s.condition.queue()).map_err(|_| {
            invalid(
                "condition.queueName",
                format!(
                    "`{}` is not a queue name (1 to 100 letters, digits, `-`, `_` or `.`)",
                    s.condition.queue()
                ),
            )
        })?;
        match &s.condition {
            Condition::QueueSize(c) => {
                if !c.threshold.is_finite() || c.threshold < 0.0 {
                    return Err(invalid(
                        "condition.threshold",
                        format!("{} must be a number of jobs, 0 or more", c.threshold),
                    ));
                }
            }
            Condition::FailureRate(c) => {
                if !c.threshold.is_finite() || !(0.0..=100.0).contains(&c.threshold) {
                    return Err(invalid(
                        "condition.threshold",
                        format!("{} must be a percentage from 0 to 100", c.threshold),
                    ));
                }
                if !(10..=86_400).contains(&c.window_seconds) {
                    return Err(invalid(
                        "condition.windowSeconds",
                        format!("{} must be from 10 to 86400 seconds", c.window_seconds),
                    ));
                }
            }
            Condition::QueueDrained(_) => {}
            Condition::NoWorkers(c) => {
                if c.for_seconds > 86_400 {
                    return Err(invalid(
                        "condition.forSeconds",
                        format!("{} must be at most 86400 seconds", c.for_seconds),
                    ));
                }
            }
        }
        let Action {
            job_name,
            queue_name,
            job_data,
            options,
        } = &s.action;
        if options.job_id.is_some() {
            return Err(invalid(
                "action.options.jobId",
                "each fire gets its own id (`dynamic:<name>:…`); leave jobId out",
            ));
        }
        let in_action = |e: Error| match e {
            Error::InvalidJob { field, rule } => Error::InvalidJob {
                field: format!("action.{field}"),
                rule,
            },
            other => other,
        };
        self.queues
            .prepare_job(queue_name, job_name, job_data, options)
            .map_err(in_action)?;
        let interval = self.eval_interval.as_secs_f64();
        if (s.cooldown_seconds as f64) < interval {
            return Err(invalid(
                "cooldownSeconds",
                format!(
                    "{} is below the evaluation interval ({interval} s, SCHEDULER_EVAL_INTERVAL): the schedule could not honour it",
                    s.cooldown_seconds
                ),
            ));
        }
        // Last: the only check that reads Redis.
        self.queues.known(queue_name).await.map_err(in_action)?;
        Ok(())
    }

    /// Adds a condition-based schedule (the seed's `addDynamicSchedule`). A name in use is
    /// a conflict.
    pub async fn add_dynamic_schedule(
        &self,
        input: DynamicScheduleInput,
    ) -> Result<DynamicScheduleView> {
        let now = now_ms();
        let s = DynamicSchedule {
            name: input.name,
            condition: input.condition,
            action: input.action,
            cooldown_seconds: input.cooldown_seconds,
            enabled: input.enabled,
            created_at: now,
            updated_at: now,
        };
        self.check_dynamic(&s).await?;
        let json = serde_json::to_string(&s).map_err(|e| corrupt(&s.name, &e))?;
        let mut redis = self.conn.redis();
        let claimed: bool = redis::cmd("HSETNX")
            .arg(keys::dynamic_schedules())
            .arg(&s.name)
            .arg(json)
            .query_async(&mut redis)
            .await?;
        if !claimed {
            return Err(Error::Conflict(format!(
                "a dynamic schedule named {} already exists; remove it first",
                s.name
            )));
        }
        // A state left by an earlier schedule of the same name would carry its fire count.
        let _: () = redis::cmd("DEL")
            .arg(keys::dynamic_schedule_state(&s.name))
            .query_async(&mut redis)
            .await?;
        tracing::info!(schedule = %s.name, condition = %s.condition.describe(), "dynamic schedule added");
        Ok(view(s, DynamicState::default()))
    }

    async fn dynamic_definition(&self, name: &str) -> Result<DynamicSchedule> {
        validate_name(name)?;
        let mut redis = self.conn.redis();
        let json: Option<String> = redis::cmd("HGET")
            .arg(keys::dynamic_schedules())
            .arg(name)
            .query_async(&mut redis)
            .await?;
        let json = json.ok_or_else(|| not_found(name))?;
        serde_json::from_str(&json).map_err(|e| corrupt(name, &e))
    }

    async fn dynamic_state(&self, name: &str) -> Result<DynamicState> {
        let mut redis = self.conn.redis();
        let json: Option<String> = redis::cmd("HGET")
            .arg(keys::dynamic_schedule_state(name))
            .arg("json")
            .query_async(&mut redis)
            .await?;
        Ok(json
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }

    /// One condition-based schedule with its state.
    pub async fn get_dynamic_schedule(&self, name: &str) -> Result<DynamicScheduleView> {
        let s = self.dynamic_definition(name).await?;
        let state = self.dynamic_state(name).await?;
        Ok(view(s, state))
    }

    /// Every condition-based schedule with its state, by name.
    pub async fn list_dynamic_schedules(&self) -> Result<Vec<DynamicScheduleView>> {
        let mut views = Vec::new();
        for s in self.dynamic_definitions().await? {
            let state = self.dynamic_state(&s.name).await?;
            views.push(view(s, state));
        }
        Ok(views)
    }

    async fn dynamic_definitions(&self) -> Result<Vec<DynamicSchedule>> {
        let mut redis = self.conn.redis();
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(keys::dynamic_schedules())
            .query_async(&mut redis)
            .await?;
        let mut defs = Vec::with_capacity(all.len());
        for (name, json) in all {
            defs.push(
                serde_json::from_str::<DynamicSchedule>(&json).map_err(|e| corrupt(&name, &e))?,
            );
        }
        defs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(defs)
    }

    /// Starts or stops evaluating a condition-based schedule. Its evaluation state is
    /// kept: an episode that fired before it was disabled does not fire again on enabling
    /// while the condition still holds.
    pub async fn set_dynamic_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<DynamicScheduleView> {
        let mut s = self.dynamic_definition(name).await?;
        s.enabled = enabled;
        s.updated_at = now_ms();
        let json = serde_json::to_string(&s).map_err(|e| corrupt(name, &e))?;
        let mut redis = self.conn.redis();
        let _: () = redis::cmd("HSET")
            .arg(keys::dynamic_schedules())
            .arg(name)
            .arg(json)
            .query_async(&mut redis)
            .await?;
        let state = self.dynamic_state(name).await?;
        Ok(view(s, state))
    }

    /// Changes a condition-based schedule in place: what `update` gives replaces the old,
    /// checked as a new schedule is. A new condition starts its evaluation afresh (a value
    /// measured for the old one says nothing of the new); the fire count, last fire and so
    /// the cooldown stay.
    pub async fn update_dynamic_schedule(
        &self,
        name: &str,
        update: DynamicScheduleUpdate,
    ) -> Result<DynamicScheduleView> {
        let mut s = self.dynamic_definition(name).await?;
        let new_condition = update.condition.as_ref().is_some_and(|c| *c != s.condition);
        if let Some(condition) = update.condition {
            s.condition = condition;
        }
        if let Some(action) = update.action {
            s.action = action;
        }
        if let Some(cooldown) = update.cooldown_seconds {
            s.cooldown_seconds = cooldown;
        }
        if let Some(enabled) = update.enabled {
            s.enabled = enabled;
        }
        s.updated_at = now_ms();
        self.check_dynamic(&s).await?;
        let json = serde_json::to_string(&s).map_err(|e| corrupt(name, &e))?;
        let mut state = self.dynamic_state(name).await?;
        if new_condition {
            state = DynamicState {
                last_fired: state.last_fired,
                fire_count: state.fire_count,
                last_job_id: state.last_job_id,
                ..DynamicState::default()
            };
        }
        let state_json = serde_json::to_string(&state).map_err(|e| corrupt(name, &e))?;
        let mut redis = self.conn.redis();
        let mut pipe = redis::pipe();
        pipe.atomic().hset(keys::dynamic_schedules(), name, json);
        if new_condition {
            pipe.hset(keys::dynamic_schedule_state(name), "json", state_json);
        }
        let _: () = pipe.query_async(&mut redis).await?;
        tracing::info!(schedule = %name, condition = %s.condition.describe(), "dynamic schedule changed");
        Ok(view(s, state))
    }

    /// Deletes a condition-based schedule and its state.
    pub async fn remove_dynamic_schedule(&self, name: &str) -> Result<()> {
        validate_name(name)?;
        let mut redis = self.conn.redis();
        let (removed, _): (u32, u32) = redis::pipe()
            .hdel(keys::dynamic_schedules(), name)
            .del(keys::dynamic_schedule_state(name))
            .query_async(&mut redis)
            .await?;
        if removed == 0 {
            return Err(not_found(name));
        }
        tracing::info!(schedule = %name, "dynamic schedule removed");
        Ok(())
    }
}

fn view(s: DynamicSchedule, state: DynamicState) -> DynamicScheduleView {
    let cooldown_ms = i64::try_from(s.cooldown_seconds).unwrap_or(i64::MAX / 1000) * 1000;
    DynamicScheduleView {
        description: s.condition.describe(),
        cooldown_until: state.last_fired.map(|t| t + cooldown_ms),
        state,
        schedule: s,
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::scheduler::model::{FailureRate, NoWorkers, QueueDrained, QueueSize};
    use crate::scheduler::Operator;

    fn size(op: Operator, threshold: f64) -> Condition {
        Condition::QueueSize(QueueSize {
            queue_name: "q".into(),
            operator: op,
            threshold,
        })
    }

    fn waiting(n: u64) -> Observation {
        Observation {
            waiting: n,
            ..Observation::default()
        }
    }

    /// Feeds observations one second apart and returns at which seconds it fired.
    fn fires(condition: &Condition, seen: &[Observation], cooldown_s: i64) -> Vec<usize> {
        let mut state = DynamicState::default();
        seen.iter()
            .enumerate()
            .filter_map(|(t, o)| {
                let now = i64::try_from(t).expect("small") * 1000;
                step(condition, o, &mut state, now, cooldown_s * 1000).then_some(t)
            })
            .collect()
    }

    #[test]
    fn queue_size_fires_once_per_episode() {
        let c = size(Operator::Gt, 50.0);
        let seen: Vec<_> = [10, 60, 70, 80, 40, 55, 30].map(waiting).to_vec();
        assert_eq!(fires(&c, &seen, 0), [1, 5], "rises at 1 and again at 5");
        assert_eq!(
            fires(&c, &seen, 10),
            [1],
            "the second rise is within the cooldown and has ended by its end"
        );
        let long: Vec<_> = [60, 10, 60, 60, 60, 60].map(waiting).to_vec();
        assert_eq!(
            fires(&c, &long, 3),
            [0, 3],
            "a rise in the cooldown fires when it ends, if it still holds"
        );
    }

    #[test]
    fn operators_compare_as_written() {
        for (op, at, expect) in [
            (Operator::Gt, 50, false),
            (Operator::Ge, 50, true),
            (Operator::Lt, 49, true),
            (Operator::Le, 51, false),
            (Operator::Eq, 50, true),
        ] {
            assert_eq!(
                fires(&size(op, 50.0), &[waiting(at)], 0).len() == 1,
                expect,
                "{op:?} {at}"
            );
        }
    }

    #[test]
    fn failure_rate_needs_enough_jobs() {
        let c = Condition::FailureRate(FailureRate {
            queue_name: "q".into(),
            threshold: 20.0,
            window_seconds: 60,
            min_jobs: 5,
        });
        let o = |completed, failed| Observation {
            completed,
            failed,
            ..Observation::default()
        };
        assert_eq!(
            fires(
                &c,
                &[o(0, 3), o(8, 1), o(6, 4), o(6, 4), o(50, 1), o(3, 3)],
                0
            ),
            [2, 5]
        );
    }

    #[test]
    fn drained_means_work_went_to_none() {
        let c = Condition::QueueDrained(QueueDrained {
            queue_name: "q".into(),
        });
        let o = |waiting, active, delayed| Observation {
            waiting,
            active,
            delayed,
            ..Observation::default()
        };
        // Empty from the start is not "drained"; delayed work is still work.
        let seen = [
            o(0, 0, 0),
            o(5, 0, 0),
            o(0, 2, 0),
            o(0, 0, 1),
            o(0, 0, 0),
            o(0, 0, 0),
            o(1, 0, 0),
            o(0, 0, 0),
        ];
        assert_eq!(fires(&c, &seen, 0), [4, 7]);
    }

    #[test]
    fn no_workers_waits_its_seconds() {
        let c = Condition::NoWorkers(NoWorkers {
            queue_name: "q".into(),
            for_seconds: 3,
        });
        let o = |waiting, workers| Observation {
            waiting,
            workers,
            ..Observation::default()
        };
        let seen = [
            o(5, 0),
            o(5, 0),
            o(5, 0),
            o(5, 0),
            o(5, 1),
            o(5, 0),
            o(0, 0),
            o(5, 0),
        ];
        assert_eq!(
            fires(&c, &seen, 0),
            [3],
            "starved from 0, for 3 s at 3; a worker at 4 resets it"
        );
    }
}
