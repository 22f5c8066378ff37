//! Worker nodes: every runtime that runs pools (the desktop app, `antrian workers` on a
//! server) registers itself in Redis and takes commands from operators anywhere.
//!
//! - A node writes its description (`keys::node`) and scores itself in `keys::nodes` with
//!   its heartbeat time; a node whose heartbeat is older than the timeout is shown as gone.
//! - Commands go into the node's stream (`keys::node_commands`); the node applies each and
//!   pushes its reply to a short-lived list (`keys::node_reply`), which the sender waits
//!   on. A stream rather than pub/sub: a command sent while the node reconnects is still
//!   there when it comes back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use ts_rs::TS;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::pool::{WorkerManager, WorkerStats};
use super::registry::WorkerType;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;
use crate::now_ms;
use crate::queue::{QueueManager, ScalingRecord};

/// A node is shown as gone when its heartbeat is older than this (six heartbeats).
pub const GONE_AFTER: Duration = Duration::from_secs(30);
/// How long a sender waits for a node's reply to a command (a drain may take a while).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a reply is kept for its sender.
const REPLY_TTL_SECS: u64 = 60;

/// A command an operator sends to a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    tag = "command",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
#[serde(deny_unknown_fields)]
pub enum NodeCommand {
    /// Set a pool's size by hand and pin it there: the autoscaler leaves it alone until
    /// `auto` hands it back. 0 stops the pool; otherwise from `QUEUE_MIN_WORKERS` to
    /// `QUEUE_MAX_WORKERS`.
    Scale {
        /// The pool.
        worker_type: WorkerType,
        /// Workers wanted.
        workers: u32,
    },
    /// Hand a pool sized by hand back to auto-scaling.
    Auto {
        /// The pool.
        worker_type: WorkerType,
    },
    /// Stop a pool taking jobs.
    Pause {
        /// The pool.
        worker_type: WorkerType,
    },
    /// Let a pool take jobs again.
    Resume {
        /// The pool.
        worker_type: WorkerType,
    },
    /// Finish active jobs, stop every pool, and stop the node.
    Drain,
}

/// A node's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct CommandReply {
    /// Whether the command was carried out.
    pub ok: bool,
    /// What happened, in a sentence.
    pub message: String,
}

/// A node as operators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct NodeInfo {
    /// Unique id (host name and process id).
    pub id: String,
    /// Host name.
    pub host: String,
    /// Antrian version.
    pub version: String,
    /// Workers per pool.
    pub pools: BTreeMap<String, u32>,
    /// Its pools' statistics at the last heartbeat.
    #[serde(default)]
    pub stats: WorkerStats,
    /// When it started, ms since the epoch.
    #[ts(type = "number")]
    pub started_at_ms: u64,
    /// Its last heartbeat, ms since the epoch.
    #[ts(type = "number")]
    pub heartbeat_ms: u64,
    /// False once the heartbeat is older than the timeout.
    pub alive: bool,
}

/// This process' node id: host name and process id.
pub fn local_node_id() -> String {
    let host = hostname();
    format!("{host}-{}", std::process::id())
}

/// This machine's host name (`localhost` when none can be read).
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// A connection of its own for blocking reads: no response timeout (the blocking command
/// has its own), and not the shared connection, which it would stall.
async fn blocking_connection(conn: &Connection) -> Result<bullmq::redis_connection::AnyConnection> {
    Ok(conn.bullmq().dedicated_any_connection().await?)
}

/// Lists nodes; those silent for longer than `gone_after` are marked not alive.
pub async fn list_nodes(conn: &Connection, gone_after: Duration) -> Result<Vec<NodeInfo>> {
    let mut redis = conn.redis();
    let ids: Vec<String> = redis::cmd("ZRANGE")
        .arg(keys::nodes())
        .arg(0)
        .arg(-1)
        .query_async(&mut redis)
        .await?;
    let now = now_ms();
    let mut nodes = Vec::with_capacity(ids.len());
    for id in ids {
        let raw: Option<String> = redis::cmd("HGET")
            .arg(keys::node(&id))
            .arg("info")
            .query_async(&mut redis)
            .await?;
        if let Some(mut info) = raw.and_then(|r| serde_json::from_str::<NodeInfo>(&r).ok()) {
            info.alive = now.saturating_sub(info.heartbeat_ms)
                <= u64::try_from(gone_after.as_millis()).unwrap_or(u64::MAX);
            nodes.push(info);
        }
    }
    Ok(nodes)
}

