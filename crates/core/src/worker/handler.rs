//! What a job handler is: an async function of a [`JobContext`] that returns a JSON result
//! or a [`JobError`] saying what should happen next.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bullmq::types::JobProgress;

/// How an attempt failed, and so what happens next (STYLE.md rule 4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again after the job's backoff (the default for unexpected failures).
    #[error("{0}")]
    Retry(String),
    /// Try again after this long, e.g. an HTTP 429's `Retry-After`. Counts as an attempt.
    #[error("{reason} (retry after {after:?})")]
    RetryAfter {
        /// Why.
        reason: String,
        /// How long to wait.
        after: Duration,
    },
    /// Never try again: bad input, a 404. The job goes straight to failed.
    #[error("{0}")]
    Discard(String),
    /// Not a failure: the job moved itself to waiting-children
    /// ([`JobContext::wait_for_children`]) and runs again once they have finished.
    #[error("waiting for its child jobs")]
    WaitingChildren,
}

impl JobError {
    /// A failure the job's backoff should retry.
    pub fn retry(reason: impl Into<String>) -> Self {
        Self::Retry(reason.into())
    }

    /// A failure to retry after `after`, not before.
    pub fn retry_after(reason: impl Into<String>, after: Duration) -> Self {
        Self::RetryAfter {
            reason: reason.into(),
            after,
        }
    }

    /// A failure no retry can fix.
    pub fn discard(reason: impl Into<String>) -> Self {
        Self::Discard(reason.into())
    }

    /// The same outcome with more context appended to its reason.
    #[must_use]
    pub fn with_suffix(self, suffix: &str) -> Self {
        match self {
            Self::Retry(r) => Self::Retry(r + suffix),
            Self::Discard(r) => Self::Discard(r + suffix),
            Self::RetryAfter { reason, after } => Self::RetryAfter {
                reason: reason + suffix,
                after,
            },
            other @ Self::WaitingChildren => other,
        }
    }
}

/// A job's cancellation signal, for handlers that pass it down to long waits.
pub type CancelToken = bullmq::worker::CancellationToken;

/// Where a context leaves its job when the handler lets go of it, so the pool can record
/// what became of the attempt (its log line, a retry-after delay) without copying the job
/// and its data before every run. (Boxed: a `bullmq::Job` is over 1 KB, and every future
/// that holds a context is moved onto the heap once per job.)
pub(crate) type JobSlot = std::sync::Arc<std::sync::Mutex<Option<Box<bullmq::Job>>>>;

/// What a handler sees of its job.
pub struct JobContext {
    /// The BullMQ job (carries its script context for progress and logs); `Some` until the
    /// context is dropped.
    job: Option<Box<bullmq::Job>>,
    /// The queue it came from.
    queue: &'static str,
    /// Set when the worker is shutting down past its deadline or the job is cancelled.
    cancel: bullmq::worker::CancellationToken,
    /// Where the job goes when the context is dropped.
    slot: JobSlot,
}

impl Drop for JobContext {
    fn drop(&mut self) {
        if let (Some(job), Ok(mut slot)) = (self.job.take(), self.slot.lock()) {
            *slot = Some(job);
        }
    }
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("id", &self.job().id())
            .field("name", &self.job().name())
            .finish_non_exhaustive()
    }
}

impl JobContext {
    /// A context whose job is put in `slot` when the handler drops it.
    pub(crate) fn new(
        job: Box<bullmq::Job>,
        queue: &'static str,
        cancel: bullmq::worker::CancellationToken,
        slot: JobSlot,
    ) -> Self {
        Self {
            job: Some(job),
            queue,
            cancel,
            slot,
        }
    }

    fn job(&self) -> &bullmq::Job {
        self.job
            .as_ref()
            .expect("a job context holds its job until it is dropped")
    }

    /// The queue the job came from.
    pub fn queue(&self) -> &'static str {
        self.queue
    }

    /// Moves this job to waiting-children when any child it added is still pending:
    /// `Ok(true)` means it did, and the handler must return
    /// `Err(JobError::WaitingChildren)`; `Ok(false)` means every child has finished.
    pub async fn wait_for_children(&self) -> Result<bool, JobError> {
        self.job()
            .move_to_waiting_children(None)
            .await
            .map_err(|e| JobError::retry(format!("cannot wait for child jobs: {e}")))
    }

    /// Results of the children that completed, by child job key (`prefix:queue:id`).
    pub async fn children_values(
        &self,
    ) -> Result<std::collections::HashMap<String, serde_json::Value>, JobError> {
        self.job()
            .get_children_values()
            .await
            .map_err(|e| JobError::retry(format!("cannot read child results: {e}")))
    }

    /// Failure reasons of the children that failed for good, by child job key.
    pub async fn failed_children(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, JobError> {
        self.job()
            .get_failed_children_values()
            .await
            .map_err(|e| JobError::retry(format!("cannot read failed children: {e}")))
    }

    /// The job id.
    pub fn id(&self) -> &str {
        self.job().id()
    }

    /// The job name (what routed it here).
    pub fn name(&self) -> &str {
        self.job().name()
    }

    /// The job data.
    pub fn data(&self) -> &serde_json::Value {
        self.job().data()
    }

    /// This attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.job().attempts_made() + 1
    }

    /// Reports progress (0–100 by convention); shows as `job:progress` everywhere.
    pub async fn progress(&mut self, percent: f64) -> Result<(), JobError> {
        self.job
            .as_mut()
            .expect("a job context holds its job until it is dropped")
            .update_progress(JobProgress::Number(percent))
            .await
            .map_err(|e| JobError::retry(format!("cannot report progress: {e}")))
    }

    /// Adds a line to the job's log.
    pub async fn log(&self, line: &str) -> Result<(), JobError> {
        self.job()
            .log(line)
            .await
            .map(|_| ())
            .map_err(|e| JobError::retry(format!("cannot write the job log: {e}")))
    }

    /// Whether the job should stop now (shutdown deadline passed, or cancelled).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The job's cancellation signal, to hand to helpers that wait.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Resolves when the job should stop; race long work against it.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }
}

/// The future a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<serde_json::Value, JobError>> + Send>>;

/// Runs jobs of one or more names.
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt of a job.
    fn handle(&self, ctx: JobContext) -> HandlerFuture;
}

/// A handler made from an async closure.
pub struct HandlerFn<F>(F);

impl<F> std::fmt::Debug for HandlerFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandlerFn")
    }
}

impl<F, Fut> Handler for HandlerFn<F>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, JobError>> + Send + 'static,
{
    fn handle(&self, ctx: JobContext) -> HandlerFuture {
        Box::pin((self.0)(ctx))
    }
}

/// Wraps an async closure as a [`Handler`].
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn Handler>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, JobError>> + Send + 'static,
{
    Arc::new(HandlerFn(f))
}
