//! What the queue manager returns: the edge types the desktop app, the HTTP API and the CLI
//! serialise (TypeScript types are generated from them).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A job that was added (or found already there, for a repeated custom id).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct AddedJob {
    /// The queue.
    pub queue: String,
    /// The job id (BullMQ's counter, or the custom `jobId`).
    pub id: String,
    /// The job name.
    pub name: String,
    /// True when a job with this custom id already existed: nothing was added.
    pub duplicate: bool,
}

/// A queue to create: the body of `POST /api/queues` and what the window's New queue form
/// sends. Jobs are refused on a queue nobody created, so a typo never starts a queue
/// nobody serves.
#[derive(Debug, Clone, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct NewQueue {
    /// Letters, digits, `-`, `_` and `.`, 1 to 100 of them (e.g. `my-queue`).
    pub name: String,
}

/// A queue after [`NewQueue`]: its stats, and whether it was new.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct CreatedQueue {
    /// The queue now.
    pub queue: QueueStats,
    /// False when it already existed (made by Antrian or by another BullMQ client):
    /// nothing changed.
    pub created: bool,
}

/// A job to add (the seed's `addJob(queue, name, data, options)`): the body of
/// `POST /api/queues/{queue}/jobs` and of its live check, and what forms send.
#[derive(Debug, Clone, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct NewJob {
    /// The job name (its type, e.g. `product-scraping`).
    pub name: String,
    /// The job data (a JSON object).
    #[serde(default = "empty_object")]
    #[ts(type = "Record<string, unknown>")]
    pub data: serde_json::Value,
    /// Options; what is left out takes the queue's defaults.
    #[serde(default, alias = "options")]
    pub opts: super::JobOptionsInput,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// States a job can be listed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum JobState {
    /// Waiting, including prioritised jobs.
    Waiting,
    /// Being processed.
    Active,
    /// Scheduled for later.
    Delayed,
    /// Finished successfully.
    Completed,
    /// Failed for good.
    Failed,
    /// Waiting in a paused queue.
    Paused,
    /// Waiting for child jobs.
    #[serde(rename = "waiting-children")]
    WaitingChildren,
    /// A state BullMQ did not name.
    Unknown,
}

/// Jobs a listing shows when the caller does not say (CLI, API and the window alike).
pub const DEFAULT_PAGE_SIZE: u32 = 20;

impl JobState {
    /// The states users can list by, as they spell them.
    pub const NAMES: [&'static str; 7] = [
        "waiting",
        "active",
        "delayed",
        "completed",
        "failed",
        "paused",
        "waiting-children",
    ];

    /// Parses a user-given state name, or says which names there are; `field` is how the
    /// caller spells the input (`state`, `--state`).
    pub fn from_name(field: &str, s: &str) -> crate::Result<Self> {
        Self::parse(s).ok_or_else(|| crate::Error::InvalidJob {
            field: field.to_string(),
            rule: format!("`{s}` is not a job state; use {}", Self::NAMES.join(", ")),
        })
    }

    /// Parses a user-given state name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "waiting" | "wait" => Self::Waiting,
            "active" => Self::Active,
            "delayed" => Self::Delayed,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "paused" => Self::Paused,
            "waiting-children" => Self::WaitingChildren,
            _ => return None,
        })
    }

    /// BullMQ's set names for this state (waiting covers `wait` and `prioritized`).
    pub(crate) fn bullmq_types(self) -> &'static [&'static str] {
        match self {
            Self::Waiting => &["wait", "prioritized"],
            Self::Active => &["active"],
            Self::Delayed => &["delayed"],
            Self::Completed => &["completed"],
            Self::Failed => &["failed"],
            Self::Paused => &["paused"],
            Self::WaitingChildren => &["waiting-children"],
            Self::Unknown => &[],
        }
    }

    pub(crate) fn from_bullmq(s: bullmq::types::JobState) -> Self {
        use bullmq::types::JobState as B;
        match s {
            B::Waiting | B::Prioritized => Self::Waiting,
            B::Active => Self::Active,
            B::Delayed => Self::Delayed,
            B::Completed => Self::Completed,
            B::Failed => Self::Failed,
            B::WaitingChildren => Self::WaitingChildren,
            B::Unknown => Self::Unknown,
        }
    }
}