/// Sends `command` to node `id` and waits up to `timeout` for its reply.
pub async fn send_command(
    conn: &Connection,
    id: &str,
    command: &NodeCommand,
    timeout: Duration,
) -> Result<CommandReply> {
    let mut redis = conn.redis();
    let known: bool = redis::cmd("EXISTS")
        .arg(keys::node(id))
        .query_async(&mut redis)
        .await?;
    if !known {
        return Err(Error::NotFound {
            what: format!("node {id}"),
        });
    }
    let body = serde_json::to_string(command)
        .map_err(|e| Error::io("encoding a node command", std::io::Error::other(e)))?;
    let command_id: String = redis::cmd("XADD")
        .arg(keys::node_commands(id))
        .arg("MAXLEN")
        .arg("~")
        .arg(1000)
        .arg("*")
        .arg("body")
        .arg(&body)
        .query_async(&mut redis)
        .await?;
    let mut blocking = blocking_connection(conn).await?;
    let reply: Option<(String, String)> = redis::cmd("BLPOP")
        .arg(keys::node_reply(id, &command_id))
        .arg(timeout.as_secs_f64())
        .query_async(&mut blocking)
        .await?;
    let Some((_, reply)) = reply else {
        return Err(Error::Conflict(format!(
            "node {id} did not answer within {timeout:?}; it may be gone or busy (the command stays queued for it)"
        )));
    };
    serde_json::from_str(&reply)
        .map_err(|e| Error::io("reading a node reply", std::io::Error::other(e)))
}

/// The running side of a node: heartbeats and command handling.
pub struct NodeAgent {
    id: String,
    conn: Connection,
    workers: Arc<WorkerManager>,
    /// For the queue depth a scaling record notes.
    queues: Option<Arc<QueueManager>>,
    started_at_ms: u64,
    /// The newest command in its stream when it registered: it obeys those after it.
    start_after: Option<String>,
}

