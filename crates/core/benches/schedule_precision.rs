//! Fire-time precision of a cron schedule while the workers process a steady load.
//!
//! A `* * * * * *` schedule (one run a second) on cleanup-queue, with a producer adding
//! 200 jobs/s of 20 ms simulated work to the same queue, served by one worker at
//! concurrency 10 (about 40 % busy). For each of 100 runs: lateness = when a worker started
//! the run (`processedOn`) − its fire time (in its job id, `repeat:<name>:<ms>`). Prints
//! p50 / p99 / max lateness and how many seconds had no run. Runs against a bench-owned
//! redis-server (testkit); takes about 100 s.
//!
//! `cargo bench -p antrian-core --bench schedule_precision`

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use antrian_core::connection::Connection;
use antrian_core::queue::{EventHub, JobDefaults, JobOptionsInput, QueueEvent, QueueManager};
use antrian_core::scheduler::{ScheduleInput, Scheduler};
use antrian_core::worker::{
    handler_fn, JobContext, PoolSettings, Registry, WorkerManager, WorkerType,
};
use antrian_core::CancellationToken;
use antrian_testkit::TestRedis;
use serde_json::json;

const FIRES: usize = 100;
const LOAD_PER_SECOND: u64 = 200;
const WORK: Duration = Duration::from_millis(20);

fn percentile(sorted: &[i64], p: f64) -> i64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    rt.block_on(async {
        let redis = TestRedis::start();
        let conn = Connection::open(&redis.url(), "bench", &CancellationToken::new(), |_| {})
            .await
            .expect("connect");
        let queues = Arc::new(
            QueueManager::new(conn.clone(), "bull", JobDefaults::default(), 512 * 1024)
                .await
                .expect("queues"),
        );
        let events = Arc::new(EventHub::new(conn.clone(), "bull"));
        events.watch("cleanup-queue").await.expect("watch");
        let mut registry = Registry::new();
        registry
            .register(
                WorkerType::Cleanup,
                "tick",
                handler_fn(|_ctx: JobContext| async move { Ok(json!({})) }),
            )
            .register(
                WorkerType::Cleanup,
                "load",
                handler_fn(|_ctx: JobContext| async move {
                    // Simulated work of a steady load, not a wait for anything.
                    tokio::time::sleep(WORK).await;
                    Ok(json!({}))
                }),
            );
        let workers = WorkerManager::new(conn.clone(), "bull", "bench", registry);
        workers
            .scale_workers(
                WorkerType::Cleanup,
                1,
                &PoolSettings {
                    concurrency: 10,
                    ..PoolSettings::default()
                },
                Duration::from_secs(5),
            )
            .await
            .expect("pool");

        let stop = Arc::new(AtomicBool::new(false));
        let producer = {
            let queues = queues.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut ticker =
                    tokio::time::interval(Duration::from_micros(1_000_000 / LOAD_PER_SECOND));
                let opts = JobOptionsInput::default();
                while !stop.load(Ordering::Relaxed) {
                    ticker.tick().await;
                    queues
                        .add_job("cleanup-queue", "load", json!({}), &opts)
                        .await
                        .expect("load job");
                }
            })
        };

        let scheduler = Scheduler::new(conn, queues.clone(), events.clone(), "UTC", Duration::from_secs(5));
        let mut sub = events.subscribe();
        let input: ScheduleInput = serde_json::from_value(json!({
            "name": "bench-precision",
            "schedule": "* * * * * *",
            "jobName": "tick",
            "queueName": "cleanup-queue",
        }))
        .expect("input");
        scheduler.add_schedule(input).await.expect("schedule");

        let mut fires = Vec::with_capacity(FIRES);
        let mut lateness = Vec::with_capacity(FIRES);
        while fires.len() < FIRES {
            let Some(QueueEvent::JobCompleted { job_id, .. }) = sub
                .recv_matching(Duration::from_secs(30), |e| {
                    matches!(e, QueueEvent::JobCompleted { job_id, .. } if job_id.starts_with("repeat:bench-precision:"))
                })
                .await
            else {
                panic!("no scheduled run completed within 30 s");
            };
            let fire: i64 = job_id.rsplit(':').next().and_then(|ms| ms.parse().ok()).expect("fire time");
            let job = queues.get_job("cleanup-queue", &job_id).await.expect("job");
            let started = i64::try_from(job.processed_on.expect("processed")).expect("ms");
            fires.push(fire);
            lateness.push(started - fire);
        }
        stop.store(true, Ordering::Relaxed);
        let _ = producer.await;
        let load = queues.get_queue_stats("cleanup-queue").await.expect("stats");
        workers.shutdown(Duration::from_secs(5)).await;
        events.close().await;

        fires.sort_unstable();
        let missed: i64 = fires.windows(2).map(|w| (w[1] - w[0]) / 1000 - 1).sum();
        lateness.sort_unstable();
        let report = format!(
            "schedule precision: {FIRES} runs of `* * * * * *` under {LOAD_PER_SECOND} jobs/s of {} ms work (concurrency 10): lateness p50 {} ms, p99 {} ms, max {} ms; seconds without a run: {missed}; waiting at the end: {}\n",
            WORK.as_millis(),
            percentile(&lateness, 0.5),
            percentile(&lateness, 0.99),
            lateness[lateness.len() - 1],
            load.waiting
        );
        std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
    });
}
