//! Completed and failed jobs per minute, from BullMQ's own metrics.
//!
//! A worker started with BullMQ's `metrics` option counts each finished job in
//! `<queue>:metrics:{completed,failed}` (Antrian's pools write the same keys a second at a
//! time, `worker/pool/metrics.rs`): a hash with the running `count`,
//! and `prevTS`/`prevCount` as of the last minute it closed, and a list with one count per
//! closed minute, newest first, up to `maxDataPoints`. Reading it costs one script call
//! per state and queue, however many jobs the queue holds.

use bullmq::types::Metrics;

use super::manager::{invalid, QueueManager};
use super::model::{MinuteCounts, QueueThroughput};
use crate::error::Result;
use crate::now_ms;

/// Minutes of history each worker keeps (BullMQ's `MetricsTime.ONE_DAY`).
pub const METRICS_MINUTES: u32 = 1440;

const MINUTE_MS: u64 = 60_000;

impl QueueManager {
    /// Every known queue's completed and failed jobs per minute over the last `minutes`
    /// (1 to [`METRICS_MINUTES`]), the current minute last.
    pub async fn throughput(&self, minutes: u32) -> Result<Vec<QueueThroughput>> {
        if minutes == 0 || minutes > METRICS_MINUTES {
            return Err(invalid(
                "minutes",
                format!("must be from 1 to {METRICS_MINUTES}"),
            ));
        }
        let names = self.queue_names().await?;
        let now_minute = now_ms() / MINUTE_MS;
        futures_util::future::try_join_all(names.iter().map(|name| async move {
            let q = self.existing(name).await?;
            // The list is newest first and its head is the minute before `prevTS`'s, so a
            // window of `minutes` needs at most that many points.
            let end = i64::from(minutes) - 1;
            let (completed, failed) = tokio::try_join!(
                q.get_metrics("completed", 0, end),
                q.get_metrics("failed", 0, end)
            )?;
            let completed = per_minute(&completed, now_minute, minutes);
            let failed = per_minute(&failed, now_minute, minutes);
            Ok(QueueThroughput {
                queue: name.clone(),
                minutes: (0..minutes as usize)
                    .map(|i| MinuteCounts {
                        at: (now_minute + 1 - u64::from(minutes) + i as u64) * MINUTE_MS,
                        completed: completed[i],
                        failed: failed[i],
                    })
                    .collect(),
            })
        }))
        .await
    }
}

/// Counts for the `minutes` minutes ending with `now_minute` (minutes since the epoch),
/// oldest first. The minute of `prevTS` holds `count - prevCount` (jobs since the last
/// closed minute); the list's entry `i` is minute `prevTS - 1 - i`; minutes after
/// `prevTS` had no finished job.
fn per_minute(metrics: &Metrics, now_minute: u64, minutes: u32) -> Vec<u64> {
    let first = (now_minute + 1).saturating_sub(u64::from(minutes));
    let open = metrics.meta.prev_ts / MINUTE_MS;
    (first..=now_minute)
        .map(|minute| {
            if metrics.meta.prev_ts == 0 || minute > open {
                0
            } else if minute == open {
                metrics.meta.count.saturating_sub(metrics.meta.prev_count)
            } else {
                let back = open - 1 - minute;
                usize::try_from(back)
                    .ok()
                    .and_then(|i| metrics.data.get(i).copied())
                    .unwrap_or(0)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use bullmq::types::MetricsMeta;

    use super::*;

    fn metrics(count: u64, prev_minute: u64, prev_count: u64, data: &[u64]) -> Metrics {
        Metrics {
            meta: MetricsMeta {
                count,
                prev_ts: prev_minute * MINUTE_MS + 17_000,
                prev_count,
            },
            data: data.to_vec(),
            count: data.len() as u64,
        }
    }

    #[test]
    fn the_open_minute_holds_the_jobs_since_it_was_opened() {
        // 12 jobs in all, 10 of them counted when minute 100 opened.
        let m = metrics(12, 100, 10, &[4, 0, 6]);
        assert_eq!(per_minute(&m, 100, 5), vec![0, 6, 0, 4, 2]);
    }

    #[test]
    fn minutes_after_the_last_finished_job_are_empty() {
        let m = metrics(12, 100, 10, &[4, 0, 6]);
        assert_eq!(per_minute(&m, 103, 5), vec![4, 2, 0, 0, 0]);
    }

    #[test]
    fn a_window_longer_than_the_history_is_padded_with_zeros() {
        let m = metrics(3, 50, 1, &[1]);
        assert_eq!(per_minute(&m, 50, 4), vec![0, 0, 1, 2]);
    }

    #[test]
    fn no_metrics_yet_is_all_zeros() {
        assert_eq!(per_minute(&Metrics::default(), 1000, 3), vec![0, 0, 0]);
    }
}
