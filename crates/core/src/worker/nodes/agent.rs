//! The node's own side: it registers, beats its heartbeat, and applies the commands
//! operators send it (scale, pause, resume, drain), replying to each.

use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;
use crate::now_ms;
use crate::queue::{QueueManager, ScalingRecord};
use crate::worker::pool::WorkerManager;
use crate::worker::registry::WorkerType;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use super::{blocking_connection, hostname, CommandReply, NodeCommand, NodeInfo, REPLY_TTL_SECS};

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
        if let Err(e) = crate::worker::autoscale::log_scaling(&self.conn, &record).await {
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
