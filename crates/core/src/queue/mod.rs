//! Queues: the seed's `QueueManager` over BullMQ's Redis layout.
//!
//! - [`options`]: job options as users give them, checked and mapped to BullMQ's.
//! - [`model`]: what the manager returns (serialised by every adapter).
//! - [`manager`]: the operations on queues; `jobs` adds those on jobs, `known` says which
//!   queues jobs may be added to.
//! - `acting`: the changing operations done for someone, written to the audit log.
//! - [`events`]: the seed's event names, from BullMQ's cross-process event streams.
//! - [`health`]: healthy / degraded / unhealthy, with reasons.
//! - `search`: filtered listings and bulk actions on every matching job.
//! - `stats`: queue counts, worker counts, the oldest waiting job's age.
//! - `throughput`: completed and failed jobs per minute, from BullMQ's metrics.

mod acting;
pub mod events;
pub mod health;
mod jobs;
mod known;
pub mod manager;
pub mod model;
pub mod options;
mod search;
mod stats;
mod throughput;

pub use acting::Acting;
pub use events::{EventHub, FireKind, QueueEvent, ScalingRecord, Subscription};
pub use health::{HealthLevel, HealthStatus, HealthThresholds};
pub use manager::{BulkJobInput, JobCheck, QueueManager, Refusal};
pub use model::{
    AddedJob, BulkAction, BulkOutcome, CleanOptions, CreatedQueue, FlowJob, JobDetail, JobFilter,
    JobPage, JobQuery, JobState, ListOrder, MinuteCounts, NewJob, NewQueue, QueueStats,
    QueueThroughput, SearchScope, DEFAULT_PAGE_SIZE, FLOW_CHILDREN_SHOWN,
};
pub use options::{
    priority_levels, Backoff, JobDefaults, JobOptionsInput, Priority, PriorityLevel, Retention,
};
pub use search::MAX_SCAN;
pub use throughput::METRICS_MINUTES;

#[cfg(test)]
mod tests;
