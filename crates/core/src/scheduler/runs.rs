//! Runs of a schedule: which jobs they are, what became of them, and the `skip` overlap
//! policy.
//!
//! BullMQ adds a schedule's runs inside its own scripts, so no run can be held back when it
//! is added. Instead an Antrian worker, when a run starts, asks [`skip_reason`]: with
//! overlap `skip` and an earlier run of the same schedule still waiting or active, the run
//! completes at once with `{"skipped": true, "reason": …}` and its handler does not run.
//! Run-now refuses the same way. (Node.js workers know nothing of Antrian's registry and run
//! every run.)

use redis::aio::ConnectionLike;

use super::model::{Overlap, RunOutcome, Schedule, ScheduleRun};
use super::{RUNS_KEPT, RUNS_SHOWN};
use crate::error::Result;
use crate::keys;

/// Remembers that `job_id` is a run of `name` fired at `at`, keeping the latest
/// [`RUNS_KEPT`].
pub(crate) async fn record_run<C: ConnectionLike + Send>(
    redis: &mut C,
    name: &str,
    job_id: &str,
    at: i64,
) -> Result<()> {
    let key = keys::schedule_runs(name);
    let _: () = redis::pipe()
        .cmd("ZADD")
        .arg(&key)
        .arg("NX")
        .arg(at)
        .arg(job_id)
        .ignore()
        .cmd("ZREMRANGEBYRANK")
        .arg(&key)
        .arg(0)
        .arg(-RUNS_KEPT - 1)
        .ignore()
        .query_async(redis)
        .await?;
    Ok(())
}

/// Runs of `s` fired before `before` (ms), newest first, at most `count`, with their
/// outcomes.
async fn runs_before<C: ConnectionLike + Send>(
    redis: &mut C,
    prefix: &str,
    s: &Schedule,
    before: i64,
    count: isize,
) -> Result<Vec<ScheduleRun>> {
    let ids: Vec<(String, f64)> = redis::cmd("ZREVRANGEBYSCORE")
        .arg(keys::schedule_runs(&s.name))
        .arg(format!("({before}"))
        .arg("-inf")
        .arg("WITHSCORES")
        .arg("LIMIT")
        .arg(0)
        .arg(count)
        .query_async(redis)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys = bullmq::QueueKeys::new(&s.queue_name, Some(prefix));
    let mut pipe = redis::pipe();
    for (id, _) in &ids {
        pipe.cmd("HMGET")
            .arg(keys.job_key(id))
            .arg("finishedOn")
            .arg("processedOn")
            .arg("failedReason")
            .arg("returnvalue")
            .arg("timestamp")
            .zscore(keys.completed(), id)
            .zscore(keys.failed(), id);
    }
    let replies: Vec<redis::Value> = pipe.query_async(redis).await?;
    let mut runs = Vec::with_capacity(ids.len());
    for ((id, at), chunk) in ids.into_iter().zip(replies.chunks(3)) {
        let fields: Vec<Option<String>> =
            redis::from_redis_value(chunk[0].clone()).unwrap_or_default();
        let fields: [Option<String>; 5] =
            std::array::from_fn(|i| fields.get(i).cloned().flatten().filter(|v| !v.is_empty()));
        let in_completed = !matches!(chunk[1], redis::Value::Nil);
        let in_failed = !matches!(chunk[2], redis::Value::Nil);
        // Scores are whole milliseconds.
        let at = at as i64;
        runs.push(ScheduleRun::new(
            id,
            at,
            outcome_of(&fields, in_completed, in_failed),
        ));
    }
    Ok(runs)
}

/// The latest runs of `s` that have fired by `now`, newest first.
pub(crate) async fn recent_runs<C: ConnectionLike + Send>(
    redis: &mut C,
    prefix: &str,
    s: &Schedule,
    now: i64,
    count: isize,
) -> Result<Vec<ScheduleRun>> {
    runs_before(redis, prefix, s, now + 1, count).await
}

