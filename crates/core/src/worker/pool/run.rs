//! One attempt of one job: route it to its handler, run the handler in its own task (a
//! panic fails the attempt, not the pool), and map the handler's answer onto BullMQ's
//! outcome, with the log line that says what became of the attempt.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bullmq::redis_connection::AnyConnection;
use futures_util::FutureExt;

use super::Counters;
use crate::now_ms;
use crate::worker::handler::{JobContext, JobError, JobSlot};
use crate::worker::registry::{Registry, WorkerType};

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".to_string())
}

/// Runs one attempt: routes to the handler, isolates panics, maps the outcome.
pub(super) async fn run_job(
    registry: &Registry,
    (worker_type, log_outcomes): (WorkerType, bool),
    counters: &Counters,
    (mut redis, prefix): (AnyConnection, &str),
    job: Box<bullmq::Job>,
    cancel: bullmq::worker::CancellationToken,
) -> std::result::Result<serde_json::Value, bullmq::Error> {
    let Some(handler) = registry.get(worker_type, job.name()) else {
        counters.record(Duration::ZERO, false);
        return Err(bullmq::Error::Unrecoverable(format!(
            "no handler for job `{}` on {}: it handles {}",
            job.name(),
            worker_type.queue(),
            registry.names(worker_type).join(", ")
        )));
    };
    // A run of a schedule whose overlap policy is skip may have to give way. (The rarely
    // taken awaits here are boxed: this future is moved onto the heap for every job, and
    // their inline state would grow it by kilobytes.)
    if crate::scheduler::runs::run_of(job.id()).is_some() {
        match Box::pin(crate::scheduler::runs::skip_reason(
            &mut redis,
            prefix,
            job.id(),
        ))
        .await
        {
            Ok(Some(reason)) => {
                tracing::info!(job = %job.id(), "{reason}: run skipped");
                counters.record(Duration::ZERO, true);
                return Ok(serde_json::json!({"skipped": true, "reason": reason}));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(job = %job.id(), "cannot check the schedule's overlap policy, running it: {e}")
            }
        }
    }
    let attempts = job.opts().attempts.unwrap_or(1);
    let last_attempt = job.attempts_made() + 1 >= attempts;
    // The handler owns the job while it runs; its context hands the job back here when it
    // is dropped (no copy of the job and its data per run).
    let slot = JobSlot::default();
    counters.active.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    // The engine already runs each job on a task of its own; a panicking handler is caught
    // here (the job fails with the panic's message) rather than in yet another task.
    let outcome = std::panic::AssertUnwindSafe(handler.handle(JobContext::new(
        job,
        worker_type.queue(),
        cancel,
        slot.clone(),
    )))
    .catch_unwind()
    .await;
    counters.active.fetch_sub(1, Ordering::Relaxed);
    counters.record(
        started.elapsed(),
        matches!(outcome, Ok(Ok(_) | Err(JobError::WaitingChildren))),
    );
    // `None` only when a handler kept its context past its own end (moved it into a task
    // of its own): the attempt's outcome stands, its log line and log record are skipped.
    let handle = slot.lock().ok().and_then(|mut slot| slot.take());
    if let (true, Some(handle)) = (log_outcomes, &handle) {
        match &outcome {
            Ok(Ok(_)) => {
                tracing::debug!(queue = %worker_type.queue(), job = %handle.id(), "job completed")
            }
            Ok(Err(e)) => log_final_failure(worker_type, handle, e, attempts),
            Err(_) => {}
        }
    }
    if let (Ok(Err(e)), Some(handle)) = (&outcome, &handle) {
        if let Some(line) = decision(e, job_attempt(handle), attempts) {
            // The job's own log says what became of each attempt; it is evidence, not
            // the outcome, so a failed write is only traced.
            if let Err(e) = Box::pin(handle.log(&line)).await {
                tracing::debug!(job = %handle.id(), "cannot write the job log: {e}");
            }
        }
    }
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(JobError::Retry(reason))) => Err(bullmq::Error::ProcessingError(reason)),
        Ok(Err(JobError::Discard(reason))) => Err(bullmq::Error::Unrecoverable(reason)),
        Ok(Err(JobError::WaitingChildren)) => Err(bullmq::Error::WaitingChildren),
        Ok(Err(JobError::RetryAfter { reason, .. })) if last_attempt => {
            Err(bullmq::Error::ProcessingError(reason))
        }
        Ok(Err(JobError::RetryAfter { reason, after })) => {
            let Some(handle) = handle else {
                return Err(bullmq::Error::ProcessingError(reason));
            };
            Box::pin(retry_after(
                redis,
                prefix,
                worker_type,
                &handle,
                &reason,
                after,
            ))
            .await
            .map_err(|e| {
                bullmq::Error::ProcessingError(format!(
                    "{reason} (and it could not be delayed: {e})"
                ))
            })?;
            Err(bullmq::Error::Delayed)
        }
        Err(e) => Err(bullmq::Error::ProcessingError(format!(
            "handler panicked: {}",
            panic_message(&*e)
        ))),
    }
}

