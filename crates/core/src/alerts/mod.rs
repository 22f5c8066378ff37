//! Alerts: what deserves an OS notification, grouped so a storm of failures is one
//! notification and a summary, not hundreds.
//!
//! - [`AlertPrefs`]: which kinds and queues notify, quiet hours, the cooldown.
//! - [`FailureGrouper`]: final failures grouped by queue + job name + error kind + target
//!   site; a group notifies once, stays quiet for the cooldown, then sends a summary of
//!   what it swallowed.
//! - [`watch`]: turns a running runtime's events (from every worker on every node, Node.js
//!   workers included, since they come from BullMQ's event streams), its connection status
//!   and the node registry into [`Alert`]s. The desktop shows them; core knows nothing of
//!   how.

mod grouping;
mod prefs;
mod watcher;

pub use grouping::{error_kind, target_site, FailureGroup, FailureGrouper};
pub use prefs::{AlertPrefs, QuietHours};
pub use watcher::watch;

use serde::Serialize;
use ts_rs::TS;

/// What an alert is about; each kind can be turned off in [`AlertPrefs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum AlertKind {
    /// Jobs failed for the last time.
    Failures,
    /// The Redis connection was lost or regained.
    Connection,
    /// Health became degraded or unhealthy (eviction policy, memory near max…).
    Health,
    /// A condition-based schedule fired.
    Schedules,
    /// A worker node stopped sending heartbeats.
    Nodes,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// The queue it concerns, when one does (per-queue muting applies).
    pub queue: Option<String>,
    /// The notification's summary line.
    pub title: String,
    /// Its body.
    pub body: String,
    /// The UI route that shows what it is about (`#/queues/…?state=failed&…`).
    pub link: Option<String>,
}
