//! BullMQ's stream entries into the seed's events: a job's `failed` entry gains its
//! attempts and reason from the job, and Antrian's own shared events are read back as
//! what they were.

use bullmq::queue_events::QueueEvent as Bull;

use super::QueueEvent;
use crate::connection::Connection;

/// A `schedule:fired` another hub shared; `None` for this hub's own and anything else.
pub(super) fn shared_event(origin: &str, event: Bull) -> Option<QueueEvent> {
    let Bull::Other { event, fields } = event else {
        return None;
    };
    if event != "schedule:fired" || fields.get("origin").map(String::as_str) == Some(origin) {
        return None;
    }
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    Some(QueueEvent::ScheduleFired {
        name: field("name"),
        kind: serde_json::from_value(serde_json::Value::String(field("kind"))).ok()?,
        queue: field("queue"),
        job_id: field("jobId"),
        at: field("at").parse().ok()?,
    })
}

fn json_or_string(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_string()))
}

/// Attempts made and last failure reason from the job hash.
async fn attempts_and_reason(
    conn: &Connection,
    prefix: &str,
    queue: &str,
    job_id: &str,
) -> (u32, String) {
    let mut redis = conn.redis();
    let (attempts, reason): (Option<u32>, Option<String>) = redis::cmd("HMGET")
        .arg(bullmq::QueueKeys::new(queue, Some(prefix)).job_key(job_id))
        .arg("atm")
        .arg("failedReason")
        .query_async(&mut redis)
        .await
        .unwrap_or((None, None));
    // Every attempt's reason is in the hash (the vendored engine writes it as Node's does,
    // vendor/README.md); a client that does not store it gets this said, not "".
    let reason = reason
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "attempt failed; the worker that ran it did not record why".to_string());
    (attempts.unwrap_or(0), reason)
}

/// Maps BullMQ's stream event to the seed's (none for events the seed does not name).
///
/// BullMQ writes `failed` to the stream only when a job lands in the failed set; an attempt
/// that fails and is retried shows up as `delayed` (retry with backoff) or `waiting` after
/// `active` (retry without). Those become a non-final `job:failed`, read from the job hash,
/// so failures of Node.js workers are reported the same way as Antrian's.
pub(super) async fn translate(
    conn: &Connection,
    prefix: &str,
    queue: &str,
    event: Bull,
) -> Vec<QueueEvent> {
    let queue = queue.to_string();
    let retried =
        |job_id: String, (attempts_made, failed_reason): (u32, String)| QueueEvent::JobFailed {
            queue: queue.clone(),
            job_id,
            failed_reason,
            attempts_made,
            is_final: false,
        };
    match event {
        Bull::Added { job_id, name } => vec![QueueEvent::JobAdded {
            queue,
            job_id,
            name,
        }],
        Bull::Active { job_id, .. } => vec![QueueEvent::JobActive { queue, job_id }],
        Bull::Progress { job_id, data } => vec![QueueEvent::JobProgress {
            queue,
            job_id,
            progress: data,
        }],
        Bull::Completed {
            job_id,
            return_value,
            ..
        } => vec![QueueEvent::JobCompleted {
            queue,
            job_id,
            return_value: json_or_string(&return_value),
        }],
        Bull::Failed {
            job_id,
            failed_reason,
            ..
        } => {
            // Only a job in the failed set has failed for good.
            let keys = bullmq::QueueKeys::new(&queue, Some(prefix));
            let mut redis = conn.redis();
            let (attempts, rank): (Option<u32>, Option<u64>) = redis::pipe()
                .hget(keys.job_key(&job_id), "atm")
                .zrank(keys.failed(), &job_id)
                .query_async(&mut redis)
                .await
                .unwrap_or((None, None));
            vec![QueueEvent::JobFailed {
                queue,
                job_id,
                failed_reason,
                attempts_made: attempts.unwrap_or(0),
                is_final: rank.is_some(),
            }]
        }
        Bull::Delayed { job_id, delay } => {
            let (attempts, reason) = attempts_and_reason(conn, prefix, &queue, &job_id).await;
            let mut events = Vec::with_capacity(2);
            // A job added with a delay has made no attempt yet; one moved to delayed after an
            // attempt is being retried with backoff.
            if attempts > 0 {
                events.push(retried(job_id.clone(), (attempts, reason)));
            }
            events.push(QueueEvent::JobDelayed {
                queue,
                job_id,
                delay,
            });
            events
        }
        Bull::Waiting { job_id, prev } if prev.as_deref() == Some("active") => {
            let info = attempts_and_reason(conn, prefix, &queue, &job_id).await;
            vec![retried(job_id, info)]
        }
        Bull::Stalled { job_id } => vec![QueueEvent::JobStalled { queue, job_id }],
        Bull::Removed { job_id, .. } => vec![QueueEvent::JobRemoved { queue, job_id }],
        Bull::Paused => vec![QueueEvent::QueuePaused { queue }],
        Bull::Resumed => vec![QueueEvent::QueueResumed { queue }],
        // Written by Antrian's pools with the metrics they count (worker/pool/metrics.rs).
        Bull::Other { event, fields } if event == "metrics" => {
            let count = |k: &str| fields.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
            vec![QueueEvent::QueueMetrics {
                queue,
                completed: count("completed"),
                failed: count("failed"),
            }]
        }
        _ => Vec::new(),
    }
}
