//! The seed's four worker types and the registry that routes job names to handlers.

use std::collections::BTreeMap;
use std::sync::Arc;
use ts_rs::TS;

use serde::{Deserialize, Serialize};

use super::handler::Handler;

/// The seed's worker types, one per standard queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum WorkerType {
    /// scraping-queue: product, order, shop and batch scraping.
    Scraping,
    /// data-processing-queue: saving, indexing and validating data.
    DataProcessing,
    /// notifications-queue: e-mail and webhooks.
    Notification,
    /// cleanup-queue: old data and temp files.
    Cleanup,
}

impl WorkerType {
    /// All four, in the seed's order.
    pub const ALL: [WorkerType; 4] = [
        WorkerType::Scraping,
        WorkerType::DataProcessing,
        WorkerType::Notification,
        WorkerType::Cleanup,
    ];

    /// The queue this type consumes.
    pub fn queue(self) -> &'static str {
        match self {
            WorkerType::Scraping => "scraping-queue",
            WorkerType::DataProcessing => "data-processing-queue",
            WorkerType::Notification => "notifications-queue",
            WorkerType::Cleanup => "cleanup-queue",
        }
    }

    /// The name users type (`scraping`, `data-processing`, `notification`, `cleanup`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerType::Scraping => "scraping",
            WorkerType::DataProcessing => "data-processing",
            WorkerType::Notification => "notification",
            WorkerType::Cleanup => "cleanup",
        }
    }

    /// Parses a user-given type name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Which handler runs which job name, per worker type.
#[derive(Default, Clone)]
pub struct Registry {
    handlers: BTreeMap<(WorkerType, String), Arc<dyn Handler>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.handlers.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes jobs named `name` on `worker_type`'s queue to `handler`.
    pub fn register(
        &mut self,
        worker_type: WorkerType,
        name: &str,
        handler: Arc<dyn Handler>,
    ) -> &mut Self {
        self.handlers
            .insert((worker_type, name.to_string()), handler);
        self
    }

    /// The handler for a job, if any.
    pub fn get(&self, worker_type: WorkerType, name: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(&(worker_type, name.to_string())).cloned()
    }

    /// The job names a type handles, sorted.
    pub fn names(&self, worker_type: WorkerType) -> Vec<&str> {
        self.handlers
            .keys()
            .filter(|(t, _)| *t == worker_type)
            .map(|(_, n)| n.as_str())
            .collect()
    }

    /// Whether a type has any handler (a type without one runs no workers: it would only
    /// fail jobs that another service, a Node.js worker say, may be there to run).
    pub fn handles(&self, worker_type: WorkerType) -> bool {
        self.handlers.keys().any(|(t, _)| *t == worker_type)
    }
}
