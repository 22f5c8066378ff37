//! BullMQ's per-minute metrics for one pool's queue, counted here and written at most once
//! a second.
//!
//! The dashboards' finished-jobs chart (and Node.js dashboards) read BullMQ's
//! `<queue>:metrics:{completed,failed}`. BullMQ writes them inside the script that finishes
//! each job (an `HINCRBY` and an `HGET` per job: about 1 µs of Redis time, 2–6 % of a
//! pool's throughput, bench/README.md). A pool's workers instead report each finished job here (the engine's
//! `on_finished` hook: completions and failures for good, not retried attempts), and one
//! task writes the counts with `metrics.lua`, which applies BullMQ's own arithmetic with a
//! count in place of 1, so the keys read exactly as if each job had written itself.
//!
//! After a quiet second the first finished job is written at once; while jobs keep
//! finishing, their counts are written once a second, each minute's with the time of its
//! first job, so no job lands in another minute than it finished in. Each write adds a
//! `metrics` entry to the queue's event stream, which the dashboards refresh their chart
//! on. Counts a failed write could not store are kept for the next one; a process that
//! dies loses at most its last second of counts (the jobs themselves are never at stake).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bullmq::options::Finished;
use bullmq::redis_connection::AnyConnection;
use bullmq::QueueKeys;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::now_ms;
use crate::queue::METRICS_MINUTES;
use crate::CancellationToken;

/// At most one write a second per pool.
pub(super) const FLUSH_EVERY: Duration = Duration::from_secs(1);

const MINUTE_MS: u64 = 60_000;

/// Jobs of one outcome that finished in one minute and are not written yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Count {
    state: Finished,
    minute: u64,
    n: u64,
    /// When the first of them finished, ms since the epoch.
    first_ms: u64,
}

/// One pool's finished jobs waiting to be written.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pending: Mutex<Vec<Count>>,
    wake: Notify,
}

impl Tally {
    /// Counts one finished job (called by the engine right after it moved the job).
    pub(super) fn record(&self, state: Finished) {
        self.record_at(state, now_ms());
    }

    fn record_at(&self, state: Finished, at_ms: u64) {
        let minute = at_ms / MINUTE_MS;
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let was_empty = pending.is_empty();
        match pending.iter_mut().rev().find(|c| c.state == state) {
            Some(c) if c.minute == minute => c.n += 1,
            _ => pending.push(Count {
                state,
                minute,
                n: 1,
                first_ms: at_ms,
            }),
        }
        drop(pending);
        if was_empty {
            self.wake.notify_one();
        }
    }

    fn is_empty(&self) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    fn take(&self) -> Vec<Count> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts counts a write could not store back in front of those counted since.
    fn restore(&self, mut counts: Vec<Count>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        counts.append(&mut pending);
        *pending = counts;
    }
}

/// Where one queue's metrics live.
#[derive(Debug, Clone)]
pub(super) struct MetricsKeys {
    keys: [String; 6],
}

impl MetricsKeys {
    pub(super) fn new(queue: &str, prefix: &str) -> Self {
        let q = QueueKeys::new(queue, Some(prefix));
        let completed = q.get("metrics:completed");
        let failed = q.get("metrics:failed");
        Self {
            // The script's order: each hash before its list.
            keys: [
                completed.clone(),
                format!("{completed}:data"),
                failed.clone(),
                format!("{failed}:data"),
                q.events(),
                q.meta(),
            ],
        }
    }
}

/// Writes `counts` in one script call.
async fn write(
    redis: &mut impl redis::aio::ConnectionLike,
    keys: &MetricsKeys,
    counts: &[Count],
) -> redis::RedisResult<()> {
    static SCRIPT: std::sync::LazyLock<redis::Script> =
        std::sync::LazyLock::new(|| redis::Script::new(include_str!("metrics.lua")));
    let mut call = SCRIPT.prepare_invoke();
    for key in &keys.keys {
        call.key(key);
    }
    call.arg(METRICS_MINUTES);
    for c in counts {
        let which = match c.state {
            Finished::Completed => 1,
            Finished::Failed => 2,
        };
        call.arg(which).arg(c.n).arg(c.first_ms);
    }
    call.invoke_async(redis).await
}

