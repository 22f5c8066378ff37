//! The node registry and remote commands, end to end over a real redis-server.

use std::sync::Arc;
use std::time::Duration;

use antrian_testkit::TestRedis;
use serde_json::json;

use super::*;
use crate::worker::{handler_fn, JobContext, PoolSettings, Registry, WorkerManager};
use crate::CancellationToken;

async fn connect(redis: &TestRedis) -> Connection {
    Connection::open(&redis.url(), "test", &CancellationToken::new(), |_| {})
        .await
        .expect("connect")
}

async fn node(
    redis: &TestRedis,
    id: &str,
) -> (
    Arc<WorkerManager>,
    CancellationToken,
    tokio::task::JoinHandle<Result<()>>,
) {
    let mut registry = Registry::new();
    registry.register(
        WorkerType::Scraping,
        "product-scraping",
        handler_fn(|_ctx: JobContext| async move { Ok(json!({})) }),
    );
    let workers = Arc::new(WorkerManager::new(
        connect(redis).await,
        "bull",
        id,
        registry,
    ));
    workers
        .scale_workers(
            WorkerType::Scraping,
            1,
            &PoolSettings::default(),
            Duration::from_secs(5),
        )
        .await
        .expect("scale");
    let mut agent = NodeAgent::new(id, connect(redis).await, workers.clone());
    agent.register().await.expect("registration");
    let stop = CancellationToken::new();
    let task = tokio::spawn(agent.run(Duration::from_millis(200), stop.clone()));
    (workers, stop, task)
}

#[tokio::test]
async fn a_node_registers_and_obeys_remote_commands() {
    let redis = TestRedis::start();
    let (workers, stop, task) = node(&redis, "node-a").await;
    let operator = connect(&redis).await;

    let nodes = list_nodes(&operator, Duration::from_secs(10))
        .await
        .expect("list");
    assert_eq!(nodes.len(), 1);
    assert_eq!((nodes[0].id.as_str(), nodes[0].alive), ("node-a", true));
    assert_eq!(nodes[0].pools.get("scraping"), Some(&1));

    let reply = send_command(
        &operator,
        "node-a",
        &NodeCommand::Scale {
            worker_type: WorkerType::Scraping,
            workers: 3,
        },
        Duration::from_secs(10),
    )
    .await
    .expect("scale reply");
    assert_eq!(
        reply,
        CommandReply {
            ok: true,
            message: "scraping pool scaled to 3 and pinned until handed back to auto-scaling"
                .into()
        }
    );
    assert_eq!(
        workers.pool_sizes().await.get(&WorkerType::Scraping),
        Some(&3)
    );
    assert!(workers.is_pinned(WorkerType::Scraping).await);
    assert!(workers.get_worker_stats().await.by_type["scraping"].pinned);
    let log = crate::worker::scaling_log(&operator, 10)
        .await
        .expect("log");
    assert_eq!((log[0].from, log[0].to), (1, 3));
    assert!(
        log[0].reason.contains("set by an operator; pinned"),
        "{:?}",
        log[0]
    );

    // A size past the bounds is refused with the range; not one connection is opened.
    // Workers' blocking connections carry their names (`node-a:scraping:N`).
    let mut probe = redis.connection();
    let mut clients = || {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(&mut probe)
            .expect("CLIENT LIST");
        list.lines()
            .filter(|l| l.contains("node-a:scraping"))
            .count()
    };
    let before = clients();
    assert_eq!(before, 3, "one named connection per worker");
    let refused = send_command(
        &operator,
        "node-a",
        &NodeCommand::Scale {
            worker_type: WorkerType::Scraping,
            workers: 5000,
        },
        Duration::from_secs(10),
    )
    .await
    .expect("reply");
    assert!(
        !refused.ok
            && refused
                .message
                .contains("5000 is outside the allowed range: 2 to 20 workers"),
        "{refused:?}"
    );
    assert_eq!(clients(), before, "a refused scale opened connections");
    assert_eq!(
        workers.pool_sizes().await.get(&WorkerType::Scraping),
        Some(&3)
    );

    let reply = send_command(
        &operator,
        "node-a",
        &NodeCommand::Auto {
            worker_type: WorkerType::Scraping,
        },
        Duration::from_secs(10),
    )
    .await
    .expect("auto reply");
    assert!(reply.ok, "{reply:?}");
    assert!(!workers.is_pinned(WorkerType::Scraping).await);
    let log = crate::worker::scaling_log(&operator, 10)
        .await
        .expect("log");
    assert!(
        log[0].reason.contains("handed back to auto-scaling"),
        "{:?}",
        log[0]
    );

    let reply = send_command(
        &operator,
        "node-a",
        &NodeCommand::Pause {
            worker_type: WorkerType::Cleanup,
        },
        Duration::from_secs(10),
    )
    .await
    .expect("pause reply");
    assert!(
        !reply.ok && reply.message.contains("runs no cleanup pool"),
        "{reply:?}"
    );
    let refused = send_command(
        &operator,
        "node-a",
        &NodeCommand::Scale {
            worker_type: WorkerType::Cleanup,
            workers: 2,
        },
        Duration::from_secs(10),
    )
    .await
    .expect("reply");
    assert!(
        !refused.ok
            && refused
                .message
                .contains("no handler is registered for cleanup"),
        "{refused:?}"
    );

    let reply = send_command(
        &operator,
        "node-a",
        &NodeCommand::Drain,
        Duration::from_secs(30),
    )
    .await
    .expect("drain reply");
    assert!(reply.ok, "{reply:?}");
    assert!(stop.is_cancelled(), "drain stops the node");
    task.await.expect("join").expect("agent ends cleanly");
    assert_eq!(workers.get_worker_stats().await.total_workers, 0);
    assert!(
        list_nodes(&operator, Duration::from_secs(10))
            .await
            .expect("list")
            .is_empty(),
        "a drained node deregisters"
    );
}

