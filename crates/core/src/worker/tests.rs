//! Worker pools against a real redis-server: outcomes, panics, concurrency, scaling,
//! statistics and graceful shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use antrian_testkit::TestRedis;
use serde_json::json;
use tokio::sync::mpsc;

use super::*;
use crate::connection::Connection;
use crate::queue::{JobDefaults, JobOptionsInput, JobState, QueueEvent, QueueManager};
use crate::CancellationToken;

const DRAIN: Duration = Duration::from_secs(10);

async fn connect(redis: &TestRedis) -> Connection {
    Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect")
}

async fn setup(
    redis: &TestRedis,
    registry: Registry,
) -> (QueueManager, WorkerManager, crate::queue::EventHub) {
    let conn = connect(redis).await;
    let queues = QueueManager::new(conn.clone(), "bull", JobDefaults::default(), 512 * 1024)
        .await
        .expect("queues");
    let hub = crate::queue::EventHub::new(conn.clone(), "bull");
    for q in WorkerType::ALL {
        hub.watch(q.queue()).await.expect("watch");
    }
    (
        queues,
        WorkerManager::new(conn, "bull", "test-node", registry),
        hub,
    )
}

fn opts(v: serde_json::Value) -> JobOptionsInput {
    serde_json::from_value(v).expect("options")
}

fn settings(concurrency: usize) -> PoolSettings {
    PoolSettings {
        concurrency,
        ..PoolSettings::default()
    }
}

/// Rules that act at once: 1 to 4 workers, one more per 10 waiting, a 1 s cooldown.
fn quick_rules() -> crate::rules::ScalingRules {
    crate::rules::ScalingRules {
        min_workers: 1,
        max_workers: 4,
        scale_up_threshold: 10,
        scale_down_threshold: 2,
        cooldown_ms: 1000,
        enabled: true,
    }
}

/// `n` product-scraping jobs for `add_bulk_jobs`.
fn product_jobs(n: usize) -> Vec<crate::queue::BulkJobInput> {
    (0..n)
        .map(|i| {
            serde_json::from_value(json!({"name": "product-scraping", "data": {"n": i}}))
                .expect("bulk")
        })
        .collect()
}

/// Waits until every id in `ids` has a final outcome (completed, or a final failure).
async fn finished(
    sub: &mut crate::queue::Subscription,
    ids: &[String],
) -> HashMap<String, QueueEvent> {
    let mut done = HashMap::new();
    while done.len() < ids.len() {
        let event = sub
            .recv_matching(Duration::from_secs(30), |e| match e {
                QueueEvent::JobCompleted { job_id, .. } => ids.contains(job_id),
                QueueEvent::JobFailed {
                    job_id,
                    is_final: true,
                    ..
                } => ids.contains(job_id),
                _ => false,
            })
            .await
            .unwrap_or_else(|| {
                panic!(
                    "only {} of {} jobs finished within 30 s",
                    done.len(),
                    ids.len()
                )
            });
        let id = match &event {
            QueueEvent::JobCompleted { job_id, .. } | QueueEvent::JobFailed { job_id, .. } => {
                job_id.clone()
            }
            _ => unreachable!("filtered above"),
        };
        done.insert(id, event);
    }
    done
}

