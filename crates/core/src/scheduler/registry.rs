//! Cron schedules: Antrian's registry beside BullMQ's job schedulers.
//!
//! Every operation checks its whole input before it writes. The registry is the source of
//! truth: it is written first and BullMQ's scheduler is then made to match it; when BullMQ
//! refuses, the registry is put back. The scheduler component reconciles both ways every
//! interval ([`Scheduler::reconcile`]), so a change racing with another process converges.
//!
//! `views`: how schedules are shown (next and recent runs) and previewed.

use bullmq::job_scheduler::RepeatOptions;
use chrono::DateTime;

use super::cron::{self};
use super::model::{DateInput, Overlap, Schedule, ScheduleInput, ScheduleUpdate, ScheduleView};
use super::runs::outcome_word;
use super::{invalid, now_ms, validate_name, Scheduler};
use crate::error::{Error, Result};
use crate::keys;
use crate::queue::{AddedJob, FireKind, JobOptionsInput, QueueEvent};

mod views;

fn date_ms(field: &str, date: Option<&DateInput>) -> Result<Option<i64>> {
    match date {
        None => Ok(None),
        Some(DateInput::Millis(ms)) if *ms >= 0 => Ok(Some(*ms)),
        Some(DateInput::Millis(ms)) => Err(invalid(field, format!("{ms} is before 1970"))),
        Some(DateInput::Text(text)) => DateTime::parse_from_rfc3339(text.trim())
            .map(|d| Some(d.timestamp_millis()))
            .map_err(|e| {
                invalid(
                    field,
                    format!(
                        "`{text}` is not an RFC 3339 date such as 2026-12-01T00:00:00+07:00 ({e})"
                    ),
                )
            }),
    }
}

fn not_found(name: &str) -> Error {
    Error::NotFound {
        what: format!("schedule {name}"),
    }
}

fn corrupt(name: &str, e: &serde_json::Error) -> Error {
    Error::Corrupt(format!("schedule {name} in Redis cannot be read: {e}"))
}

/// The BullMQ scheduler options of `s`.
fn repeat_options(s: &Schedule) -> RepeatOptions {
    RepeatOptions {
        pattern: Some(s.schedule.trim().to_string()),
        tz: Some(s.timezone.clone()),
        start_date: s.start_date.and_then(|d| u64::try_from(d).ok()),
        end_date: s.end_date.and_then(|d| u64::try_from(d).ok()),
        limit: s.limit,
        ..Default::default()
    }
}

impl Scheduler {
    /// Checks a definition completely and returns it as stored.
    fn check(&self, s: &Schedule, now: i64) -> Result<()> {
        validate_name(&s.name)?;
        cron::parse(&s.schedule)?;
        crate::rules::parse_timezone(&s.timezone)?;
        if s.options.job_id.is_some() {
            return Err(invalid(
                "options.jobId",
                "a schedule's runs get their ids from BullMQ (`repeat:<name>:<time>`); leave jobId out",
            ));
        }
        if s.options.delay.is_some() {
            return Err(invalid(
                "options.delay",
                "a schedule's runs start at their fire time; express a delay in the cron expression",
            ));
        }
        self.queues
            .prepare_job(&s.queue_name, &s.job_name, &s.job_data, &s.options)?;
        if let (Some(start), Some(end)) = (s.start_date, s.end_date) {
            if end <= start {
                return Err(invalid("endDate", "must be after startDate"));
            }
        }
        if s.end_date.is_some_and(|end| end <= now) {
            return Err(invalid(
                "endDate",
                "is in the past: the schedule would never run",
            ));
        }
        if s.limit == Some(0) {
            return Err(invalid(
                "limit",
                "must be at least 1 (leave it out for no limit)",
            ));
        }
        Ok(())
    }

    fn definition_of(&self, input: ScheduleInput, now: i64) -> Result<Schedule> {
        let schedule = Schedule {
            name: input.name,
            schedule: input.schedule.trim().to_string(),
            timezone: input
                .timezone
                .map_or_else(|| self.default_timezone.clone(), |t| t.trim().to_string()),
            job_name: input.job_name,
            queue_name: input.queue_name,
            job_data: input.job_data,
            options: input.options,
            start_date: date_ms("startDate", input.start_date.as_ref())?,
            end_date: date_ms("endDate", input.end_date.as_ref())?,
            limit: input.limit,
            overlap: input.overlap,
            enabled: input.enabled,
            created_at: now,
            updated_at: now,
        };
        self.check(&schedule, now)?;
        Ok(schedule)
    }

    /// Makes BullMQ's job scheduler match `s`: created or replaced when enabled, removed
    /// when disabled.
    async fn sync_bullmq(&self, s: &Schedule) -> Result<()> {
        let queue = self.queues.bull_queue(&s.queue_name).await?;
        if s.enabled {
            let opts =
                self.queues
                    .prepare_job(&s.queue_name, &s.job_name, &s.job_data, &s.options)?;
            queue
                .upsert_job_scheduler(
                    &s.name,
                    repeat_options(s),
                    Some(&s.job_name),
                    Some(s.job_data.clone()),
                    Some(opts),
                )
                .await?;
        } else {
            queue.remove_job_scheduler(&s.name).await?;
        }
        Ok(())
    }

