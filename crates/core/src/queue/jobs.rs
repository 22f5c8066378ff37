//! The queue manager's job operations: inspect, retry, remove, promote and list jobs.

use std::sync::Arc;

use bullmq::Queue;

use super::manager::{invalid, QueueManager, MAX_PAGE_SIZE};
use super::model::{
    FlowJob, JobDetail, JobPage, JobQuery, JobState, ListOrder, FLOW_CHILDREN_SHOWN,
};
use crate::error::{Error, Result};

impl QueueManager {
    async fn bull_job(&self, queue: &str, id: &str) -> Result<(Arc<Queue>, bullmq::Job)> {
        let q = self.existing(queue).await?;
        match q.get_job(id).await? {
            Some(job) => Ok((q, job)),
            None => Err(Error::NotFound {
                what: format!("job {id} in {queue}"),
            }),
        }
    }

    /// One job in full (the seed's `getJob`).
    pub async fn get_job(&self, queue: &str, id: &str) -> Result<JobDetail> {
        let (q, job) = self.bull_job(queue, id).await?;
        self.detail(&q, &job).await
    }

    /// A job in full: its state, its logs (BullMQ's `<job key>:logs`) and its flow (parent
    /// and children), read together.
    async fn detail(&self, q: &Queue, job: &bullmq::Job) -> Result<JobDetail> {
        let logs_key = format!("{}:logs", q.keys().job_key(job.id()));
        let mut redis = self.conn.redis();
        let (state, logs, parent, (children, children_total)) = tokio::try_join!(
            async { Ok::<_, Error>(JobState::from_bullmq(q.get_job_state(job.id()).await?)) },
            async {
                redis::cmd("LRANGE")
                    .arg(&logs_key)
                    .arg(0)
                    .arg(-1)
                    .query_async::<Vec<String>>(&mut redis)
                    .await
                    .map_err(Error::from)
            },
            self.parent_of(job),
            self.children_of(q, job),
        )?;
        let mut detail = detail_of(q, job, state, logs);
        detail.parent = parent;
        detail.children = children;
        detail.children_total = children_total;
        Ok(detail)
    }

    /// The job a child names as its parent (BullMQ's `parentKey`), if any.
    async fn parent_of(&self, job: &bullmq::Job) -> Result<Option<FlowJob>> {
        let Some(key) = job.parent_key() else {
            return Ok(None);
        };
        Ok(self
            .flow_jobs(&[(key.clone(), JobState::Unknown)])
            .await?
            .into_iter()
            .next())
    }

    /// A parent's children, from BullMQ's dependency keys: still pending
    /// (`:dependencies`), completed (`:processed`), failed (`:failed`, children whose
    /// failure does not block the parent) and ignored (`:unsuccessful`).
    async fn children_of(&self, q: &Queue, job: &bullmq::Job) -> Result<(Vec<FlowJob>, u64)> {
        let key = q.keys().job_key(job.id());
        let mut redis = self.conn.redis();
        let (pending, processed, failed, ignored): (
            Vec<String>,
            Vec<String>,
            Vec<String>,
            Vec<String>,
        ) = redis::pipe()
            .smembers(format!("{key}:dependencies"))
            .hkeys(format!("{key}:processed"))
            .hkeys(format!("{key}:failed"))
            .zrange(format!("{key}:unsuccessful"), 0, -1)
            .query_async(&mut redis)
            .await?;
        // Where BullMQ keeps a child says how it ended, even once retention removed it.
        let mut keys: Vec<(String, JobState)> = processed
            .into_iter()
            .map(|k| (k, JobState::Completed))
            .chain(failed.into_iter().map(|k| (k, JobState::Failed)))
            .chain(ignored.into_iter().map(|k| (k, JobState::Failed)))
            .chain(pending.into_iter().map(|k| (k, JobState::Unknown)))
            .collect();
        keys.sort_by_key(|(k, _)| child_order(k));
        keys.dedup_by(|a, b| a.0 == b.0);
        let total = keys.len() as u64;
        keys.truncate(FLOW_CHILDREN_SHOWN);
        Ok((self.flow_jobs(&keys).await?, total))
    }

