//! The memory ceiling (`QUEUE_MAX_MEMORY`) against a job handler that leaks: past it the
//! runtime stops as on SIGTERM — the pool finishes the job in hand and takes no other —
//! and says so, losing no job; a fresh runtime runs the rest. Alone in its test binary, so
//! no other test's allocations move the process's resident size.

use std::collections::BTreeMap;
use std::time::Duration;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{JobOptionsInput, QueueEvent};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::memory::resident_bytes;
use antrian_core::worker::{handler_fn, JobContext, Registry, WorkerType};
use antrian_core::{CancellationToken, Runtime};
use antrian_testkit::TestRedis;
use serde_json::json;

const JOBS: usize = 40;
/// What the leaking handler keeps per job.
const LEAK: usize = 32 << 20;

/// A runtime whose one cleanup worker will run `leak-job` jobs one at a time.
async fn runtime(
    redis: &TestRedis,
    dir: &std::path::Path,
    max_mb: u64,
) -> (Runtime, CancellationToken) {
    let max = max_mb.to_string();
    let data = dir.display().to_string();
    let config = Config::load(&LoadOptions::from_vars([
        ("REDIS_URL", redis.url().as_str()),
        ("ANTRIAN_DATA_DIR", data.as_str()),
        ("QUEUE_AUTO_SCALING", "false"),
        ("QUEUE_CONCURRENCY", "1"),
        ("QUEUE_MAX_MEMORY", max.as_str()),
    ]))
    .expect("config");
    let board = Runtime::status_board(&config);
    let cancel = CancellationToken::new();
    let rt = Runtime::start(config, board, cancel.clone(), Services::Full)
        .await
        .expect("runtime");
    (rt, cancel)
}

/// Starts the pool, each job leaking [`LEAK`] bytes (written, so resident) when `leaks`,
/// and the memory ceiling.
async fn run_pool(rt: &mut Runtime, leaks: bool) {
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Cleanup,
        "leak-job",
        handler_fn(move |ctx: JobContext| async move {
            if leaks {
                Box::leak(vec![1u8; LEAK].into_boxed_slice());
            }
            // The job's own work: it takes a while, as real jobs do.
            tokio::time::sleep(Duration::from_millis(150)).await;
            Ok(json!({"n": ctx.data()["n"]}))
        }),
    );
    let plan = WorkerPlan {
        types: vec![WorkerType::Cleanup],
        counts: BTreeMap::from([(WorkerType::Cleanup, 1)]),
    };
    rt.start_workers(registry, &plan).await.expect("workers");
    rt.stop_above_memory_limit();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leaking_handler_stops_the_runtime_at_the_ceiling_without_losing_a_job() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = resident_bytes().expect("Linux reports VmRSS");
    // Room for four leaks, so the ceiling is met after the fifth job or so.
    let limit_mb = (baseline + 4 * LEAK as u64) / (1 << 20) + 1;
    let (mut rt, cancel) = runtime(&redis, dir.path(), limit_mb).await;
    run_pool(&mut rt, true).await;
    let opts = serde_json::from_value::<JobOptionsInput>(json!({"attempts": 1})).expect("opts");
    for n in 0..JOBS {
        rt.queues()
            .add_job("cleanup-queue", "leak-job", json!({"n": n}), &opts)
            .await
            .expect("add");
    }
    tokio::time::timeout(Duration::from_secs(60), cancel.cancelled())
        .await
        .expect("the ceiling stops the runtime");
    let rss = rt.stopped_for_memory().expect("stopped for memory");
    assert!(rss > limit_mb << 20, "{rss} over {limit_mb} MB");
    rt.shutdown().await;

    // A fresh process (here, runtime) finds every job done or waiting, and runs the rest.
    let (mut rt, _cancel) = runtime(&redis, dir.path(), 0).await;
    let stats = rt
        .queues()
        .get_queue_stats("cleanup-queue")
        .await
        .expect("stats");
    assert_eq!(
        (stats.active, stats.failed),
        (0, 0),
        "drained, nothing failed: {stats:?}"
    );
    assert!(
        stats.completed >= 2 && stats.completed < JOBS as u64,
        "stopped once the leaks passed the ceiling: {stats:?}"
    );
    assert_eq!(
        stats.completed + stats.waiting,
        JOBS as u64,
        "every job done or waiting: {stats:?}"
    );
    eprintln!(
        "memory ceiling: {limit_mb} MB (baseline {} MB), stopped at {} MB after {} of {JOBS} jobs, none lost",
        baseline >> 20,
        rss >> 20,
        stats.completed
    );
    let mut events = rt.events().subscribe();
    run_pool(&mut rt, false).await;
    for _ in 0..stats.waiting {
        events
            .recv_matching(
                Duration::from_secs(60),
                |e| matches!(e, QueueEvent::JobCompleted { queue, .. } if queue == "cleanup-queue"),
            )
            .await
            .expect("the rest complete");
    }
    let after = rt
        .queues()
        .get_queue_stats("cleanup-queue")
        .await
        .expect("stats");
    assert_eq!(
        (after.completed, after.failed),
        (JOBS as u64, 0),
        "{after:?}"
    );
    rt.shutdown().await;
}
