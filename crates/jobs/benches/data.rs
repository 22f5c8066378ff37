//! Data processing: `save-product-data` throughput through the data-processing pool
//! (batches of 100 products), then exporting the 100,000 stored products to CSV and JSON
//! with the time and the process's peak memory. `cargo bench -p antrian-jobs --bench data`
//! (starts its own redis-server).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{BulkJobInput, JobOptionsInput, QueueEvent};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::store::{ExportFormat, ProductStore};
use antrian_core::worker::WorkerType;
use antrian_core::{CancellationToken, Runtime};
use antrian_testkit::TestRedis;

const BATCH: usize = 100;
const JOBS: usize = 1_000;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Counts bytes, keeps nothing.
struct Count(u64);

impl tokio::io::AsyncWrite for Count {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0 += buf.len() as u64;
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

async fn bench() -> String {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, data_dir) = (redis.url(), dir.path().display().to_string());
    let config = Config::load(&LoadOptions::from_vars([
        ("REDIS_URL", url.as_str()),
        ("ANTRIAN_DATA_DIR", data_dir.as_str()),
        ("QUEUE_AUTO_SCALING", "false"),
        ("QUEUE_REMOVE_ON_COMPLETE", "10"),
    ]))
    .expect("config");
    let board = Runtime::status_board(&config);
    let mut rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let registry = antrian_jobs::setup(&rt).expect("handlers");
    let mut sub = rt.events().subscribe();
    for chunk in (0..JOBS).collect::<Vec<_>>().chunks(100) {
        let jobs = chunk
            .iter()
            .map(|j| BulkJobInput {
                name: "save-product-data".into(),
                data: serde_json::json!({"productData": (0..BATCH).map(|i| {
                    let n = j * BATCH + i;
                    serde_json::json!({
                        "productId": format!("{n}"), "shopId": format!("shop{}", n % 50),
                        "name": format!("Produk nomor {n} dengan nama yang cukup panjang"),
                        "price": 10_000 + n, "currency": "IDR", "rating": 4.5, "ratingCount": n % 900,
                        "sold": n % 5000, "stock": n % 70,
                        "images": [format!("https://img.example/{n}.jpg")],
                        "url": format!("https://shop.example/p/{n}"), "source": "json-ld",
                        "scrapedAt": "2026-11-28T00:00:00.000Z"
                    })
                }).collect::<Vec<_>>()}),
                priority: None,
                opts: JobOptionsInput::default(),
            })
            .collect();
        rt.queues()
            .add_bulk_jobs("data-processing-queue", jobs)
            .await
            .expect("prefill");
    }
    let started = Instant::now();
    rt.start_workers(
        registry,
        &WorkerPlan {
            types: vec![WorkerType::DataProcessing],
            counts: BTreeMap::from([(WorkerType::DataProcessing, 1)]),
        },
    )
    .await
    .expect("pool");
    let mut done = 0;
    while done < JOBS {
        match sub
            .recv_matching(Duration::from_secs(60), |e| {
                matches!(e, QueueEvent::JobCompleted { queue, .. } | QueueEvent::JobFailed { queue, .. } if queue == "data-processing-queue")
            })
            .await
        {
            Some(QueueEvent::JobCompleted { .. }) => done += 1,
            Some(QueueEvent::JobFailed { failed_reason, .. }) => panic!("{failed_reason}"),
            _ => panic!("stalled at {done} of {JOBS}"),
        }
    }
    let save_secs = started.elapsed().as_secs_f64();
    let store = ProductStore::new(rt.connection().clone());
    let mut report = String::new();
    let rate = (JOBS * BATCH) as f64 / save_secs;
    report.push_str(&format!(
        "save-product-data: {} products in batches of {BATCH}: {rate:.0} products/s\n",
        JOBS * BATCH
    ));
    for (label, format) in [("csv", ExportFormat::Csv), ("json", ExportFormat::Json)] {
        let rss_before = status_kib("VmRSS:");
        let started = Instant::now();
        let mut out = Count(0);
        let n = store.export(format, &mut out).await.expect("export");
        report.push_str(&format!(
            "export {label}: {n} products, {} MiB in {:.2} s; RSS {} MiB before, peak so far {} MiB\n",
            out.0 / (1024 * 1024),
            started.elapsed().as_secs_f64(),
            rss_before / 1024,
            status_kib("VmHWM:") / 1024,
        ));
    }
    rt.shutdown().await;
    report
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    let report = rt.block_on(bench());
    std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
}