#[tokio::test]
async fn each_outcome_does_what_it_says() {
    let redis = TestRedis::start();
    let mut registry = Registry::new();
    registry
        .register(
            WorkerType::Scraping,
            "ok",
            handler_fn(|ctx: JobContext| async move {
                ctx.log("working").await?;
                Ok(json!({"url": ctx.data()["url"], "attempt": ctx.attempt()}))
            }),
        )
        .register(
            WorkerType::Scraping,
            "flaky",
            handler_fn(|ctx: JobContext| async move {
                Err(JobError::retry(format!(
                    "timeout on attempt {}",
                    ctx.attempt()
                )))
            }),
        )
        .register(
            WorkerType::Scraping,
            "gone",
            handler_fn(|_ctx: JobContext| async move {
                Err(JobError::discard("HTTP 404: product removed"))
            }),
        )
        .register(
            WorkerType::Scraping,
            "throttled",
            handler_fn(|ctx: JobContext| async move {
                if ctx.attempt() == 1 {
                    Err(JobError::retry_after(
                        "HTTP 429",
                        Duration::from_millis(300),
                    ))
                } else {
                    Ok(json!({"attempt": ctx.attempt()}))
                }
            }),
        )
        .register(
            WorkerType::Scraping,
            "crash",
            handler_fn(|_ctx: JobContext| async move {
                let v: Vec<u8> = Vec::new();
                // A bug in a handler: indexing out of bounds panics.
                Ok(json!(v[3]))
            }),
        );
    let (q, workers, hub) = setup(&redis, registry).await;
    let mut sub = hub.subscribe();
    let mut metrics_sub = hub.subscribe();
    workers
        .scale_workers(WorkerType::Scraping, 1, &settings(4), DRAIN)
        .await
        .expect("scale");

    let add = |name: &'static str, o: serde_json::Value| {
        let q = &q;
        async move {
            q.add_job(
                "scraping-queue",
                name,
                json!({"url": "https://shop.example/p/1"}),
                &opts(o),
            )
            .await
            .expect("add")
            .id
        }
    };
    let ok = add("ok", json!({})).await;
    let flaky = add(
        "flaky",
        json!({"attempts": 2, "backoff": {"type": "fixed", "delay": 10}}),
    )
    .await;
    let gone = add("gone", json!({"attempts": 5})).await;
    let throttled_at = Instant::now();
    let throttled = add("throttled", json!({"attempts": 3})).await;
    let crash = add("crash", json!({"attempts": 1})).await;
    let unknown = add("no-such-job", json!({"attempts": 3})).await;
    let after_crash = add("ok", json!({})).await;
    let ids = [
        &ok,
        &flaky,
        &gone,
        &throttled,
        &crash,
        &unknown,
        &after_crash,
    ]
    .map(|s| s.to_string());
    let done = finished(&mut sub, &ids).await;

    let job = q.get_job("scraping-queue", &ok).await.expect("ok");
    assert_eq!(
        (job.state, job.return_value["attempt"].as_u64()),
        (JobState::Completed, Some(1))
    );
    assert_eq!(job.logs, ["working"]);

    let job = q.get_job("scraping-queue", &flaky).await.expect("flaky");
    assert_eq!(
        (job.state, job.attempts_made),
        (JobState::Failed, 2),
        "retried with backoff, then failed"
    );
    assert_eq!(job.failed_reason.as_deref(), Some("timeout on attempt 2"));
    assert_eq!(
        job.logs,
        [
            "attempt 1 of 2 failed: timeout on attempt 1; retrying after the job's backoff (1 left)",
            "attempt 2 of 2 failed: timeout on attempt 2; no attempts left, the job has failed",
        ],
        "each failed attempt says what became of it in the job's log"
    );

    let job = q.get_job("scraping-queue", &gone).await.expect("gone");
    assert_eq!(
        (job.state, job.attempts_made),
        (JobState::Failed, 1),
        "discard is not retried"
    );
    assert_eq!(
        job.failed_reason.as_deref(),
        Some("HTTP 404: product removed")
    );
    assert_eq!(
        job.logs,
        ["attempt 1 of 5 failed: HTTP 404: product removed; not retried: retrying cannot change this"]
    );

    let job = q
        .get_job("scraping-queue", &throttled)
        .await
        .expect("throttled");
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(
        job.return_value["attempt"], 2,
        "the 429 counted as an attempt"
    );
    assert!(
        throttled_at.elapsed() >= Duration::from_millis(300),
        "retried only after Retry-After"
    );
    assert_eq!(
        job.logs,
        ["attempt 1 of 3 failed: HTTP 429; retrying in 1 s as the site asked (2 left)"]
    );

    let job = q.get_job("scraping-queue", &crash).await.expect("crash");
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.failed_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("handler panicked: index out of bounds")),
        "{job:?}"
    );
    assert!(
        matches!(
            done.get(&after_crash),
            Some(QueueEvent::JobCompleted { .. })
        ),
        "the pool survived the panic"
    );

    let job = q
        .get_job("scraping-queue", &unknown)
        .await
        .expect("unknown");
    assert_eq!(
        (job.state, job.attempts_made),
        (JobState::Failed, 1),
        "no handler: failed at once"
    );
    assert!(
        job.failed_reason
            .as_deref()
            .is_some_and(|r| r.contains("no handler for job `no-such-job`")
                && r.contains("it handles crash, flaky, gone, ok, throttled")),
        "{job:?}"
    );

    let stats = workers.get_worker_stats().await;
    let scraping = &stats.by_type["scraping"];
    assert_eq!((scraping.workers, scraping.concurrency), (1, 4));
    assert_eq!(
        scraping.processed, 3,
        "ok twice and throttled's second attempt"
    );
    assert!(scraping.failed >= 6, "{scraping:?}");

    // The pools record BullMQ's per-minute metrics: final outcomes only, so flaky's and
    // throttled's first attempts are not failures there. They are written a second at a
    // time, each write announced by a `queue:metrics` event with the counts it added.
    let mut counted = (0, 0);
    while counted != (3, 4) {
        match metrics_sub
            .recv_matching(Duration::from_secs(10), |e| {
                matches!(e, QueueEvent::QueueMetrics { queue, .. } if queue == "scraping-queue")
            })
            .await
        {
            Some(QueueEvent::QueueMetrics {
                completed, failed, ..
            }) => counted = (counted.0 + completed, counted.1 + failed),
            other => panic!("metrics written for {counted:?} of (3, 4) finished jobs: {other:?}"),
        }
    }
    let throughput = q.throughput(60).await.expect("throughput");
    let scraping = throughput
        .iter()
        .find(|t| t.queue == "scraping-queue")
        .expect("scraping-queue listed");
    assert_eq!(scraping.minutes.len(), 60);
    assert!(scraping
        .minutes
        .windows(2)
        .all(|w| w[1].at == w[0].at + 60_000));
    let sum =
        |f: fn(&crate::queue::MinuteCounts) -> u64| scraping.minutes.iter().map(f).sum::<u64>();
    assert_eq!(
        (sum(|m| m.completed), sum(|m| m.failed)),
        (3, 4),
        "ok twice and throttled completed; flaky, gone, crash and no-such-job failed"
    );
    let err = q.throughput(0).await.expect_err("0 minutes");
    assert!(err.to_string().contains("minutes"), "{err}");
    workers.shutdown(DRAIN).await;
}

#[tokio::test]
async fn never_more_than_workers_times_concurrency_jobs_at_once() {
    let redis = TestRedis::start();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let (r, p) = (running.clone(), peak.clone());
    registry.register(
        WorkerType::Cleanup,
        "cleanup-temp-files",
        handler_fn(move |_ctx: JobContext| {
            let (r, p) = (r.clone(), p.clone());
            async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                // The job's own work: long enough for others to overlap with it.
                tokio::time::sleep(Duration::from_millis(30)).await;
                r.fetch_sub(1, Ordering::SeqCst);
                Ok(json!({}))
            }
        }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    let mut sub = hub.subscribe();
    let mut ids = Vec::new();
    for _ in 0..60 {
        ids.push(
            q.add_job(
                "cleanup-queue",
                "cleanup-temp-files",
                json!({}),
                &JobOptionsInput::default(),
            )
            .await
            .expect("add")
            .id,
        );
    }
    workers
        .scale_workers(WorkerType::Cleanup, 2, &settings(3), DRAIN)
        .await
        .expect("scale");
    finished(&mut sub, &ids).await;
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 6, "{peak} jobs ran at once with 2 workers × 3");
    assert!(peak >= 3, "the pool ran jobs in parallel (peak {peak})");
    workers.shutdown(DRAIN).await;
}

