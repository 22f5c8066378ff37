//! Dashboard API latency against bull-board's, on the same Redis and the same data: four
//! queues holding 250,000 jobs each (100,000 waiting, 50,000 delayed, 50,000 completed,
//! 50,000 failed). Measured: `GET /api/stats` against bull-board's `GET /api/queues`, and a
//! 50-job page of failed jobs (`GET /api/queues/{q}?state=failed&pageSize=50` against
//! `GET /api/queues?activeQueue={q}&status=failed&jobsPerPage=50`); 900 requests each,
//! after 30 to warm up, one at a time on a fresh connection, in three rounds that take
//! turns between the two servers (so both see the same machine); p50 and p99 of all.
//!
//! `bench/dashboard.sh` runs it (it starts the redis-server and installs bull-board).

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{BulkJobInput, JobOptionsInput};
use antrian_core::runtime::{Services, WorkerPlan};
use antrian_core::worker::{handler_fn, JobContext, JobError, Registry, WorkerType};
use antrian_core::{CancellationToken, Runtime};
use antrian_server::Server;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const PER_QUEUE_FINISHED: usize = 100_000; // half completed, half failed
const PER_QUEUE_WAITING: usize = 100_000;
const PER_QUEUE_DELAYED: usize = 50_000;
const SAMPLES: usize = 300;
const ROUNDS: usize = 3;
const WARM_UP: usize = 30;
const QUEUES: [&str; 4] = [
    "scraping-queue",
    "data-processing-queue",
    "notifications-queue",
    "cleanup-queue",
];

fn opts(v: serde_json::Value) -> JobOptionsInput {
    serde_json::from_value(v).expect("options")
}

async fn fill(
    rt: &Runtime,
    name: &str,
    n: usize,
    options: &JobOptionsInput,
    data: impl Fn(usize) -> serde_json::Value,
) {
    let mut added = 0;
    while added < n {
        let chunk: Vec<BulkJobInput> = (added..(added + 1000).min(n))
            .map(|i| BulkJobInput {
                name: name.to_string(),
                data: data(i),
                priority: None,
                opts: options.clone(),
            })
            .collect();
        added += chunk.len();
        for q in QUEUES {
            rt.queues()
                .add_bulk_jobs(q, chunk.clone())
                .await
                .expect("bulk");
        }
    }
}

fn payload(i: usize) -> serde_json::Value {
    json!({"url": format!("https://shop.example/product/{i}"), "accountId": "user123", "options": {"useProxy": false}})
}

/// GET `path` on a fresh connection; the whole answer's status and time.
async fn get(port: u16, path: &str, auth: Option<&str>) -> (u16, Duration) {
    let started = Instant::now();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let auth = auth
        .map(|a| format!("Authorization: Basic {a}\r\n"))
        .unwrap_or_default();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let status = String::from_utf8_lossy(&raw[..raw.len().min(12)])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// Adds `SAMPLES` timings (ms) of `path` to `times`, after `warm_up` untimed requests.
async fn measure(port: u16, path: &str, auth: Option<&str>, warm_up: usize, times: &mut Vec<f64>) {
    for i in 0..warm_up + SAMPLES {
        let (status, took) = get(port, path, auth).await;
        assert_eq!(status, 200, "{path}");
        if i >= warm_up {
            times.push(took.as_secs_f64() * 1000.0);
        }
    }
}

/// p50 and p99 of `times`.
fn percentiles(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let pick = |p: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((times.len() - 1) as f64 * p).round() as usize;
        times[i]
    };
    (pick(0.5), pick(0.99))
}

/// Whether `s` holds exactly the bench's data.
fn ready(s: &antrian_core::queue::QueueStats) -> bool {
    s.waiting == PER_QUEUE_WAITING as u64
        && s.delayed == PER_QUEUE_DELAYED as u64
        && s.completed + s.failed == PER_QUEUE_FINISHED as u64
}