/// Counts and health of one queue (the seed's `getQueueStats`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct QueueStats {
    /// The queue.
    pub name: String,
    /// Waiting, prioritised included.
    #[ts(type = "number")]
    pub waiting: u64,
    /// Being processed.
    #[ts(type = "number")]
    pub active: u64,
    /// Scheduled for later.
    #[ts(type = "number")]
    pub delayed: u64,
    /// Completed and still kept (see removeOnComplete).
    #[ts(type = "number")]
    pub completed: u64,
    /// Failed and still kept (see removeOnFail).
    #[ts(type = "number")]
    pub failed: u64,
    /// Waiting in the paused list.
    #[ts(type = "number")]
    pub paused: u64,
    /// Whether the queue is paused.
    pub is_paused: bool,
    /// Workers connected to the queue (any process, Node.js included).
    #[ts(type = "number")]
    pub workers: u64,
    /// Age of the oldest waiting job, milliseconds.
    #[ts(type = "number | null")]
    pub oldest_waiting_ms: Option<u64>,
    /// Jobs completed in the last minute (among those kept).
    #[ts(type = "number")]
    pub completed_last_minute: u64,
    /// Jobs failed in the last minute (among those kept).
    #[ts(type = "number")]
    pub failed_last_minute: u64,
    /// It has jobs to run (waiting or delayed), is not paused, and no worker is connected:
    /// nothing runs them until one is ([`QueueStats::lacks_worker`]).
    pub needs_worker: bool,
}

impl QueueStats {
    /// Jobs to run (waiting or delayed), not paused, and no worker connected. A paused
    /// queue's jobs wait on purpose.
    pub fn lacks_worker(&self) -> bool {
        self.workers == 0 && !self.is_paused && self.waiting + self.delayed > 0
    }
}

/// One job in full (the seed's `getJob`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct JobDetail {
    /// The queue.
    pub queue: String,
    /// The id.
    pub id: String,
    /// The job name.
    pub name: String,
    /// Its data.
    #[ts(type = "unknown")]
    pub data: serde_json::Value,
    /// Its BullMQ options as stored.
    #[ts(type = "unknown")]
    pub options: serde_json::Value,
    /// Where it is.
    pub state: JobState,
    /// Progress as the handler reported it (a number or any JSON).
    #[ts(type = "unknown")]
    pub progress: serde_json::Value,
    /// Attempts that ended (failed or succeeded).
    pub attempts_made: u32,
    /// When it was added, ms since the epoch.
    #[ts(type = "number")]
    pub timestamp: u64,
    /// When a worker last took it.
    #[ts(type = "number | null")]
    pub processed_on: Option<u64>,
    /// When it finished.
    #[ts(type = "number | null")]
    pub finished_on: Option<u64>,
    /// What the handler returned (parsed JSON when it is JSON).
    #[ts(type = "unknown")]
    pub return_value: serde_json::Value,
    /// Why it failed.
    pub failed_reason: Option<String>,
    /// The stack traces of its failed attempts, newest last.
    pub stacktrace: Vec<String>,
    /// Its log lines.
    pub logs: Vec<String>,
    /// The job this one is a child of (a batch's child names its batch), on its own page.
    pub parent: Option<FlowJob>,
    /// Its children (a batch's pages), at most [`FLOW_CHILDREN_SHOWN`], on its own page.
    pub children: Vec<FlowJob>,
    /// Children in all, however many are shown.
    #[ts(type = "number")]
    pub children_total: u64,
}

/// Children a job's page lists at most; the rest are counted.
pub const FLOW_CHILDREN_SHOWN: usize = 100;

/// Another job of the same BullMQ flow (a parent or a child), to link to.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct FlowJob {
    /// Its queue.
    pub queue: String,
    /// Its id.
    pub id: String,
    /// Its name (empty when the job is gone).
    pub name: String,
    /// Where it is (for a job that is gone, how it ended).
    pub state: JobState,
    /// Removed since (completed and failed jobs are kept as `removeOnComplete` says).
    pub gone: bool,
}