/// The newest run of `s` fired before `before` that is still waiting or active, other
/// than `except`.
pub(crate) async fn unfinished_run<C: ConnectionLike + Send>(
    redis: &mut C,
    prefix: &str,
    s: &Schedule,
    before: i64,
    except: Option<&str>,
) -> Result<Option<(String, RunOutcome)>> {
    let runs = runs_before(redis, prefix, s, before, RUNS_SHOWN).await?;
    Ok(runs
        .into_iter()
        .filter(|r| Some(r.job_id.as_str()) != except)
        .find(|r| matches!(r.outcome, RunOutcome::Waiting | RunOutcome::Active))
        .map(|r| (r.job_id, r.outcome)))
}

/// For a job that is a run of an Antrian schedule: records the run, and with overlap
/// `skip` says why it must not run when an earlier run is still waiting or active.
/// `None` for every other job (one string check, no Redis call).
pub async fn skip_reason<C: ConnectionLike + Send>(
    redis: &mut C,
    prefix: &str,
    job_id: &str,
) -> Result<Option<String>> {
    let Some((name, fired_at)) = run_of(job_id) else {
        return Ok(None);
    };
    let json: Option<String> = redis::cmd("HGET")
        .arg(keys::schedules())
        .arg(name)
        .query_async(redis)
        .await?;
    let Some(schedule) = json.and_then(|j| serde_json::from_str::<Schedule>(&j).ok()) else {
        return Ok(None);
    };
    record_run(redis, name, job_id, fired_at).await?;
    if schedule.overlap != Overlap::Skip {
        return Ok(None);
    }
    Ok(
        unfinished_run(redis, prefix, &schedule, fired_at, Some(job_id))
            .await?
            .map(|(id, outcome)| {
                format!(
                    "run {id} of schedule {name} is still {}; overlap policy is skip",
                    outcome_word(outcome)
                )
            }),
    )
}

/// `(schedule name, fire time)` of a job a schedule added: `repeat:<name>:<ms>` (BullMQ's
/// id for a scheduler's run) or `run:<name>:<ms>` (Antrian's run-now).
pub fn run_of(job_id: &str) -> Option<(&str, i64)> {
    let rest = job_id
        .strip_prefix("repeat:")
        .or_else(|| job_id.strip_prefix("run:"))?;
    let (name, at) = rest.rsplit_once(':')?;
    Some((name, at.parse().ok()?))
}

/// A run's outcome from what BullMQ keeps of its job: the hash fields `finishedOn`,
/// `processedOn`, `failedReason`, `returnvalue`, `timestamp` (always set while the job
/// exists), and whether it is in the completed or failed set.
pub(crate) fn outcome_of(
    fields: &[Option<String>; 5],
    in_completed: bool,
    in_failed: bool,
) -> (RunOutcome, Option<i64>, Option<String>) {
    let [finished_on, processed_on, failed_reason, return_value, created] = fields;
    let finished = finished_on.as_deref().and_then(|f| f.parse().ok());
    if in_failed {
        return (RunOutcome::Failed, finished, failed_reason.clone());
    }
    if in_completed {
        let skipped = return_value
            .as_deref()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
            .and_then(|v| {
                (v.get("skipped") == Some(&serde_json::Value::Bool(true)))
                    .then(|| v.get("reason").and_then(|r| r.as_str()).map(String::from))
            });
        return match skipped {
            Some(reason) => (RunOutcome::Skipped, finished, reason),
            None => (RunOutcome::Completed, finished, None),
        };
    }
    if created.is_none() {
        return (RunOutcome::Removed, None, None);
    }
    if processed_on.is_some() {
        (RunOutcome::Active, None, None)
    } else {
        (RunOutcome::Waiting, None, None)
    }
}

pub(crate) fn outcome_word(outcome: RunOutcome) -> &'static str {
    match outcome {
        RunOutcome::Waiting => "waiting",
        RunOutcome::Active => "active",
        RunOutcome::Completed => "completed",
        RunOutcome::Failed => "failed",
        RunOutcome::Skipped => "skipped",
        RunOutcome::Removed => "removed",
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn run_ids_name_their_schedule_and_time() {
        assert_eq!(
            run_of("repeat:daily-cleanup:1764288000000"),
            Some(("daily-cleanup", 1_764_288_000_000))
        );
        assert_eq!(run_of("run:a.b_c:5"), Some(("a.b_c", 5)));
        assert_eq!(run_of("42"), None);
        assert_eq!(run_of("repeat:x:notanumber"), None);
        assert_eq!(run_of("dynamic:x:1-1"), None);
    }
}
