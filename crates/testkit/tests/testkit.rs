//! The harness itself: a server per test, fault controls, and waiting without sleeping.

use std::time::Duration;

use antrian_testkit::{wait_for, wait_for_watch, RedisOptions, TestRedis};

#[test]
fn each_test_gets_its_own_server_never_6379() {
    let a = TestRedis::start();
    let b = TestRedis::start();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.port(), 6379);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("a")
        .query(&mut a.connection())
        .expect("set");
    let other: Option<String> = redis::cmd("GET")
        .arg("k")
        .query(&mut b.connection())
        .expect("get");
    assert_eq!(other, None, "servers share no data");
}

#[test]
fn restart_with_aof_keeps_data_on_the_same_port() {
    let mut redis = TestRedis::start_with(RedisOptions {
        aof: true,
        ..Default::default()
    });
    let port = redis.port();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("kept")
        .query(&mut redis.connection())
        .expect("set");
    redis.kill();
    assert!(redis::Client::open(redis.url())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
        .is_err());
    redis.restart();
    assert_eq!(redis.port(), port);
    let value: String = redis::cmd("GET")
        .arg("k")
        .query(&mut redis.connection())
        .expect("get");
    assert_eq!(value, "kept");
}

#[test]
fn a_password_is_required_when_asked_for() {
    let redis = TestRedis::start_with(RedisOptions {
        password: Some("pw".into()),
        ..Default::default()
    });
    let anon = format!("redis://127.0.0.1:{}", redis.port());
    let mut conn = redis::Client::open(anon)
        .and_then(|c| c.get_connection())
        .expect("tcp");
    assert!(redis::cmd("GET")
        .arg("k")
        .query::<Option<String>>(&mut conn)
        .is_err());
    assert!(redis.url().contains(":pw@"));
}

#[tokio::test]
async fn wait_for_returns_the_matching_event() {
    let (tx, mut rx) = tokio::sync::broadcast::channel(8);
    tokio::spawn(async move {
        for n in 0..5u32 {
            let _ = tx.send(n);
        }
    });
    let got = wait_for(&mut rx, Duration::from_secs(5), |n| *n == 3).await;
    assert_eq!(got, 3);
}

#[tokio::test]
#[should_panic(expected = "no matching event within")]
async fn wait_for_fails_on_timeout() {
    let (_tx, mut rx) = tokio::sync::broadcast::channel::<u32>(1);
    wait_for(&mut rx, Duration::from_millis(50), |_| true).await;
}

#[tokio::test]
async fn wait_for_watch_sees_the_value_change() {
    let (tx, mut rx) = tokio::sync::watch::channel(0u32);
    tokio::spawn(async move {
        for n in 1..=3 {
            let _ = tx.send(n);
        }
    });
    assert_eq!(
        wait_for_watch(&mut rx, Duration::from_secs(5), |n| *n == 3).await,
        3
    );
}
