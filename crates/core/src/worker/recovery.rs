//! A dead node's jobs run again in seconds, not a minute. BullMQ alone returns a killed
//! worker's jobs only once their lock expires (`QUEUE_LOCK_DURATION`) and a stalled check
//! runs after that — about a minute. Antrian knows its nodes (heartbeats) and which worker
//! holds each active job (BullMQ's `pb` field, the worker's name `NODE:TYPE:N`): when a node's
//! heartbeat lapses *and* none of its workers' named connections is left in Redis's client
//! list (a killed process's sockets close at once; a slow but live node keeps them), a live
//! node moves that node's active jobs back to wait, counting the stall as BullMQ's own
//! checker does. Lock durations stay as they are, so a long scrape on a slow but live node
//! is never taken from it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::connection::Connection;
use crate::error::Result;
use crate::keys;
use crate::now_ms;
use crate::queue::QueueManager;

/// A node whose heartbeat is older than this may be dead (two missed heartbeats).
pub const LAPSE: Duration = Duration::from_secs(10);
/// How often live nodes look for dead ones.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// Stalls after which a job fails instead of running again: BullMQ's default
/// `maxStalledCount`, which Antrian's workers use.
pub const MAX_STALLED: u32 = 1;

/// KEYS: active, wait, stalled, meta, marker, events, repeat. ARGV: the queue's key prefix,
/// the most stalls, the dead node's worker-name prefix (`NODE:`), then job ids. Each job
/// still active and still held by that node leaves active for wait, as BullMQ's
/// `moveStalledJobsToWait` moves a stalled job: its lock removed, its stall counted (failed
/// on the next take when over the limit, unless it belongs to a job scheduler), the
/// `waiting` and `stalled` events emitted, workers woken through the marker.
const RECOVER: &str = r#"
local rcall = redis.call
local activeKey, waitKey, stalledKey, metaKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local markerKey, eventsKey, repeatKey = KEYS[5], KEYS[6], KEYS[7]
local prefix, maxStalled, owner = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local function pausedOrMaxed()
  local a = rcall("HMGET", metaKey, "paused", "concurrency")
  if a[1] then return true end
  if a[2] then return rcall("LLEN", activeKey) >= tonumber(a[2]) end
  return false
end
local moved = {}
for i = 4, #ARGV do
  local jobId = ARGV[i]
  local jobKey = prefix .. jobId
  local pb = rcall("HGET", jobKey, "pb")
  if pb and string.sub(pb, 1, #owner) == owner and rcall("LREM", activeKey, 1, jobId) > 0 then
    rcall("DEL", jobKey .. ":lock")
    rcall("SREM", stalledKey, jobId)
    local stalls = rcall("HINCRBY", jobKey, "stc", 1)
    local scheduler = rcall("HGET", jobKey, "rjk")
    local repeatable = false
    if scheduler then
      repeatable = rcall("EXISTS", repeatKey .. ":" .. scheduler) == 1
        or rcall("ZSCORE", repeatKey, scheduler) ~= false
    end
    if stalls > maxStalled and not repeatable then
      rcall("HSET", jobKey, "defa", "job stalled more than allowable limit")
    end
    rcall("RPUSH", waitKey, jobId)
    if not pausedOrMaxed() then rcall("ZADD", markerKey, 0, "0") end
    rcall("XADD", eventsKey, "*", "event", "waiting", "jobId", jobId, "prev", "active")
    rcall("XADD", eventsKey, "*", "event", "stalled", "jobId", jobId)
    table.insert(moved, jobId)
  end
end
return moved
"#;

/// What one pass recovered: a dead node and the jobs of each queue it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The dead node.
    pub node: String,
    /// `(queue, job ids)` moved back to wait.
    pub jobs: Vec<(String, Vec<String>)>,
}

/// Looks for dead nodes and gives their jobs back, from a live node.
#[derive(Debug)]
pub struct Recovery {
    own: String,
    conn: Connection,
    queues: Arc<QueueManager>,
    /// Nodes already handled (a node id is never reused: it carries the process id).
    done: HashSet<String>,
}

