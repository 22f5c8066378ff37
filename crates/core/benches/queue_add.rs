//! Antrian's `add_job` (sequential) and `add_bulk_jobs` (chunks of 1000): 20,000 jobs with
//! a ~200-byte payload, median of 3 runs, against the Redis at `BENCH_REDIS_URL`.
//! `bench/queue_add.sh` runs this and the Node.js `bullmq@6` counterpart on one
//! redis-server and prints the ratio; see bench/README.md.

use std::time::Instant;

use antrian_core::connection::Connection;
use antrian_core::queue::{BulkJobInput, JobDefaults, JobOptionsInput, QueueManager};
use antrian_core::CancellationToken;
use common::{flush, median, redis_url};

mod common;

const JOBS: usize = 20_000;
const CHUNK: usize = 1000;
const RUNS: usize = 3;

/// The seed's product-scraping data, padded to about 200 bytes of JSON.
fn payload(i: usize) -> serde_json::Value {
    let mut v = serde_json::json!({
        "url": format!("https://shopee.co.id/product/{}/{}", 100_000 + i, 7_000_000 + i),
        "accountId": "user123",
        "options": {"useProxy": true, "retryAttempts": 3},
        "pad": "",
    });
    let len = v.to_string().len();
    v["pad"] = serde_json::Value::String("x".repeat(200usize.saturating_sub(len)));
    v
}

/// Runs the three measurements on `rt`; returns (sequential, bulk) jobs/s medians.
fn measure(rt: &tokio::runtime::Runtime, url: &str) -> (f64, f64) {
    rt.block_on(async {
        let data: Vec<serde_json::Value> = (0..JOBS).map(payload).collect();
        let none = JobOptionsInput::default();
        let mut sequential = Vec::new();
        let mut bulk = Vec::new();
        for _ in 0..RUNS {
            flush(url).await;
            let conn = Connection::open(url, "bench", &CancellationToken::new(), |_| {})
                .await
                .expect("connect");
            let m = QueueManager::new(conn, "bull", JobDefaults::default(), 512 * 1024)
                .await
                .expect("manager");
            // Queues take jobs once they exist (as in `antrian queues create`); created
            // before the clock starts.
            for queue in ["bench-sequential", "bench-bulk"] {
                m.create_queue(queue).await.expect("create the queue");
            }
            let started = Instant::now();
            for d in &data {
                m.add_job("bench-sequential", "product-scraping", d.clone(), &none)
                    .await
                    .expect("add");
            }
            sequential.push(JOBS as f64 / started.elapsed().as_secs_f64());

            let started = Instant::now();
            for chunk in data.chunks(CHUNK) {
                let jobs = chunk
                    .iter()
                    .map(|d| BulkJobInput {
                        name: "product-scraping".into(),
                        data: d.clone(),
                        priority: None,
                        opts: JobOptionsInput::default(),
                    })
                    .collect();
                m.add_bulk_jobs("bench-bulk", jobs).await.expect("bulk");
            }
            bulk.push(JOBS as f64 / started.elapsed().as_secs_f64());
        }
        flush(url).await;
        (median(sequential), median(bulk))
    })
}

fn main() {
    let url = redis_url("bench/queue_add.sh");
    // A single-threaded client is the like-for-like comparison with Node.js; the
    // multi-threaded runtime (what `antrian start` and the desktop app use) pays for
    // cross-thread wake-ups on every round trip and is reported beside it.
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let (seq, bulk) = measure(&current, &url);
    let multi = tokio::runtime::Runtime::new().expect("tokio");
    let (mseq, mbulk) = measure(&multi, &url);
    // One machine-readable line per measurement, read by bench/queue_add.sh.
    let report = format!(
        "antrian add_job sequential: {seq:.0} jobs/s\nantrian add_bulk_jobs x{CHUNK}: {bulk:.0} jobs/s\n\
         antrian(multi-thread runtime) add_job sequential: {mseq:.0} jobs/s\n\
         antrian(multi-thread runtime) add_bulk_jobs x{CHUNK}: {mbulk:.0} jobs/s\n"
    );
    std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
}