    /// Jobs of a flow by their full keys (`<prefix>:<queue>:<id>`): name and state; a job
    /// retention removed keeps the state its key was found with (`gone` says so).
    async fn flow_jobs(&self, keys: &[(String, JobState)]) -> Result<Vec<FlowJob>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let start = format!("{}:", self.prefix());
        let mut redis = self.conn.redis();
        let mut pipe = redis::pipe();
        for (key, _) in keys {
            pipe.hget(key, "name");
        }
        let names: Vec<Option<String>> = pipe.query_async(&mut redis).await?;
        let mut out = Vec::with_capacity(keys.len());
        for ((key, ended), name) in keys.iter().zip(names) {
            // Queue names and the prefix hold no `:`, so the id is what follows the second.
            let Some((queue, id)) = key.strip_prefix(&start).and_then(|r| r.split_once(':')) else {
                continue;
            };
            let state = match (&name, self.existing(queue).await) {
                (Some(_), Ok(q)) => JobState::from_bullmq(q.get_job_state(id).await?),
                _ => *ended,
            };
            out.push(FlowJob {
                queue: queue.to_string(),
                id: id.to_string(),
                gone: name.is_none(),
                name: name.unwrap_or_default(),
                state,
            });
        }
        Ok(out)
    }

    /// A job's log lines, oldest first.
    pub async fn job_logs(&self, queue: &str, id: &str) -> Result<Vec<String>> {
        let (q, _) = self.bull_job(queue, id).await?;
        Ok(q.get_job_logs(id, 0, -1, true).await?.0)
    }

    /// Retries a failed job; a job in any other state is a conflict.
    pub async fn retry_job(&self, queue: &str, id: &str) -> Result<()> {
        let (q, mut job) = self.bull_job(queue, id).await?;
        let state = JobState::from_bullmq(q.get_job_state(id).await?);
        if state != JobState::Failed {
            return Err(Error::Conflict(format!(
                "job {id} in {queue} is {}, not failed: only failed jobs can be retried",
                state_name(state)
            )));
        }
        Ok(job.retry("failed", None).await?)
    }

    /// Removes a job (and its logs).
    pub async fn remove_job(&self, queue: &str, id: &str) -> Result<()> {
        let (q, _) = self.bull_job(queue, id).await?;
        if q.remove(id).await? {
            Ok(())
        } else {
            Err(Error::Conflict(format!(
                "job {id} in {queue} could not be removed: it is locked by a worker"
            )))
        }
    }

    /// Runs a delayed job now; a job in any other state is a conflict.
    pub async fn promote_job(&self, queue: &str, id: &str) -> Result<()> {
        let (q, job) = self.bull_job(queue, id).await?;
        let state = JobState::from_bullmq(q.get_job_state(id).await?);
        if state != JobState::Delayed {
            return Err(Error::Conflict(format!(
                "job {id} in {queue} is {}, not delayed: only delayed jobs can be promoted",
                state_name(state)
            )));
        }
        Ok(job.promote().await?)
    }

    /// Replaces the data of a job that no worker holds and that has not completed (waiting,
    /// delayed, paused, failed…), checked as [`Self::add_job`] checks new data. The check
    /// of its state and the write are one script, so a worker cannot take the job in
    /// between and run it with the old data.
    pub async fn update_job_data(
        &self,
        queue: &str,
        id: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        let (q, job) = self.bull_job(queue, id).await?;
        self.check_job(queue, job.name(), &data)?;
        static SCRIPT: std::sync::LazyLock<redis::Script> =
            std::sync::LazyLock::new(|| redis::Script::new(UPDATE_DATA));
        let keys = q.keys();
        let job_key = keys.job_key(id);
        let mut redis = self.conn.redis();
        let outcome: i64 = SCRIPT
            .key(&job_key)
            .key(format!("{job_key}:lock"))
            .key(keys.active())
            .key(keys.completed())
            .arg(id)
            .arg(data.to_string())
            .invoke_async(&mut redis)
            .await?;
        match outcome {
            0 => Ok(()),
            -1 => Err(Error::NotFound {
                what: format!("job {id} in {queue}"),
            }),
            -2 => Err(Error::Conflict(format!(
                "job {id} in {queue} is active: a worker is running it with its current data"
            ))),
            _ => Err(Error::Conflict(format!(
                "job {id} in {queue} has completed: duplicate it to run it again with new data"
            ))),
        }
    }

    /// Moves every failed job back to waiting; returns how many.
    pub async fn retry_all_failed(&self, queue: &str) -> Result<u64> {
        let q = self.existing(queue).await?;
        let count = q.get_failed_count().await?;
        if count > 0 {
            q.retry_jobs("failed", u32::try_from(count).unwrap_or(u32::MAX), None)
                .await?;
        }
        Ok(count)
    }

    /// Moves every delayed job to waiting now; returns how many.
    pub async fn promote_jobs(&self, queue: &str) -> Result<u64> {
        let q = self.existing(queue).await?;
        let count = q.get_delayed_count().await?;
        if count > 0 {
            q.promote_jobs(u32::try_from(count).unwrap_or(u32::MAX))
                .await?;
        }
        Ok(count)
    }

    /// Reads a listing's order as users write it: `newest` (`None` too) or `oldest`;
    /// whether that is oldest first.
    pub fn oldest_first(order: Option<&str>) -> Result<bool> {
        match order {
            None | Some("newest") => Ok(false),
            Some("oldest") => Ok(true),
            Some(other) => Err(invalid(
                "order",
                format!("`{other}` must be newest or oldest"),
            )),
        }
    }

    /// The page of jobs `query` asks for (filtered when it says so).
    pub async fn query_jobs(&self, queue: &str, query: &JobQuery) -> Result<JobPage> {
        self.find_jobs(
            queue,
            query.state,
            &query.filter(),
            query.page,
            query.page_size.unwrap_or(super::DEFAULT_PAGE_SIZE),
            query.order == ListOrder::Oldest,
        )
        .await
    }

    /// A page of jobs in one state, newest first unless `oldest_first`.
    pub async fn list_jobs(
        &self,
        queue: &str,
        state: JobState,
        page: u32,
        page_size: u32,
        oldest_first: bool,
    ) -> Result<JobPage> {
        check_paging(page, page_size)?;
        let q = self.existing(queue).await?;
        let types = state.bullmq_types();
        let start = i64::from(page - 1) * i64::from(page_size);
        let end = start + i64::from(page_size) - 1;
        // The count and the page together: two reads in one round trip's time.
        let (total, jobs) = tokio::try_join!(
            q.get_job_count_by_types(types),
            q.get_jobs(types, start, end, oldest_first)
        )?;
        // `getJobs` returned whole hashes, stack traces included. Logs are left to the
        // job's own page (`get_job`): a listing shows rows, and logs can be long.
        let details = jobs
            .iter()
            .map(|job| detail_of(&q, job, state, Vec::new()))
            .collect();
        Ok(JobPage {
            queue: queue.to_string(),
            state,
            page,
            page_size,
            total,
            jobs: details,
            search: None,
        })
    }
}

