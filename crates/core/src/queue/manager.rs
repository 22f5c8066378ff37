//! The queue manager: the seed's `QueueManager` API over BullMQ queues
//! (`bullmq-official`), one instance per process, shared by every adapter.
//!
//! Every operation checks its input before it writes anything, so a rejected call leaves
//! Redis as it was. Queues are opened lazily and kept; opening one writes BullMQ's `meta`
//! key (as Node.js BullMQ does), so names are validated first.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use bullmq::options::QueueOptions;
use bullmq::{BulkJob, Queue};
use serde::Deserialize;

use super::model::{AddedJob, CleanOptions};
use super::options::{self, JobDefaults, JobOptionsInput, Priority};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::rules::{validate_queue_name, STANDARD_QUEUES};

/// Largest page a listing returns.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// One entry of `add_bulk_jobs`, as the seed writes it: `{name, data, priority}`, with any
/// other option under `opts`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkJobInput {
    /// Job name.
    pub name: String,
    /// Job data (a JSON object).
    #[serde(default = "empty_object")]
    pub data: serde_json::Value,
    /// The seed's top-level priority; wins over `opts.priority`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Every other option.
    #[serde(default, alias = "options")]
    pub opts: JobOptionsInput,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// The queue manager.
pub struct QueueManager {
    /// Shared connection.
    pub(super) conn: Connection,
    /// BullMQ key prefix.
    pub(super) prefix: String,
    /// Defaults for options a job leaves out.
    defaults: JobDefaults,
    /// Largest accepted job data, bytes of JSON.
    max_data_bytes: usize,
    /// The last discovery: when, and what it found.
    pub(super) discovered: RwLock<Option<(std::time::Instant, Vec<String>)>>,
    /// Opened queues by name. A std lock: it is held only for a map lookup or insert,
    /// never across an await, and add_job's hot path takes just the read side.
    queues: RwLock<HashMap<String, Arc<Queue>>>,
    /// Checks job data per job name before it is added (the handlers' own rules).
    job_check: RwLock<Option<JobCheck>>,
}

/// Checks a job the way its handler will: `(queue, name, data)` → why it is bad.
pub type JobCheck =
    Arc<dyn Fn(&str, &str, &serde_json::Value) -> std::result::Result<(), Refusal> + Send + Sync>;

/// Why a job check refused a job: the field it is about (`data` unless said) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `name` or `data`.
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub rule: String,
}

impl Refusal {
    /// A refusal of the job's name.
    pub fn name(rule: impl Into<String>) -> Self {
        Self {
            field: "name",
            rule: rule.into(),
        }
    }
}

impl From<String> for Refusal {
    /// A refusal of the job's data.
    fn from(rule: String) -> Self {
        Self {
            field: "data",
            rule,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl std::fmt::Debug for QueueManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueManager")
            .field("prefix", &self.prefix)
            .field("defaults", &self.defaults)
            .finish_non_exhaustive()
    }
}

/// Bytes `value` takes as JSON, counted without building the string.
fn json_size(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

pub(super) fn invalid(field: &str, rule: impl Into<String>) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.into(),
    }
}

/// A job name: what routes the job to its handler.
pub fn validate_job_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > 128 {
        return Err(invalid("name", "a job name must be 1 to 128 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "a job name must not contain control characters",
        ));
    }
    Ok(())
}

impl QueueManager {
    /// Opens the manager and the four standard queues.
    pub async fn new(
        conn: Connection,
        prefix: &str,
        defaults: JobDefaults,
        max_data_bytes: usize,
    ) -> Result<Self> {
        let manager = Self {
            conn,
            prefix: prefix.to_string(),
            defaults,
            max_data_bytes,
            queues: RwLock::new(HashMap::new()),
            discovered: RwLock::new(None),
            job_check: RwLock::new(None),
        };
        for name in STANDARD_QUEUES {
            manager.queue(name).await?;
        }
        Ok(manager)
    }

    /// The queue `name`, opened on first use.
    pub(super) async fn queue(&self, name: &str) -> Result<Arc<Queue>> {
        validate_queue_name(name)?;
        if let Some(q) = self.read_queues().get(name) {
            return Ok(q.clone());
        }
        let opts = QueueOptions {
            prefix: self.prefix.clone(),
            skip_version_check: true,
            ..Default::default()
        };
        // Opening writes BullMQ's meta key, which is idempotent: two callers racing here
        // both open it and the first insert wins.
        let queue = Arc::new(Queue::with_connection(name, self.conn.bullmq().clone(), opts).await?);
        let mut queues = self
            .queues
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(queues.entry(name.to_string()).or_insert(queue).clone())
    }

