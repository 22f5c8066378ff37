//! Antrian's worker pool against the bare engine: 20,000 pre-filled jobs (the one-record
//! validate-data payload of `bench/job-data.json`, which every side of
//! `bench/worker_throughput.sh` takes) through one worker with a no-op handler at
//! concurrency 1, 10 and 50, the two sides taking turns, timed from the jobs' own
//! timestamps (the first `processedOn` to the last `finishedOn`, read by `bench/span.lua`,
//! which the Node.js side uses too), with client CPU seconds per 10,000 jobs; and
//! add→start latency with an idle worker. "Bare engine" is a plain `bullmq-official`
//! Worker (the vendored crate, its default options) with a no-op processor: what Antrian's
//! pool adds around it is everything else. Against the Redis at `BENCH_REDIS_URL` (or the
//! Redis Cluster whose node URLs it lists, comma-separated); `bench/worker_throughput.sh`
//! runs it and the Node.js counterpart on one redis-server, `bench/cluster.sh` on a
//! cluster beside one server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use antrian_core::connection::Connection;
use antrian_core::queue::{JobDefaults, QueueManager};
use antrian_core::worker::{
    handler_fn, JobContext, PoolSettings, Registry, WorkerManager, WorkerType,
};
use antrian_core::CancellationToken;
use common::{connection_options, flush, median, redis_url};

mod common;

const JOBS: usize = 20_000;
const LATENCY_SAMPLES: usize = 200;
const QUEUE: &str = "scraping-queue";

/// User + system CPU seconds of this process, from /proc (no unsafe getrusage).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    // After the command name: state is field 3, utime 14 and stime 15 (1-based).
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(14) + ticks(15)) / 100.0
}

/// The sides of the comparison run in this process.
#[derive(Debug, Clone, Copy)]
enum Side {
    /// Antrian's pool (`WorkerManager`, as `antrian workers` runs it) with a no-op handler.
    Antrian,
    /// A plain bullmq-official Worker with a no-op processor.
    Bare,
}

/// Fills the queue with `JOBS` jobs carrying `bench/job-data.json`; the connection and the
/// queue prefix. The jobs are added by the engine itself with its default options (no
/// priority: BullMQ's wait list), as `bench/node/*.mjs` add theirs with Node's `addBulk`,
/// so every side takes the same kind of job. (Antrian's own add gives every job a BullMQ
/// priority, which routes it through the prioritized set: `antrian_core::queue::options`.)
async fn prefill(url: &str) -> (Connection, &'static str) {
    flush(url).await;
    let (opts, prefix) = connection_options(url);
    let conn = Connection::open_with(&opts, "bench", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let queue = bullmq::Queue::with_options(
        QUEUE,
        bullmq::options::QueueOptions {
            connection: opts,
            prefix: prefix.to_string(),
            skip_version_check: true,
            ..Default::default()
        },
    )
    .await
    .expect("queue");
    let data: serde_json::Value =
        serde_json::from_str(include_str!("../../../bench/job-data.json")).expect("job data");
    for chunk in (0..JOBS).collect::<Vec<_>>().chunks(1000) {
        let jobs = chunk
            .iter()
            .map(|_| bullmq::BulkJob::new("noop", data.clone()))
            .collect();
        queue.add_bulk(jobs).await.expect("prefill");
    }
    (conn, prefix)
}

/// Seconds from the first job's start to the last one's finish, from the jobs' hashes.
async fn span(conn: &Connection, prefix: &str) -> f64 {
    static SPAN: std::sync::LazyLock<redis::Script> =
        std::sync::LazyLock::new(|| redis::Script::new(include_str!("../../../bench/span.lua")));
    let keys = bullmq::QueueKeys::new(QUEUE, Some(prefix));
    let mut redis = conn.redis();
    let (first, last, read): (u64, u64, usize) = SPAN
        .key(keys.completed())
        .arg(format!("{prefix}:{QUEUE}:"))
        .invoke_async(&mut redis)
        .await
        .expect("span");
    assert_eq!(read, JOBS, "every job completed and was kept");
    let ms = last.saturating_sub(first).max(1) as f64;
    ms / 1000.0
}

/// One run of `side` at `concurrency`: jobs/s from the jobs' timestamps, and client CPU
/// seconds per 10,000 jobs.
async fn throughput(url: &str, side: Side, concurrency: usize) -> (f64, f64) {
    let (conn, prefix) = prefill(url).await;
    let done = Arc::new(AtomicUsize::new(0));
    let all = Arc::new(tokio::sync::Notify::new());
    let count = {
        let (d, a) = (done.clone(), all.clone());
        move || {
            if d.fetch_add(1, Ordering::Relaxed) + 1 == JOBS {
                a.notify_one();
            }
        }
    };
    let cpu = cpu_seconds();
    match side {
        Side::Antrian => {
            let mut registry = Registry::new();
            registry.register(
                WorkerType::Scraping,
                "noop",
                handler_fn(move |_ctx: JobContext| {
                    count();
                    async { Ok(serde_json::Value::Null) }
                }),
            );
            let workers = WorkerManager::new(conn.clone(), prefix, "bench", registry);
            let settings = PoolSettings {
                concurrency,
                ..PoolSettings::default()
            };
            workers
                .scale_workers(WorkerType::Scraping, 1, &settings, Duration::from_secs(10))
                .await
                .expect("scale");
            all.notified().await;
            workers.shutdown(Duration::from_secs(10)).await;
        }
        Side::Bare => {
            let (options, _) = connection_options(url);
            let opts = bullmq::options::WorkerOptions {
                connection: options,
                prefix: prefix.to_string(),
                concurrency,
                skip_version_check: true,
                ..Default::default()
            };
            let worker = bullmq::Worker::with_options(
                QUEUE,
                move |_job: bullmq::Job, _cancel| {
                    count();
                    async { Ok::<_, bullmq::Error>(serde_json::Value::Null) }
                },
                opts,
            )
            .await
            .expect("worker");
            all.notified().await;
            worker.close(10_000).await.expect("close");
        }
    }
    let cpu = cpu_seconds() - cpu;
    let seconds = span(&conn, prefix).await;
    (JOBS as f64 / seconds, cpu * 10_000.0 / JOBS as f64)
}

async fn latency(url: &str) -> (f64, f64) {
    flush(url).await;
    let (opts, prefix) = connection_options(url);
    let conn = Connection::open_with(&opts, "bench", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let queues = QueueManager::new(conn.clone(), prefix, JobDefaults::default(), 512 * 1024)
        .await
        .expect("queues");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "noop",
        handler_fn(move |_ctx: JobContext| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(Instant::now());
                Ok(serde_json::Value::Null)
            }
        }),
    );
    let workers = WorkerManager::new(conn, prefix, "bench", registry);
    workers
        .scale_workers(
            WorkerType::Scraping,
            1,
            &PoolSettings {
                concurrency: 1,
                ..PoolSettings::default()
            },
            Duration::from_secs(10),
        )
        .await
        .expect("scale");
    let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let sent = Instant::now();
        queues
            .add_job(
                "scraping-queue",
                "noop",
                serde_json::json!({"n": i}),
                &serde_json::from_value(serde_json::json!({"removeOnComplete": true}))
                    .expect("opts"),
            )
            .await
            .expect("add");
        let started = rx.recv().await.expect("started");
        samples.push(started.duration_since(sent).as_secs_f64() * 1000.0);
    }
    workers.shutdown(Duration::from_secs(10)).await;
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}