/// Fills the four queues: finished jobs (half complete, half fail; all kept) processed by
/// Antrian's workers, then waiting and delayed ones.
async fn fill_all(runtime: &mut Runtime) {
    let keep = opts(json!({"attempts": 1, "removeOnComplete": false, "removeOnFail": false}));
    fill(runtime, "bench-job", PER_QUEUE_FINISHED, &keep, |i| {
        let mut p = payload(i);
        p["fail"] = json!(i % 2 == 1);
        p
    })
    .await;
    let mut registry = Registry::new();
    for t in WorkerType::ALL {
        registry.register(
            t,
            "bench-job",
            handler_fn(|ctx: JobContext| async move {
                if ctx.data()["fail"] == json!(true) {
                    Err(JobError::discard("planned failure"))
                } else {
                    Ok(json!({"ok": true}))
                }
            }),
        );
    }
    let counts: BTreeMap<WorkerType, u32> = WorkerType::ALL.iter().map(|t| (*t, 2)).collect();
    runtime
        .start_workers(
            registry,
            &WorkerPlan {
                types: Vec::new(),
                counts,
            },
        )
        .await
        .expect("workers");
    loop {
        let stats = runtime.queues().get_all_queue_stats().await.expect("stats");
        let done: u64 = stats.iter().map(|s| s.completed + s.failed).sum();
        if done >= (PER_QUEUE_FINISHED * QUEUES.len()) as u64 {
            break;
        }
        // A bench fixture filling up: polled, nothing is measured here.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    if let Some(w) = runtime.workers() {
        w.shutdown(Duration::from_secs(10)).await;
    }
    fill(runtime, "bench-job", PER_QUEUE_WAITING, &keep, payload).await;
    let later = opts(json!({"delay": 86_400_000, "attempts": 1}));
    fill(runtime, "bench-job", PER_QUEUE_DELAYED, &later, payload).await;
}

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let url =
        std::env::var("BENCH_REDIS_URL").expect("set BENCH_REDIS_URL (bench/dashboard.sh does)");
    let rt = tokio::runtime::Runtime::new().expect("tokio");
    rt.block_on(async {
        let data = tempfile::tempdir().expect("tempdir");
        let data_dir = data.path().display().to_string();
        let config = Config::load(&LoadOptions::from_vars(vec![
            ("REDIS_URL", url.as_str()),
            ("ANTRIAN_DATA_DIR", data_dir.as_str()),
            ("QUEUE_AUTO_SCALING", "false"),
            ("QUEUE_DASHBOARD_PORT", "0"),
            ("QUEUE_DASHBOARD_PASSWORD", "bench"),
            ("QUEUE_CONCURRENCY", "50"),
        ]))
        .expect("config");
        let start = |cancel: CancellationToken| {
            let config = config.clone();
            async move {
                let board = Runtime::status_board(&config);
                Runtime::start(config, board, cancel, Services::Full)
                    .await
                    .expect("runtime")
            }
        };
        // The fill has a runtime of its own, shut down before measuring: the server then
        // starts as `antrian dashboard` would, on a Redis that already holds the jobs.
        let mut runtime = start(CancellationToken::new()).await;
        let filled = Instant::now();
        let before = runtime.queues().get_all_queue_stats().await.expect("stats");
        if before.iter().any(|s| QUEUES.contains(&s.name.as_str()) && s.waiting + s.delayed + s.completed + s.failed > 0) {
            assert!(
                QUEUES.iter().all(|q| before.iter().any(|s| s.name == *q && ready(s))),
                "BENCH_REDIS_URL holds other data in the bench's queues; use an empty redis-server"
            );
            eprintln!("dashboard bench data already in place (a kept bench redis-server)");
        } else {
            fill_all(&mut runtime).await;
            eprintln!("dashboard bench data filled in {:.0} s", filled.elapsed().as_secs_f64());
        }
        runtime.shutdown().await;
        let cancel = CancellationToken::new();
        let runtime = start(cancel.clone()).await;
        let stats = runtime.queues().get_all_queue_stats().await.expect("stats");
        let line = |s: &antrian_core::queue::QueueStats| {
            format!("{}: waiting {}, delayed {}, completed {}, failed {}", s.name, s.waiting, s.delayed, s.completed, s.failed)
        };
        eprintln!(
            "dashboard bench data: {}",
            stats.iter().map(line).collect::<Vec<_>>().join("; ")
        );

        let dashboard = runtime.config().dashboard.clone();
        let server = Server::start(runtime.handle(), &dashboard, cancel.clone()).await.expect("server");
        let port = server.addr().port();
        let auth = "YWRtaW46YmVuY2g="; // admin:bench

        let node_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/node");
        let bb_port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
            l.local_addr().expect("addr").port()
        };
        let mut child = Command::new("node")
            .arg(node_dir.join("bull-board.mjs"))
            .arg(&url)
            .arg(bb_port.to_string())
            .args(QUEUES)
            .current_dir(&node_dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start bull-board (bench/dashboard.sh installs it)");
        let stdout = child.stdout.take().expect("stdout");
        let _node = Node(child);
        let mut lines = BufReader::new(tokio::process::ChildStdout::from_std(stdout).expect("stdout")).lines();
        while let Some(line) = lines.next_line().await.expect("read") {
            if line.trim() == "ready" {
                break;
            }
        }

        let q = "scraping-queue";
        let ours_page = format!("/api/queues/{q}?state=failed&page=2&pageSize=50");
        let theirs_page = format!("/api/queues?activeQueue={q}&status=failed&page=2&jobsPerPage=50");
        let cases = [
            ("stats", "/api/stats", "/api/queues"),
            ("failed page of 50", ours_page.as_str(), theirs_page.as_str()),
        ];
        // The client runs on a thread and runtime of its own, so it never waits behind the
        // server's tasks (bull-board has its own process).
        let plan: Vec<(String, String)> =
            cases.iter().map(|(_, a, b)| ((*a).to_string(), (*b).to_string())).collect();
        let times = tokio::task::spawn_blocking(move || {
            let client = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("client runtime");
            client.block_on(async {
                let mut times = vec![(Vec::new(), Vec::new()); plan.len()];
                for round in 0..ROUNDS {
                    let warm_up = if round == 0 { WARM_UP } else { 0 };
                    for ((ours, theirs), (a, b)) in plan.iter().zip(times.iter_mut()) {
                        measure(port, ours, Some(auth), warm_up, a).await;
                        measure(bb_port, theirs, None, warm_up, b).await;
                    }
                }
                times
            })
        })
        .await
        .expect("client");
        let mut report = String::new();
        for ((what, _, _), (a, b)) in cases.iter().zip(times) {
            let ((a50, a99), (b50, b99)) = (percentiles(a), percentiles(b));
            report.push_str(&format!(
                "dashboard {what}: antrian p50 {a50:.2} ms p99 {a99:.2} ms; bull-board p50 {b50:.2} ms p99 {b99:.2} ms; bull-board/antrian p50 {:.1}x p99 {:.1}x\n",
                b50 / a50,
                b99 / a99
            ));
        }
        std::io::Write::write_all(&mut std::io::stderr(), report.as_bytes()).expect("report");
        cancel.cancel();
        server.stopped().await;
        runtime.shutdown().await;
    });
}
