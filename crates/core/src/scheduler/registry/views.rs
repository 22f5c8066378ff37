//! How cron schedules are shown: one or all with their next runs and recent runs, and
//! previews of a schedule's or an expression's fire times.

use std::collections::HashMap;

use chrono::DateTime;

use super::corrupt;
use crate::error::Result;
use crate::keys;
use crate::scheduler::cron::{self, Bounds};
use crate::scheduler::model::{
    Preview, RunOutcome, Schedule, ScheduleRun, ScheduleStatus, ScheduleView,
};
use crate::scheduler::{invalid, now_ms, Scheduler, MAX_PREVIEW, RUNS_SHOWN};

impl Scheduler {
    /// One schedule with its next run and recent runs.
    pub async fn get_schedule(&self, name: &str) -> Result<ScheduleView> {
        let s = self.definition(name).await?;
        self.view(s).await
    }

    /// Every schedule, by name.
    pub async fn list_schedules(&self) -> Result<Vec<ScheduleView>> {
        let mut redis = self.conn.redis();
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(keys::schedules())
            .query_async(&mut redis)
            .await?;
        let mut defs = Vec::with_capacity(all.len());
        for (name, json) in all {
            defs.push(serde_json::from_str::<Schedule>(&json).map_err(|e| corrupt(&name, &e))?);
        }
        defs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut views = Vec::with_capacity(defs.len());
        for s in defs {
            views.push(self.view(s).await?);
        }
        Ok(views)
    }

    /// The next `count` fire times of a stored schedule, from now, within its dates and
    /// run limit.
    pub async fn preview_schedule(&self, name: &str, count: usize) -> Result<Preview> {
        let view = self.get_schedule(name).await?;
        let s = &view.schedule;
        let bounds = Bounds {
            start: s.start_date,
            end: s.end_date,
            remaining: s.limit.map(|l| l.saturating_sub(view.iterations)),
        };
        preview(&s.schedule, &s.timezone, count, bounds)
    }

    /// The next `count` fire times of any expression in `timezone` (default the
    /// scheduler's), for an editor's live preview.
    pub fn preview_expression(
        &self,
        expr: &str,
        timezone: Option<&str>,
        count: usize,
    ) -> Result<Preview> {
        preview(
            expr,
            timezone.unwrap_or(&self.default_timezone),
            count,
            Bounds::default(),
        )
    }

    /// The definition with BullMQ's state and the latest runs.
    pub(crate) async fn view(&self, s: Schedule) -> Result<ScheduleView> {
        let now = now_ms();
        let (status, next_run, iterations) = if s.enabled {
            let queue = self.queues.bull_queue(&s.queue_name).await?;
            match queue.get_job_scheduler(&s.name).await? {
                Some(bull) => {
                    let next = bull.next.and_then(|n| i64::try_from(n).ok());
                    let ran_out = s.limit.is_some_and(|l| bull.iteration_count >= l)
                        || s.end_date.is_some_and(|e| e <= now);
                    // BullMQ keeps the last fire time as "next" once a scheduler has run
                    // out; that run is not pending.
                    let pending = next.filter(|n| !(ran_out && *n <= now));
                    if let Some(next) = pending {
                        // Remembered now, so its outcome shows even when no scheduler
                        // component runs.
                        self.record_run(&s.name, &format!("repeat:{}:{next}", s.name), next)
                            .await?;
                    }
                    let status = if pending.is_none() && ran_out {
                        ScheduleStatus::Finished
                    } else {
                        ScheduleStatus::Active
                    };
                    (status, pending, bull.iteration_count)
                }
                // With a run limit, BullMQ may drop a scheduler that has made its runs.
                None if s.end_date.is_some_and(|e| e <= now) || s.limit.is_some() => {
                    (ScheduleStatus::Finished, None, 0)
                }
                None => (ScheduleStatus::Missing, None, 0),
            }
        } else {
            (ScheduleStatus::Disabled, None, 0)
        };
        let mut redis = self.conn.redis();
        let runs = crate::scheduler::runs::recent_runs(
            &mut redis,
            self.queues.prefix(),
            &s,
            now,
            RUNS_SHOWN,
        )
        .await?;
        Ok(ScheduleView {
            description: cron::describe(&s.schedule).unwrap_or_default(),
            status,
            next_run,
            iterations,
            recent_runs: runs,
            schedule: s,
        })
    }
}

fn preview(expr: &str, timezone: &str, count: usize, bounds: Bounds) -> Result<Preview> {
    if count == 0 || count > MAX_PREVIEW {
        return Err(invalid(
            "count",
            format!("{count} must be from 1 to {MAX_PREVIEW}"),
        ));
    }
    let tz = crate::rules::parse_timezone(timezone)?;
    let times = cron::next_fire_times(expr, tz, now_ms(), count, bounds)?;
    Ok(Preview {
        schedule: expr.trim().to_string(),
        timezone: tz.name().to_string(),
        description: cron::describe(expr)?,
        times: times.iter().map(DateTime::to_rfc3339).collect(),
    })
}

impl ScheduleRun {
    pub(crate) fn new(
        job_id: String,
        fired_at: i64,
        outcome: (RunOutcome, Option<i64>, Option<String>),
    ) -> Self {
        Self {
            job_id,
            fired_at,
            outcome: outcome.0,
            finished_at: outcome.1,
            reason: outcome.2,
        }
    }
}