/// Writes what is pending; what a failed write could not store stays pending.
async fn flush(tally: &Tally, redis: &mut AnyConnection, keys: &MetricsKeys) {
    let counts = tally.take();
    if counts.is_empty() {
        return;
    }
    if let Err(e) = write(redis, keys, &counts).await {
        let jobs: u64 = counts.iter().map(|c| c.n).sum();
        tracing::warn!(
            "cannot write the per-minute metrics of {jobs} finished jobs, keeping them for the next try: {e}"
        );
        tally.restore(counts);
    }
}

/// The task that writes a pool's counts until `stop`, then writes what is left once.
fn spawn_writer(
    tally: Arc<Tally>,
    mut redis: AnyConnection,
    keys: MetricsKeys,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut next = Instant::now();
        loop {
            if tally.is_empty() {
                tokio::select! {
                    () = tally.wake.notified() => {}
                    () = stop.cancelled() => break,
                }
            }
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                () = stop.cancelled() => break,
            }
            flush(&tally, &mut redis, &keys).await;
            next = Instant::now() + FLUSH_EVERY;
        }
        flush(&tally, &mut redis, &keys).await;
    })
}

/// A pool's metrics writer ([`spawn_writer`]); dropping it stops the task without
/// a last write.
#[derive(Debug, Default)]
pub(super) struct Writer {
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(tally: Arc<Tally>, redis: AnyConnection, keys: MetricsKeys) -> Self {
        let stop = CancellationToken::new();
        let task = spawn_writer(tally, redis, keys, stop.clone());
        Self {
            stop,
            task: Some(task),
        }
    }

    pub(super) fn running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Writes what is left and stops, waiting at most `deadline` for Redis.
    pub(super) async fn finish(mut self, deadline: Duration) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(deadline, task).await.is_err() {
                tracing::warn!("the last per-minute metrics were not written within {deadline:?}");
            }
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_of_one_outcome_and_minute_share_a_count() {
        let tally = Tally::default();
        let minute = 28_000_000 * MINUTE_MS;
        tally.record_at(Finished::Completed, minute + 5);
        tally.record_at(Finished::Failed, minute + 6);
        tally.record_at(Finished::Completed, minute + 7);
        tally.record_at(Finished::Completed, minute + MINUTE_MS + 1);
        let count = |state, minute: u64, n, first_ms| Count {
            state,
            minute: minute / MINUTE_MS,
            n,
            first_ms,
        };
        assert_eq!(
            tally.take(),
            vec![
                count(Finished::Completed, minute, 2, minute + 5),
                count(Finished::Failed, minute, 1, minute + 6),
                count(
                    Finished::Completed,
                    minute + MINUTE_MS,
                    1,
                    minute + MINUTE_MS + 1
                ),
            ]
        );
        assert!(tally.is_empty());
    }

    /// BullMQ's own `collectMetrics` and the `batches` it calls, as the vendored engine's
    /// `moveToFinished` carries them.
    fn bullmqs_collect_metrics() -> String {
        let script = include_str!(
            "../../../../../vendor/bullmq-official/src/commands/moveToFinished-14.lua"
        );
        let start = script
            .find("local function batches(")
            .expect("batches in moveToFinished");
        let body = &script[start..];
        let collect = body
            .find("local function collectMetrics(")
            .expect("collectMetrics after batches");
        let end = collect
            + body[collect..]
                .find("\nend\n")
                .expect("end of collectMetrics")
            + 5;
        format!(
            "local rcall = redis.call\n{}\ncollectMetrics(KEYS[1], KEYS[1] .. ':data', ARGV[1], ARGV[2])",
            &body[..end]
        )
    }