#[tokio::test]
async fn scaling_up_and_down_under_load_loses_and_repeats_nothing() {
    let redis = TestRedis::start();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::DataProcessing,
        "save-product-data",
        handler_fn(move |ctx: JobContext| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(ctx.id().to_string());
                Ok(json!({}))
            }
        }),
    );
    let (q, workers, _hub) = setup(&redis, registry).await;
    const JOBS: usize = 10_000;
    let bulk: Vec<crate::queue::BulkJobInput> = (0..JOBS)
        .map(|i| {
            serde_json::from_value(json!({"name": "save-product-data", "data": {"n": i}}))
                .expect("bulk")
        })
        .collect();
    for chunk in bulk.chunks(1000) {
        q.add_bulk_jobs("data-processing-queue", chunk.to_vec())
            .await
            .expect("bulk");
    }
    let ledger_task = tokio::spawn(async move {
        let mut ledger: HashMap<String, usize> = HashMap::new();
        while ledger.len() < JOBS {
            match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
                Ok(Some(id)) => *ledger.entry(id).or_default() += 1,
                _ => break,
            }
        }
        ledger
    });
    workers
        .scale_workers(WorkerType::DataProcessing, 1, &settings(10), DRAIN)
        .await
        .expect("1");
    workers
        .scale_workers(WorkerType::DataProcessing, 4, &settings(10), DRAIN)
        .await
        .expect("up to 4");
    assert_eq!(
        workers.get_worker_stats().await.by_type["data-processing"].workers,
        4
    );
    workers
        .scale_workers(WorkerType::DataProcessing, 1, &settings(10), DRAIN)
        .await
        .expect("down to 1");
    assert_eq!(
        workers.get_worker_stats().await.by_type["data-processing"].workers,
        1
    );
    let ledger = ledger_task.await.expect("ledger");
    assert_eq!(ledger.len(), JOBS, "every job ran");
    let repeated: Vec<_> = ledger.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "scaling ran jobs twice: {repeated:?}");
    // A handler has reported its job before the worker moves it to completed: the drain
    // lets the last ones finish, then nothing may be left waiting, active or failed.
    workers.shutdown(DRAIN).await;
    let stats = q
        .get_queue_stats("data-processing-queue")
        .await
        .expect("stats");
    assert_eq!((stats.waiting, stats.active, stats.failed), (0, 0, 0));
}

