//! End-to-end interop with Node.js BullMQ 6: Antrian's queues are BullMQ's own, so a Node
//! worker processes what Antrian adds, Antrian sees what a Node producer adds, and pausing
//! in Antrian stops Node workers.
//!
//! The Node side lives in `tests/node/` (`bullmq@6` and `ioredis` from npm, installed by
//! `make test` with `npm ci --prefix tests/node`).

use std::process::Command;
use std::time::{Duration, Instant};

use antrian_core::connection::Connection;
use antrian_core::queue::{
    EventHub, JobDefaults, JobOptionsInput, JobState, QueueEvent, QueueManager,
};
use antrian_core::CancellationToken;
use antrian_testkit::node::{node_dir, NodeWorker};
use antrian_testkit::TestRedis;
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);

async fn manager(redis: &TestRedis) -> QueueManager {
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    QueueManager::new(conn, "bull", JobDefaults::default(), 512 * 1024)
        .await
        .expect("manager")
}

fn opts(v: Value) -> JobOptionsInput {
    serde_json::from_value(v).expect("options")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_worker_processes_antrian_jobs_in_priority_order_with_their_backoff() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let q = "scraping-queue";
    let add = |name: &'static str, data: Value, o: Value| {
        let m = &m;
        async move { m.add_job(q, name, data, &opts(o)).await.expect("add").id }
    };
    let low = add(
        "product-scraping",
        json!({"url": "https://shopee.co.id/product/1/1"}),
        json!({"priority": "low"}),
    )
    .await;
    let retried = add(
        "product-scraping",
        json!({"url": "https://shopee.co.id/product/2/2", "failTimes": 2}),
        json!({"attempts": 3, "backoff": {"type": "fixed", "delay": 100}}),
    )
    .await;
    let capped = add(
        "product-scraping",
        json!({"url": "https://shopee.co.id/product/3/3", "failTimes": 1}),
        json!({"attempts": 3, "backoff": {"type": "exponential", "delay": 100, "factor": 3, "maxDelay": 200}}),
    )
    .await;
    let critical = add(
        "shop-scraping",
        json!({"shopUrl": "https://shopee.co.id/shop/123456"}),
        json!({"priority": 10}),
    )
    .await;
    let normal = add("order-scraping", json!({"accountId": "user123"}), json!({})).await;
    let delayed_at = Instant::now();
    let delayed = add(
        "batch-scraping",
        json!({"urls": ["a", "b"]}),
        json!({"priority": "critical", "delay": 500}),
    )
    .await;
    let all = [&low, &retried, &capped, &critical, &normal, &delayed];

    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let hub = EventHub::new(conn, "bull");
    hub.watch(q).await.expect("watch");
    let mut events = hub.subscribe();
    let mut worker = NodeWorker::start(&redis.url(), q, &[]);
    for id in all {
        worker.wait(
            |e| e["event"] == "completed" && e["id"] == **id,
            "completion",
        );
    }
    let first_attempts: Vec<String> = worker
        .seen()
        .iter()
        .filter(|e| e["event"] == "processing" && e["attemptsMade"] == 0 && e["id"] != *delayed)
        .map(|e| e["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        first_attempts,
        [
            critical.clone(),
            retried.clone(),
            capped.clone(),
            normal.clone(),
            low.clone()
        ],
        "priority, then FIFO"
    );
    let attempts_of = |id: &str| {
        worker
            .seen()
            .iter()
            .filter(|e| e["event"] == "processing" && e["id"] == id)
            .count()
    };
    assert_eq!(attempts_of(&retried), 3, "fixed backoff retried twice");
    assert_eq!(
        attempts_of(&capped),
        2,
        "Antrian's capped exponential applied by Node"
    );
    assert!(delayed_at.elapsed() >= Duration::from_millis(500));

    // The Node worker's failed attempts reach Antrian's event stream, final or not.
    let mut failures = Vec::new();
    while failures.len() < 3 {
        let event = tokio::time::timeout(TIMEOUT, events.recv())
            .await
            .expect("events in time")
            .expect("open");
        if let QueueEvent::JobFailed {
            job_id,
            failed_reason,
            attempts_made,
            is_final,
            ..
        } = event
        {
            failures.push((job_id, failed_reason, attempts_made, is_final));
        }
    }
    assert_eq!(
        failures,
        [
            (retried.clone(), "planned failure 1".to_string(), 1, false),
            (capped.clone(), "planned failure 1".to_string(), 1, false),
            (retried.clone(), "planned failure 2".to_string(), 2, false),
        ]
    );
    hub.close().await;

    for id in all {
        let job = m.get_job(q, id).await.expect("get");
        let seen = worker
            .seen()
            .iter()
            .find(|e| e["event"] == "processing" && e["id"] == **id)
            .expect("processed");
        assert_eq!(
            (seen["name"].as_str(), &seen["data"]),
            (Some(job.name.as_str()), &job.data),
            "identical name and data"
        );
        assert_eq!(job.state, JobState::Completed);
        assert_eq!(
            job.return_value,
            json!({"processedBy": "node", "name": job.name, "echo": job.data})
        );
    }
    // Node records a stack trace per failed attempt; the job and a listing both show them.
    let traces = |stack: &[String]| {
        stack
            .iter()
            .map(|t| t.lines().next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    let expected = ["Error: planned failure 1", "Error: planned failure 2"];
    assert_eq!(
        traces(&m.get_job(q, &retried).await.expect("get").stacktrace),
        expected
    );
    let page = m
        .list_jobs(q, JobState::Completed, 1, 10, false)
        .await
        .expect("list");
    let listed = page.jobs.iter().find(|j| j.id == retried).expect("listed");
    assert_eq!(traces(&listed.stacktrace), expected);
    assert!(
        page.jobs
            .iter()
            .filter(|j| j.id != retried && j.id != capped)
            .all(|j| j.stacktrace.is_empty()),
        "only failed attempts leave traces"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_added_by_node_show_in_antrian_with_state_data_and_options() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let jobs = json!([
        {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/9/9"}, "opts": {"priority": 2, "attempts": 4}},
        {"name": "shop-scraping", "data": {"shopUrl": "https://shopee.co.id/shop/1"}, "opts": {"delay": 60000}},
        {"name": "order-scraping", "data": {"accountId": "user123"}}
    ]);
    let out = Command::new("node")
        .arg(node_dir().join("producer.mjs"))
        .args([redis.url().as_str(), "scraping-queue", &jobs.to_string()])
        .current_dir(node_dir())
        .output()
        .expect("run node producer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = serde_json::from_slice(&out.stdout).expect("ids");

    let stats = m.get_queue_stats("scraping-queue").await.expect("stats");
    assert_eq!((stats.waiting, stats.delayed), (2, 1));
    let first = m.get_job("scraping-queue", &ids[0]).await.expect("get");
    assert_eq!(
        (first.name.as_str(), first.state),
        ("product-scraping", JobState::Waiting)
    );
    assert_eq!(
        first.data,
        json!({"url": "https://shopee.co.id/product/9/9"})
    );
    assert_eq!(
        (
            first.options["priority"].as_u64(),
            first.options["attempts"].as_u64()
        ),
        (Some(2), Some(4))
    );
    let second = m.get_job("scraping-queue", &ids[1]).await.expect("get");
    assert_eq!(
        (second.state, second.options["delay"].as_u64()),
        (JobState::Delayed, Some(60000))
    );
    let listed = m
        .list_jobs("scraping-queue", JobState::Waiting, 1, 10, true)
        .await
        .expect("list");
    let listed_ids: Vec<&str> = listed.jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(listed.total, 2);
    assert!(
        listed_ids.contains(&ids[0].as_str()) && listed_ids.contains(&ids[2].as_str()),
        "{listed_ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pausing_in_antrian_stops_node_workers_and_resuming_restarts_them() {
    let redis = TestRedis::start();
    let m = manager(&redis).await;
    let mut worker = NodeWorker::start(&redis.url(), "notifications-queue", &[]);
    m.pause_queue("notifications-queue").await.expect("pause");
    let id = m
        .add_job(
            "notifications-queue",
            "send-webhook",
            json!({"url": "http://127.0.0.1:9/hook"}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add")
        .id;
    // "Nothing happens" can only be observed over a window: the worker is running and
    // polling, and must not take the job while the queue is paused.
    let during_pause = worker.quiet_for(Duration::from_millis(1500));
    assert!(
        during_pause.iter().all(|e| e["id"] != *id),
        "a paused queue's job was taken: {during_pause:?}"
    );
    assert_eq!(
        m.get_job("notifications-queue", &id)
            .await
            .expect("get")
            .state,
        JobState::Waiting
    );
    m.resume_queue("notifications-queue").await.expect("resume");
    worker.wait(
        |e| e["event"] == "completed" && e["id"] == *id,
        "completion after resume",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn antrian_pools_process_node_jobs_and_node_queue_events_see_them_finish() {
    use antrian_core::worker::{
        handler_fn, JobContext, PoolSettings, Registry, WorkerManager, WorkerType,
    };

    let redis = TestRedis::start();
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|ctx: JobContext| async move {
            Ok(json!({"processedBy": "antrian", "url": ctx.data()["url"]}))
        }),
    );
    let workers = WorkerManager::new(conn, "bull", "interop", registry);
    workers
        .scale_workers(
            WorkerType::Scraping,
            1,
            &PoolSettings::default(),
            Duration::from_secs(5),
        )
        .await
        .expect("scale");
    let jobs = json!([
        {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/1/123"}},
        {"name": "product-scraping", "data": {"url": "https://shopee.co.id/product/2/456"}, "opts": {"priority": 1}}
    ]);
    let url = redis.url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(node_dir().join("wait-finished.mjs"))
            .args([url.as_str(), "scraping-queue", &jobs.to_string()])
            .current_dir(node_dir())
            .output()
            .expect("run node")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("results");
    let values: Vec<&Value> = results.iter().map(|r| &r["returnvalue"]).collect();
    assert_eq!(
        values,
        [
            &json!({"processedBy": "antrian", "url": "https://shopee.co.id/product/1/123"}),
            &json!({"processedBy": "antrian", "url": "https://shopee.co.id/product/2/456"}),
        ]
    );
    workers.shutdown(Duration::from_secs(5)).await;
}

/// A cron schedule created in Antrian is a BullMQ job scheduler: Node.js BullMQ lists it,
/// and a Node.js worker alone keeps it firing (Node computes each next run itself).
#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_made_in_antrian_is_listed_by_node_and_fires_with_only_a_node_worker() {
    use antrian_core::scheduler::{ScheduleInput, Scheduler};
    use std::sync::Arc;

    let redis = TestRedis::start();
    let conn = Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect");
    let queues = Arc::new(manager(&redis).await);
    // The queue only the Node.js worker serves is declared first, as a user would.
    queues.create_queue("reports-queue").await.expect("created");
    let events = Arc::new(EventHub::new(conn.clone(), "bull"));
    let scheduler = Scheduler::new(conn, queues, events, "UTC", Duration::from_secs(1));
    let input: ScheduleInput = serde_json::from_value(json!({
        "name": "node-report",
        "schedule": "* * * * * *",
        "jobName": "report",
        "queueName": "reports-queue",
        "jobData": {"shop": "shop-1"},
        "timezone": "Asia/Jakarta",
        "options": {"attempts": 2},
    }))
    .expect("input");
    scheduler.add_schedule(input).await.expect("added");

    let out = Command::new("node")
        .arg(node_dir().join("schedulers.mjs"))
        .args([redis.url().as_str(), "reports-queue"])
        .current_dir(node_dir())
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let list = listed.as_array().expect("array");
    assert_eq!(list.len(), 1, "{listed}");
    assert_eq!(list[0]["key"], "node-report", "{listed}");
    assert_eq!(list[0]["name"], "report");
    assert_eq!(list[0]["pattern"], "* * * * * *");
    assert_eq!(list[0]["tz"], "Asia/Jakarta");
    assert_eq!(
        list[0]["template"]["data"],
        json!({"shop": "shop-1"}),
        "{listed}"
    );

    let mut worker = NodeWorker::start(&redis.url(), "reports-queue", &[]);
    let first = worker.wait(
        |e| {
            e["event"] == "completed"
                && e["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("repeat:node-report:"))
        },
        "a first scheduled run",
    );
    let second = worker.wait(
        |e| {
            e["event"] == "completed"
                && e["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("repeat:node-report:"))
                && e["id"] != first["id"]
        },
        "a second run, scheduled by the Node worker",
    );
    assert_eq!(
        second["result"]["echo"],
        json!({"shop": "shop-1"}),
        "{second}"
    );
    let view = scheduler.get_schedule("node-report").await.expect("view");
    assert!(view.iterations >= 2, "{view:?}");
}