impl std::fmt::Debug for NodeAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeAgent")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl NodeAgent {
    /// An agent for this process' pools.
    pub fn new(id: &str, conn: Connection, workers: Arc<WorkerManager>) -> Self {
        Self {
            id: id.to_string(),
            conn,
            workers,
            queues: None,
            started_at_ms: now_ms(),
            start_after: None,
        }
    }

    /// Notes each queue's depth in the scaling records of operators' commands.
    #[must_use]
    pub fn with_queues(mut self, queues: Arc<QueueManager>) -> Self {
        self.queues = Some(queues);
        self
    }

    /// Keeps an operator's scaling command in the scaling log (best effort: the command
    /// has been carried out either way).
    async fn log_by_hand(&self, worker_type: WorkerType, from: u32, to: u32, reason: String) {
        let waiting = match &self.queues {
            Some(q) => q
                .get_queue_stats(worker_type.queue())
                .await
                .map_or(0, |s| s.waiting),
            None => 0,
        };
        let record = ScalingRecord {
            at_ms: now_ms(),
            node: self.id.clone(),
            worker_type: worker_type.as_str().to_string(),
            queue: worker_type.queue().to_string(),
            from,
            to,
            waiting,
            reason,
        };
        if let Err(e) = super::autoscale::log_scaling(&self.conn, &record).await {
            tracing::warn!("cannot keep the scaling record: {e}");
        }
    }

    /// Registers the node (its first heartbeat), remembering where its command stream
    /// stood: every command sent once this returns is obeyed, none sent before.
    pub async fn register(&mut self) -> Result<()> {
        let stream = keys::node_commands(&self.id);
        self.start_after = Some(crate::queue::events::last_entry_id(&self.conn, &stream).await?);
        self.heartbeat().await
    }

    /// This node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Writes the node's description and heartbeat.
    pub async fn heartbeat(&self) -> Result<()> {
        let pools = self
            .workers
            .pool_sizes()
            .await
            .into_iter()
            .map(|(t, n)| (t.as_str().to_string(), n))
            .collect();
        let now = now_ms();
        let info = NodeInfo {
            id: self.id.clone(),
            host: hostname(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            pools,
            stats: self.workers.get_worker_stats().await,
            started_at_ms: self.started_at_ms,
            heartbeat_ms: now,
            alive: true,
        };
        let body = serde_json::to_string(&info)
            .map_err(|e| Error::io("encoding node info", std::io::Error::other(e)))?;
        let mut redis = self.conn.redis();
        let _: () = redis::pipe()
            .hset(keys::node(&self.id), "info", body)
            .zadd(keys::nodes(), &self.id, now)
            .query_async(&mut redis)
            .await?;
        Ok(())
    }

    /// Removes the node from the registry (on a clean stop).
    pub async fn deregister(&self) -> Result<()> {
        let mut redis = self.conn.redis();
        let _: () = redis::pipe()
            .zrem(keys::nodes(), &self.id)
            .del(keys::node(&self.id))
            .del(keys::node_commands(&self.id))
            .query_async(&mut redis)
            .await?;
        Ok(())
    }

    /// Applies one command.
    pub async fn apply(&self, command: &NodeCommand, stop: &CancellationToken) -> CommandReply {
        let reply = |ok: bool, message: String| CommandReply { ok, message };
        match command {
            NodeCommand::Scale {
                worker_type,
                workers,
            } => match self
                .workers
                .scale_by_hand(*worker_type, *workers, Duration::from_secs(30))
                .await
            {
                Ok(from) => {
                    self.log_by_hand(
                        *worker_type,
                        from,
                        *workers,
                        "set by an operator; pinned until handed back to auto-scaling".into(),
                    )
                    .await;
                    reply(
                        true,
                        format!(
                            "{} pool scaled to {workers} and pinned until handed back to auto-scaling",
                            worker_type.as_str()
                        ),
                    )
                }
                Err(e) => reply(false, e.to_string()),
            },
            NodeCommand::Auto { worker_type } => {
                if self.workers.hand_back(*worker_type).await {
                    let size = self
                        .workers
                        .pool_sizes()
                        .await
                        .get(worker_type)
                        .copied()
                        .unwrap_or(0);
                    self.log_by_hand(
                        *worker_type,
                        size,
                        size,
                        "handed back to auto-scaling by an operator".into(),
                    )
                    .await;
                    reply(
                        true,
                        format!("{} pool scales automatically again", worker_type.as_str()),
                    )
                } else {
                    reply(
                        false,
                        format!("this node runs no {} pool", worker_type.as_str()),
                    )
                }
            }
            NodeCommand::Pause { worker_type } => {
                if self.workers.pause_pool(*worker_type).await {
                    reply(true, format!("{} pool paused", worker_type.as_str()))
                } else {
                    reply(
                        false,
                        format!("this node runs no {} pool", worker_type.as_str()),
                    )
                }
            }
            NodeCommand::Resume { worker_type } => {
                if self.workers.resume_pool(*worker_type).await {
                    reply(true, format!("{} pool resumed", worker_type.as_str()))
                } else {
                    reply(
                        false,
                        format!("this node runs no {} pool", worker_type.as_str()),
                    )
                }
            }
            NodeCommand::Drain => {
                self.workers.shutdown(Duration::from_secs(30)).await;
                stop.cancel();
                reply(true, "pools drained; the node is stopping".to_string())
            }
        }
    }

    /// Heartbeats every `interval` and applies commands until `stop` fires; then
    /// deregisters. Commands sent before the agent started are not replayed.
    pub async fn run(mut self, interval: Duration, stop: CancellationToken) -> Result<()> {
        if self.start_after.is_none() {
            if let Err(e) = self.register().await {
                // The ticker below tries again: a Redis blip at start must not end the agent.
                tracing::warn!("node registration failed: {e}");
            }
        }
        // After the newest entry at registration; "$" would be re-read as "newest" on every
        // call and lose commands that arrive while a read is cancelled by the ticker.
        let mut last_id = self
            .start_after
            .clone()
            .unwrap_or_else(|| format!("{}-0", self.started_at_ms));
        let mut blocking = blocking_connection(&self.conn).await?;
        let stream = keys::node_commands(&self.id);
        let mut ticker = tokio::time::interval(interval);
        loop {
            // Short blocking reads so the loop notices `stop` and heart-beats on time.
            let mut xread = redis::cmd("XREAD");
            xread
                .arg("COUNT")
                .arg(10)
                .arg("BLOCK")
                .arg(500)
                .arg("STREAMS")
                .arg(&stream)
                .arg(&last_id);
            let read = xread.query_async::<redis::streams::StreamReadReply>(&mut blocking);
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticker.tick() => {
                    if let Err(e) = self.heartbeat().await {
                        tracing::warn!("node heartbeat failed: {e}");
                    }
                }
                result = read => match result {
                    Ok(reply) => {
                        for entry in reply.keys.into_iter().flat_map(|k| k.ids) {
                            last_id.clone_from(&entry.id);
                            let body: Option<String> = entry.get("body");
                            let answer = match body.as_deref().map(serde_json::from_str::<NodeCommand>) {
                                Some(Ok(command)) => {
                                    tracing::info!(?command, "node command");
                                    let answer = self.apply(&command, &stop).await;
                                    // The registry shows the change before the reply goes,
                                    // not at the next heartbeat (a drained node deregisters
                                    // when the loop ends).
                                    if !stop.is_cancelled() {
                                        if let Err(e) = self.heartbeat().await {
                                            tracing::warn!("node heartbeat failed: {e}");
                                        }
                                    }
                                    answer
                                }
                                _ => CommandReply { ok: false, message: "not a command this node understands".into() },
                            };
                            self.reply(&entry.id, &answer).await;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("reading node commands failed: {e}");
                        tokio::select! {
                            () = stop.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        // A multiplexed connection does not come back after the server
                        // restarts: open a new one, or commands would never arrive again.
                        if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() {
                            match blocking_connection(&self.conn).await {
                                Ok(fresh) => blocking = fresh,
                                Err(e) => tracing::warn!("reconnecting for node commands: {e}"),
                            }
                        }
                    }
                },
            }
        }
        self.deregister().await
    }

    async fn reply(&self, command_id: &str, answer: &CommandReply) {
        let key = keys::node_reply(&self.id, command_id);
        let Ok(body) = serde_json::to_string(answer) else {
            return;
        };
        let mut redis = self.conn.redis();
        let sent: redis::RedisResult<()> = redis::pipe()
            .lpush(&key, body)
            .expire(&key, i64::try_from(REPLY_TTL_SECS).unwrap_or(60))
            .query_async(&mut redis)
            .await;
        if let Err(e) = sent {
            tracing::warn!("cannot reply to node command {command_id}: {e}");
        }
    }
}

#[cfg(test)]
mod tests;
