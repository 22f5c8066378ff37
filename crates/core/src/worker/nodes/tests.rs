//! The node registry and remote commands, end to end over a real redis-server.

use std::time::Duration;

use antrian_testkit::TestRedis;
use serde_json::json;

use super::*;
use crate::worker::{handler_fn, JobContext, Registry};
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
            message: "scraping pool scaled to 3".into()
        }
    );
    assert_eq!(
        workers.pool_sizes().await.get(&WorkerType::Scraping),
        Some(&3)
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
            workers: 1,
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