#[tokio::test]
async fn shutdown_lets_active_jobs_finish_within_the_deadline() {
    let redis = TestRedis::start();
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<()>();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Notification,
        "send-email",
        handler_fn(move |_ctx: JobContext| {
            let started_tx = started_tx.clone();
            async move {
                let _ = started_tx.send(());
                // The job's own work, still running when shutdown begins.
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok(json!({"sent": true}))
            }
        }),
    );
    let (q, workers, _hub) = setup(&redis, registry).await;
    let id = q
        .add_job(
            "notifications-queue",
            "send-email",
            json!({"to": "admin@example.com"}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add")
        .id;
    workers
        .scale_workers(WorkerType::Notification, 1, &settings(1), DRAIN)
        .await
        .expect("scale");
    tokio::time::timeout(Duration::from_secs(20), started_rx.recv())
        .await
        .expect("job started")
        .expect("open");
    workers.shutdown(DRAIN).await;
    let job = q.get_job("notifications-queue", &id).await.expect("get");
    assert_eq!(
        (job.state, job.return_value),
        (JobState::Completed, json!({"sent": true}))
    );
    assert_eq!(workers.get_worker_stats().await.total_workers, 0);
}

#[tokio::test]
async fn a_type_without_handlers_gets_no_workers() {
    let redis = TestRedis::start();
    let (_q, workers, _hub) = setup(&redis, Registry::new()).await;
    let e = workers
        .scale_workers(WorkerType::Scraping, 2, &settings(1), DRAIN)
        .await
        .expect_err("nothing to run");
    assert!(
        e.to_string()
            .contains("no handler is registered for scraping jobs"),
        "{e}"
    );
    assert_eq!(
        WorkerType::parse("data-processing"),
        Some(WorkerType::DataProcessing)
    );
    assert_eq!(WorkerType::parse("nope"), None);
}

/// Set in the child process of the kill -9 test: the Redis URL it works against.
const CHILD_ENV: &str = "ANTRIAN_TEST_WORKER_CHILD_REDIS";

/// Not a test on its own: the kill -9 test below runs this test binary again with only
/// this test selected and [`CHILD_ENV`] set, so a real separate process runs a pool that
/// can be killed with SIGKILL mid-batch. Run directly, it does nothing.
#[tokio::test]
#[ignore = "runs only as the child process of a_worker_process_killed_with_sigkill_loses_no_job"]
async fn child_worker_process() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let conn = Connection::open(&url, "child", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let ledger = conn.clone();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(move |ctx: JobContext| {
            let mut redis = ledger.redis();
            async move {
                let _: () = redis::cmd("RPUSH")
                    .arg("test:started")
                    .arg(ctx.id())
                    .query_async(&mut redis)
                    .await
                    .map_err(|e| JobError::retry(e.to_string()))?;
                // Each job takes a while, so some are in flight when the process is killed.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _: () = redis::cmd("RPUSH")
                    .arg("test:completed")
                    .arg(ctx.id())
                    .query_async(&mut redis)
                    .await
                    .map_err(|e| JobError::retry(e.to_string()))?;
                Ok(json!({}))
            }
        }),
    );
    let workers = WorkerManager::new(conn, "bull", "child", registry);
    let quick = PoolSettings {
        concurrency: 5,
        lock_duration_ms: 1000,
        stalled_interval_ms: 500,
        ..PoolSettings::default()
    };
    workers
        .scale_workers(WorkerType::Scraping, 1, &quick, DRAIN)
        .await
        .expect("scale");
    // Work until killed.
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn a_worker_process_killed_with_sigkill_loses_no_job() {
    let redis = TestRedis::start();
    let (q, _no_workers_here, _hub) = setup(&redis, Registry::new()).await;
    const JOBS: usize = 200;
    let mut ids = Vec::new();
    for i in 0..JOBS {
        ids.push(
            q.add_job(
                "scraping-queue",
                "product-scraping",
                json!({"n": i}),
                &opts(json!({"attempts": 3})),
            )
            .await
            .expect("add")
            .id,
        );
    }
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "worker::tests::child_worker_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, redis.url())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the child worker process");
    // Wait (blocking on Redis, not sleeping) until the child is well into the batch.
    let mut conn = redis.connection();
    for _ in 0..40 {
        let got: Option<(String, String)> = redis::cmd("BLPOP")
            .arg("test:started")
            .arg(20)
            .query(&mut conn)
            .expect("BLPOP");
        assert!(got.is_some(), "the child processed nothing within 20 s");
    }
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap");
    let killed_at = Instant::now();
    let in_flight: u64 = {
        let stats = q.get_queue_stats("scraping-queue").await.expect("stats");
        stats.active
    };

    // A surviving worker in this process picks up what the dead one held.
    let ledger_conn = connect(&redis).await;
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(move |ctx: JobContext| {
            let mut redis = ledger_conn.redis();
            async move {
                let _: () = redis::cmd("RPUSH")
                    .arg("test:completed")
                    .arg(ctx.id())
                    .query_async(&mut redis)
                    .await
                    .map_err(|e| JobError::retry(e.to_string()))?;
                Ok(json!({}))
            }
        }),
    );
    let survivor = WorkerManager::new(connect(&redis).await, "bull", "survivor", registry);
    let quick = PoolSettings {
        concurrency: 5,
        lock_duration_ms: 1000,
        stalled_interval_ms: 500,
        ..PoolSettings::default()
    };
    survivor
        .scale_workers(WorkerType::Scraping, 1, &quick, DRAIN)
        .await
        .expect("scale");
    let hub = crate::queue::EventHub::new(connect(&redis).await, "bull");
    hub.watch("scraping-queue").await.expect("watch");
    let mut sub = hub.subscribe();
    // Wait until the ledger holds every job (completed counts in the queue are capped by
    // removeOnComplete, the ledger is not).
    let distinct = |conn: &mut redis::Connection| -> usize {
        let all: Vec<String> = redis::cmd("LRANGE")
            .arg("test:completed")
            .arg(0)
            .arg(-1)
            .query(conn)
            .expect("LRANGE");
        all.into_iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    while distinct(&mut conn) < JOBS {
        assert!(
            killed_at.elapsed() < Duration::from_secs(30),
            "only {} of {JOBS} jobs completed 30 s after the kill",
            distinct(&mut conn)
        );
        sub.recv_matching(Duration::from_secs(2), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await;
    }
    let recovery = killed_at.elapsed();
    let completed: Vec<String> = redis::cmd("LRANGE")
        .arg("test:completed")
        .arg(0)
        .arg(-1)
        .query(&mut conn)
        .expect("LRANGE");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &completed {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    for id in &ids {
        assert!(counts.contains_key(id.as_str()), "job {id} never completed");
    }
    let duplicates = completed.len() - counts.len();
    assert!(
        duplicates as u64 <= in_flight.max(5),
        "{duplicates} jobs ran twice, more than the {in_flight} in flight at the kill"
    );
    eprintln!("kill -9 recovery: all {JOBS} jobs completed {recovery:?} after the kill; {duplicates} ran twice ({in_flight} were in flight)");
    survivor.shutdown(DRAIN).await;
}

#[tokio::test]
async fn a_burst_scales_the_pool_up_and_back_down_and_each_decision_is_logged() {
    use crate::rules::ScalingRules;

    let redis = TestRedis::start();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|_ctx: JobContext| async move {
            // The job's own work.
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(json!({}))
        }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    let q = Arc::new(q);
    let workers = Arc::new(workers);
    let hub = Arc::new(hub);
    let mut sub = hub.subscribe();
    workers
        .scale_workers(WorkerType::Scraping, 1, &settings(1), DRAIN)
        .await
        .expect("scale");
    let rules = ScalingRules {
        min_workers: 1,
        max_workers: 4,
        scale_up_threshold: 10,
        scale_down_threshold: 2,
        cooldown_ms: 1000,
        enabled: true,
    };
    let mut autoscaler = Autoscaler::new(
        "test-node",
        [(WorkerType::Scraping, rules)].into_iter().collect(),
        q.clone(),
        workers.clone(),
        hub.clone(),
        connect(&redis).await,
    );
    let bulk: Vec<crate::queue::BulkJobInput> = (0..200)
        .map(|i| {
            serde_json::from_value(json!({"name": "product-scraping", "data": {"n": i}}))
                .expect("bulk")
        })
        .collect();
    let ids: Vec<String> = q
        .add_bulk_jobs("scraping-queue", bulk)
        .await
        .expect("burst")
        .into_iter()
        .map(|a| a.id)
        .collect();

    let t0 = 1_000_000;
    let up = autoscaler.tick(t0).await.expect("tick");
    assert_eq!(up.len(), 1);
    assert_eq!((up[0].from, up[0].to), (1, 4));
    assert!(
        up[0].waiting > 30 && up[0].reason.contains(&format!("{} jobs", up[0].waiting)),
        "the depth it decided on is kept with the decision: {:?}",
        up[0]
    );
    assert!(
        up[0].reason.contains("above the threshold of 10"),
        "{:?}",
        up[0]
    );
    let event = sub
        .recv_matching(Duration::from_secs(5), |e| {
            matches!(e, QueueEvent::ScalingUp { .. })
        })
        .await
        .expect("scaling:up");
    assert_eq!(
        serde_json::to_value(&event).expect("json")["event"],
        "scaling:up"
    );
    assert_eq!(
        workers.pool_sizes().await.get(&WorkerType::Scraping),
        Some(&4)
    );

    // Wait for the burst to drain (completed counts are capped by removeOnComplete, so
    // watch what is left instead).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stats = q.get_queue_stats("scraping-queue").await.expect("stats");
        if stats.waiting + stats.active + stats.delayed == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the burst did not drain: {stats:?}"
        );
        sub.recv_matching(Duration::from_secs(1), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await;
    }
    assert_eq!(ids.len(), 200);
    assert!(
        autoscaler.tick(t0 + 500).await.expect("tick").is_empty(),
        "cooling down"
    );
    let down = autoscaler.tick(t0 + 2000).await.expect("tick");
    assert_eq!((down[0].from, down[0].to, down[0].waiting), (4, 3, 0));
    assert!(
        down[0]
            .reason
            .contains("0 jobs waiting is below the threshold of 2"),
        "{:?}",
        down[0]
    );

    let log = scaling_log(&connect(&redis).await, 10).await.expect("log");
    assert_eq!(
        log.iter().map(|r| (r.from, r.to)).collect::<Vec<_>>(),
        [(4, 3), (1, 4)],
        "newest first"
    );
    for count in [0, 1001] {
        let e = scaling_log(&connect(&redis).await, count)
            .await
            .expect_err("out of range");
        assert!(
            e.to_string()
                .contains(&format!("count: {count} must be from 1 to 1000")),
            "{e}"
        );
    }
    workers.shutdown(DRAIN).await;
}

/// Records each attempt's job id and start time.
fn recorder(
    tx: mpsc::UnboundedSender<(String, u32, Instant)>,
    fail: bool,
) -> std::sync::Arc<dyn Handler> {
    handler_fn(move |ctx: JobContext| {
        let tx = tx.clone();
        async move {
            let _ = tx.send((
                ctx.data()["tag"].as_str().unwrap_or_default().to_string(),
                ctx.attempt(),
                Instant::now(),
            ));
            if fail {
                Err(JobError::retry("planned"))
            } else {
                Ok(json!({}))
            }
        }
    })
}

async fn collect(
    rx: &mut mpsc::UnboundedReceiver<(String, u32, Instant)>,
    n: usize,
) -> Vec<(String, u32, Instant)> {
    let mut got = Vec::new();
    while got.len() < n {
        let item = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} attempts within 20 s", got.len()))
            .expect("open");
        got.push(item);
    }
    got
}