    async fn store(&self, s: &Schedule) -> Result<()> {
        let json = serde_json::to_string(s).map_err(|e| corrupt(&s.name, &e))?;
        let mut redis = self.conn.redis();
        let _: () = redis::cmd("HSET")
            .arg(keys::schedules())
            .arg(&s.name)
            .arg(json)
            .query_async(&mut redis)
            .await?;
        Ok(())
    }

    /// Puts a definition back after BullMQ refused a change (logged: the caller reports
    /// BullMQ's error, and reconciliation repairs what this cannot).
    async fn restore_definition(&self, old: &Schedule) {
        if let Err(e) = self.store(old).await {
            tracing::warn!(schedule = %old.name, "cannot put the definition back: {e}");
        }
    }

    /// Makes BullMQ match the registry for `name`: an enabled schedule whose BullMQ
    /// scheduler is gone (removed by another tool, or by a change that raced with this) is
    /// restored unless its dates or run limit are used up; a disabled one's scheduler is
    /// removed. Returns what it did.
    pub async fn reconcile(&self, name: &str) -> Result<Option<&'static str>> {
        let s = self.definition(name).await?;
        let queue = self.queues.bull_queue(&s.queue_name).await?;
        let exists = queue.get_job_scheduler(name).await?.is_some();
        let now = now_ms();
        if s.enabled && !exists {
            let ran_out = s.limit.is_some() || s.end_date.is_some_and(|e| e <= now);
            if ran_out {
                return Ok(None);
            }
            self.sync_bullmq(&s).await?;
            return Ok(Some("restored BullMQ's scheduler of this enabled schedule"));
        }
        if !s.enabled && exists {
            queue.remove_job_scheduler(name).await?;
            return Ok(Some("removed BullMQ's scheduler of this disabled schedule"));
        }
        Ok(None)
    }

    /// The stored definition of `name`.
    pub async fn definition(&self, name: &str) -> Result<Schedule> {
        validate_name(name)?;
        let mut redis = self.conn.redis();
        let json: Option<String> = redis::cmd("HGET")
            .arg(keys::schedules())
            .arg(name)
            .query_async(&mut redis)
            .await?;
        let json = json.ok_or_else(|| not_found(name))?;
        serde_json::from_str(&json).map_err(|e| corrupt(name, &e))
    }

    /// Adds a schedule (the seed's `addSchedule`). A name in use is a conflict: `update`
    /// changes a schedule.
    pub async fn add_schedule(&self, input: ScheduleInput) -> Result<ScheduleView> {
        let now = now_ms();
        let schedule = self.definition_of(input, now)?;
        self.queues.known(&schedule.queue_name).await?;
        let json = serde_json::to_string(&schedule).map_err(|e| corrupt(&schedule.name, &e))?;
        let mut redis = self.conn.redis();
        let claimed: bool = redis::cmd("HSETNX")
            .arg(keys::schedules())
            .arg(&schedule.name)
            .arg(json)
            .query_async(&mut redis)
            .await?;
        if !claimed {
            return Err(Error::Conflict(format!(
                "a schedule named {} already exists; change it with update, or remove it first",
                schedule.name
            )));
        }
        if schedule.enabled {
            if let Err(e) = self.sync_bullmq(&schedule).await {
                let _: redis::RedisResult<()> = redis::cmd("HDEL")
                    .arg(keys::schedules())
                    .arg(&schedule.name)
                    .query_async(&mut redis)
                    .await;
                return Err(e);
            }
        }
        tracing::info!(schedule = %schedule.name, cron = %schedule.schedule, tz = %schedule.timezone, "schedule added");
        self.view(schedule).await
    }

    /// Changes a schedule in place: BullMQ's scheduler is replaced, its definition
    /// rewritten; runs already added are left as they are.
    pub async fn update_schedule(
        &self,
        name: &str,
        update: ScheduleUpdate,
    ) -> Result<ScheduleView> {
        let old = self.definition(name).await?;
        let mut s = old.clone();
        let now = now_ms();
        if let Some(v) = update.schedule {
            s.schedule = v.trim().to_string();
        }
        if let Some(v) = update.job_name {
            s.job_name = v;
        }
        let old_queue = s.queue_name.clone();
        if let Some(v) = update.queue_name {
            s.queue_name = v;
        }
        if let Some(v) = update.job_data {
            s.job_data = v;
        }
        if let Some(v) = update.enabled {
            s.enabled = v;
        }
        if let Some(v) = update.timezone {
            s.timezone = v.trim().to_string();
        }
        if let Some(v) = update.options {
            s.options = v;
        }
        if let Some(v) = update.start_date {
            s.start_date = date_ms("startDate", v.as_ref())?;
        }
        if let Some(v) = update.end_date {
            s.end_date = date_ms("endDate", v.as_ref())?;
        }
        if let Some(v) = update.limit {
            s.limit = v;
        }
        if let Some(v) = update.overlap {
            s.overlap = v;
        }
        s.updated_at = now;
        self.check(&s, now)?;
        self.queues.known(&s.queue_name).await?;
        self.store(&s).await?;
        let synced = async {
            if old_queue != s.queue_name {
                self.queues
                    .bull_queue(&old_queue)
                    .await?
                    .remove_job_scheduler(name)
                    .await?;
            }
            self.sync_bullmq(&s).await
        };
        if let Err(e) = synced.await {
            self.restore_definition(&old).await;
            return Err(e);
        }
        tracing::info!(schedule = %name, "schedule updated");
        self.view(s).await
    }

    /// Starts firing again (BullMQ's scheduler is recreated from the definition).
    pub async fn enable_schedule(&self, name: &str) -> Result<ScheduleView> {
        self.set_enabled(name, true).await
    }

    /// Stops firing; the definition is kept for [`Self::enable_schedule`].
    pub async fn disable_schedule(&self, name: &str) -> Result<ScheduleView> {
        self.set_enabled(name, false).await
    }

    async fn set_enabled(&self, name: &str, enabled: bool) -> Result<ScheduleView> {
        let old = self.definition(name).await?;
        let mut s = old.clone();
        s.enabled = enabled;
        s.updated_at = now_ms();
        if enabled {
            // Dates and limits may have run out since it was disabled.
            self.check(&s, s.updated_at)?;
        }
        self.store(&s).await?;
        if let Err(e) = self.sync_bullmq(&s).await {
            self.restore_definition(&old).await;
            return Err(e);
        }
        tracing::info!(schedule = %name, enabled, "schedule {}", if enabled { "enabled" } else { "disabled" });
        self.view(s).await
    }

    /// Deletes the schedule: BullMQ's scheduler (and its next, not yet started run) and the
    /// definition. Runs already started finish.
    pub async fn remove_schedule(&self, name: &str) -> Result<()> {
        let mut s = self.definition(name).await?;
        // Disabled first, so no reconciliation restores what is being removed.
        s.enabled = false;
        self.store(&s).await?;
        self.queues
            .bull_queue(&s.queue_name)
            .await?
            .remove_job_scheduler(name)
            .await?;
        let mut redis = self.conn.redis();
        let _: () = redis::pipe()
            .hdel(keys::schedules(), name)
            .del(keys::schedule_runs(name))
            .query_async(&mut redis)
            .await?;
        tracing::info!(schedule = %name, "schedule removed");
        Ok(())
    }

    /// Adds one run now, outside the cadence (which does not move). With overlap `skip`,
    /// refused while an earlier run is still waiting or active.
    pub async fn run_schedule_now(&self, name: &str) -> Result<AddedJob> {
        let s = self.definition(name).await?;
        let now = now_ms();
        if s.overlap == Overlap::Skip {
            let mut redis = self.conn.redis();
            if let Some((id, outcome)) =
                super::runs::unfinished_run(&mut redis, self.queues.prefix(), &s, now + 1, None)
                    .await?
            {
                return Err(Error::Conflict(format!(
                    "run {id} of {name} is still {}; its overlap policy is skip",
                    outcome_word(outcome)
                )));
            }
        }
        let opts = JobOptionsInput {
            job_id: Some(format!("run:{name}:{now}")),
            ..s.options.clone()
        };
        let added = self
            .queues
            .add_job(&s.queue_name, &s.job_name, s.job_data.clone(), &opts)
            .await?;
        self.record_run(name, &added.id, now).await?;
        self.announce(QueueEvent::ScheduleFired {
            name: name.to_string(),
            kind: FireKind::Manual,
            queue: s.queue_name.clone(),
            job_id: added.id.clone(),
            at: now,
        })
        .await;
        Ok(added)
    }

    /// Remembers that `job_id` is a run of `name` fired at `at` (kept: the latest
    /// [`RUNS_KEPT`]).
    pub(crate) async fn record_run(&self, name: &str, job_id: &str, at: i64) -> Result<()> {
        let mut redis = self.conn.redis();
        super::runs::record_run(&mut redis, name, job_id, at).await
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn dates_take_millis_or_rfc3339() {
        assert_eq!(
            date_ms("startDate", Some(&DateInput::Millis(5))).expect("ok"),
            Some(5)
        );
        assert_eq!(
            date_ms(
                "startDate",
                Some(&DateInput::Text("1970-01-01T00:00:01Z".into()))
            )
            .expect("ok"),
            Some(1000)
        );
        let e = date_ms("endDate", Some(&DateInput::Text("tomorrow".into()))).expect_err("bad");
        assert!(
            e.to_string()
                .starts_with("endDate: `tomorrow` is not an RFC 3339 date"),
            "{e}"
        );
        assert!(date_ms("endDate", Some(&DateInput::Millis(-1))).is_err());
    }
}