/// A page of jobs in one state.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct JobPage {
    /// The queue.
    pub queue: String,
    /// The state listed.
    pub state: JobState,
    /// 1-based page.
    pub page: u32,
    /// Jobs per page.
    pub page_size: u32,
    /// Jobs in this state in all.
    #[ts(type = "number")]
    pub total: u64,
    /// The jobs of this page (without their logs: `get_job` has them).
    pub jobs: Vec<JobDetail>,
    /// For a filtered listing: how far the search went (`total` counts the matches among
    /// the jobs it read). `null` for a plain listing, whose `total` is exact.
    pub search: Option<SearchScope>,
}

/// Which jobs of a state a listing keeps (the seed's job data fields: `url`, `shopId`,
/// `accountId`…). Empty parts match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct JobFilter {
    /// The job name, exactly (`product-scraping`).
    #[serde(default)]
    pub name: Option<String>,
    /// A data field (`url`, or a dotted path like `options.useProxy`) that must contain
    /// `text`; without it `text` may be anywhere in the data.
    #[serde(default)]
    pub field: Option<String>,
    /// Text to find, ignoring the case of ASCII letters.
    #[serde(default)]
    pub text: Option<String>,
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum ListOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
}

/// Which page of which jobs a listing shows (the window's query; the HTTP API takes the
/// same fields as URL parameters). A filter searches the newest (or oldest) 10,000.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/", optional_fields)]
pub struct JobQuery {
    /// The state listed.
    pub state: JobState,
    /// 1-based page.
    pub page: u32,
    /// Jobs per page (1 to 1000; [`DEFAULT_PAGE_SIZE`] when a caller does not say).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Newest (default) or oldest first.
    #[serde(default)]
    pub order: ListOrder,
    /// Only jobs with this name.
    #[serde(default)]
    pub name: Option<String>,
    /// A data field (`url`, `accountId`…) that must contain `text`.
    #[serde(default)]
    pub field: Option<String>,
    /// Text to find (in `field`, or anywhere in the data), ignoring case.
    #[serde(default)]
    pub text: Option<String>,
}

impl JobQuery {
    /// The filter part.
    pub fn filter(&self) -> JobFilter {
        JobFilter {
            name: self.name.clone(),
            field: self.field.clone(),
            text: self.text.clone(),
        }
    }
}

/// How far a filtered listing searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct SearchScope {
    /// Jobs read, newest (or oldest) first.
    #[ts(type = "number")]
    pub scanned: u64,
    /// Whether that was every job in the state.
    pub complete: bool,
}

/// What to do with every job a filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum BulkAction {
    /// Retry (failed jobs).
    Retry,
    /// Remove.
    Remove,
    /// Run now (delayed jobs).
    Promote,
}

/// What a bulk action on matching jobs did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct BulkOutcome {
    /// Jobs the filter matched.
    #[ts(type = "number")]
    pub matched: u64,
    /// Jobs the action was done to.
    #[ts(type = "number")]
    pub done: u64,
    /// Jobs it could not be done to (moved on meanwhile, or held by a worker), with why.
    pub skipped: Vec<String>,
    /// How far the search went.
    pub search: SearchScope,
}

/// What `clean_queue` removes (the seed's `cleanQueue(queue, {completed, failed, count})`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct CleanOptions {
    /// Remove completed jobs.
    #[serde(default)]
    pub completed: bool,
    /// Remove failed jobs.
    #[serde(default)]
    pub failed: bool,
    /// At most this many per state (0 or absent: all).
    #[serde(default)]
    pub count: Option<u32>,
    /// Keep jobs younger than this, milliseconds.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub grace: Option<u64>,
}

/// Jobs finished in one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct MinuteCounts {
    /// The minute's start, ms since the epoch.
    #[ts(type = "number")]
    pub at: u64,
    /// Jobs completed in that minute.
    #[ts(type = "number")]
    pub completed: u64,
    /// Jobs that failed for good in that minute (attempts that will be retried are not
    /// counted).
    #[ts(type = "number")]
    pub failed: u64,
}

/// A queue's completed and failed jobs per minute, oldest minute first, the current
/// (partial) minute last: BullMQ's own metrics, which every worker records, Node.js ones
/// too when started with the `metrics` option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct QueueThroughput {
    /// The queue.
    pub queue: String,
    /// One entry per minute.
    pub minutes: Vec<MinuteCounts>,
}
