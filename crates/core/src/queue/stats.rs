//! Queue counts: one queue's or every queue's (the seed's `getQueueStats`), with their
//! worker counts and how long the oldest waiting job has waited.

use std::collections::HashMap;

use bullmq::Queue;

use super::manager::QueueManager;
use super::model::QueueStats;
use crate::error::{Error, Result};
use crate::now_ms;

/// KEYS: wait, paused, prioritized; ARGV[1]: the job key prefix (`<prefix>:<queue>:`). The
/// smallest `timestamp` among the tails of the two lists and the first 10 prioritised jobs,
/// or nil. Job keys share the queue's hash tag, as in BullMQ's own scripts.
const OLDEST_WAITING: &str = r"
local oldest = false
local function consider(ids)
  for _, id in ipairs(ids) do
    local ts = tonumber(redis.call('HGET', ARGV[1] .. id, 'timestamp'))
    if ts and (not oldest or ts < oldest) then oldest = ts end
  end
end
consider(redis.call('LRANGE', KEYS[1], -1, -1))
consider(redis.call('LRANGE', KEYS[2], -1, -1))
consider(redis.call('ZRANGE', KEYS[3], 0, 9))
return oldest
";

impl QueueManager {
    /// Counts and health of one queue (the seed's `getQueueStats`).
    pub async fn get_queue_stats(&self, queue: &str) -> Result<QueueStats> {
        self.stats_of(queue, None).await
    }

    /// Workers connected to each of `queues`, from one `CLIENT LIST` (BullMQ names each
    /// worker connection `<prefix>:<base64 queue>` or `…:w:<worker name>`, as
    /// bullmq-official's `get_workers` reads them one queue at a time).
    async fn worker_counts(&self, queues: &[String]) -> Result<HashMap<String, u64>> {
        // On a cluster every primary is asked: a worker's blocking connection is on the
        // node holding its queue, so the node that sees the most is the count.
        let lists: Vec<String> = self
            .conn
            .on_every_primary(redis::cmd("CLIENT").arg("LIST"))
            .await?;
        let mut counts: HashMap<String, u64> = HashMap::new();
        for list in &lists {
            let names: Vec<&str> = list
                .lines()
                .filter_map(|line| {
                    line.split(' ')
                        .find_map(|kv| kv.strip_prefix("name="))
                        .filter(|n| !n.is_empty())
                })
                .collect();
            for queue in queues {
                let keys = bullmq::QueueKeys::new(queue, Some(&self.prefix));
                let unnamed = keys.client_name("");
                let named = keys.client_name(":w:");
                let n = names
                    .iter()
                    .filter(|n| **n == unnamed || n.starts_with(&named))
                    .count() as u64;
                let seen = counts.entry(queue.clone()).or_default();
                *seen = (*seen).max(n);
            }
        }
        Ok(counts)
    }

    /// Stats of `queue`; `workers` when the caller already counted them.
    async fn stats_of(&self, queue: &str, workers: Option<u64>) -> Result<QueueStats> {
        let q = self.existing(queue).await?;
        let now = now_ms();
        let minute_ago = now.saturating_sub(60_000);
        let mut redis = self.conn.redis();
        // Finished sets are scored by finish time: count the last minute directly.
        let recent = async {
            redis::pipe()
                .zcount(q.keys().completed(), minute_ago, "+inf")
                .zcount(q.keys().failed(), minute_ago, "+inf")
                .query_async::<(u64, u64)>(&mut redis)
                .await
                .map_err(Error::from)
        };
        // Independent reads, sent together over the multiplexed connection.
        let (counts, is_paused, workers, (completed_last_minute, failed_last_minute), oldest) = tokio::try_join!(
            async { q.get_job_counts().await.map_err(Error::from) },
            async { q.is_paused().await.map_err(Error::from) },
            async {
                match workers {
                    Some(n) => Ok(n),
                    None => Ok(self
                        .worker_counts(&[queue.to_string()])
                        .await?
                        .get(queue)
                        .copied()
                        .unwrap_or(0)),
                }
            },
            recent,
            self.oldest_waiting(&q),
        )?;
        let mut stats = QueueStats {
            name: queue.to_string(),
            waiting: counts.waiting + counts.prioritized,
            active: counts.active,
            delayed: counts.delayed,
            completed: counts.completed,
            failed: counts.failed,
            paused: counts.paused,
            is_paused,
            workers,
            oldest_waiting_ms: oldest.map(|ts| now.saturating_sub(ts)),
            completed_last_minute,
            failed_last_minute,
            needs_worker: false,
        };
        stats.needs_worker = stats.lacks_worker();
        Ok(stats)
    }

    /// The timestamp of the oldest waiting job: the tail of the wait (or paused) list, and
    /// among prioritised jobs the oldest of the next 10 by priority (the set is ordered by
    /// priority, not age; scanning it all would cost O(n) per call). One read-only script
    /// reads the ids and their `timestamp` fields, not whole jobs, in one round trip: stats
    /// run on every health check.
    async fn oldest_waiting(&self, q: &Queue) -> Result<Option<u64>> {
        static SCRIPT: std::sync::LazyLock<redis::Script> =
            std::sync::LazyLock::new(|| redis::Script::new(OLDEST_WAITING));
        let keys = q.keys();
        let mut redis = self.conn.redis();
        Ok(SCRIPT
            .key(keys.wait())
            .key(keys.paused())
            .key(keys.prioritized())
            .arg(keys.job_key(""))
            .invoke_async(&mut redis)
            .await?)
    }

    /// Stats of every known queue: the standard ones and any opened or discovered.
    pub async fn get_all_queue_stats(&self) -> Result<Vec<QueueStats>> {
        let names = self.queue_names().await?;
        let workers = self.worker_counts(&names).await?;
        futures_util::future::try_join_all(
            names
                .iter()
                .map(|name| self.stats_of(name, workers.get(name).copied())),
        )
        .await
    }
}
