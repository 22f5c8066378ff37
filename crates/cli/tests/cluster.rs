//! Antrian on a Redis Cluster: a real 3-primary, 3-replica cluster of test-owned
//! `redis-server`s (`antrian_testkit::cluster`), an `antrian start` node given only
//! `REDIS_CLUSTER_NODES`, a Node.js BullMQ 6 worker on the same queues through ioredis'
//! cluster client, and a primary failed over (`CLUSTER FAILOVER` on its replica) in the
//! middle of a batch. The batch keeps a ledger as `faults.rs` does: every job's outcome is
//! read back, and the fixture site's request log counts pages fetched twice.
//!
//! `cargo test -p antrian-cli --test cluster -- --nocapture` prints the figures.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use antrian_core::connection::Connection;
use antrian_core::queue::{
    BulkJobInput, EventHub, JobDefaults, JobOptionsInput, JobState, QueueEvent, QueueManager,
};
use antrian_core::CancellationToken;
use antrian_testkit::cluster::TestCluster;
use antrian_testkit::fixture::FixtureSite;
use antrian_testkit::node::NodeWorker;
use common::{antrian, api, dashboard_address, run, spawn, stderr};
use serde_json::{json, Value};

const QUEUE: &str = "scraping-queue";
/// The prefix Antrian picks on a cluster when none is set.
const PREFIX: &str = "{bull}";
const WAIT: Duration = Duration::from_secs(60);

/// `antrian` on the cluster, with short lock and stall checks (jobs of a worker cut off by
/// the failover come back within ~2 s), no politeness limits toward the fixture site.
fn cluster_command(dir: &Path, cluster: &TestCluster) -> Command {
    let mut cmd = antrian(dir);
    cmd.env("REDIS_CLUSTER_NODES", cluster.seeds())
        .env("QUEUE_LOCK_DURATION", "2000")
        .env("QUEUE_STALLED_INTERVAL", "1000")
        .env("SCRAPE_DOMAIN_RATE_LIMIT", "none")
        .env("SCRAPE_DOMAIN_CONCURRENCY", "0")
        .env("SCRAPE_ALLOW_PRIVATE", "127.0.0.1")
        .env("SCRAPING_WORKERS", "1")
        .env("SCRAPING_CONCURRENCY", "10")
        .env("QUEUE_AUTO_SCALING", "false")
        .env("SCHEDULER_EVAL_INTERVAL", "500")
        .env("QUEUE_DASHBOARD_PASSWORD", "s3cret");
    cmd
}

/// Waits until every job in `ids` has finished, waking on the queue's events (read from the
/// cluster) and reading each job's state at every wake-up and at least every 2 s.
async fn wait_finished(
    queues: &QueueManager,
    hub: &EventHub,
    ids: &[String],
) -> HashMap<String, JobState> {
    let mut sub = hub.subscribe();
    let mut done = HashMap::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let pending: Vec<&String> = ids.iter().filter(|id| !done.contains_key(*id)).collect();
        for id in pending {
            let state = queues.get_job(QUEUE, id).await.expect("read a job").state;
            if matches!(state, JobState::Completed | JobState::Failed) {
                done.insert(id.clone(), state);
            }
        }
        if done.len() == ids.len() {
            return done;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} jobs finished within {WAIT:?}",
            done.len(),
            ids.len()
        );
        sub.recv_matching(Duration::from_secs(2), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await;
    }
}

