//! Queue events with the seed's names (`job:completed`, `job:failed`, `queue:paused`, …).
//!
//! They come from BullMQ's per-queue event streams (`{prefix}:{queue}:events`), read with
//! `bullmq-official`'s `QueueEvents`, so a job that fails in a worker on another machine —
//! or in a Node.js worker — reaches every subscriber here. All queues feed one broadcast
//! channel: a slow subscriber never holds up the others; it receives
//! [`QueueEvent::Missed`] with how many events it lost instead.
//!
//! `translate`: BullMQ's stream entries into these events.

use std::collections::HashMap;
use std::sync::Arc;

use bullmq::queue_events::{QueueEvents, QueueEventsOptions};
use serde::Serialize;
use tokio::sync::{broadcast, Mutex};
use ts_rs::TS;

use crate::connection::Connection;
use crate::error::Result;

mod translate;

use translate::{shared_event, translate};

/// Events a subscriber can fall behind by before it is told it missed some. The channel
/// holds them behind `Arc`s: its slots exist from the start, and a slot of a whole event
/// made this buffer 1.3 MB before anything happened.
const CHANNEL_CAPACITY: usize = 4096;

/// One event, tagged with the seed's name in `event`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all_fields = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum QueueEvent {
    /// A job was added.
    #[serde(rename = "job:added")]
    JobAdded {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
        /// Job name.
        name: String,
    },
    /// A worker took a job.
    #[serde(rename = "job:active")]
    JobActive {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
    },
    /// A handler reported progress.
    #[serde(rename = "job:progress")]
    JobProgress {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
        /// The progress value (a number or any JSON).
        #[ts(type = "unknown")]
        progress: serde_json::Value,
    },
    /// A job finished successfully.
    #[serde(rename = "job:completed")]
    JobCompleted {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
        /// The handler's result (parsed when it is JSON).
        #[ts(type = "unknown")]
        return_value: serde_json::Value,
    },
    /// A job failed.
    #[serde(rename = "job:failed")]
    JobFailed {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
        /// Why.
        failed_reason: String,
        /// Attempts made so far.
        attempts_made: u32,
        /// True when no retry follows (attempts exhausted or discarded).
        #[serde(rename = "final")]
        is_final: bool,
    },
    /// A job's worker stopped renewing its lock; BullMQ moved it back.
    #[serde(rename = "job:stalled")]
    JobStalled {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
    },
    /// A job was scheduled for later (a delay or a retry backoff).
    #[serde(rename = "job:delayed")]
    JobDelayed {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
        /// When it becomes ready, ms since the epoch.
        #[ts(type = "number")]
        delay: i64,
    },
    /// A job was removed.
    #[serde(rename = "job:removed")]
    JobRemoved {
        /// Queue.
        queue: String,
        /// Job id.
        job_id: String,
    },
    /// A queue was paused.
    #[serde(rename = "queue:paused")]
    QueuePaused {
        /// Queue.
        queue: String,
    },
    /// A queue was resumed.
    #[serde(rename = "queue:resumed")]
    QueueResumed {
        /// Queue.
        queue: String,
    },
    /// Finished jobs were added to a queue's per-minute counts (BullMQ's metrics, which
    /// the finished-jobs chart reads): a pool writes its counts about once a second while
    /// jobs finish.
    #[serde(rename = "queue:metrics")]
    QueueMetrics {
        /// Queue.
        queue: String,
        /// Completed jobs just counted.
        #[ts(type = "number")]
        completed: u64,
        /// Jobs just counted as failed for good.
        #[ts(type = "number")]
        failed: u64,
    },
    /// The periodic health check ran.
    #[serde(rename = "health:check")]
    HealthCheck {
        /// Its result.
        health: super::health::HealthStatus,
    },
    /// The autoscaler grew a pool.
    #[serde(rename = "scaling:up")]
    ScalingUp {
        /// The scaling decision.
        decision: ScalingRecord,
    },
    /// The autoscaler shrank a pool.
    #[serde(rename = "scaling:down")]
    ScalingDown {
        /// The scaling decision.
        decision: ScalingRecord,
    },
    /// A schedule added a job: its cron cadence came round, someone ran it now, or its
    /// condition became true.
    #[serde(rename = "schedule:fired")]
    ScheduleFired {
        /// The schedule.
        name: String,
        /// What made it fire.
        kind: FireKind,
        /// Queue of the job it added.
        queue: String,
        /// The job it added.
        job_id: String,
        /// When, ms since the epoch.
        #[ts(type = "number")]
        at: i64,
    },
    /// This subscriber fell behind and lost `count` events.
    #[serde(rename = "missed")]
    Missed {
        /// How many.
        #[ts(type = "number")]
        count: u64,
    },
}