fn main() {
    let url = redis_url("bench/worker_throughput.sh");
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let mut report = String::new();
    // BENCH_CONCURRENCY=10 (comma-separated) measures only those, e.g. under a profiler.
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY").map_or_else(
        |_| vec![1, 10, 50],
        |v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect(),
    );
    // BENCH_RUNS=1 with BENCH_LATENCY=0: one run per level, as bench/worker_throughput.sh
    // alternates Antrian and Node.js so both see the same machine noise.
    let runs_per_level: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // BENCH_SIDES=bare (or antrian) runs one side alone, e.g. under a profiler.
    let sides = std::env::var("BENCH_SIDES").unwrap_or_else(|_| "antrian,bare".into());
    let sides: Vec<&str> = sides.split(',').map(str::trim).collect();
    if let Some(unknown) = sides.iter().find(|s| !["antrian", "bare"].contains(s)) {
        panic!("BENCH_SIDES: unknown side `{unknown}`; use antrian, bare or antrian,bare");
    }
    let (with_antrian, with_bare) = (sides.contains(&"antrian"), sides.contains(&"bare"));
    // The sides take turns run by run, so both see the same machine noise.
    for concurrency in levels {
        let mut antrian = Vec::new();
        let mut bare = Vec::new();
        for _ in 0..runs_per_level {
            if with_antrian {
                antrian.push(rt.block_on(throughput(&url, Side::Antrian, concurrency)));
            }
            if with_bare {
                bare.push(rt.block_on(throughput(&url, Side::Bare, concurrency)));
            }
        }
        for (name, runs) in [("antrian", antrian), ("bare", bare)] {
            if runs.is_empty() {
                continue;
            }
            let rate = median(runs.iter().map(|r| r.0).collect());
            let cpu = median(runs.iter().map(|r| r.1).collect());
            report.push_str(&format!(
                "{name} concurrency {concurrency}: {rate:.0} jobs/s, {cpu:.2} CPU s per 10k jobs\n"
            ));
        }
    }
    if std::env::var("BENCH_LATENCY").as_deref() != Ok("0") {
        let (p50, p99) = rt.block_on(latency(&url));
        report.push_str(&format!(
            "antrian add->start latency: p50 {p50:.2} ms, p99 {p99:.2} ms\n"
        ));
    }
    rt.block_on(flush(&url));
    std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
}