    /// The queue `name` if it exists (opened here, or created by any process: it has
    /// BullMQ's `meta` key). Reading or controlling a queue never creates it, so a typo
    /// gets "not found" instead of a new empty queue.
    pub(super) async fn existing(&self, name: &str) -> Result<Arc<Queue>> {
        validate_queue_name(name)?;
        if let Some(q) = self.read_queues().get(name) {
            return Ok(q.clone());
        }
        let mut redis = self.conn.redis();
        let exists: bool = redis::cmd("EXISTS")
            .arg(bullmq::QueueKeys::new(name, Some(&self.prefix)).meta())
            .query_async(&mut redis)
            .await?;
        if !exists {
            return Err(Error::NotFound {
                what: format!("queue {name}"),
            });
        }
        self.queue(name).await
    }

    pub(super) fn read_queues(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Queue>>> {
        self.queues
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Installs the handlers' data check: from then on a job its handler would discard
    /// is refused when added, naming the problem, and nothing is written.
    pub fn set_job_check(&self, check: JobCheck) {
        *self
            .job_check
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(check);
    }

    pub(super) fn check_job(
        &self,
        queue: &str,
        name: &str,
        data: &serde_json::Value,
    ) -> Result<()> {
        self.check_data(data)?;
        let check = self
            .job_check
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match check {
            Some(check) => check(queue, name, data).map_err(|r| invalid(r.field, r.rule)),
            None => Ok(()),
        }
    }

    fn check_data(&self, data: &serde_json::Value) -> Result<()> {
        if !data.is_object() {
            return Err(invalid("data", "job data must be a JSON object"));
        }
        let size = json_size(data);
        if size > self.max_data_bytes {
            return Err(invalid(
                "data",
                format!(
                    "{size} bytes is over the limit of {} bytes; keep large data elsewhere and pass a reference",
                    self.max_data_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Checks a job as [`Self::add_job`] would, without adding it, and returns its BullMQ
    /// options (the scheduler stores jobs to be added later).
    pub(crate) fn prepare_job(
        &self,
        queue: &str,
        name: &str,
        data: &serde_json::Value,
        opts: &JobOptionsInput,
    ) -> Result<bullmq::options::JobOptions> {
        validate_queue_name(queue)?;
        validate_job_name(name)?;
        self.check_job(queue, name, data)?;
        options::to_bullmq(opts, &self.defaults)
    }

    /// Checks a job exactly as [`Self::add_job`] would (queue and job names, the job type's
    /// data rules, options, whether the queue exists) without writing anything: forms call
    /// it as the user types.
    pub async fn check_new_job(
        &self,
        queue: &str,
        name: &str,
        data: &serde_json::Value,
        opts: &JobOptionsInput,
    ) -> Result<()> {
        self.prepare_job(queue, name, data, opts)?;
        self.known(queue).await.map(drop)
    }

    /// The BullMQ queue `name`, opened (and created) on first use.
    pub(crate) async fn bull_queue(&self, name: &str) -> Result<Arc<Queue>> {
        self.queue(name).await
    }

    /// The defaults a job's options fall back on.
    pub fn defaults(&self) -> &JobDefaults {
        &self.defaults
    }

    /// The BullMQ key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Adds one job (the seed's `addJob`). A repeated custom `jobId` adds nothing and says
    /// so with `duplicate: true`.
    pub async fn add_job(
        &self,
        queue: &str,
        name: &str,
        data: serde_json::Value,
        opts: &JobOptionsInput,
    ) -> Result<AddedJob> {
        validate_queue_name(queue)?;
        validate_job_name(name)?;
        self.check_job(queue, name, &data)?;
        let bull_opts = options::to_bullmq(opts, &self.defaults)?;
        let q = self.known(queue).await?;
        if let Some(id) = &opts.job_id {
            if q.get_job(id).await?.is_some() {
                return Ok(AddedJob {
                    queue: queue.to_string(),
                    id: id.clone(),
                    name: name.to_string(),
                    duplicate: true,
                });
            }
        }
        let job = q.add(name, data).options(bull_opts).await?;
        Ok(AddedJob {
            queue: queue.to_string(),
            id: job.id().to_string(),
            name: name.to_string(),
            duplicate: false,
        })
    }

    /// Adds many jobs at once (the seed's `addBulkJobs`). All are checked first: one bad
    /// entry rejects the whole batch, naming its index.
    pub async fn add_bulk_jobs(
        &self,
        queue: &str,
        jobs: Vec<BulkJobInput>,
    ) -> Result<Vec<AddedJob>> {
        self.add_bulk(queue, jobs, None).await
    }

    /// Adds jobs as children of the job `parent_id` of `parent_queue` (a BullMQ flow): the
    /// parent, once it waits for children, runs again when every child has completed or
    /// failed for good. A failed child does not block the parent (BullMQ's
    /// `ignoreDependencyOnFailure`); its reason is kept for the parent to read. Give the
    /// children custom ids to make adding them again after a crash a no-op.
    pub async fn add_children(
        &self,
        parent_queue: &str,
        parent_id: &str,
        queue: &str,
        jobs: Vec<BulkJobInput>,
    ) -> Result<Vec<AddedJob>> {
        validate_queue_name(parent_queue)?;
        let parent = bullmq::options::ParentOptions {
            queue: format!("{}:{parent_queue}", self.prefix),
            id: parent_id.to_string(),
            wait_children: None,
        };
        self.add_bulk(queue, jobs, Some(parent)).await
    }

    async fn add_bulk(
        &self,
        queue: &str,
        jobs: Vec<BulkJobInput>,
        parent: Option<bullmq::options::ParentOptions>,
    ) -> Result<Vec<AddedJob>> {
        validate_queue_name(queue)?;
        if jobs.is_empty() {
            return Err(invalid("jobs", "the batch is empty"));
        }
        let mut bulk = Vec::with_capacity(jobs.len());
        let mut names = Vec::with_capacity(jobs.len());
        for (i, mut job) in jobs.into_iter().enumerate() {
            let at = |e: Error| match e {
                Error::InvalidJob { field, rule } => Error::InvalidJob {
                    field: format!("jobs[{i}].{field}"),
                    rule,
                },
                other => other,
            };
            validate_job_name(&job.name).map_err(at)?;
            self.check_job(queue, &job.name, &job.data).map_err(at)?;
            if job.priority.is_some() {
                job.opts.priority = job.priority.take();
            }
            let mut opts = options::to_bullmq(&job.opts, &self.defaults).map_err(at)?;
            if let Some(parent) = &parent {
                opts.parent = Some(parent.clone());
                opts.ignore_dependency_on_failure = Some(true);
            }
            names.push(job.name.clone());
            bulk.push(BulkJob::with_options(job.name, job.data, opts));
        }
        let q = self.known(queue).await?;
        let added = q.add_bulk(bulk).await?;
        Ok(added
            .iter()
            .zip(names)
            .map(|(job, name)| AddedJob {
                queue: queue.to_string(),
                id: job.id().to_string(),
                name,
                duplicate: false,
            })
            .collect())
    }

    /// Stops workers (anywhere) from taking new jobs from `queue`.
    pub async fn pause_queue(&self, queue: &str) -> Result<()> {
        Ok(self.existing(queue).await?.pause().await?)
    }

    /// Lets workers take jobs again.
    pub async fn resume_queue(&self, queue: &str) -> Result<()> {
        Ok(self.existing(queue).await?.resume().await?)
    }

    /// Pauses every known queue; returns their names.
    pub async fn pause_all(&self) -> Result<Vec<String>> {
        let names = self.queue_names().await?;
        for name in &names {
            self.pause_queue(name).await?;
        }
        Ok(names)
    }

    /// Resumes every known queue; returns their names.
    pub async fn resume_all(&self) -> Result<Vec<String>> {
        let names = self.queue_names().await?;
        for name in &names {
            self.resume_queue(name).await?;
        }
        Ok(names)
    }

    /// Removes finished jobs (the seed's `cleanQueue`); returns how many went.
    pub async fn clean_queue(&self, queue: &str, opts: &CleanOptions) -> Result<u64> {
        validate_queue_name(queue)?;
        if !opts.completed && !opts.failed {
            return Err(invalid(
                "clean",
                "say which jobs to remove: completed, failed or both",
            ));
        }
        let q = self.existing(queue).await?;
        let grace = opts.grace.unwrap_or(0);
        let limit = opts.count.unwrap_or(0);
        let mut removed = 0;
        for (wanted, state) in [(opts.completed, "completed"), (opts.failed, "failed")] {
            if wanted {
                removed += q.clean(grace, limit, state).await?.len() as u64;
            }
        }
        Ok(removed)
    }
}
