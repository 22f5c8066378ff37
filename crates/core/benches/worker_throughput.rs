//! Antrian's worker pool on no-op jobs: 20,000 pre-filled jobs through one worker at
//! concurrency 1, 10 and 50 (median of 3), client CPU seconds per 10,000 jobs, and
//! add→start latency with an idle worker. Against the Redis at `BENCH_REDIS_URL` (or the
//! Redis Cluster whose node URLs it lists, comma-separated); `bench/worker_throughput.sh`
//! runs it and the Node.js counterpart on one redis-server, `bench/cluster.sh` on a
//! cluster beside one server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use antrian_core::connection::Connection;
use antrian_core::queue::{BulkJobInput, JobDefaults, JobOptionsInput, QueueManager};
use antrian_core::worker::{
    handler_fn, JobContext, PoolSettings, Registry, WorkerManager, WorkerType,
};
use antrian_core::CancellationToken;
use common::{connection_options, flush, median, redis_url};

mod common;

const JOBS: usize = 20_000;
const LATENCY_SAMPLES: usize = 200;

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

fn no_op_opts() -> JobOptionsInput {
    serde_json::from_value(serde_json::json!({"removeOnComplete": true})).expect("opts")
}

async fn throughput(url: &str, concurrency: usize) -> (f64, f64) {
    flush(url).await;
    let (opts, prefix) = connection_options(url);
    let conn = Connection::open_with(&opts, "bench", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let queues = QueueManager::new(conn.clone(), prefix, JobDefaults::default(), 512 * 1024)
        .await
        .expect("queues");
    for chunk in (0..JOBS).collect::<Vec<_>>().chunks(1000) {
        let jobs = chunk
            .iter()
            .map(|i| BulkJobInput {
                name: "noop".into(),
                data: serde_json::json!({"n": i}),
                priority: None,
                opts: no_op_opts(),
            })
            .collect();
        queues
            .add_bulk_jobs("scraping-queue", jobs)
            .await
            .expect("prefill");
    }
    let done = Arc::new(AtomicUsize::new(0));
    let all = Arc::new(tokio::sync::Notify::new());
    let mut registry = Registry::new();
    let (d, a) = (done.clone(), all.clone());
    registry.register(
        WorkerType::Scraping,
        "noop",
        handler_fn(move |_ctx: JobContext| {
            let (d, a) = (d.clone(), a.clone());
            async move {
                if d.fetch_add(1, Ordering::Relaxed) + 1 == JOBS {
                    a.notify_one();
                }
                Ok(serde_json::Value::Null)
            }
        }),
    );
    let workers = WorkerManager::new(conn, prefix, "bench", registry);
    let settings = PoolSettings {
        concurrency,
        ..PoolSettings::default()
    };
    let cpu = cpu_seconds();
    let started = Instant::now();
    workers
        .scale_workers(WorkerType::Scraping, 1, &settings, Duration::from_secs(10))
        .await
        .expect("scale");
    all.notified().await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    workers.shutdown(Duration::from_secs(10)).await;
    #[allow(clippy::cast_precision_loss)]
    (JOBS as f64 / elapsed, cpu * 10_000.0 / JOBS as f64)
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
                &no_op_opts(),
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
    for concurrency in levels {
        let runs: Vec<(f64, f64)> = (0..runs_per_level)
            .map(|_| rt.block_on(throughput(&url, concurrency)))
            .collect();
        let rate = median(runs.iter().map(|r| r.0).collect());
        let cpu = median(runs.iter().map(|r| r.1).collect());
        report.push_str(&format!(
            "antrian concurrency {concurrency}: {rate:.0} jobs/s, {cpu:.2} CPU s per 10k jobs\n"
        ));
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