#[tokio::test]
async fn a_silent_node_is_shown_as_gone_and_unknown_nodes_are_not_found() {
    let redis = TestRedis::start();
    let (_workers, stop, task) = node(&redis, "node-b").await;
    let operator = connect(&redis).await;
    // Kill the agent without deregistering, as a crash would.
    task.abort();
    let _ = task.await;
    drop(stop);
    let old = now_ms() - 60_000;
    let _: () = redis::cmd("ZADD")
        .arg(keys::nodes())
        .arg(old)
        .arg("node-b")
        .query(&mut redis.connection())
        .expect("age the node");
    let raw: String = redis::cmd("HGET")
        .arg(keys::node("node-b"))
        .arg("info")
        .query(&mut redis.connection())
        .expect("info");
    let mut info: NodeInfo = serde_json::from_str(&raw).expect("info json");
    info.heartbeat_ms = old;
    let _: () = redis::cmd("HSET")
        .arg(keys::node("node-b"))
        .arg("info")
        .arg(serde_json::to_string(&info).expect("json"))
        .query(&mut redis.connection())
        .expect("HSET");
    let nodes = list_nodes(&operator, Duration::from_secs(15))
        .await
        .expect("list");
    assert_eq!((nodes[0].id.as_str(), nodes[0].alive), ("node-b", false));

    let e = send_command(
        &operator,
        "nobody",
        &NodeCommand::Drain,
        Duration::from_secs(1),
    )
    .await
    .expect_err("unknown");
    assert_eq!(e.code(), crate::ErrorCode::NotFound);
    let e = send_command(
        &operator,
        "node-b",
        &NodeCommand::Drain,
        Duration::from_millis(500),
    )
    .await
    .expect_err("no answer");
    assert!(e.to_string().contains("did not answer"), "{e}");
}

#[tokio::test]
async fn no_scaling_takes_redis_past_its_client_budget() {
    let redis = TestRedis::start();
    let (workers, stop, task) = node(&redis, "node-b").await;
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query(&mut redis.connection())
        .expect("INFO");
    let connected: u64 = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("connected_clients:"))
        .and_then(|v| v.parse().ok())
        .expect("connected_clients");
    // Room for exactly two more workers above the reserve.
    let max = connected + crate::worker::budget::MIN_RESERVE + 4;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxclients")
        .arg(max)
        .query(&mut redis.connection())
        .expect("CONFIG SET");
    let refused = workers
        .scale_by_hand(WorkerType::Scraping, 6, Duration::from_secs(5))
        .await
        .expect_err("past the budget");
    assert!(
        refused
            .to_string()
            .contains("5 more workers need 10 Redis connections; the server has room for"),
        "{refused}"
    );
    assert_eq!(
        workers.pool_sizes().await.get(&WorkerType::Scraping),
        Some(&1)
    );
    workers
        .scale_by_hand(WorkerType::Scraping, 2, Duration::from_secs(5))
        .await
        .expect("within the budget");
    stop.cancel();
    task.await.expect("join").expect("agent ends");
    workers.shutdown(Duration::from_secs(5)).await;
}