/// Bad cluster settings are refused before anything touches the cluster, naming the
/// setting; the prefix defaults to `{bull}` there.
#[test]
fn cluster_settings_are_checked_and_the_prefix_is_hash_tagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = |vars: &[(&str, &str)]| {
        let mut cmd = antrian(dir.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        run(cmd.args(["config", "--json"]))
    };
    let ok = config(&[("REDIS_CLUSTER_NODES", "10.0.0.1:7000, 10.0.0.2:7000")]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let entries: Value = serde_json::from_slice(&ok.stdout).expect("config --json");
    let value = |var: &str| {
        entries
            .as_array()
            .and_then(|a| a.iter().find(|e| e["variable"] == var))
            .map(|e| e["value"].clone())
    };
    assert_eq!(
        value("REDIS_CLUSTER_NODES"),
        Some(json!("10.0.0.1:7000,10.0.0.2:7000"))
    );
    for (vars, named) in [
        (
            vec![
                ("REDIS_CLUSTER_NODES", "10.0.0.1:7000"),
                ("QUEUE_PREFIX", "bull"),
            ],
            "QUEUE_PREFIX",
        ),
        (
            vec![("REDIS_CLUSTER_NODES", "10.0.0.1")],
            "REDIS_CLUSTER_NODES",
        ),
        (
            vec![("REDIS_CLUSTER_NODES", "http://10.0.0.1:7000")],
            "REDIS_CLUSTER_NODES",
        ),
        (vec![("REDIS_CLUSTER_NODES", " , ")], "REDIS_CLUSTER_NODES"),
        (
            vec![
                ("REDIS_CLUSTER_NODES", "10.0.0.1:7000"),
                ("REDIS_URL", "redis://10.0.0.1:6379"),
            ],
            "REDIS_CLUSTER_NODES",
        ),
        (
            vec![("REDIS_CLUSTER_NODES", "10.0.0.1:7000"), ("REDIS_DB", "2")],
            "REDIS_DB",
        ),
    ] {
        let out = config(&vars);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{vars:?}: {}", stderr(&out));
    }
}

/// One `antrian start` on the cluster does what it does on one server: the dashboard's
/// health, node registry and remote commands, jobs of every kind, the product store, a cron
/// schedule and a condition-based one; a Node.js worker shares the queues; and a primary
/// failed over mid-batch loses no job.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_on_a_redis_cluster_shares_queues_with_node_and_survives_a_failover() {
    let cluster = TestCluster::start(3, 1);
    let site = FixtureSite::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_node, mut logs) = spawn(cluster_command(dir.path(), &cluster).arg("start"));
    logs.wait_line("ready");
    let addr = dashboard_address(&mut logs);
    let call = |method: &str, path: &str, body: Option<Value>| {
        api(&addr, method, path, body.as_ref())
            .unwrap_or_else(|| panic!("{method} {path}: the dashboard did not answer"))
    };

    let (status, health) = call("GET", "/api/health", None);
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["redis"]["state"], "connected", "{health}");
    assert!(
        health["redis"]["address"]
            .as_str()
            .is_some_and(|a| a.starts_with("cluster ")),
        "{health}"
    );

    // The node registry and a remote command (a stream read on the cluster).
    let (_, nodes) = call("GET", "/api/workers", None);
    let node_id = nodes[0]["id"]
        .as_str()
        .expect("the node is listed")
        .to_string();
    let (status, reply) = call(
        "POST",
        &format!("/api/nodes/{node_id}/commands"),
        Some(json!({"command": "scale", "workerType": "scraping", "workers": 2})),
    );
    assert_eq!((status, &reply["ok"]), (200, &json!(true)), "{reply}");

    // Queues and events read from the cluster by this test, as a library user would.
    let conn = Connection::open_with(
        &bullmq::options::RedisConnectionOptions {
            cluster_nodes: cluster.urls(),
            ..Default::default()
        },
        "test cluster",
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .expect("connect to the cluster");
    let queues = QueueManager::new(conn.clone(), PREFIX, JobDefaults::default(), 512 * 1024)
        .await
        .expect("queues");
    let hub = EventHub::new(conn, PREFIX);
    for q in [
        QUEUE,
        "cleanup-queue",
        "data-processing-queue",
        "interop-queue",
    ] {
        hub.watch(q).await.expect("watch");
    }
    let mut sub = hub.subscribe();

    // A cron schedule fires (every second) and the node runs its jobs.
    let (status, body) = call(
        "POST",
        "/api/schedules",
        Some(
            json!({"name": "prune", "schedule": "* * * * * *", "jobName": "cleanup-old-data",
                   "jobData": {"olderThan": 30, "collections": ["products"]},
                   "queueName": "cleanup-queue"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    for n in 0..2 {
        sub.recv_matching(
            WAIT,
            |e| matches!(e, QueueEvent::JobCompleted { queue, .. } if queue == "cleanup-queue"),
        )
        .await
        .unwrap_or_else(|| panic!("the schedule's run {n} did not complete"));
    }
    let (_, schedule) = call("GET", "/api/schedules/prune", None);
    assert!(schedule["iterations"].as_u64() >= Some(2), "{schedule}");
    let (status, _) = call("DELETE", "/api/schedules/prune", None);
    assert_eq!(status, 200, "the schedule was removed");

    // The product store.
    let (status, added) = call(
        "POST",
        "/api/queues/data-processing-queue/jobs",
        Some(
            json!({"name": "save-product-data", "data": {"productData": [
                {"productId": "c1", "name": "Kopi Cluster", "price": 12000.0},
                {"productId": "c2", "name": "Teh Cluster", "price": 8000.0},
            ]}}),
        ),
    );
    assert_eq!(status, 201, "{added}");
    let saved = added["id"].as_str().expect("id").to_string();
    sub.recv_matching(
        WAIT,
        |e| matches!(e, QueueEvent::JobCompleted { job_id, .. } if *job_id == saved),
    )
    .await
    .expect("the products were saved");
    let (_, products) = call("GET", "/api/products", None);
    assert_eq!(products["total"], 2, "{products}");

    // A Node.js worker shares the cluster's queues: jobs added through Antrian's API are
    // processed by Node, and the queue Node works on is discovered on the cluster.
    // The queue is created first, as a user adding to a queue of their own does (a Node.js
    // Worker writes the queue's meta only once it has started).
    let (status, created) = call(
        "POST",
        "/api/queues",
        Some(json!({"name": "interop-queue"})),
    );
    assert_eq!(status, 201, "{created}");
    let mut node_worker = NodeWorker::start(
        &format!("cluster:{}", cluster.seeds()),
        "interop-queue",
        &[("BULL_PREFIX", PREFIX), ("WORKER_CONCURRENCY", "5")],
    );
    let (status, added) = call(
        "POST",
        "/api/queues/interop-queue/jobs/bulk",
        Some(Value::from(
            (0..20)
                .map(|i| {
                    json!({"name": "echo", "data": {"n": i}, "opts": {"removeOnComplete": false}})
                })
                .collect::<Vec<_>>(),
        )),
    );
    assert_eq!(status, 201, "{added}");
    for n in 0..20 {
        node_worker.wait(
            |v| v["event"] == "completed" && v["result"]["echo"]["n"] == n,
            "a Node completion",
        );
    }
    let (_, stats) = call("GET", "/api/queues/interop-queue", None);
    assert_eq!(stats["queue"]["completed"], 20, "{stats}");
    let (_, listed) = call("GET", "/api/queues", None);
    assert!(listed.to_string().contains("interop-queue"), "{listed}");

    // The CLI on the cluster; and one node of it named as a server is refused, saying what
    // to set instead.
    let stats = run(cluster_command(dir.path(), &cluster).args(["queues", "stats"]));
    assert!(stats.status.success(), "{}", stderr(&stats));
    assert!(
        String::from_utf8_lossy(&stats.stdout).contains("interop-queue"),
        "{}",
        String::from_utf8_lossy(&stats.stdout)
    );
    let nodes = run(cluster_command(dir.path(), &cluster).args(["nodes", "list"]));
    assert!(
        String::from_utf8_lossy(&nodes.stdout).contains(&node_id),
        "{}{}",
        String::from_utf8_lossy(&nodes.stdout),
        stderr(&nodes)
    );
    let one_node = run(antrian(dir.path())
        .env("REDIS_URL", &cluster.urls()[0])
        .args(["queues", "stats"]));
    assert!(!one_node.status.success());
    assert!(
        stderr(&one_node).contains("REDIS_CLUSTER_NODES"),
        "{}",
        stderr(&one_node)
    );

    // A condition-based schedule: fires once when the batch below piles up.
    let (status, body) = call(
        "POST",
        "/api/dynamic-schedules",
        Some(json!({
            "name": "surge",
            "condition": {"type": "queue_size", "queueName": QUEUE, "operator": ">", "threshold": 100},
            "action": {"jobName": "product-scraping", "queueName": QUEUE,
                       "jobData": {"url": site.url("/p/delay/10/surge")},
                       "options": {"removeOnComplete": false}},
            "cooldownSeconds": 3600,
        })),
    );
    assert_eq!(status, 201, "{body}");

    // The batch, and the failover of the primary holding the queues in the middle of it.
    let opts: JobOptionsInput = serde_json::from_value(json!({
        "attempts": 5,
        "backoff": {"type": "fixed", "delay": 200},
        "removeOnComplete": false,
        "removeOnFail": false,
    }))
    .expect("options");
    let mut pages = HashMap::new();
    let mut ids = Vec::new();
    for chunk in (0..400).collect::<Vec<_>>().chunks(100) {
        let bulk: Vec<BulkJobInput> = chunk
            .iter()
            .map(|i| BulkJobInput {
                name: "product-scraping".into(),
                data: json!({"url": site.url(&format!("/p/delay/150/cluster-{i}"))}),
                priority: None,
                opts: opts.clone(),
            })
            .collect();
        let added = queues
            .add_bulk_jobs(QUEUE, bulk)
            .await
            .expect("add the batch");
        for (job, i) in added.into_iter().zip(chunk) {
            pages.insert(job.id.clone(), format!("/p/delay/150/cluster-{i}"));
            ids.push(job.id);
        }
    }
    // The Node worker has work through the failover too: 100 jobs of 200 ms, 5 at a time.
    let (status, added) = call(
        "POST",
        "/api/queues/interop-queue/jobs/bulk",
        Some(Value::from(
            (100..200)
                .map(|n| {
                    json!({"name": "echo", "data": {"n": n, "sleepMs": 200},
                           "opts": {"removeOnComplete": false}})
                })
                .collect::<Vec<_>>(),
        )),
    );
    assert_eq!(status, 201, "{added}");
    let started = Instant::now();
    for n in 0..60 {
        sub.recv_matching(
            WAIT,
            |e| matches!(e, QueueEvent::JobCompleted { queue, .. } if queue == QUEUE),
        )
        .await
        .unwrap_or_else(|| panic!("only {n} jobs completed before the failover"));
    }
    let failover_ms = chrono::Utc::now().timestamp_millis() as u64;
    let failover_at = Instant::now();
    let (old, new) = tokio::task::block_in_place(|| cluster.failover(PREFIX));
    let settled_in = failover_at.elapsed();

    let outcome = wait_finished(&queues, &hub, &ids).await;
    let took = started.elapsed();
    let completed = outcome
        .values()
        .filter(|s| **s == JobState::Completed)
        .count();
    // The longest stretch without a completion from the failover on: how long workers
    // stood still while the cluster changed primaries.
    let mut finished: Vec<u64> = Vec::new();
    for id in &ids {
        let job = queues.get_job(QUEUE, id).await.expect("read a job");
        finished.extend(job.finished_on.filter(|at| *at >= failover_ms));
    }
    finished.push(failover_ms);
    finished.sort_unstable();
    let stood_still = finished
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .map_or(Duration::ZERO, Duration::from_millis);
    // The condition-based schedule's job came after the batch.
    let deadline = Instant::now() + WAIT;
    while site.requests_to("/p/delay/10/surge").is_empty() {
        assert!(
            Instant::now() < deadline,
            "the condition-based schedule never ran"
        );
        sub.recv_matching(Duration::from_secs(2), |e| {
            matches!(e, QueueEvent::JobCompleted { .. })
        })
        .await;
    }
    let mut fetches: HashMap<String, usize> = HashMap::new();
    for r in site.requests() {
        *fetches.entry(r.path).or_default() += 1;
    }
    let duplicates: usize = pages
        .values()
        .map(|p| fetches.get(p).copied().unwrap_or(0).saturating_sub(1))
        .sum();
    for n in 100..200 {
        node_worker.wait(
            |v| v["event"] == "completed" && v["result"]["echo"]["n"] == n,
            "the Node worker's jobs across the failover",
        );
    }
    let node_runs = node_worker
        .seen()
        .iter()
        .filter(|v| v["event"] == "processing" && v["data"]["n"].as_u64() >= Some(100))
        .count();
    let node_after = node_worker
        .seen()
        .iter()
        .filter(|v| v["event"] == "completed" && v["at"].as_u64() >= Some(failover_ms))
        .count();
    assert!(
        node_after > 0,
        "the Node worker was still busy at the failover"
    );
    let (_, interop) = call("GET", "/api/queues/interop-queue", None);
    assert_eq!(
        (&interop["queue"]["completed"], &interop["queue"]["failed"]),
        (&json!(120), &json!(0)),
        "{interop}"
    );
    let surge = site.requests_to("/p/delay/10/surge").len();
    eprintln!(
        "cluster: 3 primaries + 3 replicas; {} jobs in, {completed} completed, {} failed, lost {}, duplicates {duplicates}, in {} ms; failover of the queues' primary ({old} -> {new}) settled in {} ms, longest stretch without a completion after it began {} ms; Node worker: 100 of 100 jobs across the failover completed ({node_after} after it began), {} run twice; condition-based schedule fired {surge} time(s)",
        ids.len(),
        ids.len() - completed,
        ids.len() - outcome.len(),
        took.as_millis(),
        settled_in.as_millis(),
        stood_still.as_millis(),
        node_runs - 100,
    );
    assert_eq!(completed, ids.len(), "every job of the batch completed");
    // At-least-once: a job whose completion the failover cut off runs again. That is at
    // most the jobs in hand (2 workers × 10) plus those their freed slots took while the
    // cluster changed primaries (as many again); measured: 1 to 20.
    assert!(duplicates <= 40, "{duplicates} pages fetched twice");
    assert!(
        stood_still < Duration::from_secs(15),
        "workers stood still for {stood_still:?} after the failover began"
    );
    assert_eq!(surge, 1, "the condition-based schedule fired once");
}
