//! Workers: the runtime that executes jobs (the seed's "Workers").
//!
//! - [`handler`]: the `Handler` trait, the job context and the typed outcomes.
//! - [`registry`]: the seed's four worker types and the job-name → handler routes.
//! - [`pool`]: worker pools per type on BullMQ workers: scaling, statistics, shutdown.

pub mod handler;
pub mod pool;
pub mod registry;

pub use handler::{handler_fn, Handler, JobContext, JobError};
pub use pool::{PoolSettings, TypeStats, WorkerManager, WorkerStats};
pub use registry::{Registry, WorkerType};

#[cfg(test)]
mod tests;