#[tokio::test]
async fn pools_take_jobs_by_priority_and_show_in_bullmqs_worker_list() {
    let redis = TestRedis::start();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut registry = Registry::new();
    registry.register(WorkerType::Scraping, "p", recorder(tx, false));
    let (q, workers, _hub) = setup(&redis, registry).await;
    for (tag, priority) in [
        ("low", "low"),
        ("critical", "critical"),
        ("normal", "normal"),
        ("background", "background"),
        ("high", "high"),
    ] {
        q.add_job(
            "scraping-queue",
            "p",
            json!({"tag": tag}),
            &opts(json!({"priority": priority})),
        )
        .await
        .expect("add");
    }
    // Five jobs and no worker yet: the stats say so (the window's "no worker" hint).
    let before = q.get_queue_stats("scraping-queue").await.expect("stats");
    assert!(before.needs_worker, "{before:?}");
    workers
        .scale_workers(WorkerType::Scraping, 1, &settings(1), DRAIN)
        .await
        .expect("scale");
    let order: Vec<String> = collect(&mut rx, 5)
        .await
        .into_iter()
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(order, ["critical", "high", "normal", "low", "background"]);
    let after = q.get_queue_stats("scraping-queue").await.expect("stats");
    assert_eq!((after.workers, after.needs_worker), (1, false), "{after:?}");
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut redis.connection())
        .expect("CLIENT LIST");
    assert!(
        clients.contains("test-node:scraping:0"),
        "worker name not registered with Redis: {clients}"
    );
    workers.shutdown(DRAIN).await;
}

#[tokio::test]
async fn backoff_delays_are_applied_within_tolerance() {
    let redis = TestRedis::start();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut registry = Registry::new();
    registry.register(WorkerType::Cleanup, "fail", recorder(tx, true));
    let (q, workers, _hub) = setup(&redis, registry).await;
    workers
        .scale_workers(WorkerType::Cleanup, 1, &settings(5), DRAIN)
        .await
        .expect("scale");
    let cases = [
        (
            "fixed",
            json!({"type": "fixed", "delay": 200}),
            [200u64, 200],
        ),
        (
            "exponential",
            json!({"type": "exponential", "delay": 100}),
            [100, 200],
        ),
        (
            "capped",
            json!({"type": "exponential", "delay": 100, "factor": 3, "maxDelay": 250}),
            [100, 250],
        ),
        (
            "linear",
            json!({"type": "linear", "delay": 100, "increment": 150}),
            [100, 250],
        ),
    ];
    for (tag, backoff, _) in &cases {
        q.add_job(
            "cleanup-queue",
            "fail",
            json!({"tag": tag}),
            &opts(json!({"attempts": 3, "backoff": backoff})),
        )
        .await
        .expect("add");
    }
    let attempts = collect(&mut rx, cases.len() * 3).await;
    for (tag, _, expected) in &cases {
        let times: Vec<Instant> = attempts
            .iter()
            .filter(|(t, _, _)| t == tag)
            .map(|(_, _, at)| *at)
            .collect();
        assert_eq!(times.len(), 3, "{tag}");
        for (i, want) in expected.iter().enumerate() {
            let gap = u64::try_from(times[i + 1].duration_since(times[i]).as_millis())
                .unwrap_or(u64::MAX);
            // Never early; late by at most the delayed-job poll and scheduling slack.
            assert!(
                gap >= *want && gap < want + 700,
                "{tag}: retry {} came after {gap} ms, wanted {want} ms",
                i + 1
            );
        }
    }
    workers.shutdown(DRAIN).await;
}

