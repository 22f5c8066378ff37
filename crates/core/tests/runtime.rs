//! The runtime as `antrian start` and the desktop app run it: Redis, queue manager, event
//! readers and the periodic health check, against a test-owned redis-server.

use std::collections::HashMap;
use std::time::Duration;

use antrian_core::config::{Config, LoadOptions};
use antrian_core::queue::{HealthLevel, JobOptionsInput, QueueEvent, Subscription};
use antrian_core::runtime::Services;
use antrian_core::{CancellationToken, Runtime};
use antrian_testkit::TestRedis;
use serde_json::json;

fn config(redis: &TestRedis, dir: &std::path::Path) -> Config {
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url()),
        ("QUEUE_HEALTH_INTERVAL", "1000".to_string()),
        ("ANTRIAN_DATA_DIR", dir.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Config::load(&LoadOptions {
        env,
        ..Default::default()
    })
    .expect("config")
}

async fn next(
    sub: &mut Subscription,
    what: &str,
    pred: impl Fn(&QueueEvent) -> bool,
) -> QueueEvent {
    sub.recv_matching(Duration::from_secs(20), pred)
        .await
        .unwrap_or_else(|| panic!("no {what} event within 20 s"))
}

#[tokio::test]
async fn a_full_runtime_publishes_queue_events_and_periodic_health_checks() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&redis, dir.path());
    let board = Runtime::status_board(&config);
    let rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let mut sub = rt.events().subscribe();

    let delayed = rt
        .queues()
        .add_job(
            "cleanup-queue",
            "cleanup-temp-files",
            json!({"olderThan": 1}),
            &serde_json::from_value::<JobOptionsInput>(json!({"delay": 60000})).expect("opts"),
        )
        .await
        .expect("add");
    next(
        &mut sub,
        "job:delayed",
        |e| matches!(e, QueueEvent::JobDelayed { job_id, .. } if *job_id == delayed.id),
    )
    .await;
    rt.queues()
        .remove_job("cleanup-queue", &delayed.id)
        .await
        .expect("remove");
    next(
        &mut sub,
        "job:removed",
        |e| matches!(e, QueueEvent::JobRemoved { job_id, .. } if *job_id == delayed.id),
    )
    .await;

    rt.queues()
        .add_job(
            "scraping-queue",
            "product-scraping",
            json!({"url": "x"}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add");
    // The ticker may publish one check computed before the job was counted; wait for
    // one that sees it.
    let check = next(&mut sub, "health:check seeing the waiting job", |e| {
        matches!(e, QueueEvent::HealthCheck { health }
            if health.queues.iter().any(|q| q.name == "scraping-queue" && q.waiting > 0))
    })
    .await;
    let QueueEvent::HealthCheck { health } = check else {
        unreachable!("matched")
    };
    assert_eq!(health.status, HealthLevel::Degraded);
    assert!(
        health
            .reasons
            .iter()
            .any(|r| r.contains("no worker is consuming scraping-queue")),
        "{:?}",
        health.reasons
    );
    assert_eq!(health.queues.len(), 4);
    assert_eq!(
        serde_json::to_value(QueueEvent::HealthCheck { health }).expect("json")["event"],
        "health:check"
    );

    // The same verdict on demand.
    assert_eq!(
        rt.health_status().await.expect("health").status,
        HealthLevel::Degraded
    );
    rt.shutdown().await;
}

#[tokio::test]
async fn queues_made_by_other_processes_get_their_events_watched() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&redis, dir.path());
    let board = Runtime::status_board(&config);
    let rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let mut sub = rt.events().subscribe();
    // Another process creates a queue (as Node's Queue does: a meta key) after start-up.
    let _: () = redis::cmd("HSET")
        .arg("bull:late-queue:meta")
        .arg("version")
        .arg("bullmq:6.7.0")
        .query(&mut redis.connection())
        .expect("HSET");
    // After the next health check the queue is watched; its events then arrive.
    next(&mut sub, "health:check", |e| matches!(e, QueueEvent::HealthCheck { health } if health.queues.iter().any(|q| q.name == "late-queue"))).await;
    let added = rt
        .queues()
        .add_job("late-queue", "n", json!({}), &JobOptionsInput::default())
        .await
        .expect("add");
    next(&mut sub, "job:added in late-queue", |e| matches!(e, QueueEvent::JobAdded { queue, job_id, .. } if queue == "late-queue" && *job_id == added.id)).await;
    rt.shutdown().await;
}