/// What made a schedule fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub enum FireKind {
    /// The cron cadence.
    Cron,
    /// Run now.
    Manual,
    /// A condition became true.
    Condition,
}

/// One scaling action, as events carry it and the scaling log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ScalingRecord {
    /// When, ms since the epoch.
    #[ts(type = "number")]
    pub at_ms: u64,
    /// The node that scaled.
    pub node: String,
    /// The pool (`scraping`, `data-processing`, …).
    pub worker_type: String,
    /// The queue it consumes.
    pub queue: String,
    /// Workers before.
    pub from: u32,
    /// Workers after.
    pub to: u32,
    /// Jobs waiting in the queue when it decided (0 in records from before it was kept).
    #[serde(default)]
    #[ts(type = "number")]
    pub waiting: u64,
    /// Why, in a sentence.
    pub reason: String,
}

/// A subscription to every queue's events.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<QueueEvent>>,
}

impl Subscription {
    /// The next event; `None` once the hub is gone.
    pub async fn recv(&mut self) -> Option<QueueEvent> {
        match self.rx.recv().await {
            // The last subscriber to read an event takes it without a copy.
            Ok(event) => Some(Arc::unwrap_or_clone(event)),
            Err(broadcast::error::RecvError::Lagged(count)) => Some(QueueEvent::Missed { count }),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event that matches `pred`, skipping others; `None` when `timeout` passes
    /// or the hub is gone first.
    pub async fn recv_matching(
        &mut self,
        timeout: std::time::Duration,
        pred: impl Fn(&QueueEvent) -> bool,
    ) -> Option<QueueEvent> {
        tokio::time::timeout(timeout, async {
            while let Some(event) = self.recv().await {
                if pred(&event) {
                    return Some(event);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }
}

/// Reads each watched queue's BullMQ event stream and fans the events out.
pub struct EventHub {
    conn: Connection,
    prefix: String,
    tx: broadcast::Sender<Arc<QueueEvent>>,
    /// Stream readers by queue name.
    readers: Mutex<HashMap<String, tokio::task::JoinHandle<()>>>,
    /// This hub's id, written beside the events it shares with other processes so it
    /// does not deliver them twice.
    origin: String,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// A hub with no queue watched yet.
    pub fn new(conn: Connection, prefix: &str) -> Self {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            conn,
            prefix: prefix.to_string(),
            tx,
            readers: Mutex::new(HashMap::new()),
            origin: format!("{:016x}", rand::random::<u64>()),
        }
    }

    /// This hub's id (see [`Self::share`]).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Publishes `event` here and, through the capped stream `antrian:scheduler:events`,
    /// to every other process's hub that [`Self::watch_shared`]. Only `schedule:fired` is
    /// shared this way (queue events already travel in BullMQ's own streams).
    pub async fn share(&self, event: QueueEvent) {
        if let QueueEvent::ScheduleFired {
            name,
            kind,
            queue,
            job_id,
            at,
        } = &event
        {
            let kind = serde_json::to_value(kind)
                .ok()
                .and_then(|k| k.as_str().map(String::from))
                .unwrap_or_default();
            let mut redis = self.conn.redis();
            let written: redis::RedisResult<String> = redis::cmd("XADD")
                .arg(crate::keys::scheduler_events())
                .arg("MAXLEN")
                .arg("~")
                .arg(1000)
                .arg("*")
                .arg("event")
                .arg("schedule:fired")
                .arg("origin")
                .arg(&self.origin)
                .arg("name")
                .arg(name)
                .arg("kind")
                .arg(kind)
                .arg("queue")
                .arg(queue)
                .arg("jobId")
                .arg(job_id)
                .arg("at")
                .arg(at)
                .query_async(&mut redis)
                .await;
            if let Err(e) = written {
                tracing::warn!("cannot share schedule:fired with other processes: {e}");
            }
        }
        self.publish(event);
    }

    /// Delivers the `schedule:fired` events other processes share from now on. The
    /// stream is `antrian:scheduler:events`, read with BullMQ's own stream reader (as the
    /// queue `scheduler` under the prefix `antrian`).
    pub async fn watch_shared(&self) -> Result<()> {
        let key = crate::keys::scheduler_events();
        let mut readers = self.readers.lock().await;
        if readers.contains_key(&key) {
            return Ok(());
        }
        let opts = QueueEventsOptions {
            prefix: crate::keys::root().to_string(),
            last_event_id: Some(last_entry_id(&self.conn, &key).await?),
            autorun: true,
            ..Default::default()
        };
        let events =
            QueueEvents::with_connection("scheduler", self.conn.bullmq().clone(), opts).await?;
        let tx = self.tx.clone();
        let origin = self.origin.clone();
        readers.insert(
            key,
            tokio::spawn(async move {
                while let Some(entry) = events.next_event().await {
                    if let Some(event) = shared_event(&origin, entry.event) {
                        let _ = tx.send(Arc::new(event));
                    }
                }
            }),
        );
        Ok(())
    }

    /// A new subscriber; it sees events published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }

    /// Publishes an event that does not come from a stream (`health:check`).
    pub fn publish(&self, event: QueueEvent) {
        // No subscriber is not an error.
        let _ = self.tx.send(Arc::new(event));
    }

    /// Starts reading `queue`'s event stream (once per queue). Events written after this
    /// call returns are delivered, even those written before the reader's first read.
    pub async fn watch(&self, queue: &str) -> Result<()> {
        let mut readers = self.readers.lock().await;
        if readers.contains_key(queue) {
            return Ok(());
        }
        let stream = format!("{}:{}:events", self.prefix, queue);
        let opts = QueueEventsOptions {
            prefix: self.prefix.clone(),
            last_event_id: Some(last_entry_id(&self.conn, &stream).await?),
            autorun: true,
            ..Default::default()
        };
        let events = QueueEvents::with_connection(queue, self.conn.bullmq().clone(), opts).await?;
        let tx = self.tx.clone();
        let conn = self.conn.clone();
        let name = queue.to_string();
        let prefix = self.prefix.clone();
        readers.insert(
            queue.to_string(),
            tokio::spawn(async move {
                while let Some(entry) = events.next_event().await {
                    for event in translate(&conn, &prefix, &name, entry.event).await {
                        let _ = tx.send(Arc::new(event));
                    }
                }
            }),
        );
        Ok(())
    }

    /// Stops every stream reader.
    pub async fn close(&self) {
        for (_, reader) in self.readers.lock().await.drain() {
            reader.abort();
        }
    }
}

/// The id of the newest entry of `stream` (`0-0` when empty): reading after it delivers
/// everything written from now on.
pub(crate) async fn last_entry_id(conn: &Connection, stream: &str) -> Result<String> {
    let mut redis = conn.redis();
    let last: Vec<(String, HashMap<String, String>)> = redis::cmd("XREVRANGE")
        .arg(stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut redis)
        .await?;
    Ok(last
        .first()
        .map_or_else(|| "0-0".to_string(), |(id, _)| id.clone()))
}
