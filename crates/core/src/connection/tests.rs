use std::time::Duration;

use antrian_testkit::{free_port, not_redis_server, wait_for_watch, RedisOptions, TestRedis};

use super::*;
use crate::connection::status::{self, ConnectionState, RedisMode, StatusBoard};

async fn open(url: &str) -> Result<Connection> {
    Connection::open(url, "test-redis", &CancellationToken::new(), |_| {}).await
}

#[tokio::test]
async fn wrong_password_fails_at_once_with_a_clear_message() {
    let redis = TestRedis::start_with(RedisOptions {
        password: Some("right".into()),
        ..Default::default()
    });
    let url = format!("redis://:wrong@127.0.0.1:{}", redis.port());
    let e = open(&url).await.expect_err("wrong password");
    assert!(matches!(e, Error::RedisAuth { .. }), "{e}");
    assert!(e.to_string().contains("rejected the password"), "{e}");
    assert!(!e.to_string().contains("wrong@"), "{e}");
    // No password at all against a server that needs one: same error.
    let e = open(&format!("redis://127.0.0.1:{}", redis.port()))
        .await
        .expect_err("no password");
    assert!(matches!(e, Error::RedisAuth { .. }), "{e}");
}

/// An HTTP server on the port: answers, but not as Redis.
#[tokio::test]
async fn an_http_server_is_not_mistaken_for_redis() {
    let port = not_redis_server();
    let e = open(&format!("redis://127.0.0.1:{port}"))
        .await
        .expect_err("not redis");
    assert!(matches!(e, Error::NotRedis { .. }), "{e}");
}

#[tokio::test]
async fn an_unreachable_server_is_retried_until_it_comes_up() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let (tx, mut rx) = tokio::sync::watch::channel(0u32);
    let attempt = tokio::spawn(async move {
        Connection::open(&url, "late-redis", &CancellationToken::new(), |_| {
            tx.send_modify(|n| *n += 1);
        })
        .await
    });
    wait_for_watch(&mut rx, Duration::from_secs(10), |n| *n >= 2).await;
    let _redis = TestRedis::start_with(RedisOptions {
        port: Some(port),
        ..Default::default()
    });
    let conn = tokio::time::timeout(Duration::from_secs(15), attempt)
        .await
        .expect("connects within the capped backoff")
        .expect("join")
        .expect("connects once Redis is up");
    let mut redis = conn.redis();
    let pong: String = redis::cmd("PING")
        .query_async(&mut redis)
        .await
        .expect("ping");
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn cancelling_while_unreachable_returns_the_reason() {
    let url = format!("redis://127.0.0.1:{}", free_port());
    let cancel = CancellationToken::new();
    let e = Connection::open(&url, "gone", &cancel, |_| cancel.cancel())
        .await
        .expect_err("cancelled");
    assert!(matches!(e, Error::RedisUnavailable { .. }), "{e}");
    assert!(
        e.to_string().starts_with("Redis at gone is unreachable"),
        "{e}"
    );
}

#[tokio::test]
async fn health_reports_version_policy_loss_and_recovery() {
    let mut redis = TestRedis::start_with(RedisOptions {
        args: vec![("maxmemory-policy".into(), "allkeys-lru".into())],
        ..Default::default()
    });
    let conn = open(&redis.url()).await.expect("connects");
    let board = StatusBoard::new(RedisMode::External, "test-redis");
    status::check(&conn, &board).await;
    let s = board.current();
    assert_eq!(s.state, ConnectionState::Connected);
    assert!(s
        .redis_version
        .as_deref()
        .is_some_and(|v| v.starts_with(char::is_numeric)));
    assert!(s.used_memory_bytes.is_some_and(|m| m > 0));
    assert_eq!(s.maxmemory_policy.as_deref(), Some("allkeys-lru"));
    assert!(
        s.connected_clients.is_some_and(|n| n >= 1),
        "at least this connection: {s:?}"
    );
    assert!(s.eviction_warning.is_some());
    assert!(s.latency_ms.is_some());

    redis.kill();
    status::check(&conn, &board).await;
    assert_eq!(board.current().state, ConnectionState::Disconnected);
    assert!(board.current().error.is_some());

    redis.restart();
    let mut rx = board.subscribe();
    let cancel = CancellationToken::new();
    let monitor = tokio::spawn(status::monitor(
        conn.clone(),
        board.clone(),
        Duration::from_millis(100),
        cancel.clone(),
    ));
    let back = wait_for_watch(&mut rx, Duration::from_secs(20), |s| {
        s.state == ConnectionState::Connected
    })
    .await;
    assert!(back.error.is_none());
    cancel.cancel();
    monitor.await.expect("monitor stops");
}