#[tokio::test]
async fn declared_and_created_queues_take_jobs_and_are_watched_at_once() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(&redis, dir.path());
    cfg.queue.custom = vec!["partner-feed".into(), "exports".into()];
    // Long enough that no health check runs in this test: watching must not wait for one.
    cfg.queue.health_interval_ms = 3_600_000;
    let board = Runtime::status_board(&cfg);
    let rt = Runtime::start(cfg, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let names = rt.queues().queue_names().await.expect("names");
    assert!(
        names.contains(&"partner-feed".to_string()) && names.contains(&"exports".to_string()),
        "QUEUE_CUSTOM's queues exist from start: {names:?}"
    );
    let mut sub = rt.events().subscribe();
    let created = rt
        .handle()
        .create_queue("late-queue")
        .await
        .expect("create");
    assert!(created.created);
    assert_eq!(created.queue.name, "late-queue");
    let added = rt
        .queues()
        .add_job("late-queue", "n", json!({}), &JobOptionsInput::default())
        .await
        .expect("add");
    next(&mut sub, "job:added in late-queue", |e| matches!(e, QueueEvent::JobAdded { queue, job_id, .. } if queue == "late-queue" && *job_id == added.id)).await;
    rt.shutdown().await;
}

#[tokio::test]
async fn start_workers_runs_pools_with_handlers_registers_the_node_and_drains_on_command() {
    use antrian_core::runtime::WorkerPlan;
    use antrian_core::worker::{
        handler_fn, list_nodes, send_command, JobContext, NodeCommand, Registry, WorkerType,
    };

    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&redis, dir.path());
    let board = Runtime::status_board(&config);
    let cancel = CancellationToken::new();
    let mut rt = Runtime::start(config, board, cancel.clone(), Services::Full)
        .await
        .expect("runtime");
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|ctx: JobContext| async move { Ok(json!({"url": ctx.data()["url"]})) }),
    );
    let workers = rt
        .start_workers(registry, &WorkerPlan::default())
        .await
        .expect("workers");
    let sizes = workers.pool_sizes().await;
    assert_eq!(
        sizes.get(&WorkerType::Scraping),
        Some(&2),
        "SCRAPING_WORKERS default"
    );
    assert!(
        !sizes.contains_key(&WorkerType::Cleanup),
        "no handler, no pool"
    );

    let mut sub = rt.events().subscribe();
    let added = rt
        .queues()
        .add_job(
            "scraping-queue",
            "product-scraping",
            json!({"url": "https://shop.example/p/1"}),
            &JobOptionsInput::default(),
        )
        .await
        .expect("add");
    next(
        &mut sub,
        "job:completed",
        |e| matches!(e, QueueEvent::JobCompleted { job_id, .. } if *job_id == added.id),
    )
    .await;

    let nodes = list_nodes(rt.connection(), Duration::from_secs(30))
        .await
        .expect("nodes");
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].pools.get("scraping"), Some(&2));
    let reply = send_command(
        rt.connection(),
        &nodes[0].id,
        &NodeCommand::Drain,
        Duration::from_secs(30),
    )
    .await
    .expect("drain");
    assert!(reply.ok, "{reply:?}");
    tokio::time::timeout(Duration::from_secs(10), cancel.cancelled())
        .await
        .expect("drain stops the runtime");
    let conn = rt.connection().clone();
    rt.shutdown().await;
    assert!(
        list_nodes(&conn, Duration::from_secs(30))
            .await
            .expect("nodes")
            .is_empty(),
        "the node deregistered"
    );
}