#[tokio::test]
async fn a_rate_limited_pool_starts_no_more_than_the_limit_per_window() {
    let redis = TestRedis::start();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Notification,
        "send-webhook",
        recorder(tx, false),
    );
    let (q, workers, _hub) = setup(&redis, registry).await;
    for i in 0..10 {
        q.add_job(
            "notifications-queue",
            "send-webhook",
            json!({"tag": format!("w{i}")}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add");
    }
    let limited = PoolSettings {
        concurrency: 10,
        rate_limit: Some((5, 1000)),
        ..PoolSettings::default()
    };
    workers
        .scale_workers(WorkerType::Notification, 2, &limited, DRAIN)
        .await
        .expect("scale");
    let starts: Vec<Instant> = collect(&mut rx, 10)
        .await
        .into_iter()
        .map(|(_, _, at)| at)
        .collect();
    let first = starts[0];
    let in_first_window = starts
        .iter()
        .filter(|at| at.duration_since(first) < Duration::from_millis(950))
        .count();
    assert!(
        in_first_window <= 5,
        "{in_first_window} jobs started within the first 1 s window of a 5/1s limit"
    );
    workers.shutdown(DRAIN).await;
}

#[tokio::test]
async fn a_job_still_running_at_the_shutdown_deadline_is_recovered_by_the_next_worker() {
    let redis = TestRedis::start();
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<u32>();
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Cleanup,
        "cleanup-old-data",
        handler_fn(move |ctx: JobContext| {
            let started_tx = started_tx.clone();
            let calls = calls.clone();
            async move {
                let _ = started_tx.send(ctx.attempt());
                let n = calls.fetch_add(1, Ordering::SeqCst);
                // A stalled job runs again without counting an attempt: tell the runs apart
                // by calls, not by attempt number.
                if n == 0 {
                    // Far longer than the shutdown deadline: this attempt is cut off.
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                Ok(json!({"attempt": ctx.attempt()}))
            }
        }),
    );
    let (q, workers, hub) = setup(&redis, registry.clone()).await;
    let quick = PoolSettings {
        concurrency: 1,
        lock_duration_ms: 1000,
        stalled_interval_ms: 500,
        ..PoolSettings::default()
    };
    let id = q
        .add_job(
            "cleanup-queue",
            "cleanup-old-data",
            json!({"olderThan": 30}),
            &opts(json!({"attempts": 3})),
        )
        .await
        .expect("add")
        .id;
    workers
        .scale_workers(WorkerType::Cleanup, 1, &quick, DRAIN)
        .await
        .expect("scale");
    tokio::time::timeout(Duration::from_secs(20), started_rx.recv())
        .await
        .expect("started")
        .expect("open");
    workers.shutdown(Duration::from_millis(200)).await;
    assert_eq!(
        q.get_job("cleanup-queue", &id).await.expect("get").state,
        JobState::Active,
        "cut off, still held"
    );

    let mut sub = hub.subscribe();
    let next = WorkerManager::new(connect(&redis).await, "bull", "next-node", registry);
    next.scale_workers(WorkerType::Cleanup, 1, &quick, DRAIN)
        .await
        .expect("scale");
    let done = finished(&mut sub, std::slice::from_ref(&id)).await;
    assert!(
        matches!(done.get(&id), Some(QueueEvent::JobCompleted { .. })),
        "{done:?}"
    );
    let job = q.get_job("cleanup-queue", &id).await.expect("get");
    assert_eq!(job.state, JobState::Completed);
    next.shutdown(DRAIN).await;
}

/// Adds a cleanup-old-data job with `attempts`; its id.
async fn add_cleanup(q: &QueueManager, data: serde_json::Value, attempts: u32) -> String {
    q.add_job(
        "cleanup-queue",
        "cleanup-old-data",
        data,
        &opts(json!({ "attempts": attempts })),
    )
    .await
    .expect("add")
    .id
}

/// A job that runs four times its lock duration keeps its lock (the worker renews it) and
/// runs once: no stall, one attempt, while the stalled-job check runs every 500 ms.
#[tokio::test]
async fn a_job_longer_than_its_lock_duration_keeps_its_lock_and_runs_once() {
    let redis = TestRedis::start();
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let counted = calls.clone();
    registry.register(
        WorkerType::Cleanup,
        "cleanup-old-data",
        handler_fn(move |_ctx: JobContext| {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                // The job's work: four lock durations long.
                tokio::time::sleep(Duration::from_millis(4000)).await;
                Ok(json!({}))
            }
        }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    let quick = PoolSettings {
        concurrency: 2,
        lock_duration_ms: 1000,
        stalled_interval_ms: 500,
        ..PoolSettings::default()
    };
    // Two workers: either could take a job whose lock lapsed.
    workers
        .scale_workers(WorkerType::Cleanup, 2, &quick, DRAIN)
        .await
        .expect("scale");
    let mut sub = hub.subscribe();
    let id = add_cleanup(&q, json!({"olderThan": 30}), 3).await;
    let stalled = std::cell::Cell::new(0);
    let end = sub
        .recv_matching(Duration::from_secs(20), |e| {
            if matches!(e, QueueEvent::JobStalled { job_id, .. } if *job_id == id) {
                stalled.set(stalled.get() + 1);
            }
            matches!(e, QueueEvent::JobCompleted { job_id, .. } | QueueEvent::JobFailed { job_id, .. } if *job_id == id)
        })
        .await;
    let stalled = stalled.get();
    assert!(
        matches!(end, Some(QueueEvent::JobCompleted { .. })),
        "{end:?}"
    );
    assert_eq!(stalled, 0, "the job stalled while its worker ran it");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "ran once");
    let job = q.get_job("cleanup-queue", &id).await.expect("get");
    assert_eq!(job.attempts_made, 1, "{job:?}");
    workers.shutdown(DRAIN).await;
}

/// A job whose lock is lost while its handler runs (its lock key gone, as when the process
/// froze for longer than the lock duration) is taken back by the stalled-job check and run
/// again; when the first run finally returns, its result is refused: the job completes
/// once, with the second run's result.
#[tokio::test]
async fn a_job_whose_lock_was_lost_is_not_completed_twice() {
    let redis = TestRedis::start();
    let (started_tx, mut started_rx) = mpsc::unbounded_channel::<usize>();
    let release_first = Arc::new(tokio::sync::Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::new();
    let release = release_first.clone();
    registry.register(
        WorkerType::Cleanup,
        "cleanup-old-data",
        handler_fn(move |_ctx: JobContext| {
            let (started_tx, release, calls) = (started_tx.clone(), release.clone(), calls.clone());
            async move {
                let run = calls.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = started_tx.send(run);
                if run == 1 {
                    release.notified().await;
                }
                Ok(json!({"run": run}))
            }
        }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    let quick = PoolSettings {
        concurrency: 2,
        lock_duration_ms: 1000,
        stalled_interval_ms: 500,
        ..PoolSettings::default()
    };
    workers
        .scale_workers(WorkerType::Cleanup, 1, &quick, DRAIN)
        .await
        .expect("scale");
    let mut sub = hub.subscribe();
    let id = add_cleanup(&q, json!({"olderThan": 30}), 3).await;
    let first = tokio::time::timeout(Duration::from_secs(20), started_rx.recv()).await;
    assert_eq!(first.ok().flatten(), Some(1));
    let mut conn = redis.connection();
    let _: () = redis::cmd("DEL")
        .arg(format!("bull:cleanup-queue:{id}:lock"))
        .query(&mut conn)
        .expect("DEL the lock");
    let second = tokio::time::timeout(Duration::from_secs(20), started_rx.recv()).await;
    assert_eq!(second.ok().flatten(), Some(2), "the stalled job ran again");
    let done = sub
        .recv_matching(
            Duration::from_secs(20),
            |e| matches!(e, QueueEvent::JobCompleted { job_id, .. } if *job_id == id),
        )
        .await;
    assert!(done.is_some(), "the second run completed the job");
    release_first.notify_one();
    // Shutting down waits for the first run to return and its result to be refused.
    workers.shutdown(DRAIN).await;

    let job = q.get_job("cleanup-queue", &id).await.expect("get");
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.return_value, json!({"run": 2}), "{job:?}");
    let events: Vec<(String, HashMap<String, String>)> = redis::cmd("XRANGE")
        .arg("bull:cleanup-queue:events")
        .arg("-")
        .arg("+")
        .query::<Vec<(String, HashMap<String, String>)>>(&mut conn)
        .expect("XRANGE");
    let completions = events
        .iter()
        .filter(|(_, f)| {
            f.get("event").map(String::as_str) == Some("completed") && f.get("jobId") == Some(&id)
        })
        .count();
    assert_eq!(completions, 1, "completed once: {events:?}");
}

/// A handler that panics on every job fails its jobs (with the panic's message) but never
/// takes a worker down: after 200 panics the pool has as many workers as before and runs
/// good jobs as before.
#[tokio::test]
async fn a_handler_that_panics_every_time_does_not_degrade_the_pool() {
    let redis = TestRedis::start();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Cleanup,
        "cleanup-old-data",
        handler_fn(|ctx: JobContext| async move {
            if ctx.data()["panic"] == true {
                panic!("bug in a handler");
            }
            Ok(json!({}))
        }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    workers
        .scale_workers(WorkerType::Cleanup, 2, &settings(5), DRAIN)
        .await
        .expect("scale");
    let mut sub = hub.subscribe();
    let mut bad = Vec::new();
    for i in 0..200 {
        bad.push(add_cleanup(&q, json!({"olderThan": 30, "panic": true, "n": i}), 1).await);
    }
    let outcomes = finished(&mut sub, &bad).await;
    assert!(outcomes.values().all(|e| matches!(e,
        QueueEvent::JobFailed { failed_reason, .. } if failed_reason.starts_with("handler panicked: bug in a handler"))),
        "{outcomes:?}");
    let mut good = Vec::new();
    for i in 0..100 {
        good.push(add_cleanup(&q, json!({"olderThan": 30, "n": i}), 1).await);
    }
    let outcomes = finished(&mut sub, &good).await;
    assert!(
        outcomes
            .values()
            .all(|e| matches!(e, QueueEvent::JobCompleted { .. })),
        "{outcomes:?}"
    );
    assert_eq!(
        workers.pool_sizes().await.get(&WorkerType::Cleanup),
        Some(&2)
    );
    workers.shutdown(DRAIN).await;
}

/// A BullMQ worker whose events nobody reads keeps none of them (the vendored
/// bullmq-official queued every event, a completed job's result included, in an unbounded
/// channel: ~1 KB per job for as long as the worker ran; `make soak` showed the growth).
/// Events are queued from the first `next_event` call on.
#[tokio::test]
async fn a_worker_whose_events_nobody_reads_keeps_none() {
    let redis = TestRedis::start();
    let (q, _workers, hub) = setup(&redis, Registry::new()).await;
    let worker_opts = bullmq::options::WorkerOptions {
        connection: bullmq::options::RedisConnectionOptions {
            url: redis.url(),
            ..Default::default()
        },
        prefix: "bull".into(),
        drain_delay: 1,
        ..Default::default()
    };
    let worker = bullmq::Worker::with_options(
        "cleanup-queue",
        |_job: bullmq::Job, _cancel: bullmq::worker::CancellationToken| async move {
            Ok::<_, bullmq::Error>(json!({"big": "x".repeat(1000)}))
        },
        worker_opts,
    )
    .await
    .expect("worker");
    let mut sub = hub.subscribe();
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(add_cleanup(&q, json!({"olderThan": 30, "n": i}), 1).await);
    }
    finished(&mut sub, &ids).await;
    // Nothing was kept from before anyone listened (an idle worker reports `Drained` now
    // and then; the earlier jobs' events must not come).
    use bullmq::worker::WorkerEvent;
    let earlier = async {
        while let Some(event) = worker.next_event().await {
            if let WorkerEvent::Active { job_id } | WorkerEvent::Completed { job_id, .. } = &event {
                if ids.contains(job_id) {
                    return Some(event);
                }
            }
        }
        None
    };
    let kept = tokio::time::timeout(Duration::from_millis(300), earlier).await;
    assert!(kept.is_err(), "an event from before was kept: {kept:?}");
    // From now on, events arrive.
    let id = add_cleanup(&q, json!({"olderThan": 30}), 1).await;
    let active = async {
        while let Some(event) = worker.next_event().await {
            if matches!(&event, WorkerEvent::Active { job_id } if *job_id == id) {
                return true;
            }
        }
        false
    };
    let seen = tokio::time::timeout(Duration::from_secs(20), active).await;
    assert_eq!(
        seen.ok(),
        Some(true),
        "the new job's events arrive once listening"
    );
    worker.close(5_000).await.expect("close");
}

#[tokio::test]
async fn a_pool_scaled_by_hand_keeps_its_size_until_it_is_handed_back() {
    let redis = TestRedis::start();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|_ctx: JobContext| async move { Ok(json!({})) }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    let (q, workers) = (Arc::new(q), Arc::new(workers));
    let rules = quick_rules();
    workers.set_rules(rules.clone());
    workers
        .scale_workers(WorkerType::Scraping, 1, &settings(1), DRAIN)
        .await
        .expect("scale");
    let mut autoscaler = Autoscaler::new(
        "test-node",
        [(WorkerType::Scraping, rules)].into_iter().collect(),
        q.clone(),
        workers.clone(),
        Arc::new(hub),
        connect(&redis).await,
    );
    workers
        .scale_by_hand(WorkerType::Scraping, 2, DRAIN)
        .await
        .expect("by hand");
    let size = || async { workers.pool_sizes().await[&WorkerType::Scraping] };
    // An empty queue would shrink an automatic pool; many cooldowns pass.
    let mut now = 1_000_000;
    for _ in 0..4 {
        now += 2000;
        assert!(autoscaler.tick(now).await.expect("tick").is_empty());
    }
    assert_eq!(size().await, 2, "kept through an empty queue");
    // A long queue (the pool paused, so it stays long) would grow an automatic pool.
    assert!(workers.pause_pool(WorkerType::Scraping).await);
    q.add_bulk_jobs("scraping-queue", product_jobs(100))
        .await
        .expect("jobs");
    for _ in 0..4 {
        now += 2000;
        assert!(autoscaler.tick(now).await.expect("tick").is_empty());
    }
    assert_eq!(size().await, 2, "kept through a long queue");
    assert!(workers.get_worker_stats().await.by_type["scraping"].pinned);

    assert!(workers.hand_back(WorkerType::Scraping).await);
    now += 2000;
    let up = autoscaler.tick(now).await.expect("tick");
    assert_eq!(
        up.iter().map(|r| (r.from, r.to)).collect::<Vec<_>>(),
        [(2, 4)],
        "back on auto, it scales"
    );
    assert!(!workers.get_worker_stats().await.by_type["scraping"].pinned);
    workers.shutdown(DRAIN).await;
}

/// Registers `id` as a node whose last heartbeat was at `at_ms` (what a node agent writes).
async fn heartbeat(redis: &TestRedis, id: &str, at_ms: u64) {
    let _: () = redis::cmd("ZADD")
        .arg(crate::keys::nodes())
        .arg(at_ms)
        .arg(id)
        .query(&mut redis.connection())
        .expect("ZADD");
}

#[tokio::test]
async fn a_dead_nodes_jobs_wait_again_and_a_live_nodes_are_never_taken() {
    use crate::worker::recovery::{Recovery, LAPSE};

    let redis = TestRedis::start();
    // Node A holds its job until the test ends; node B completes whatever it takes.
    let hold = Arc::new(tokio::sync::Semaphore::new(0));
    let started = Arc::new(tokio::sync::Notify::new());
    let mut a_registry = Registry::new();
    {
        let (hold, started) = (hold.clone(), started.clone());
        a_registry.register(
            WorkerType::Scraping,
            "product-scraping",
            handler_fn(move |_ctx: JobContext| {
                let (hold, started) = (hold.clone(), started.clone());
                async move {
                    started.notify_one();
                    let _ = hold.acquire().await;
                    Ok(json!({"by": "a"}))
                }
            }),
        );
    }
    let (q, _unused, hub) = setup(&redis, Registry::new()).await;
    let q = Arc::new(q);
    let a = WorkerManager::new(connect(&redis).await, "bull", "node-a", a_registry);
    a.scale_workers(WorkerType::Scraping, 1, &settings(1), DRAIN)
        .await
        .expect("a");
    let mut sub = hub.subscribe();
    let job = q
        .add_job(
            "scraping-queue",
            "product-scraping",
            json!({"url": "https://shop.example/p/1"}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add")
        .id;
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("node A took the job");

    let mut b_registry = Registry::new();
    b_registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|_ctx: JobContext| async move { Ok(json!({"by": "b"})) }),
    );
    let b = WorkerManager::new(connect(&redis).await, "bull", "node-b", b_registry);
    b.scale_workers(WorkerType::Scraping, 1, &settings(1), DRAIN)
        .await
        .expect("b");
    let mut recovery = Recovery::new("node-b", connect(&redis).await, q.clone());
    let now = crate::now_ms();
    let lapse = u64::try_from(LAPSE.as_millis()).expect("ms");
    heartbeat(&redis, "node-b", now).await;

    // A's heartbeat lapsed, but its worker's connection is there: A is slow, not dead.
    heartbeat(&redis, "node-a", now - lapse - 5_000).await;
    assert!(recovery.tick(now).await.expect("tick").is_empty());
    let holder: String = redis::cmd("HGET")
        .arg(format!("bull:scraping-queue:{job}"))
        .arg("pb")
        .query(&mut redis.connection())
        .expect("pb");
    assert!(holder.starts_with("node-a:"), "still A's: {holder}");

    // A's process goes away (its connections close with it): its job waits again, its stall
    // counted, and B runs it.
    a.shutdown(Duration::from_millis(50)).await;
    drop(a);
    // Redis drops a closed client as soon as it reads the close; allow it a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    let recovered = loop {
        let r = recovery.tick(crate::now_ms()).await.expect("tick");
        if !r.is_empty() || Instant::now() > deadline {
            break r;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].node, "node-a");
    assert_eq!(
        recovered[0].jobs,
        [("scraping-queue".to_string(), vec![job.clone()])]
    );
    let done = finished(&mut sub, std::slice::from_ref(&job)).await;
    assert!(
        matches!(&done[&job], QueueEvent::JobCompleted { .. }),
        "{:?}",
        done[&job]
    );
    let (stalls, by): (u32, String) = redis::pipe()
        .hget(format!("bull:scraping-queue:{job}"), "stc")
        .hget(format!("bull:scraping-queue:{job}"), "returnvalue")
        .query(&mut redis.connection())
        .expect("job");
    assert_eq!(stalls, 1, "the stall is counted as BullMQ counts it");
    assert!(by.contains("\"b\""), "{by}");
    assert!(
        recovery
            .tick(crate::now_ms())
            .await
            .expect("tick")
            .is_empty(),
        "a node is recovered once"
    );
    hold.add_permits(1);
    b.shutdown(DRAIN).await;
}

#[tokio::test]
async fn a_paused_queues_pool_is_not_grown() {
    let redis = TestRedis::start();
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|_ctx: JobContext| async move { Ok(json!({})) }),
    );
    let (q, workers, hub) = setup(&redis, registry).await;
    let (q, workers) = (Arc::new(q), Arc::new(workers));
    workers
        .scale_workers(WorkerType::Scraping, 1, &settings(1), DRAIN)
        .await
        .expect("scale");
    let rules = quick_rules();
    let mut autoscaler = Autoscaler::new(
        "test-node",
        [(WorkerType::Scraping, rules)].into_iter().collect(),
        q.clone(),
        workers.clone(),
        Arc::new(hub),
        connect(&redis).await,
    );
    q.pause_queue("scraping-queue").await.expect("pause");
    q.add_bulk_jobs("scraping-queue", product_jobs(100))
        .await
        .expect("jobs");
    let mut now = 1_000_000;
    for _ in 0..3 {
        now += 2000;
        assert!(autoscaler.tick(now).await.expect("tick").is_empty());
    }
    assert_eq!(
        workers.pool_sizes().await[&WorkerType::Scraping],
        1,
        "paused: not grown"
    );
    q.resume_queue("scraping-queue").await.expect("resume");
    now += 2000;
    let up = autoscaler.tick(now).await.expect("tick");
    assert!(
        up.first().is_some_and(|r| r.to > 1),
        "resumed with 100 waiting, it grows: {up:?}"
    );
    workers.shutdown(DRAIN).await;
}
