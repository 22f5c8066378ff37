//! Worker nodes: every runtime that runs pools (the desktop app, `antrian workers` on a
//! server) registers itself in Redis and takes commands from operators anywhere.
//!
//! - A node writes its description (`keys::node`) and scores itself in `keys::nodes` with
//!   its heartbeat time; a node whose heartbeat is older than the timeout is shown as gone.
//! - Commands go into the node's stream (`keys::node_commands`); the node applies each and
//!   pushes its reply to a short-lived list (`keys::node_reply`), which the sender waits
//!   on. A stream rather than pub/sub: a command sent while the node reconnects is still
//!   there when it comes back.
//! - `agent`: the node's own side: registering, heartbeats, applying commands.

use std::collections::BTreeMap;
use std::time::Duration;
use ts_rs::TS;

use serde::{Deserialize, Serialize};

use super::pool::WorkerStats;
use super::registry::WorkerType;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::keys;
use crate::now_ms;

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

mod agent;

pub use agent::NodeAgent;

#[cfg(test)]
mod tests;