    /// Counts written a batch at a time leave the metrics as BullMQ's per-job writes do:
    /// jobs in one minute, in the next, after a gap of minutes, and after a gap longer than
    /// the history kept.
    #[tokio::test]
    async fn batched_metrics_match_bullmqs_own() {
        let server = antrian_testkit::TestRedis::start();
        let client = redis::Client::open(server.url()).expect("client");
        let mut redis = client
            .get_multiplexed_async_connection()
            .await
            .expect("connect");
        let reference = redis::Script::new(&bullmqs_collect_metrics());
        let start = 29_000_000 * MINUTE_MS;
        let jobs: Vec<(Finished, u64)> = [
            (Finished::Completed, 100),
            (Finished::Completed, 500),
            (Finished::Failed, 700),
            (Finished::Completed, MINUTE_MS + 2_000),
            (Finished::Completed, MINUTE_MS + 3_000),
            (Finished::Failed, 3 * MINUTE_MS),
            (Finished::Completed, 4 * MINUTE_MS + 10),
            (Finished::Completed, 4 * MINUTE_MS + 20),
            (Finished::Completed, 2_000 * MINUTE_MS),
            (Finished::Failed, 2_000 * MINUTE_MS + 1),
        ]
        .into_iter()
        .map(|(state, at)| (state, start + at))
        .collect();

        let theirs = QueueKeys::new("theirs", Some("bull"));
        for (state, at) in &jobs {
            let key = match state {
                Finished::Completed => theirs.get("metrics:completed"),
                Finished::Failed => theirs.get("metrics:failed"),
            };
            let () = reference
                .key(key)
                .arg(METRICS_MINUTES)
                .arg(at)
                .invoke_async(&mut redis)
                .await
                .expect("BullMQ's collectMetrics");
        }
        // Ours in two writes, as a writer would split them at any second.
        let tally = Tally::default();
        let keys = MetricsKeys::new("ours", "bull");
        for (i, (state, at)) in jobs.iter().enumerate() {
            tally.record_at(*state, *at);
            if i == 4 || i == jobs.len() - 1 {
                write(&mut redis, &keys, &tally.take())
                    .await
                    .expect("write");
            }
        }

        let ours = QueueKeys::new("ours", Some("bull"));
        for state in ["completed", "failed"] {
            let read = |q: &QueueKeys| {
                let key = q.get(&format!("metrics:{state}"));
                let mut redis = redis.clone();
                async move {
                    let hash: std::collections::BTreeMap<String, String> = redis::cmd("HGETALL")
                        .arg(&key)
                        .query_async(&mut redis)
                        .await
                        .expect("hash");
                    let data: Vec<u64> = redis::cmd("LRANGE")
                        .arg(format!("{key}:data"))
                        .arg(0)
                        .arg(-1)
                        .query_async(&mut redis)
                        .await
                        .expect("data");
                    // The list is mostly zeros; its length and the minutes that are not
                    // say everything (and keep a failure readable).
                    let closed: Vec<(usize, u64)> = data
                        .iter()
                        .copied()
                        .enumerate()
                        .filter(|(_, n)| *n > 0)
                        .collect();
                    (hash, data.len(), closed)
                }
            };
            let (want, got) = (read(&theirs).await, read(&ours).await);
            assert_eq!(got, want, "{state}");
            assert!(want.1 > 0, "{state}: the scenario closes minutes");
        }
        let events: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
            .arg(ours.events())
            .arg("-")
            .arg("+")
            .query_async::<Vec<(String, Vec<(String, String)>)>>(&mut redis)
            .await
            .expect("events");
        let fields: Vec<Vec<(String, String)>> = events.into_iter().map(|(_, f)| f).collect();
        let entry = |completed: &str, failed: &str| {
            vec![
                ("event".to_string(), "metrics".to_string()),
                ("completed".to_string(), completed.to_string()),
                ("failed".to_string(), failed.to_string()),
            ]
        };
        assert_eq!(fields, vec![entry("4", "1"), entry("3", "2")]);
    }

    #[test]
    fn counts_a_write_could_not_store_go_back_before_newer_ones() {
        let tally = Tally::default();
        tally.record_at(Finished::Completed, 1_000);
        let unwritten = tally.take();
        tally.record_at(Finished::Completed, 61_000);
        tally.restore(unwritten);
        let minutes: Vec<u64> = tally.take().iter().map(|c| c.minute).collect();
        assert_eq!(minutes, vec![0, 1]);
    }
}