/// KEYS: the job, its lock, active, completed; ARGV: the id, the new data. 0 when written;
/// -1 when the job is gone, -2 when a worker holds it, -3 when it completed. Job keys share
/// the queue's hash tag, as in BullMQ's own scripts.
const UPDATE_DATA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('LPOS', KEYS[3], ARGV[1]) then return -2 end
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return -3 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
return 0
";

/// Orders child keys as they were added: shorter ids first, so `27-2` comes before
/// `27-10` and BullMQ's counter ids keep their order.
fn child_order(key: &str) -> (usize, String) {
    let id = key.rsplit(':').next().unwrap_or(key);
    (id.len(), id.to_string())
}

/// Checks a listing's page and page size as users give them.
pub(super) fn check_paging(page: u32, page_size: u32) -> Result<()> {
    if page == 0 {
        return Err(invalid("page", "pages start at 1"));
    }
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(invalid(
            "pageSize",
            format!("must be from 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(())
}

/// A state as users read it: `waiting`, `delayed`…
pub(super) fn state_name(state: JobState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A job in full from its hash (already read by bullmq-official, stack traces included) and
/// its logs.
pub(super) fn detail_of(
    q: &Queue,
    job: &bullmq::Job,
    state: JobState,
    logs: Vec<String>,
) -> JobDetail {
    let stacktrace = serde_json::from_str::<Vec<String>>(job.stacktrace()).unwrap_or_default();
    let return_value = match job.returnvalue() {
        "" => serde_json::Value::Null,
        raw => {
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_string()))
        }
    };
    JobDetail {
        queue: q.name().to_string(),
        id: job.id().to_string(),
        name: job.name().to_string(),
        data: job.data().clone(),
        options: serde_json::to_value(job.opts()).unwrap_or_default(),
        state,
        progress: serde_json::to_value(job.progress()).unwrap_or_default(),
        attempts_made: job.attempts_made(),
        timestamp: job.timestamp(),
        processed_on: job.processed_on(),
        finished_on: job.finished_on(),
        return_value,
        failed_reason: Some(job.failed_reason().to_string()).filter(|r| !r.is_empty()),
        stacktrace,
        logs,
        parent: None,
        children: Vec::new(),
        children_total: 0,
    }
}