impl Recovery {
    /// Recovery run by the node `own`.
    pub fn new(own: &str, conn: Connection, queues: Arc<QueueManager>) -> Self {
        Self {
            own: own.to_string(),
            conn,
            queues,
            done: HashSet::new(),
        }
    }

    /// One pass at `now_ms`: nodes whose heartbeat lapsed and whose workers' connections
    /// are gone have their active jobs moved back to wait.
    pub async fn tick(&mut self, now_ms: u64) -> Result<Vec<Recovered>> {
        let mut redis = self.conn.redis();
        let cutoff = now_ms.saturating_sub(u64::try_from(LAPSE.as_millis()).unwrap_or(u64::MAX));
        let lapsed: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(keys::nodes())
            .arg("-inf")
            .arg(cutoff)
            .query_async(&mut redis)
            .await?;
        let lapsed: Vec<String> = lapsed
            .into_iter()
            .filter(|n| *n != self.own && !self.done.contains(n))
            .collect();
        if lapsed.is_empty() {
            return Ok(Vec::new());
        }
        let clients: Vec<String> = self
            .conn
            .on_every_primary(redis::cmd("CLIENT").arg("LIST"))
            .await?;
        let names: Vec<&str> = clients
            .iter()
            .flat_map(|list| list.lines())
            .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("name=")))
            .collect();
        let holds = |node: &str| {
            let tag = format!(":w:{node}:");
            names.iter().any(|n| n.contains(&tag))
        };
        if !holds(&self.own) {
            // This node's own workers are not named in the client list (a server that
            // refuses CLIENT SETNAME, or no pool running here): absence proves nothing.
            return Ok(Vec::new());
        }
        let mut recovered = Vec::new();
        for node in lapsed.into_iter().filter(|n| !holds(n)) {
            let jobs = self.give_back(&node).await?;
            let count: usize = jobs.iter().map(|(_, ids)| ids.len()).sum();
            tracing::warn!(
                node = %node,
                jobs = count,
                "a node stopped (no heartbeat, no connection): its active jobs are waiting again"
            );
            self.done.insert(node.clone());
            recovered.push(Recovered { node, jobs });
        }
        Ok(recovered)
    }

    /// Moves every active job `node` holds, on every known queue, back to wait.
    async fn give_back(&self, node: &str) -> Result<Vec<(String, Vec<String>)>> {
        let prefix = self.queues.prefix().to_string();
        let owner = format!("{node}:");
        let script = redis::Script::new(RECOVER);
        let mut redis = self.conn.redis();
        let mut out = Vec::new();
        for queue in self.queues.queue_names().await? {
            let k = bullmq::QueueKeys::new(&queue, Some(&prefix));
            let active: Vec<String> = redis::cmd("LRANGE")
                .arg(k.active())
                .arg(0)
                .arg(-1)
                .query_async(&mut redis)
                .await?;
            if active.is_empty() {
                continue;
            }
            let mut pipe = redis::pipe();
            for id in &active {
                pipe.hget(k.job_key(id), "pb");
            }
            let holders: Vec<Option<String>> = pipe.query_async(&mut redis).await?;
            let held: Vec<&String> = active
                .iter()
                .zip(holders)
                .filter(|(_, pb)| pb.as_deref().is_some_and(|p| p.starts_with(&owner)))
                .map(|(id, _)| id)
                .collect();
            if held.is_empty() {
                continue;
            }
            let moved: Vec<String> = script
                .key(k.active())
                .key(k.wait())
                .key(k.stalled())
                .key(k.meta())
                .key(k.marker())
                .key(k.events())
                .key(k.repeat())
                .arg(k.key_prefix())
                .arg(MAX_STALLED)
                .arg(&owner)
                .arg(held)
                .invoke_async(&mut redis)
                .await?;
            if !moved.is_empty() {
                out.push((queue, moved));
            }
        }
        Ok(out)
    }
}

/// Runs [`Recovery::tick`] every [`CHECK_EVERY`] until `cancel`.
pub async fn run(mut recovery: Recovery, cancel: CancellationToken) {
    let mut ticker = tokio::time::interval(CHECK_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if let Err(e) = recovery.tick(now_ms()).await {
            tracing::debug!("dead-node check failed (retried): {e}");
        }
    }
}
