//! Which queues take jobs. A queue is known when it is one of the four, declared in
//! `QUEUE_CUSTOM`, created through Antrian ([`QueueManager::create_queue`]), or already in
//! Redis (made by a Node.js BullMQ service, say: it has BullMQ's `meta` key). Adding to any
//! other name is refused, so a typo (`scrapping-queue`) never starts a queue nobody serves.
//!
//! Discovery finds the queues already in Redis (BullMQ's `meta` keys, by SCAN) and is
//! reused for [`DISCOVERY_TTL`].

use std::sync::Arc;

use bullmq::Queue;

use super::manager::{invalid, QueueManager};
use crate::error::{Error, Result};
use crate::rules::validate_queue_name;

impl QueueManager {
    /// Creates the queue `name` (writes BullMQ's `meta` key, as a Node.js `new Queue()`
    /// does). Returns false when it already existed; creating twice changes nothing.
    pub async fn create_queue(&self, name: &str) -> Result<bool> {
        validate_queue_name(name)?;
        let existed = match self.existing(name).await {
            Ok(_) => true,
            Err(Error::NotFound { .. }) => false,
            Err(e) => return Err(e),
        };
        if !existed {
            self.queue(name).await?;
            tracing::info!(queue = %name, "queue created");
        }
        Ok(!existed)
    }

    /// The queue `name` if jobs may be added to it; otherwise a refusal of the `queue`
    /// field that says how to create it.
    pub(crate) async fn known(&self, name: &str) -> Result<Arc<Queue>> {
        self.existing(name).await.map_err(|e| match e {
            Error::NotFound { .. } => invalid(
                "queue",
                format!(
                    "there is no queue `{name}`; check the name, or create it first (the window's Queues page, `antrian queues create {name}`, POST /api/queues, or QUEUE_CUSTOM)"
                ),
            ),
            other => other,
        })
    }
}

/// How long a queue discovery result is reused.
pub const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Most queues discovery reports.
pub const MAX_DISCOVERED: usize = 1000;

impl QueueManager {
    /// Names of every queue Antrian knows: the standard four, those opened in this process,
    /// and BullMQ queues other processes created under the prefix. Discovery (a bounded
    /// SCAN for `meta` keys) runs at most once per [`DISCOVERY_TTL`]; in between the last
    /// result is used, so listing queues never scans Redis on every call.
    pub async fn queue_names(&self) -> Result<Vec<String>> {
        let fresh = {
            let cache = self
                .discovered
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            cache
                .as_ref()
                .filter(|(at, _)| at.elapsed() < DISCOVERY_TTL)
                .map(|(_, names)| names.clone())
        };
        let discovered = match fresh {
            Some(names) => names,
            None => self.refresh_discovery().await?,
        };
        let mut names: Vec<String> = self.read_queues().keys().cloned().collect();
        names.extend(discovered);
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Runs queue discovery now (a user's "refresh") and returns what it found.
    pub async fn refresh_discovery(&self) -> Result<Vec<String>> {
        let names = self.discover().await?;
        *self
            .discovered
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), names.clone()));
        Ok(names)
    }

    /// Finds `{prefix}:{name}:meta` keys; stops after [`MAX_DISCOVERED`] queues.
    async fn discover(&self) -> Result<Vec<String>> {
        // `*` in a SCAN pattern; `[`, `]`, `?` and `\` in a prefix are matched literally.
        let literal: String = self
            .prefix
            .chars()
            .flat_map(|c| match c {
                '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("{literal}:*:meta");
        let keys = self.conn.scan_match(&pattern, MAX_DISCOVERED * 4).await?;
        let mut found: Vec<String> = keys
            .iter()
            .filter_map(|key| {
                key.strip_prefix(&format!("{}:", self.prefix))
                    .and_then(|rest| rest.strip_suffix(":meta"))
            })
            .filter(|n| validate_queue_name(n).is_ok())
            .map(str::to_string)
            .collect();
        // A cluster answers from every primary; a key seen twice (mid-resharding) counts once.
        found.sort();
        found.dedup();
        found.truncate(MAX_DISCOVERED);
        Ok(found)
    }
}
