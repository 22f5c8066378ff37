//! Workers: the runtime that executes jobs (the seed's "Workers").
//!
//! - [`autoscale`]: the autoscaler: its decision (pure, table-tested) and the loop that
//!   applies it to the pools.
//! - [`budget`]: how many more workers the shared Redis has client connections for.
//! - [`handler`]: the `Handler` trait, the job context and the typed outcomes.
//! - [`memory`]: the process's resident memory, for the memory ceiling.
//! - [`registry`]: the seed's four worker types and the job-name → handler routes.
//! - [`nodes`]: the node registry and remote commands (scale, pause, resume, drain).
//! - [`recovery`]: a dead node's active jobs back to wait within seconds.
//! - [`pool`]: worker pools per type on BullMQ workers: scaling, statistics, shutdown;
//!   `manual` adds scaling by hand, which pins a pool until it is handed back.

pub mod autoscale;
pub mod budget;
pub mod handler;
mod manual;
pub mod memory;
pub mod nodes;
pub mod pool;
pub mod recovery;
pub mod registry;

pub use crate::rules::ScalingRules;
pub use autoscale::{scaling_log, Autoscaler};
pub use handler::{handler_fn, CancelToken, Handler, JobContext, JobError};
pub use nodes::{
    list_nodes, local_node_id, send_command, CommandReply, NodeAgent, NodeCommand, NodeInfo,
    GONE_AFTER, REPLY_TIMEOUT,
};
pub use pool::{PoolSettings, TypeStats, WorkerManager, WorkerStats};
pub use registry::{Registry, WorkerType};

#[cfg(test)]
mod tests;