/// Logs a job that failed for good (no retry follows), as `antrian start` logs the
/// failures it reads from the event streams.
fn log_final_failure(worker_type: WorkerType, job: &bullmq::Job, error: &JobError, attempts: u32) {
    let last = job_attempt(job) >= attempts;
    let reason = match error {
        JobError::Discard(reason) => reason,
        JobError::Retry(reason) | JobError::RetryAfter { reason, .. } if last => reason,
        _ => return,
    };
    tracing::warn!(queue = %worker_type.queue(), job = %job.id(), attempts = job_attempt(job), %reason, "job failed");
}

/// The attempt a job is on (1 for its first run).
fn job_attempt(job: &bullmq::Job) -> u32 {
    job.attempts_made() + 1
}

/// The line a failed attempt adds to the job's log: what failed and what happens next.
fn decision(error: &JobError, attempt: u32, attempts: u32) -> Option<String> {
    let left = attempts.saturating_sub(attempt);
    let failed = format!("attempt {attempt} of {attempts} failed");
    Some(match error {
        JobError::WaitingChildren => return None,
        JobError::Discard(reason) => {
            format!("{failed}: {reason}; not retried: retrying cannot change this")
        }
        JobError::Retry(reason) | JobError::RetryAfter { reason, .. } if left == 0 => {
            format!("{failed}: {reason}; no attempts left, the job has failed")
        }
        JobError::Retry(reason) => {
            format!("{failed}: {reason}; retrying after the job's backoff ({left} left)")
        }
        JobError::RetryAfter { reason, after } => format!(
            "{failed}: {reason}; retrying in {} s as the site asked ({left} left)",
            after.as_secs().max(1)
        ),
    })
}

/// Moves a job to delayed until `after` from now, counting the attempt: bullmq-official's
/// `move_to_delayed` skips the attempt counter (as Node's DelayedError does), so a site
/// answering 429 forever would be retried forever; the attempt is counted on BullMQ's own
/// `atm` field of the job hash first, with its error kept as a failed attempt's is
/// (`failedReason`, and the `stacktrace` list the job's page shows attempt by attempt).
async fn retry_after(
    mut redis: AnyConnection,
    prefix: &str,
    worker_type: WorkerType,
    job: &bullmq::Job,
    reason: &str,
    after: Duration,
) -> std::result::Result<(), bullmq::Error> {
    let key = bullmq::QueueKeys::new(worker_type.queue(), Some(prefix)).job_key(job.id());
    let mut traces: Vec<String> = serde_json::from_str(job.stacktrace()).unwrap_or_default();
    traces.push(reason.to_string());
    if let Some(limit) = job.opts().stack_trace_limit {
        let keep = limit as usize;
        if traces.len() > keep {
            traces.drain(..traces.len() - keep);
        }
    }
    let _: () = redis::pipe()
        .hincr(&key, "atm", 1)
        .ignore()
        .hset_multiple(
            &key,
            &[
                ("failedReason", reason.to_string()),
                (
                    "stacktrace",
                    serde_json::to_string(&traces).unwrap_or_else(|_| "[]".into()),
                ),
            ],
        )
        .ignore()
        .query_async(&mut redis)
        .await?;
    job.move_to_delayed(now_ms() + u64::try_from(after.as_millis()).unwrap_or(u64::MAX))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_of_future<F: std::future::Future>(_: &F) -> usize {
        std::mem::size_of::<F>()
    }

    /// The engine boxes every job's processor future, so `run_job`'s future is copied onto
    /// the heap per job and kept per running job; holding a `bullmq::Job` inline (more than
    /// once) and the rarely taken awaits made it 5,928 bytes (bench/README.md).
    #[tokio::test]
    async fn the_per_job_future_stays_small() {
        let redis = antrian_testkit::TestRedis::start();
        let conn = crate::connection::Connection::open(
            &redis.url(),
            "test",
            &crate::CancellationToken::new(),
            |_| {},
        )
        .await
        .expect("connect");
        let job: bullmq::Job = serde_json::from_value(serde_json::json!({
            "id": "1", "name": "validate-data", "data": {}, "timestamp": 0
        }))
        .expect("job");
        let registry = Registry::new();
        let counters = Counters::new();
        let future = run_job(
            &registry,
            (WorkerType::DataProcessing, false),
            &counters,
            (conn.redis(), "bull"),
            Box::new(job),
            bullmq::worker::CancellationToken::new(),
        );
        let size = size_of_future(&future);
        assert!(size <= 1024, "run_job's future is {size} bytes");
    }
}
