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

/// A cluster of three primaries with a replica each forms, serves every slot, and fails a
/// primary over to its replica keeping what was written (`WAIT` for the replica first).
#[test]
fn a_cluster_forms_and_fails_over_keeping_its_data() {
    use antrian_testkit::cluster::TestCluster;
    let cluster = TestCluster::start(3, 1);
    let nodes = cluster.nodes();
    assert_eq!(nodes.iter().filter(|n| n.primary).count(), 3, "{nodes:?}");
    assert_eq!(nodes.iter().filter(|n| !n.primary).count(), 3, "{nodes:?}");
    let served: u32 = nodes
        .iter()
        .flat_map(|n| n.slots.iter())
        .map(|(a, b)| u32::from(*b) - u32::from(*a) + 1)
        .sum();
    assert_eq!(served, 16384, "every slot served: {nodes:?}");
    assert_eq!(cluster.seeds().split(',').count(), 6);

    let key = "{bull}:failover-check";
    let primary = cluster.primary_of(key);
    let mut conn = cluster.server(primary.port).connection();
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg("kept")
        .query(&mut conn)
        .expect("SET");
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut conn)
        .expect("WAIT");
    assert_eq!(acked, 1, "the replica has the write");

    let (old, new) = cluster.failover(key);
    assert_eq!(old, primary.port);
    assert_ne!(new, old);
    assert_eq!(cluster.primary_of(key).port, new);
    let mut conn = cluster.server(new).connection();
    let value: Option<String> = redis::cmd("GET").arg(key).query(&mut conn).expect("GET");
    assert_eq!(value.as_deref(), Some("kept"));
}