#[tokio::test]
async fn node_commands_reach_a_node_after_redis_restarts() {
    use antrian_core::runtime::WorkerPlan;
    use antrian_core::worker::{
        handler_fn, send_command, JobContext, NodeCommand, Registry, WorkerType,
    };

    let mut redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&redis, dir.path());
    let board = Runtime::status_board(&config);
    let mut status = board.subscribe();
    let mut rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Cleanup,
        "cleanup-temp-files",
        handler_fn(|_: JobContext| async move { Ok(json!({})) }),
    );
    rt.start_workers(registry, &WorkerPlan::default())
        .await
        .expect("workers");
    let node = antrian_core::worker::local_node_id();
    let command = NodeCommand::Scale {
        worker_type: WorkerType::Cleanup,
        workers: 3,
    };
    // The node takes commands before the restart (its agent is up).
    let before = send_command(rt.connection(), &node, &command, Duration::from_secs(20))
        .await
        .expect("a command before the restart");
    assert!(before.ok, "{before:?}");

    redis.kill();
    antrian_testkit::wait_for_watch(&mut status, Duration::from_secs(20), |s| {
        s.state == antrian_core::connection::status::ConnectionState::Disconnected
    })
    .await;
    redis.restart();
    antrian_testkit::wait_for_watch(&mut status, Duration::from_secs(20), |s| {
        s.state == antrian_core::connection::status::ConnectionState::Connected
    })
    .await;
    // The command reader's own connection died with the server; it must open a new one.
    // The restarted server is empty until the node's next heartbeat registers it again.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let reply = loop {
        match send_command(rt.connection(), &node, &command, Duration::from_secs(20)).await {
            Err(antrian_core::Error::NotFound { .. }) if std::time::Instant::now() < deadline => {
                // Waits for the agent's periodic heartbeat; nothing announces it.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => break other.expect("the node answers a command after the restart"),
        }
    };
    assert!(reply.ok, "{reply:?}");
    rt.shutdown().await;
}

/// Health answers within its bound while Redis stalls (a server that went away since the
/// last connection check must not hold probes and the Overview): it says Redis did not
/// answer, and is unhealthy.
#[tokio::test(flavor = "multi_thread")]
async fn health_answers_within_seconds_while_redis_stalls() {
    let redis = TestRedis::start_with(antrian_testkit::RedisOptions {
        args: vec![("enable-debug-command".into(), "local".into())],
        ..Default::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&redis, dir.path());
    let board = Runtime::status_board(&config);
    let rt = Runtime::start(config, board, CancellationToken::new(), Services::Full)
        .await
        .expect("runtime");
    assert_eq!(
        rt.health_status().await.expect("health").status,
        HealthLevel::Healthy
    );
    let mut stalled = redis.connection();
    // Connected before the server sleeps (connecting sends commands of its own).
    let mut probe = redis.connection();
    probe
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let sleeper = std::thread::spawn(move || {
        redis::cmd("DEBUG")
            .arg("SLEEP")
            .arg(8)
            .query::<()>(&mut stalled)
    });
    // DEBUG SLEEP holds the server once it runs: a PING that gets no answer within 200 ms
    // shows it has started (the server offers no other signal).
    while redis::cmd("PING").query::<String>(&mut probe).is_ok() {}
    let asked = std::time::Instant::now();
    let health = rt.health_status().await.expect("health");
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(5), "health took {took:?}");
    assert_eq!(health.status, HealthLevel::Unhealthy, "{health:?}");
    assert!(
        health
            .redis
            .error
            .as_ref()
            .is_some_and(|e| e.message.contains("did not answer within 3 s")),
        "{health:?}"
    );
    sleeper.join().expect("join").expect("DEBUG SLEEP");
    rt.shutdown().await;
}
