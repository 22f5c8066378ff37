//! The seed's four worker types and the registry that routes job names to handlers.

use std::collections::BTreeMap;
use std::sync::Arc;
use ts_rs::TS;

use serde::{Deserialize, Serialize};

use super::handler::Handler;

/// A pool's kind: the seed's four worker types, one per standard queue, or a custom queue
/// a library user registers handlers for ([`WorkerType::custom`], the seed's "Custom
/// Worker" on `my-queue`). Spelled in JSON and on the command line as `scraping`,
/// `data-processing`, `notification`, `cleanup`, or the custom queue's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, TS)]
#[ts(export, export_to = "../../../ui/src/api/generated/", type = "string")]
pub enum WorkerType {
    /// scraping-queue: product, order, shop and batch scraping.
    Scraping,
    /// data-processing-queue: saving, indexing and validating data.
    DataProcessing,
    /// notifications-queue: e-mail and webhooks.
    Notification,
    /// cleanup-queue: old data and temp files.
    Cleanup,
    /// A custom queue, named by its queue name (interned: a process has a few).
    Custom(&'static str),
}

/// Custom queue names in use, interned so [`WorkerType`] stays `Copy`.
static CUSTOM: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

impl WorkerType {
    /// The seed's four, in its order.
    pub const ALL: [WorkerType; 4] = [
        WorkerType::Scraping,
        WorkerType::DataProcessing,
        WorkerType::Notification,
        WorkerType::Cleanup,
    ];

    /// The pool kind of a custom queue (`my-queue`): any queue name but the four standard
    /// ones, which have their own types.
    pub fn custom(queue: &str) -> crate::Result<Self> {
        crate::rules::validate_queue_name(queue)?;
        if let Some(t) = Self::ALL.into_iter().find(|t| t.queue() == queue) {
            return Ok(t);
        }
        let mut names = CUSTOM
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let name = match names.iter().find(|n| **n == queue) {
            Some(n) => *n,
            None => {
                let leaked: &'static str = Box::leak(queue.to_string().into_boxed_str());
                names.push(leaked);
                leaked
            }
        };
        Ok(WorkerType::Custom(name))
    }

    /// The queue this type consumes.
    pub fn queue(self) -> &'static str {
        match self {
            WorkerType::Scraping => "scraping-queue",
            WorkerType::DataProcessing => "data-processing-queue",
            WorkerType::Notification => "notifications-queue",
            WorkerType::Cleanup => "cleanup-queue",
            WorkerType::Custom(queue) => queue,
        }
    }

    /// The name users type (`scraping`, `data-processing`, `notification`, `cleanup`, or
    /// a custom queue's name).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerType::Scraping => "scraping",
            WorkerType::DataProcessing => "data-processing",
            WorkerType::Notification => "notification",
            WorkerType::Cleanup => "cleanup",
            WorkerType::Custom(queue) => queue,
        }
    }

    /// Parses one of the four type names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Parses a type name, or a custom queue's name.
    pub fn parse_any(s: &str) -> Option<Self> {
        Self::parse(s).or_else(|| Self::custom(s).ok())
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for WorkerType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "scraping, data-processing, notification, cleanup, or a custom queue's name",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for WorkerType {}

impl Serialize for WorkerType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WorkerType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        WorkerType::parse_any(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown worker type {name:?}: use scraping, data-processing, notification, cleanup or a custom queue's name"
            ))
        })
    }
}

/// Which handler runs which job name, per worker type.
#[derive(Default, Clone)]
pub struct Registry {
    /// Handlers by type, then job name (looked up with a borrowed name: no allocation on
    /// the per-job path).
    handlers: BTreeMap<WorkerType, BTreeMap<String, Arc<dyn Handler>>>,
    /// Handlers for every job name of a type (an HTTP target's queue).
    any: BTreeMap<WorkerType, Arc<dyn Handler>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.handlers
                    .iter()
                    .flat_map(|(t, names)| names.keys().map(move |n| (t, n))),
            )
            .finish()
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
            .entry(worker_type)
            .or_default()
            .insert(name.to_string(), handler);
        self
    }

    /// Routes every job on `worker_type`'s queue whose name has no handler of its own to
    /// `handler`.
    pub fn register_any(
        &mut self,
        worker_type: WorkerType,
        handler: Arc<dyn Handler>,
    ) -> &mut Self {
        self.any.insert(worker_type, handler);
        self
    }

    /// The handler for a job, if any.
    pub fn get(&self, worker_type: WorkerType, name: &str) -> Option<Arc<dyn Handler>> {
        self.handlers
            .get(&worker_type)
            .and_then(|names| names.get(name))
            .or_else(|| self.any.get(&worker_type))
            .cloned()
    }

    /// The job names a type handles, sorted.
    pub fn names(&self, worker_type: WorkerType) -> Vec<&str> {
        self.handlers
            .get(&worker_type)
            .map(|names| names.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Every type with a handler, each once, in order.
    pub fn types(&self) -> Vec<WorkerType> {
        let mut types: Vec<WorkerType> = self
            .handlers
            .keys()
            .copied()
            .chain(self.any.keys().copied())
            .collect();
        types.sort();
        types.dedup();
        types
    }

    /// Whether a type has any handler (a type without one runs no workers: it would only
    /// fail jobs that another service, a Node.js worker say, may be there to run).
    pub fn handles(&self, worker_type: WorkerType) -> bool {
        self.any.contains_key(&worker_type)
            || self
                .handlers
                .get(&worker_type)
                .is_some_and(|names| !names.is_empty())
    }
}
