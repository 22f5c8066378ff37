//! Which queues take jobs. A queue is known when it is one of the four, declared in
//! `QUEUE_CUSTOM`, created through Antrian ([`QueueManager::create_queue`]), or already in
//! Redis (made by a Node.js BullMQ service, say: it has BullMQ's `meta` key). Adding to any
//! other name is refused, so a typo (`scrapping-queue`) never starts a queue nobody serves.

use std::sync::Arc;

use bullmq::Queue;

use super::manager::{invalid, validate_queue_name, QueueManager};
use crate::error::{Error, Result};

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
